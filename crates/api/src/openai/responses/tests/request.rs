//! Responses request → chat request.

use super::{assert_json, golden, parse};
use crate::error::ErrorKind;
use crate::openai::responses::{ResponseEcho, ResponsesRequest, request_to_chat};

macro_rules! request_case {
    ($name:ident, $dropped:expr) => {
        #[test]
        fn $name() {
            let (input, _) = golden!("request/", stringify!($name), ".responses.json");
            let input: ResponsesRequest = parse(input);
            let translated = request_to_chat(&input).unwrap();
            assert_json(
                &translated.value,
                golden!("request/", stringify!($name), ".openai.json"),
            );
            let dropped: &[&str] = &$dropped;
            assert_eq!(translated.dropped, dropped);
        }
    };
}

mod cases {
    use super::*;

    request_case!(simple, []);
    request_case!(multiturn_tools, []);
    request_case!(
        dropped,
        [
            "background",
            "max_tool_calls",
            "top_logprobs",
            "truncation",
            "x_vendor_flag",
            "tool_choice.tools"
        ]
    );
}

#[test]
fn unsupported_requests_are_400s_naming_the_parameter() {
    let cases = [
        (
            r#"{"model":"m","input":"hi","previous_response_id":"resp_1"}"#,
            "previous_response_id",
            "does not store responses",
        ),
        (
            r#"{"model":"m","input":"hi","conversation":"conv_1"}"#,
            "conversation",
            "does not store conversations",
        ),
        (
            r#"{"model":"m","input":[{"role":"user","content":"hi"},{"type":"item_reference","id":"msg_1"}]}"#,
            "input[1]",
            "`item_reference`",
        ),
        (
            r#"{"model":"m","input":"hi","tools":[{"type":"function","name":"f"},{"type":"web_search"},{"type":"file_search","vector_store_ids":["vs"]}]}"#,
            "tools[1]",
            "`web_search` (tools[1]), `file_search` (tools[2])",
        ),
        (
            r#"{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"file-1","detail":"auto"}]}]}"#,
            "input[0].content[0]",
            "`file_id`",
        ),
        (
            r#"{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_url":"https://x/y.pdf"}]}]}"#,
            "input[0].content[0]",
            "`file_url`",
        ),
        (
            r#"{"model":"m","input":[{"role":"tool","content":"x"}]}"#,
            "input[0].role",
            "'tool'",
        ),
        (
            r#"{"model":"m","input":"hi","text":{"format":{"type":"json_schema","schema":{}}}}"#,
            "text.format.name",
            "text.format.name",
        ),
        (
            r#"{"model":"m","input":"hi","text":{"format":{"type":"grammar"}}}"#,
            "text.format.type",
            "'grammar'",
        ),
        (
            r#"{"model":"m","input":"hi","tool_choice":{"type":"web_search_preview"}}"#,
            "tool_choice",
            "`web_search_preview`",
        ),
        (r#"{"model":"m"}"#, "input", "'input'"),
    ];
    for (body, param, needle) in cases {
        let request: ResponsesRequest = parse(body);
        let error = request_to_chat(&request).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidRequest, "{body}");
        assert_eq!(error.param.as_deref(), Some(param), "{body}");
        assert!(error.message.contains(needle), "{body}: {}", error.message);
    }
}

#[test]
fn tool_options_without_tools_are_left_out() {
    let request: ResponsesRequest = parse(
        r#"{"model":"m","input":"hi","tools":[],"tool_choice":"auto","parallel_tool_calls":false}"#,
    );
    let translated = request_to_chat(&request).unwrap();
    assert_eq!(translated.value.tools, None);
    assert_eq!(translated.value.tool_choice, None);
    assert_eq!(translated.value.parallel_tool_calls, None);
    assert!(translated.dropped.is_empty());
}

#[test]
fn bad_items_are_named_by_index() {
    let body = r#"{"model":"m","input":[{"role":"user","content":"a"},{"type":"function_call","name":"f"}]}"#;
    let error = serde_json::from_str::<ResponsesRequest>(body).unwrap_err();
    assert!(error.to_string().starts_with("input[1]: "), "{error}");
}

#[test]
fn echo_repeats_the_request_and_fills_the_api_defaults() {
    let (input, _) = golden!("request/simple.responses.json");
    let echo = ResponseEcho::from_request(&parse(input));
    let value = serde_json::to_value(&echo).unwrap();
    assert_eq!(value["instructions"], "You are terse.");
    assert_eq!(value["max_output_tokens"], 200);
    assert_eq!(value["text"]["format"]["name"], "primes");
    assert_eq!(
        value["reasoning"],
        serde_json::json!({"effort": "low", "summary": "auto"})
    );
    assert_eq!(value["store"], false);
    assert_eq!(value["previous_response_id"], serde_json::Value::Null);
    assert_eq!(value["metadata"]["ticket"], "T-7");
    assert_eq!(echo.model, "fast");
    assert!(value.get("model").is_none());

    let defaults = serde_json::to_value(ResponseEcho::default()).unwrap();
    assert_eq!(defaults["tool_choice"], "auto");
    assert_eq!(defaults["tools"], serde_json::json!([]));
    assert_eq!(
        defaults["text"],
        serde_json::json!({"format": {"type": "text"}})
    );
    assert_eq!(defaults["parallel_tool_calls"], true);
    assert_eq!(defaults["truncation"], "disabled");
    assert_eq!(defaults["metadata"], serde_json::json!({}));
}
