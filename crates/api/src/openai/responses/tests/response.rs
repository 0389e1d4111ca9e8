//! Chat response → Responses response.

use super::{assert_json, golden, parse};
use crate::openai::chat::ChatResponse;
use crate::openai::responses::{
    OutputContent, OutputItem, ResponseEcho, id_seed, response_from_chat,
};

macro_rules! response_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            let (input, _) = golden!("response/", stringify!($name), ".openai.json");
            let input: ChatResponse = parse(input);
            let echo = ResponseEcho::default();
            assert_json(
                &response_from_chat(&input, &echo, id_seed(&input.id)),
                golden!("response/", stringify!($name), ".responses.json"),
            );
        }
    };
}

mod cases {
    use super::*;

    response_case!(text_cached);
    response_case!(reasoning_tools);
    response_case!(truncated);
    response_case!(tools_only);
}

fn chat(message: &str, finish_reason: &str) -> ChatResponse {
    parse(&format!(
        r#"{{"id":"","object":"chat.completion","created":1,"model":"","choices":[{{"index":0,"message":{message},"finish_reason":"{finish_reason}"}}]}}"#
    ))
}

#[test]
fn ids_model_and_status_come_from_the_inputs() {
    let echo = ResponseEcho {
        model: "alias".to_owned(),
        ..ResponseEcho::default()
    };
    let response = response_from_chat(
        &chat(r#"{"role":"assistant","content":"x"}"#, "content_filter"),
        &echo,
        "seed",
    );
    assert_eq!(response.id, "resp_seed");
    assert_eq!(response.model, "alias");
    assert_eq!(response.status, "incomplete");
    assert_eq!(
        response.incomplete_details.map(|d| d.reason).as_deref(),
        Some("content_filter")
    );
    assert!(response.usage.is_none());
    assert_eq!(id_seed(""), "0");
    assert_eq!(id_seed("chatcmpl-abc"), "abc");
    assert_eq!(id_seed("msg_01"), "msg_01");
}

#[test]
fn refusals_and_empty_replies_are_message_parts() {
    let echo = ResponseEcho::default();
    let refused = response_from_chat(
        &chat(
            r#"{"role":"assistant","content":null,"refusal":"No."}"#,
            "stop",
        ),
        &echo,
        "s",
    );
    let OutputItem::Message(message) = &refused.output[0] else {
        panic!("expected a message");
    };
    assert_eq!(
        message.content,
        [OutputContent::Refusal {
            refusal: "No.".to_owned()
        }]
    );
    let empty = response_from_chat(
        &chat(r#"{"role":"assistant","content":null}"#, "stop"),
        &echo,
        "s",
    );
    let OutputItem::Message(message) = &empty.output[0] else {
        panic!("expected a message");
    };
    assert_eq!(message.content, [OutputContent::output_text("")]);
    assert_eq!(empty.status, "completed");
}
