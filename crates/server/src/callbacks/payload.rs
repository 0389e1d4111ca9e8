//! The record a callback receives: LiteLLM's `StandardLoggingPayload` field
//! names (so receivers written for LiteLLM's generic API logger read it),
//! filled from the request log record.

use serde_json::{Map, Value, json};
use switchboard_store::LogRecord;

/// Seconds since the epoch, as LiteLLM's payload has them.
fn seconds(ms: f64) -> f64 {
    ms / 1000.0
}

/// A logged body as JSON when it is JSON, else as text (streams).
fn body(text: Option<&str>) -> Value {
    match text {
        None => Value::Null,
        Some(text) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into())),
    }
}

pub fn payload(record: &LogRecord) -> Value {
    let start = record.started_at as f64;
    let end = start + record.latency_ms;
    let request = body(record.request_body.as_deref());
    // LiteLLM sends the messages, not the whole request.
    let messages = match &request {
        Value::Object(fields) => fields
            .get("messages")
            .or_else(|| fields.get("input"))
            .or_else(|| fields.get("contents"))
            .cloned()
            .unwrap_or_else(|| request.clone()),
        other => other.clone(),
    };
    let mut metadata = Map::new();
    let mut put = |name: &str, value: &Option<String>| {
        if let Some(value) = value {
            metadata.insert(name.into(), Value::String(value.clone()));
        }
    };
    put("user_api_key_hash", &record.key_hash);
    put("user_api_key_alias", &record.key_alias);
    put("user_api_key_user_id", &record.user_id);
    put("user_api_key_team_id", &record.team_id);
    put("user_api_key_org_id", &record.organization_id);
    put("user_api_key_end_user_id", &record.end_user);
    if let Some(extra) = &record.metadata {
        metadata.insert("requester_metadata".into(), extra.clone());
    }
    let failed = record.status >= 400;
    json!({
        "id": record.request_id,
        "trace_id": record.request_id,
        "call_type": record.call_type,
        "stream": record.stream,
        "status": if failed { "failure" } else { "success" },
        "response_cost": record.cost.unwrap_or(0.0),
        "total_tokens": record.input_tokens.saturating_add(record.output_tokens),
        "prompt_tokens": record.input_tokens,
        "completion_tokens": record.output_tokens,
        "cache_hit": record.cache_hit,
        "startTime": seconds(start),
        "endTime": seconds(end),
        "completionStartTime": record.ttft_ms.map_or(seconds(end), |t| seconds(start + t)),
        "response_time": seconds(record.latency_ms),
        "model": record.upstream_model.as_deref().unwrap_or(&record.model),
        "model_id": record.deployment_id,
        "model_group": record.model_group,
        "custom_llm_provider": record.provider,
        "api_base": Value::Null,
        "end_user": record.end_user,
        "request_tags": record.tags,
        "metadata": metadata,
        "messages": messages,
        "response": body(record.response_body.as_deref()),
        "error_str": record.error,
        "error_information": failed.then(|| json!({"error_code": record.status.to_string(), "error_message": record.error})),
        "hidden_params": {
            "litellm_overhead_time_ms": record.overhead_ms,
            "attempts": record.attempts,
            "http_status": record.status,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_has_litellms_names() {
        let record = LogRecord {
            request_id: "r1".into(),
            started_at: 1_700_000_000_000,
            latency_ms: 1500.0,
            ttft_ms: Some(200.0),
            model: "gpt".into(),
            upstream_model: Some("gpt-4o".into()),
            status: 200,
            input_tokens: 10,
            output_tokens: 5,
            cost: Some(0.25),
            key_alias: Some("alpha".into()),
            request_body: Some(
                r#"{"model":"gpt","messages":[{"role":"user","content":"hi"}]}"#.into(),
            ),
            response_body: Some("data: {}\n\n".into()),
            ..LogRecord::default()
        };
        let p = payload(&record);
        assert_eq!(p["id"], "r1");
        assert_eq!(p["status"], "success");
        assert_eq!(p["total_tokens"], 15);
        assert_eq!(p["startTime"], 1_700_000_000.0);
        assert_eq!(p["endTime"], 1_700_000_001.5);
        assert_eq!(p["completionStartTime"], 1_700_000_000.2);
        assert_eq!(p["model"], "gpt-4o");
        assert_eq!(p["metadata"]["user_api_key_alias"], "alpha");
        assert_eq!(p["messages"][0]["content"], "hi");
        assert_eq!(p["response"], "data: {}\n\n");
        assert!(p["error_information"].is_null());
    }
}
