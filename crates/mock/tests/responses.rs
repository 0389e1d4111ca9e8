//! The Responses API (`POST /v1/responses`): exact shapes, streams, function calls, faults.

// Helpers outside #[test] fns are not covered by clippy's allow-*-in-tests settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{CREATED, mock, mock_with_key, named_events, post, post_root};
use serde_json::{Value, json};

fn weather_tool() -> Value {
    json!({"type": "function", "name": "get_weather", "description": "Weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}})
}

#[tokio::test]
async fn non_stream_text_response_has_openai_bytes() {
    let mock = mock().await;
    let body = json!({"model": "gpt-x", "instructions": "Be brief.", "input": "Hello there"});
    let reply = post(&mock, "/responses", &body, &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let v = reply.json();
    let hash = v["id"].as_str().unwrap().strip_prefix("resp_").unwrap();
    assert_eq!(hash.len(), 16);
    // prompt: 9 + 11 chars -> 5 tokens; reply split into the default 8 pieces.
    let expected = format!(
        r#"{{"id":"resp_{hash}","object":"response","created_at":{CREATED},"status":"completed","background":false,"error":null,"incomplete_details":null,"instructions":"Be brief.","max_output_tokens":null,"model":"gpt-x","output":[{{"type":"message","id":"msg_{hash}","status":"completed","role":"assistant","content":[{{"type":"output_text","annotations":[],"logprobs":[],"text":"Mock reply: Hello there"}}]}}],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{{"effort":null,"summary":null}},"store":true,"temperature":1.0,"text":{{"format":{{"type":"text"}}}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":{{"input_tokens":5,"input_tokens_details":{{"cached_tokens":0,"cache_write_tokens":0}},"output_tokens":8,"output_tokens_details":{{"reasoning_tokens":0}},"total_tokens":13}},"user":null,"metadata":{{}}}}"#
    );
    assert_eq!(reply.text(), expected);
}

#[tokio::test]
async fn function_calls_then_text_after_their_output() {
    let mock = mock().await;
    let body = json!({"model": "m", "input": [{"role": "user", "content": [{"type": "input_text", "text": "Paris?"}]}],
        "tools": [weather_tool()], "tool_choice": "required"});
    let v = post(&mock, "/responses", &body, &[]).await.json();
    let call = &v["output"][0];
    assert_eq!(call["type"], "function_call");
    assert_eq!(call["name"], "get_weather");
    assert_eq!(call["arguments"], r#"{"city":"mock"}"#);
    assert_eq!(call["status"], "completed");
    let call_id = call["call_id"].as_str().unwrap();
    assert!(call_id.starts_with("call_"));
    assert_eq!(
        call["id"].as_str().unwrap(),
        call_id.replace("call_", "fc_")
    );
    assert_eq!(v["tool_choice"], "required");
    assert_eq!(v["tools"][0]["name"], "get_weather");

    // Sending the call and its output back ends the loop with text.
    let mut input = body["input"].as_array().unwrap().clone();
    input.push(call.clone());
    input.push(json!({"type": "function_call_output", "call_id": call_id, "output": "18C"}));
    let body = json!({"model": "m", "input": input, "tools": [weather_tool()]});
    let v = post(&mock, "/responses", &body, &[]).await.json();
    assert_eq!(
        v["output"][0]["content"][0]["text"],
        "Tool result received: 18C"
    );
}

#[tokio::test]
async fn stream_is_the_real_event_sequence() {
    let mock = mock().await;
    let body = json!({"model": "m", "input": "Hi", "stream": true, "reasoning": {"effort": "low", "summary": "auto"}});
    let reply = post(&mock, "/responses", &body, &[("x-mock-chunks", "2")]).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = named_events(&reply.body);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (i, (_, data)) in events.iter().enumerate() {
        assert_eq!(data["sequence_number"], i);
    }
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "response.output_text.delta")
        .map(|(_, d)| d["delta"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Mock reply: Hi");
    assert_eq!(events[13].1["text"], "Mock reply: Hi");
    assert_eq!(events[11].1["output_index"], 1);
    let created = &events[0].1["response"];
    assert_eq!(created["status"], "in_progress");
    assert_eq!(created["usage"], Value::Null);
    let done = &events[16].1["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(done["output"][0]["type"], "reasoning");
    assert_eq!(done["output"][1], events[15].1["item"]);
    assert_eq!(done["usage"]["output_tokens"], 4);
    assert_eq!(
        done["usage"]["output_tokens_details"]["reasoning_tokens"],
        2
    );
}

#[tokio::test]
async fn streamed_calls_have_argument_deltas() {
    let mock = mock().await;
    let body = json!({"model": "m", "input": "weather", "stream": true,
        "tools": [weather_tool(), {"type": "function", "name": "other"}, {"type": "web_search"}]});
    let reply = post(&mock, "/responses", &body, &[("x-mock-parallel", "true")]).await;
    let events = named_events(&reply.body);
    let calls: Vec<&Value> = events
        .iter()
        .filter(|(n, _)| n == "response.output_item.done")
        .map(|(_, d)| &d["item"])
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1]["name"], "other");
    let args: String = events
        .iter()
        .filter(|(n, d)| n == "response.function_call_arguments.delta" && d["output_index"] == 0)
        .map(|(_, d)| d["delta"].as_str().unwrap())
        .collect();
    assert_eq!(args, r#"{"city":"mock"}"#);
    let done = events
        .iter()
        .find(|(n, _)| n == "response.function_call_arguments.done")
        .unwrap();
    assert_eq!(done.1["arguments"], args);
    assert_eq!(done.1["item_id"], calls[0]["id"]);
    let (last, data) = events.last().unwrap();
    assert_eq!(last, "response.completed");
    assert_eq!(data["response"]["output"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn max_output_tokens_makes_an_incomplete_response() {
    let mock = mock().await;
    let body = json!({"model": "m", "input": "Hello there", "max_output_tokens": 3});
    let v = post(&mock, "/responses", &body, &[]).await.json();
    assert_eq!(v["status"], "incomplete");
    assert_eq!(v["incomplete_details"]["reason"], "max_output_tokens");
    assert_eq!(v["output"][0]["status"], "incomplete");
    assert_eq!(v["usage"]["output_tokens"], 3);

    let mut body = body;
    body["stream"] = json!(true);
    let events = named_events(&post(&mock, "/responses", &body, &[]).await.body);
    let (last, data) = events.last().unwrap();
    assert_eq!(last, "response.incomplete");
    assert_eq!(
        data["response"]["incomplete_details"]["reason"],
        "max_output_tokens"
    );
}

#[tokio::test]
async fn errors_and_in_stream_errors_take_openai_shapes() {
    let mock = mock().await;
    let reply = post(&mock, "/responses", &json!({"model": "m"}), &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["param"], "input");
    let body = json!({"model": "m", "input": "x", "previous_response_id": "resp_1"});
    let reply = post(&mock, "/responses", &body, &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["param"], "previous_response_id");

    let reply = post(
        &mock,
        "/responses",
        &json!({"model": "m", "input": "x [mock:status=429]"}),
        &[],
    )
    .await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.json()["error"]["code"], "rate_limit_exceeded");

    let body = json!({"model": "m", "input": "x [mock:error-after=2]", "stream": true});
    let events = named_events(&post(&mock, "/responses", &body, &[]).await.body);
    let (name, data) = events.last().unwrap();
    assert_eq!(name, "error");
    assert_eq!(data["sequence_number"], events.len() - 1);
    assert_eq!(data["error"]["type"], "server_error");
    assert_eq!(data["error"]["message"], "mock injected error");
    let deltas = events
        .iter()
        .filter(|(n, _)| n == "response.output_text.delta")
        .count();
    assert_eq!(deltas, 2);
}

#[tokio::test]
async fn azure_responses_need_api_version_and_api_key() {
    let mock = mock_with_key("k").await;
    let body = json!({"model": "my-deployment", "input": "hi"});
    let reply = post_root(&mock, "/openai/responses", &body, &[("api-key", "k")]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["param"], "api-version");
    let path = "/openai/responses?api-version=2025-04-01-preview";
    let reply = post_root(&mock, path, &body, &[("api-key", "k")]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["model"], "my-deployment");
    let reply = post_root(&mock, path, &body, &[]).await;
    assert_eq!(reply.status, 401);
    let reply = post(&mock, "/responses", &body, &[("authorization", "Bearer k")]).await;
    assert_eq!(reply.status, 200);
}
