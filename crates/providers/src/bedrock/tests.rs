use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::Value;
use switchboard_api::codec::Wire;
use switchboard_api::openai::Operation;

use crate::{BuildContext, DeploymentParams, ProviderError, build_adapter};

const CLAUDE: &str = "us.anthropic.claude-3-5-sonnet-20241022-v2:0";

fn extra(pairs: &[(&str, &str)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect()
}

fn build(
    api_base: Option<&str>,
    api_key: Option<&str>,
    model: Option<&str>,
    extra: &BTreeMap<String, Value>,
) -> Result<std::sync::Arc<dyn crate::Adapter>, ProviderError> {
    let no_env = |_: &str| None;
    build_adapter(
        DeploymentParams {
            provider: "bedrock",
            api_base,
            api_key,
            api_version: None,
            upstream_model: model,
            extra,
        },
        &BuildContext {
            env: &no_env,
            mock_base_url: None,
        },
    )
}

fn keys() -> BTreeMap<String, Value> {
    extra(&[
        ("aws_access_key_id", "AKIDEXAMPLE"),
        ("aws_secret_access_key", "secret"),
        ("aws_region_name", "eu-central-1"),
    ])
}

#[test]
fn urls_encode_the_model_id() {
    let adapter = build(None, None, Some(CLAUDE), &keys()).unwrap();
    assert_eq!(adapter.wire(), Wire::Bedrock);
    assert_eq!(adapter.provider(), "bedrock");
    let url =
        |op, model: &str, stream| adapter.endpoint(op, model, stream).unwrap().uri.to_string();
    let base = "https://bedrock-runtime.eu-central-1.amazonaws.com/model";
    assert_eq!(
        url(Operation::ChatCompletions, CLAUDE, false),
        format!("{base}/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse")
    );
    assert_eq!(
        url(Operation::ChatCompletions, CLAUDE, true),
        format!("{base}/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse-stream")
    );
    assert_eq!(
        url(Operation::Embeddings, "amazon.titan-embed-text-v2:0", false),
        format!("{base}/amazon.titan-embed-text-v2%3A0/invoke")
    );
    let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0";
    assert_eq!(
        url(Operation::ChatCompletions, arn, false),
        format!(
            "{base}/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.meta.llama3-2-1b-instruct-v1%3A0/converse"
        )
    );
    assert_eq!(
        url(
            Operation::ChatCompletions,
            "converse/amazon.nova-lite-v1:0",
            false
        ),
        format!("{base}/amazon.nova-lite-v1%3A0/converse")
    );
    assert!(matches!(
        adapter.endpoint(Operation::Completions, CLAUDE, false),
        Err(ProviderError::Unsupported { .. })
    ));
}

#[test]
fn api_base_overrides_the_endpoint() {
    let adapter = build(Some("https://vpce.example.com:443/"), None, None, &keys()).unwrap();
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, "m", false)
        .unwrap();
    assert_eq!(endpoint.uri, "https://vpce.example.com/model/m/converse");
    let adapter = build(Some("http://127.0.0.1:8080"), None, None, &keys()).unwrap();
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, "m", true)
        .unwrap();
    assert_eq!(
        endpoint.uri,
        "http://127.0.0.1:8080/model/m/converse-stream"
    );
}

#[tokio::test]
async fn requests_are_signed_or_carry_the_api_key() {
    let adapter = build(None, None, Some(CLAUDE), &keys()).unwrap();
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, CLAUDE, false)
        .unwrap();
    assert!(!endpoint.headers.contains_key("authorization"));
    let (mut parts, ()) = http::Request::post(endpoint.uri.clone())
        .body(())
        .unwrap()
        .into_parts();
    parts.headers = endpoint.headers.clone();
    let body = [Bytes::from_static(b"{}")];
    adapter.authorize(&mut parts, &body).unwrap().await.unwrap();
    let authorization = parts.headers["authorization"].to_str().unwrap();
    assert!(
        authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
        "{authorization}"
    );
    assert!(authorization.contains("/eu-central-1/bedrock/aws4_request"));
    assert!(parts.headers.contains_key("x-amz-date"));
    assert!(!parts.headers.contains_key("x-amz-security-token"));

    let adapter = build(None, Some("bedrock-api-key"), None, &extra(&[])).unwrap();
    let endpoint = adapter
        .endpoint(Operation::ChatCompletions, CLAUDE, false)
        .unwrap();
    assert_eq!(endpoint.headers["authorization"], "Bearer bedrock-api-key");
    let (mut parts, ()) = http::Request::post("/").body(()).unwrap().into_parts();
    assert!(adapter.authorize(&mut parts, &body).is_none());
}

#[tokio::test]
async fn missing_credentials_fail_each_request_clearly() {
    // No keys in the params, and HOME unset in this context's environment.
    let adapter = build(None, None, None, &extra(&[])).unwrap();
    let (mut parts, ()) = http::Request::post("https://x/model/m/converse")
        .body(())
        .unwrap()
        .into_parts();
    let error = adapter
        .authorize(&mut parts, &[])
        .unwrap()
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("no AWS credentials for bedrock"),
        "{error}"
    );
}
