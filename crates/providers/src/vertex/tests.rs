use std::collections::BTreeMap;
use std::sync::Arc;

use http::header::AUTHORIZATION;
use serde_json::{Value, json};
use switchboard_api::codec::Wire;
use switchboard_api::openai::Operation;

use super::jwt::TEST_KEY;
use crate::{Adapter, BuildContext, DeploymentParams, ProviderError, adjusted_body, build_adapter};

fn service_account(project: &str) -> Value {
    json!({
        "type": "service_account",
        "project_id": project,
        "private_key_id": "kid",
        "private_key": TEST_KEY,
        "client_email": "sa@p.iam.gserviceaccount.com",
        "token_uri": "http://127.0.0.1:9/token",
    })
}

struct Build<'a> {
    model: Option<&'a str>,
    api_base: Option<&'a str>,
    api_key: Option<&'a str>,
    extra: Vec<(&'a str, Value)>,
    env: Vec<(&'a str, String)>,
}

impl Default for Build<'_> {
    fn default() -> Self {
        Build {
            model: Some("gemini-2.5-flash"),
            api_base: None,
            api_key: Some("ya29.token"),
            extra: vec![("vertex_project", json!("my-project"))],
            env: Vec::new(),
        }
    }
}

impl Build<'_> {
    fn run(self) -> Result<Arc<dyn Adapter>, ProviderError> {
        let extra: BTreeMap<String, Value> = self
            .extra
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let env: BTreeMap<String, String> = self
            .env
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let lookup = |name: &str| env.get(name).cloned();
        build_adapter(
            DeploymentParams {
                provider: "vertex_ai",
                api_base: self.api_base,
                api_key: self.api_key,
                api_version: None,
                upstream_model: self.model,
                extra: &extra,
            },
            &BuildContext {
                env: &lookup,
                mock_base_url: None,
            },
        )
    }
}

fn url(adapter: &dyn Adapter, model: &str, stream: bool) -> String {
    adapter
        .endpoint(Operation::ChatCompletions, model, stream)
        .unwrap()
        .uri
        .to_string()
}

#[test]
fn gemini_urls_by_location() {
    let adapter = Build::default().run().unwrap();
    assert_eq!(adapter.provider(), "vertex_ai");
    assert_eq!(adapter.wire(), Wire::Gemini);
    assert!(!adapter.adjusts_body());
    let base = "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project/locations/\
                us-central1/publishers/google/models/gemini-2.5-flash";
    assert_eq!(
        url(adapter.as_ref(), "gemini-2.5-flash", false),
        format!("{base}:generateContent")
    );
    assert_eq!(
        url(adapter.as_ref(), "gemini-2.5-flash", true),
        format!("{base}:streamGenerateContent?alt=sse")
    );
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, "gemini-2.5-flash", false)
        .unwrap();
    assert!(matches!(endpoint, std::borrow::Cow::Borrowed(_)));
    assert_eq!(endpoint.headers[AUTHORIZATION], "Bearer ya29.token");

    let europe = Build {
        extra: vec![
            ("vertex_project", json!("p")),
            ("vertex_location", json!("europe-west4")),
        ],
        ..Build::default()
    };
    assert_eq!(
        url(europe.run().unwrap().as_ref(), "gemini-2.5-flash", false),
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4/\
         publishers/google/models/gemini-2.5-flash:generateContent"
    );
    let global = Build {
        env: vec![
            ("VERTEXAI_PROJECT", "env-project".to_owned()),
            ("VERTEXAI_LOCATION", "global".to_owned()),
        ],
        extra: Vec::new(),
        ..Build::default()
    };
    assert_eq!(
        url(global.run().unwrap().as_ref(), "gemini-2.5-flash", false),
        "https://aiplatform.googleapis.com/v1/projects/env-project/locations/global/publishers/\
         google/models/gemini-2.5-flash:generateContent"
    );
}

#[test]
fn claude_urls_and_body() {
    let model = "claude-sonnet-4@20250514";
    let adapter = Build {
        model: Some(model),
        api_base: Some("http://127.0.0.1:8080/v1/"),
        ..Build::default()
    }
    .run()
    .unwrap();
    assert_eq!(adapter.wire(), Wire::Anthropic);
    let base = "http://127.0.0.1:8080/v1/projects/my-project/locations/us-central1/publishers/\
                anthropic/models/claude-sonnet-4@20250514";
    assert_eq!(
        url(adapter.as_ref(), model, false),
        format!("{base}:rawPredict")
    );
    assert_eq!(
        url(adapter.as_ref(), model, true),
        format!("{base}:streamRawPredict")
    );
    assert!(adapter.adjusts_body());
    let body = br#"{"model":"claude-sonnet-4@20250514","max_tokens":10,"messages":[]}"#;
    let adjusted = adjusted_body(adapter.as_ref(), vec![bytes::Bytes::from_static(body)]);
    let adjusted: Value = serde_json::from_slice(&adjusted.concat()).unwrap();
    assert_eq!(
        adjusted,
        json!({"anthropic_version": "vertex-2023-10-16", "max_tokens": 10, "messages": []})
    );
}

#[test]
fn wildcards_serve_gemini_and_refuse_what_they_cannot() {
    let adapter = Build {
        model: None,
        ..Build::default()
    }
    .run()
    .unwrap();
    assert_eq!(adapter.wire(), Wire::Gemini);
    assert!(
        url(adapter.as_ref(), "gemini-2.0-flash", true)
            .ends_with("/publishers/google/models/gemini-2.0-flash:streamGenerateContent?alt=sse")
    );
    let refused = |model: &str, operation| {
        let error = adapter.endpoint(operation, model, false).unwrap_err();
        assert!(
            matches!(error, ProviderError::Unsupported { .. }),
            "{error}"
        );
        error.to_string()
    };
    assert!(refused("claude-3-7-sonnet@20250219", Operation::ChatCompletions).contains("wildcard"));
    assert!(refused("mistral-large", Operation::ChatCompletions).contains("gemini-*"));
    assert!(refused("gemini-x/../../y", Operation::ChatCompletions).contains("characters"));
    assert!(refused("gemini-x:predict?", Operation::ChatCompletions).contains("characters"));
    assert!(refused("gemini-2.5-flash", Operation::Embeddings).contains("embeddings"));
    assert!(refused("gemini-2.5-flash", Operation::Completions).contains("completions"));
}

#[test]
fn config_mistakes_fail_the_load() {
    let message = |build: Build<'_>| build.run().unwrap_err().to_string();
    let other = message(Build {
        model: Some("meta/llama-3.1-405b"),
        ..Build::default()
    });
    assert!(
        other.contains("`meta/llama-3.1-405b` is not supported"),
        "{other}"
    );
    let no_project = message(Build {
        extra: Vec::new(),
        ..Build::default()
    });
    assert!(no_project.contains("no project"), "{no_project}");
    let location = message(Build {
        extra: vec![
            ("vertex_project", json!("p")),
            ("vertex_location", json!("evil.com/x")),
        ],
        ..Build::default()
    });
    assert!(location.contains("`evil.com/x`"), "{location}");
    let path = "/nonexistent/vertex-sa.json";
    let unreadable = message(Build {
        extra: vec![("vertex_credentials", json!(path))],
        ..Build::default()
    });
    assert!(
        unreadable.contains("cannot read the credentials file")
            && unreadable.contains(path)
            && unreadable.contains("litellm_params.vertex_credentials"),
        "{unreadable}"
    );
    let from_env = message(Build {
        api_key: None,
        env: vec![("GOOGLE_APPLICATION_CREDENTIALS", path.to_owned())],
        ..Build::default()
    });
    assert!(
        from_env.contains("GOOGLE_APPLICATION_CREDENTIALS") && from_env.contains(path),
        "{from_env}"
    );
    let bad_json = message(Build {
        extra: vec![("vertex_credentials", json!("{\"type\": "))],
        ..Build::default()
    });
    assert!(bad_json.contains("not valid JSON"), "{bad_json}");
    let mut broken = service_account("p");
    broken["private_key"] = json!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----");
    let bad_key = message(Build {
        extra: vec![("vertex_credentials", broken)],
        ..Build::default()
    });
    assert!(bad_key.contains("not a usable RSA key"), "{bad_key}");
}

#[test]
fn credentials_come_from_params_then_the_environment() {
    let dir = std::env::temp_dir().join(format!("switchboard-vertex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sa.json");
    std::fs::write(&file, service_account("file-project").to_string()).unwrap();
    let file = file.display().to_string();

    // A path, with the project taken from the file.
    let from_path = Build {
        api_key: None,
        extra: vec![("vertex_credentials", json!(file))],
        ..Build::default()
    }
    .run()
    .unwrap();
    assert!(url(from_path.as_ref(), "gemini-2.5-flash", false).contains("/projects/file-project/"));
    let endpoint = from_path
        .endpoint(Operation::ChatCompletions, "gemini-2.5-flash", false)
        .unwrap();
    assert!(!endpoint.headers.contains_key(AUTHORIZATION));
    // The JSON as a string (`vertex_project` wins over the file's).
    let as_text = Build {
        extra: vec![
            (
                "vertex_credentials",
                json!(service_account("x").to_string()),
            ),
            ("vertex_project", json!("named")),
        ],
        ..Build::default()
    }
    .run()
    .unwrap();
    assert!(url(as_text.as_ref(), "gemini-2.5-flash", false).contains("/projects/named/"));
    // An access token from the environment.
    let token = Build {
        api_key: None,
        env: vec![("VERTEX_AI_ACCESS_TOKEN", "ya29.env".to_owned())],
        ..Build::default()
    }
    .run()
    .unwrap();
    let endpoint = token
        .endpoint(Operation::ChatCompletions, "gemini-2.5-flash", true)
        .unwrap();
    assert_eq!(endpoint.headers[AUTHORIZATION], "Bearer ya29.env");
    // GOOGLE_APPLICATION_CREDENTIALS, project from the file.
    let adc = Build {
        api_key: None,
        extra: Vec::new(),
        env: vec![("GOOGLE_APPLICATION_CREDENTIALS", file.clone())],
        ..Build::default()
    }
    .run()
    .unwrap();
    assert!(url(adc.as_ref(), "gemini-2.5-flash", false).contains("/projects/file-project/"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn requests_without_credentials_fail_with_what_to_set() {
    let adapter = Build {
        api_key: None,
        env: vec![("HOME", "/nonexistent".to_owned())],
        ..Build::default()
    }
    .run()
    .unwrap();
    let error = authorize_error(adapter.as_ref()).await;
    assert!(error.contains("VERTEXAI_CREDENTIALS"), "{error}");
    // A static token needs no authorize step.
    let adapter = Build::default().run().unwrap();
    let (mut parts, ()) = http::Request::new(()).into_parts();
    assert!(adapter.authorize(&mut parts, &[]).is_none());
}

#[tokio::test]
async fn an_unreachable_token_endpoint_fails_the_request_not_the_process() {
    let adapter = Build {
        api_key: None,
        extra: vec![
            ("vertex_credentials", service_account("p")),
            ("vertex_project", json!("unreachable")),
        ],
        ..Build::default()
    }
    .run()
    .unwrap();
    let error = authorize_error(adapter.as_ref()).await;
    assert!(
        error.starts_with(
            "the OAuth token exchange with http://127.0.0.1:9/token failed: cannot reach it"
        ),
        "{error}"
    );
}

/// The error of an authorize step that must fail; no header is set.
async fn authorize_error(adapter: &dyn Adapter) -> String {
    let (mut parts, ()) = http::Request::new(()).into_parts();
    let error = adapter
        .authorize(&mut parts, &[])
        .unwrap()
        .await
        .unwrap_err();
    assert!(!parts.headers.contains_key(AUTHORIZATION));
    error.to_string()
}
