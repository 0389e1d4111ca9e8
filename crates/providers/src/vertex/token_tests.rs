use std::sync::atomic::AtomicUsize;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use super::*;
use crate::vertex::jwt::TEST_KEY;

const START: u64 = 1_750_000_000;

/// A token endpoint that counts calls, answers `token-<n>` after `delay`,
/// or fails with `status`.
#[derive(Default)]
struct Fake {
    calls: Arc<AtomicUsize>,
    forms: Arc<Mutex<Vec<String>>>,
    delay: Duration,
    status: u16,
    expires_in: u64,
}

impl Exchange for Fake {
    fn post_form<'a>(&'a self, uri: &'a Uri, form: String) -> Posted<'a> {
        Box::pin(async move {
            assert_eq!(uri, "https://oauth2.example.test/token");
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            self.forms.lock().unwrap().push(form);
            tokio::time::sleep(self.delay).await;
            let body = if self.status == 200 {
                json!({"access_token": format!("token-{n}"), "expires_in": self.expires_in,
                    "token_type": "Bearer"})
            } else {
                json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
            };
            Ok((self.status, Bytes::from(body.to_string())))
        })
    }
}

fn service_account() -> Grant {
    Grant::from_json(
        json!({
            "type": "service_account",
            "project_id": "p",
            "private_key_id": "kid-1",
            "private_key": TEST_KEY,
            "client_email": "sa@p.iam.gserviceaccount.com",
            "token_uri": "https://oauth2.example.test/token",
        })
        .as_object()
        .unwrap(),
    )
    .unwrap()
}

/// A source on a clock the test moves, and its call counter.
fn source(fake: Fake) -> (Arc<TokenSource>, Arc<Mutex<SystemTime>>, Arc<AtomicUsize>) {
    let now = Arc::new(Mutex::new(UNIX_EPOCH + Duration::from_secs(START)));
    let clock_now = Arc::clone(&now);
    let calls = Arc::clone(&fake.calls);
    let clock: Clock = Arc::new(move || *clock_now.lock().unwrap());
    let source = TokenSource::new(service_account(), clock, Box::new(fake));
    (Arc::new(source), now, calls)
}

fn ok(delay_ms: u64) -> Fake {
    Fake {
        status: 200,
        expires_in: 3599,
        delay: Duration::from_millis(delay_ms),
        ..Fake::default()
    }
}

fn advance(now: &Mutex<SystemTime>, seconds: u64) {
    *now.lock().unwrap() += Duration::from_secs(seconds);
}

#[tokio::test]
async fn the_form_is_a_jwt_bearer_grant_with_a_signed_assertion() {
    let fake = ok(0);
    let forms = Arc::clone(&fake.forms);
    let (source, _, _) = source(fake);
    source.authorization().await.unwrap();
    let form = forms.lock().unwrap()[0].clone();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(pairs[0], ("grant_type".to_owned(), JWT_BEARER.to_owned()));
    assert_eq!(pairs[1].0, "assertion");
    let claims = pairs[1].1.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(
        claims,
        json!({"iss": "sa@p.iam.gserviceaccount.com", "scope": SCOPE,
            "aud": "https://oauth2.example.test/token", "iat": START, "exp": START + 3600})
    );
}

#[tokio::test]
async fn tokens_are_cached_and_refreshed_five_minutes_early() {
    let (source, now, calls) = source(ok(0));
    assert_eq!(source.cached(), None);
    assert_eq!(source.authorization().await.unwrap(), "Bearer token-1");
    assert!(source.authorization().await.unwrap().is_sensitive());
    // 3599 s of life, refreshed at 3299 s.
    advance(&now, 3298);
    assert_eq!(source.cached().unwrap(), "Bearer token-1");
    assert_eq!(source.authorization().await.unwrap(), "Bearer token-1");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    advance(&now, 1);
    assert_eq!(source.cached(), None);
    assert_eq!(source.authorization().await.unwrap(), "Bearer token-2");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(source.cached().unwrap(), "Bearer token-2");
}

#[tokio::test]
async fn short_lived_tokens_are_refreshed_at_half_life() {
    let (source, now, calls) = source(Fake {
        expires_in: 120,
        ..ok(0)
    });
    source.authorization().await.unwrap();
    advance(&now, 59);
    assert!(source.cached().is_some());
    advance(&now, 1);
    assert_eq!(source.authorization().await.unwrap(), "Bearer token-2");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_refresh() {
    let (source, now, calls) = source(ok(50));
    let all = |source: &Arc<TokenSource>| {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..32 {
            let source = Arc::clone(source);
            tasks.spawn(async move { source.authorization().await });
        }
        tasks
    };
    for result in all(&source).join_all().await {
        assert_eq!(result.unwrap(), "Bearer token-1");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Past expiry nobody holds a valid token: all wait for one refresh.
    advance(&now, 3600);
    for result in all(&source).join_all().await {
        assert_eq!(result.unwrap(), "Bearer token-2");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // Due but still valid: one request refreshes, the others keep the
    // current token rather than wait.
    advance(&now, 3400);
    let results: Vec<String> = all(&source)
        .join_all()
        .await
        .into_iter()
        .map(|r| r.unwrap().to_str().unwrap().to_owned())
        .collect();
    assert!(
        results.contains(&"Bearer token-3".to_owned()),
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .all(|t| t == "Bearer token-2" || t == "Bearer token-3")
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_exchange_is_shared_by_the_requests_that_waited_for_it() {
    let (source, _, calls) = source(Fake {
        status: 400,
        ..ok(50)
    });
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let source = Arc::clone(&source);
        tasks.spawn(async move { source.authorization().await });
    }
    for result in tasks.join_all().await {
        let message = result.unwrap_err().to_string();
        assert_eq!(
            message,
            "the OAuth token exchange with https://oauth2.example.test/token failed: HTTP 400: \
             invalid_grant: Invalid JWT Signature."
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // A later request tries again.
    assert!(source.authorization().await.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_valid_token_until_it_goes_stale() {
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    struct Flaky(Fake, Arc<std::sync::atomic::AtomicBool>);
    impl Exchange for Flaky {
        fn post_form<'a>(&'a self, uri: &'a Uri, form: String) -> Posted<'a> {
            if self.1.load(Ordering::SeqCst) {
                Box::pin(std::future::ready(Err("connection refused".to_owned())))
            } else {
                self.0.post_form(uri, form)
            }
        }
    }
    let now = Arc::new(Mutex::new(UNIX_EPOCH + Duration::from_secs(START)));
    let clock_now = Arc::clone(&now);
    let source = TokenSource::new(
        service_account(),
        Arc::new(move || *clock_now.lock().unwrap()),
        Box::new(Flaky(ok(0), Arc::clone(&failing))),
    );
    assert_eq!(source.authorization().await.unwrap(), "Bearer token-1");
    failing.store(true, Ordering::SeqCst);
    advance(&now, 3400);
    assert_eq!(source.authorization().await.unwrap(), "Bearer token-1");
    // Within a minute of expiry it is no longer used.
    advance(&now, 140);
    let error = source.authorization().await.unwrap_err().to_string();
    assert!(error.ends_with("failed: connection refused"), "{error}");
    failing.store(false, Ordering::SeqCst);
    assert_eq!(source.authorization().await.unwrap(), "Bearer token-2");
}

#[test]
fn credentials_files_are_read_by_type() {
    let user = Grant::from_json(
        json!({"type": "authorized_user", "client_id": "id.apps.googleusercontent.com",
            "client_secret": "s/cret", "refresh_token": "1//refresh+token"})
        .as_object()
        .unwrap(),
    )
    .unwrap();
    assert_eq!(user.token_uri(), GOOGLE_TOKEN_URI);
    let form = user.form(START).unwrap();
    assert_eq!(
        form,
        "grant_type=refresh_token&client_id=id.apps.googleusercontent.com&client_secret=s%2Fcret\
         &refresh_token=1%2F%2Frefresh%2Btoken"
    );
    assert!(!format!("{user:?}").contains("cret"));
    let error = |value: Value| Grant::from_json(value.as_object().unwrap()).unwrap_err();
    assert!(error(json!({"type": "external_account"})).contains("`external_account`"));
    assert!(
        error(json!({"type": "service_account", "private_key": TEST_KEY}))
            .contains("no `client_email`")
    );
    assert!(error(json!({"type": "service_account"})).contains("no `private_key`"));
    assert!(error(json!({"client_email": "x"})).contains("no `type`"));
    assert_eq!(service_account(), service_account());
    assert_ne!(service_account(), user);
}

#[test]
fn oauth_errors_are_described_briefly() {
    assert_eq!(
        describe_error(br#"{"error":"invalid_grant","error_description":"Bad"}"#),
        "invalid_grant: Bad"
    );
    assert_eq!(
        describe_error(br#"{"error":{"code":403,"message":"No","status":"PERMISSION_DENIED"}}"#),
        "PERMISSION_DENIED: No"
    );
    assert_eq!(describe_error(b"<html>oops</html>"), "<html>oops</html>");
    assert_eq!(describe_error("é".repeat(200).as_bytes()).len(), 300);
}
