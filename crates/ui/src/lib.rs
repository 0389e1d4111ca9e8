//! switchboard's web UI: plain HTML, CSS and ES modules under `assets/`,
//! embedded in the binary at build time (see `build.rs`), so `cargo build`
//! alone produces a working UI and no Node toolchain is involved.
//!
//! The pages talk only to the gateway's public HTTP API with the signed-in
//! key, so anything the UI does a script can do too. This crate only serves
//! files: `/ui` (and `/ui/`) is the single page, `/ui/<path>` the assets, and
//! `/` redirects to `/ui/`.

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{HeaderMap, HeaderValue, StatusCode};

/// One embedded file.
struct Asset {
    path: &'static str,
    body: &'static [u8],
    content_type: &'static str,
    etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Only the gateway's own scripts, styles and API: no inline script or
/// style, no third-party origin, no framing. The pages are written to need
/// nothing more (they build the DOM with `textContent`, never `innerHTML`).
pub const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// The UI's routes; merge them into the gateway's router.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/ui/") }))
        .route("/ui", get(index))
        .route("/ui/", get(index))
        .route("/ui/{*path}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS
        .binary_search_by(|asset| asset.path.cmp(path))
        .ok()
        .and_then(|index| ASSETS.get(index))
}

/// An asset with its content type and ETag; `304` when the browser already
/// has this version. Assets keep fixed names (ES modules import each other
/// by name), so the browser revalidates each time (`no-cache`) and a new
/// binary's files are picked up at once.
fn serve(path: &str, headers: &HeaderMap) -> Response {
    let Some(asset) = find(path) else {
        return (StatusCode::NOT_FOUND, "no such file in the UI").into_response();
    };
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == asset.etag));
    let mut response = if fresh {
        (StatusCode::NOT_MODIFIED, Body::empty()).into_response()
    } else {
        Body::from(asset.body).into_response()
    };
    let out = response.headers_mut();
    out.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    out.insert(ETAG, HeaderValue::from_static(asset.etag));
    out.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    out.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    out.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    out.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get(path: &str, etag: Option<&str>) -> Response {
        let mut request = Request::get(path);
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        router::<()>()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    async fn text(response: Response) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn root_redirects_to_the_ui() {
        let response = get("/", None).await;
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(response.headers()["location"], "/ui/");
    }

    #[tokio::test]
    async fn index_is_html_with_a_strict_policy() {
        for path in ["/ui", "/ui/"] {
            let response = get(path, None).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
            assert_eq!(response.headers()[CONTENT_SECURITY_POLICY], POLICY);
            assert_eq!(response.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert!(text(response).await.contains("/ui/js/app.js"));
        }
    }

    #[tokio::test]
    async fn assets_have_types_and_revalidate_by_etag() {
        let response = get("/ui/js/app.js", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let etag = response.headers()[ETAG].to_str().unwrap().to_string();
        let again = get("/ui/js/app.js", Some(&etag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(text(again).await.is_empty());
        let other = get("/ui/js/app.js", Some("\"0000000000000000\"")).await;
        assert_eq!(other.status(), StatusCode::OK);
        assert_eq!(
            get("/ui/app.css", None).await.headers()[CONTENT_TYPE],
            "text/css; charset=utf-8"
        );
    }

    #[tokio::test]
    async fn unknown_files_are_not_found() {
        assert_eq!(
            get("/ui/nope.js", None).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get("/ui/../Cargo.toml", None).await.status(),
            StatusCode::NOT_FOUND
        );
    }

    /// Every relative import of every module names an embedded file: a
    /// typo would otherwise only show in a browser.
    #[test]
    fn module_imports_resolve() {
        for asset in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let source = std::str::from_utf8(asset.body).unwrap();
            let dir = asset.path.rsplit_once('/').map_or("", |(dir, _)| dir);
            for line in source.lines().filter(|l| l.starts_with("import ")) {
                let spec = line.rsplit(['"', '\'']).nth(1).unwrap();
                let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
                for part in spec.split('/') {
                    match part {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        name => parts.push(name),
                    }
                }
                let target = parts.join("/");
                assert!(
                    find(&target).is_some(),
                    "{}: import {spec} not embedded",
                    asset.path
                );
            }
        }
    }

    /// The policy forbids inline script and style, so the page must have
    /// none (a `<script>` or `style=` would be silently blocked).
    #[test]
    fn html_has_no_inline_script_or_style() {
        let html = std::str::from_utf8(find("index.html").unwrap().body).unwrap();
        assert!(!html.contains("style="));
        assert!(!html.contains("<style"));
        for script in html.split("<script").skip(1) {
            assert!(script.contains("src="), "inline script in index.html");
        }
    }
}
