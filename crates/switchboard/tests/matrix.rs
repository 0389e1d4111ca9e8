//! Every front door in front of every provider, over HTTP against the mock
//! provider: {OpenAI chat, OpenAI Responses, Anthropic messages, Gemini} ×
//! {OpenAI-compatible, Azure, Anthropic, Gemini, Vertex AI (Gemini and
//! Claude), Bedrock, Cohere} × {non-stream, stream, tool call round trip
//! (whole and streamed)}.
//!
//! One test per front door. Each runs every cell of its row, even after one
//! fails, and reports the failing cells together; each cell also checks that
//! its provider was reached on its own API path with its own credentials
//! (the mock checks them too: `api_key` and the AWS secret are set).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fmt;

use common::*;
use serde_json::{Value, json};
use switchboard_mock::MockHandle;

const UPSTREAM_KEY: &str = "upstream-key";
/// Bedrock's secret key; its key id is [`UPSTREAM_KEY`], which the mock
/// compares with its `api_key` before it verifies the SigV4 signature.
const AWS_SECRET: &str = "mock/secret+key";
const BEDROCK_MODEL: &str = "us.anthropic.claude-3-5-sonnet-20241022-v2:0";
const VERTEX_GEMINI: &str = "gemini-2.5-flash";
const VERTEX_CLAUDE: &str = "claude-sonnet-4@20250514";
const VERTEX_PREFIX: &str = "/v1/projects/test-project/locations/us-east5/publishers";
const AZURE_DEPLOYMENT: &str = "my-gpt4o";
const AZURE_API_VERSION: &str = "2024-06-01";
/// What the gateway asks Azure's Responses API for when the deployment's
/// version predates it.
const AZURE_RESPONSES_API_VERSION: &str = "2025-04-01-preview";
/// A TEST-ONLY RSA key, shared with the providers crate's unit tests.
const TEST_KEY: &str =
    include_str!("../../providers/src/vertex/testdata/TEST-ONLY-rsa-2048.pk8.pem");

const QUESTION: &str = "What is the weather in Paris?";
/// The tool's result; the mock's answer after a tool result echoes it.
const TOOL_RESULT: &str = "18 degrees and sunny";

/// Cells known to fail because of a gateway bug (not a test mistake): they
/// still run, their failure is printed, and the test fails when one of them
/// starts passing (so the entry gets removed). Keep each entry explained.
const KNOWN_FAILURES: &[(Door, Provider, Mode)] = &[];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    OpenAiChat,
    OpenAiResponses,
    Anthropic,
    Gemini,
}

/// A model group on the mock, one per provider (two for Vertex AI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    OpenAi,
    Azure,
    Anthropic,
    Gemini,
    VertexGemini,
    VertexClaude,
    Bedrock,
    Cohere,
}

impl Provider {
    const ALL: [Provider; 8] = [
        Provider::OpenAi,
        Provider::Azure,
        Provider::Anthropic,
        Provider::Gemini,
        Provider::VertexGemini,
        Provider::VertexClaude,
        Provider::Bedrock,
        Provider::Cohere,
    ];

    fn group(self) -> &'static str {
        match self {
            Provider::OpenAi => "oa",
            Provider::Azure => "az",
            Provider::Anthropic => "an",
            Provider::Gemini => "ge",
            Provider::VertexGemini => "vx-gemini",
            Provider::VertexClaude => "vx-claude",
            Provider::Bedrock => "br",
            Provider::Cohere => "co",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    NonStream,
    Stream,
    /// The model asks for the tool, the client sends its result back, the
    /// model answers in text; all whole.
    ToolRoundTrip,
    /// The same, both turns streamed.
    ToolRoundTripStream,
}

impl Mode {
    const ALL: [Mode; 4] = [
        Mode::NonStream,
        Mode::Stream,
        Mode::ToolRoundTrip,
        Mode::ToolRoundTripStream,
    ];

    fn stream(self) -> bool {
        matches!(self, Mode::Stream | Mode::ToolRoundTripStream)
    }

    fn tools(self) -> bool {
        matches!(self, Mode::ToolRoundTrip | Mode::ToolRoundTripStream)
    }
}

#[derive(Debug, Clone, Copy)]
struct Cell {
    door: Door,
    provider: Provider,
    mode: Mode,
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} door → {:?} (`{}`), {:?}",
            self.door,
            self.provider,
            self.provider.group(),
            self.mode
        )
    }
}

/// What a client got, normalized across dialects.
#[derive(Debug, Default, Clone)]
struct Answer {
    text: String,
    call: Option<Call>,
    /// Normalized stop: "stop", "tool", "length".
    stop: String,
}

/// A tool call, with what the client sends back in its next turn.
#[derive(Debug, Clone)]
struct Call {
    /// Absent only where the dialect makes it optional (Gemini).
    id: Option<String>,
    name: String,
    args: Value,
    /// The call as the door's client repeats it in the history: OpenAI's
    /// `tool_calls[]` entry, the Responses `function_call` item, Anthropic's
    /// `tool_use` block, Gemini's `functionCall`.
    raw: Value,
}

fn config(mock: &MockServer) -> String {
    let host = format!("http://{}", mock.addr());
    // A service account (YAML takes the JSON as a flow mapping) whose token
    // endpoint is the mock's.
    let account = json!({
        "type": "service_account",
        "project_id": "file-project",
        "private_key_id": "0123456789abcdef",
        "private_key": TEST_KEY,
        "client_email": "switchboard-test@file-project.iam.gserviceaccount.com",
        "token_uri": format!("{host}/token"),
    });
    let vertex = |name: &str, model: &str| {
        format!(
            "  - model_name: {name}
    litellm_params:
      model: vertex_ai/{model}
      api_base: {host}
      vertex_project: test-project
      vertex_location: us-east5
      vertex_credentials: {account}
"
        )
    };
    format!(
        "model_list:
  - model_name: oa
    litellm_params: {{model: openai/mock-gpt, api_base: {host}/v1, api_key: {UPSTREAM_KEY}}}
  - model_name: az
    litellm_params: {{model: azure/{AZURE_DEPLOYMENT}, api_base: {host}, api_key: {UPSTREAM_KEY}, api_version: '{AZURE_API_VERSION}'}}
  - model_name: an
    litellm_params: {{model: anthropic/claude-mock, api_base: {host}, api_key: {UPSTREAM_KEY}}}
  - model_name: ge
    litellm_params: {{model: gemini/gemini-mock, api_base: {host}/v1beta, api_key: {UPSTREAM_KEY}}}
{}{}  - model_name: br
    litellm_params:
      model: bedrock/{BEDROCK_MODEL}
      api_base: {host}
      aws_access_key_id: {UPSTREAM_KEY}
      aws_secret_access_key: {AWS_SECRET}
      aws_region_name: us-west-2
  - model_name: co
    litellm_params: {{model: cohere/command-a-03-2025, api_base: {host}, api_key: {UPSTREAM_KEY}}}
litellm_settings:
  drop_params: true
general_settings:
  master_key: {MASTER_KEY}
",
        vertex("vx-gemini", VERTEX_GEMINI),
        vertex("vx-claude", VERTEX_CLAUDE),
    )
}

/// A mock that checks every provider's credentials.
async fn checking_mock() -> MockServer {
    mock_with(MockConfig {
        fixed_created: Some(FIXED_CREATED),
        api_key: Some(UPSTREAM_KEY.to_string()),
        aws_secret_access_key: Some(AWS_SECRET.to_string()),
        ..MockConfig::default()
    })
    .await
}

fn weather_schema() -> Value {
    json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
}

/// The request body of a door: the question, with the `weather` tool when
/// `tools`, followed by `call` and its result when given.
fn request(door: Door, model: &str, stream: bool, tools: bool, call: Option<&Call>) -> Value {
    match door {
        Door::OpenAiChat => {
            let mut messages = vec![json!({"role": "user", "content": QUESTION})];
            if let Some(call) = call {
                messages
                    .push(json!({"role": "assistant", "content": null, "tool_calls": [call.raw]}));
                messages
                    .push(json!({"role": "tool", "tool_call_id": call.id, "content": TOOL_RESULT}));
            }
            let mut body = json!({"model": model, "stream": stream, "messages": messages});
            if tools {
                body["tools"] = json!([{"type": "function",
                    "function": {"name": "weather", "parameters": weather_schema()}}]);
            }
            body
        }
        Door::OpenAiResponses => {
            let input = match call {
                None => json!(QUESTION),
                // As OpenAI's docs do it: the output item goes back as is.
                Some(call) => json!([
                    {"role": "user", "content": QUESTION},
                    call.raw,
                    {"type": "function_call_output", "call_id": call.id, "output": TOOL_RESULT},
                ]),
            };
            let mut body = json!({"model": model, "stream": stream, "input": input});
            if tools {
                body["tools"] = json!([{"type": "function", "name": "weather",
                    "parameters": weather_schema()}]);
            }
            body
        }
        Door::Anthropic => {
            let mut messages = vec![json!({"role": "user", "content": QUESTION})];
            if let Some(call) = call {
                messages.push(json!({"role": "assistant", "content": [call.raw]}));
                messages.push(json!({"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": call.id, "content": TOOL_RESULT}]}));
            }
            let mut body =
                json!({"model": model, "stream": stream, "max_tokens": 256, "messages": messages});
            if tools {
                body["tools"] = json!([{"name": "weather", "input_schema": weather_schema()}]);
            }
            body
        }
        Door::Gemini => {
            let mut contents = vec![json!({"role": "user", "parts": [{"text": QUESTION}]})];
            if let Some(call) = call {
                let mut response = json!({"name": call.name, "response": {"result": TOOL_RESULT}});
                if let Some(id) = &call.id {
                    response["id"] = json!(id);
                }
                contents.push(json!({"role": "model", "parts": [{"functionCall": call.raw}]}));
                contents.push(json!({"role": "user", "parts": [{"functionResponse": response}]}));
            }
            let mut body = json!({"contents": contents});
            if tools {
                body["tools"] = json!([{"functionDeclarations": [
                    {"name": "weather", "parameters": weather_schema()}]}]);
            }
            body
        }
    }
}

/// Sends `body` through `door` as that door's clients do and reads the answer.
async fn send(base: &str, door: Door, model: &str, stream: bool, body: &Value) -> Answer {
    let path = match door {
        Door::OpenAiChat => "/v1/chat/completions".to_string(),
        Door::OpenAiResponses => "/v1/responses".to_string(),
        Door::Anthropic => "/v1/messages".to_string(),
        Door::Gemini if stream => format!("/v1beta/models/{model}:streamGenerateContent?alt=sse"),
        Door::Gemini => format!("/v1beta/models/{model}:generateContent"),
    };
    let request = client().post(format!("{base}{path}")).json(body);
    let request = match door {
        Door::OpenAiChat | Door::OpenAiResponses => request.bearer_auth(MASTER_KEY),
        Door::Anthropic => request
            .header("x-api-key", MASTER_KEY)
            .header("anthropic-version", "2023-06-01"),
        Door::Gemini => request.header("x-goog-api-key", MASTER_KEY),
    };
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "HTTP {status}: {text}");
    if stream {
        assert!(
            content_type.starts_with("text/event-stream"),
            "content-type {content_type}: {text}"
        );
    }
    let json = || -> Value {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    match (door, stream) {
        (Door::OpenAiChat, false) => openai_answer(&json()),
        (Door::OpenAiChat, true) => openai_stream(&text),
        (Door::OpenAiResponses, false) => responses_answer(&json()),
        (Door::OpenAiResponses, true) => responses_stream(&text),
        (Door::Anthropic, false) => anthropic_answer(&json()),
        (Door::Anthropic, true) => anthropic_stream(&text),
        (Door::Gemini, false) => gemini_answer(&json()),
        (Door::Gemini, true) => gemini_stream(&text),
    }
}

/// One question through `door` to `model`, with the tool offered or not.
async fn ask(gateway: &Gateway, door: Door, model: &str, stream: bool, tools: bool) -> Answer {
    let body = request(door, model, stream, tools, None);
    send(&gateway.base, door, model, stream, &body).await
}

fn data_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d.trim()).unwrap_or_else(|e| panic!("{e}: {d}")))
        .collect()
}

fn parse_arguments(arguments: &str) -> Value {
    serde_json::from_str(arguments).unwrap_or_else(|e| panic!("arguments {arguments:?}: {e}"))
}

fn openai_answer(body: &Value) -> Answer {
    assert_eq!(body["object"], "chat.completion", "{body}");
    let choice = &body["choices"][0];
    let calls = choice["message"]["tool_calls"].as_array();
    assert!(calls.is_none_or(|c| c.len() <= 1), "{body}");
    let call = calls.and_then(|c| c.first()).map(|call| Call {
        id: call["id"].as_str().map(str::to_string),
        name: call["function"]["name"].as_str().unwrap().to_string(),
        args: parse_arguments(call["function"]["arguments"].as_str().unwrap()),
        raw: call.clone(),
    });
    Answer {
        text: choice["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        call,
        stop: normalize(choice["finish_reason"].as_str().unwrap()),
    }
}

fn openai_stream(text: &str) -> Answer {
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    let mut answer = Answer::default();
    let (mut id, mut name, mut args) = (String::new(), String::new(), String::new());
    for chunk in data_lines(text) {
        // Azure starts with a chunk of prompt filter results and no choices.
        let Some(choice) = chunk["choices"].get(0) else {
            continue;
        };
        assert_eq!(chunk["object"], "chat.completion.chunk", "{chunk}");
        answer
            .text
            .push_str(choice["delta"]["content"].as_str().unwrap_or_default());
        for call in choice["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert_eq!(call["index"], 0, "one call only: {chunk}");
            id.push_str(call["id"].as_str().unwrap_or_default());
            name.push_str(call["function"]["name"].as_str().unwrap_or_default());
            args.push_str(call["function"]["arguments"].as_str().unwrap_or_default());
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            assert!(answer.stop.is_empty(), "a second finish_reason: {text}");
            answer.stop = normalize(reason);
        }
    }
    if !name.is_empty() {
        answer.call = Some(Call {
            raw: json!({"id": id, "type": "function",
                "function": {"name": name, "arguments": args}}),
            id: Some(id),
            args: parse_arguments(&args),
            name,
        });
    }
    answer
}

/// A Responses API `Response` object.
fn responses_answer(body: &Value) -> Answer {
    assert_eq!(body["object"], "response", "{body}");
    let mut answer = Answer::default();
    for item in body["output"].as_array().unwrap() {
        match item["type"].as_str().unwrap() {
            "message" => {
                assert_eq!(item["role"], "assistant", "{body}");
                for content in item["content"].as_array().unwrap() {
                    assert_eq!(content["type"], "output_text", "{body}");
                    answer.text.push_str(content["text"].as_str().unwrap());
                }
            }
            "function_call" => {
                assert!(answer.call.is_none(), "one call only: {body}");
                assert_eq!(item["status"], "completed", "{body}");
                answer.call = Some(Call {
                    id: item["call_id"].as_str().map(str::to_string),
                    name: item["name"].as_str().unwrap().to_string(),
                    args: parse_arguments(item["arguments"].as_str().unwrap()),
                    raw: item.clone(),
                });
            }
            other => panic!("unexpected output item {other}: {body}"),
        }
    }
    answer.stop = match body["status"].as_str().unwrap() {
        "completed" if answer.call.is_some() => "tool".to_string(),
        "completed" => "stop".to_string(),
        "incomplete" => normalize(body["incomplete_details"]["reason"].as_str().unwrap()),
        other => other.to_string(),
    };
    assert!(
        body["usage"]["output_tokens"].as_u64().unwrap() > 0,
        "{body}"
    );
    answer
}

/// A Responses API event stream: `event: <type>` then `data: {"type": <type>, ...}`.
fn responses_stream(text: &str) -> Answer {
    let mut events = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let name = block
            .lines()
            .find_map(|l| l.strip_prefix("event: "))
            .unwrap_or_else(|| panic!("an event without a name: {block:?} in {text}"));
        let data = block
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap_or_else(|| panic!("an event without data: {block:?} in {text}"));
        let event: Value = serde_json::from_str(data).unwrap();
        assert_eq!(event["type"], name, "{block}");
        assert_eq!(event["sequence_number"], events.len(), "{text}");
        events.push(event);
    }
    assert_eq!(
        events.first().unwrap()["type"],
        "response.created",
        "{text}"
    );
    let last = events.last().unwrap();
    assert_eq!(last["type"], "response.completed", "{text}");
    let mut answer = Answer::default();
    let mut args = String::new();
    for event in &events {
        match event["type"].as_str().unwrap() {
            "response.output_text.delta" => {
                answer.text.push_str(event["delta"].as_str().unwrap());
            }
            "response.function_call_arguments.delta" => {
                args.push_str(event["delta"].as_str().unwrap());
            }
            "response.function_call_arguments.done" => {
                assert_eq!(event["arguments"], args.as_str(), "{text}");
            }
            "response.output_item.done" if event["item"]["type"] == "function_call" => {
                let item = &event["item"];
                assert!(answer.call.is_none(), "one call only: {text}");
                assert_eq!(item["arguments"], args.as_str(), "{text}");
                assert_eq!(item["status"], "completed", "{text}");
                answer.call = Some(Call {
                    id: item["call_id"].as_str().map(str::to_string),
                    name: item["name"].as_str().unwrap().to_string(),
                    args: parse_arguments(&args),
                    raw: item.clone(),
                });
            }
            _ => {}
        }
    }
    // The final Response agrees with the events.
    let whole = responses_answer(&last["response"]);
    assert_eq!(whole.text, answer.text, "{text}");
    assert_eq!(
        whole.call.as_ref().map(|c| &c.raw),
        answer.call.as_ref().map(|c| &c.raw),
        "{text}"
    );
    answer.stop = whole.stop;
    answer
}

fn anthropic_answer(body: &Value) -> Answer {
    assert_eq!(body["type"], "message", "{body}");
    let mut answer = Answer {
        stop: normalize(body["stop_reason"].as_str().unwrap()),
        ..Answer::default()
    };
    for block in body["content"].as_array().unwrap() {
        match block["type"].as_str().unwrap() {
            "text" => answer.text.push_str(block["text"].as_str().unwrap()),
            "tool_use" => {
                assert!(answer.call.is_none(), "one call only: {body}");
                answer.call = Some(Call {
                    id: block["id"].as_str().map(str::to_string),
                    name: block["name"].as_str().unwrap().to_string(),
                    args: block["input"].clone(),
                    raw: block.clone(),
                });
            }
            other => panic!("unexpected block {other}: {body}"),
        }
    }
    assert!(
        body["usage"]["output_tokens"].as_u64().unwrap() > 0,
        "{body}"
    );
    answer
}

fn anthropic_stream(text: &str) -> Answer {
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(names.first(), Some(&"message_start"), "{text}");
    assert_eq!(names.last(), Some(&"message_stop"), "{text}");
    let mut answer = Answer::default();
    let (mut id, mut name, mut args) = (String::new(), String::new(), String::new());
    for event in data_lines(text) {
        match event["type"].as_str().unwrap() {
            "content_block_start" if event["content_block"]["type"] == "tool_use" => {
                assert!(name.is_empty(), "one call only: {text}");
                id = event["content_block"]["id"].as_str().unwrap().to_string();
                name = event["content_block"]["name"].as_str().unwrap().to_string();
            }
            "content_block_delta" => {
                let delta = &event["delta"];
                answer
                    .text
                    .push_str(delta["text"].as_str().unwrap_or_default());
                args.push_str(delta["partial_json"].as_str().unwrap_or_default());
            }
            "message_delta" => {
                answer.stop = normalize(event["delta"]["stop_reason"].as_str().unwrap());
                assert!(
                    event["usage"]["output_tokens"].as_u64().unwrap() > 0,
                    "{event}"
                );
            }
            _ => {}
        }
    }
    if !name.is_empty() {
        let args = parse_arguments(&args);
        answer.call = Some(Call {
            raw: json!({"type": "tool_use", "id": id, "name": name, "input": args}),
            id: Some(id),
            name,
            args,
        });
    }
    answer
}

fn gemini_answer(body: &Value) -> Answer {
    let answer = gemini_chunk(body);
    assert!(!answer.stop.is_empty(), "no finishReason: {body}");
    assert!(
        body["usageMetadata"]["candidatesTokenCount"]
            .as_u64()
            .unwrap()
            > 0,
        "{body}"
    );
    answer
}

fn gemini_stream(text: &str) -> Answer {
    assert!(text.ends_with("\r\n\r\n"), "{text}");
    let mut answer = Answer::default();
    for event in data_lines(text) {
        let part = gemini_chunk(&event);
        answer.text.push_str(&part.text);
        if part.call.is_some() {
            assert!(answer.call.is_none(), "one call only: {text}");
            answer.call = part.call;
        }
        if !part.stop.is_empty() {
            answer.stop = part.stop;
        }
    }
    if answer.call.is_some() && answer.stop == "stop" {
        answer.stop = "tool".into();
    }
    answer
}

/// A `GenerateContentResponse` (whole, or one chunk of a stream). Gemini
/// has no tool stop reason: a call that ends with `STOP` stops for the tool.
fn gemini_chunk(event: &Value) -> Answer {
    let candidate = &event["candidates"][0];
    let mut answer = Answer {
        stop: candidate["finishReason"]
            .as_str()
            .map(normalize)
            .unwrap_or_default(),
        ..Answer::default()
    };
    for part in candidate["content"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
    {
        answer
            .text
            .push_str(part["text"].as_str().unwrap_or_default());
        if let Some(call) = part.get("functionCall") {
            assert!(answer.call.is_none(), "one call only: {event}");
            answer.call = Some(Call {
                id: call["id"].as_str().map(str::to_string),
                name: call["name"].as_str().unwrap().to_string(),
                args: call["args"].clone(),
                raw: call.clone(),
            });
        }
    }
    if answer.call.is_some() && answer.stop == "stop" {
        answer.stop = "tool".into();
    }
    answer
}

fn normalize(reason: &str) -> String {
    match reason {
        "stop" | "end_turn" | "STOP" => "stop",
        "tool_calls" | "tool_use" => "tool",
        "length" | "max_tokens" | "MAX_TOKENS" | "max_output_tokens" => "length",
        other => other,
    }
    .to_string()
}

/// One cell: the question (with the tool and its round trip for the tool
/// modes), then what reached the provider.
async fn run_cell(base: String, mock: MockHandle, cell: Cell) {
    let Cell {
        door,
        provider,
        mode,
    } = cell;
    let model = provider.group();
    let stream = mode.stream();
    mock.clear_requests();
    if !mode.tools() {
        let body = request(door, model, stream, false, None);
        let answer = send(&base, door, model, stream, &body).await;
        assert!(answer.text.contains("Paris"), "{answer:?}");
        assert_eq!(answer.stop, "stop", "{answer:?}");
        assert!(answer.call.is_none(), "{answer:?}");
        check_upstream(&mock, door, provider, stream, 1);
        return;
    }
    let body = request(door, model, stream, true, None);
    let first = send(&base, door, model, stream, &body).await;
    let call = first
        .call
        .clone()
        .unwrap_or_else(|| panic!("no tool call: {first:?}"));
    assert_eq!(call.name, "weather", "{first:?}");
    assert_eq!(call.args, json!({"city": "mock"}), "{first:?}");
    assert_eq!(first.stop, "tool", "{first:?}");
    if door != Door::Gemini {
        assert!(
            call.id.as_ref().is_some_and(|id| !id.is_empty()),
            "{first:?}"
        );
    }
    let body = request(door, model, stream, true, Some(&call));
    let second = send(&base, door, model, stream, &body).await;
    // The mock acknowledges a conversation that ends with a tool result by
    // echoing it: the result reached the provider as one.
    assert!(
        second.text.contains("Tool result received: ") && second.text.contains(TOOL_RESULT),
        "the follow-up is not an answer to the tool result: {second:?}"
    );
    assert_eq!(second.stop, "stop", "{second:?}");
    assert!(second.call.is_none(), "{second:?}");
    check_upstream(&mock, door, provider, stream, 2);
    check_tool_result_upstream(&mock, door, provider, &call);
}

/// The follow-up reached the provider as its own dialect's call and result,
/// tied by one id (Gemini's ids are optional: the same or both absent) that
/// is the one the client saw when the client's dialect has ids too.
fn check_tool_result_upstream(mock: &MockHandle, door: Door, provider: Provider, call: &Call) {
    let follow_up = mock
        .requests()
        .into_iter()
        .rfind(|r| r.path != "/token")
        .unwrap();
    let body = follow_up.body_json().unwrap();
    let last_two = |list: &Value| -> (Value, Value) {
        let list = list.as_array().unwrap_or_else(|| panic!("{body}"));
        assert!(list.len() >= 3, "{body}");
        (list[list.len() - 2].clone(), list[list.len() - 1].clone())
    };
    let find = |turn: &Value, key: &str, field: &str| -> Value {
        turn[key]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|part| part.get(field).cloned())
            .unwrap_or_else(|| panic!("no {field} in the turn {turn} of {body}"))
    };
    let as_id = |value: &Value| value.as_str().map(str::to_string);
    let (call_id, result_id) = match (provider, door) {
        (Provider::OpenAi | Provider::Azure, Door::OpenAiResponses) => {
            let (item, output) = last_two(&body["input"]);
            assert_eq!(item["type"], "function_call", "{body}");
            assert_eq!(item["name"], "weather", "{body}");
            assert_eq!(output["type"], "function_call_output", "{body}");
            assert_eq!(output["output"], TOOL_RESULT, "{body}");
            (as_id(&item["call_id"]), as_id(&output["call_id"]))
        }
        (Provider::OpenAi | Provider::Azure | Provider::Cohere, _) => {
            let (assistant, tool) = last_two(&body["messages"]);
            let calls = assistant["tool_calls"].as_array().unwrap();
            assert_eq!(calls.len(), 1, "{body}");
            assert_eq!(calls[0]["function"]["name"], "weather", "{body}");
            assert_eq!(tool["role"], "tool", "{body}");
            (as_id(&calls[0]["id"]), as_id(&tool["tool_call_id"]))
        }
        (Provider::Anthropic | Provider::VertexClaude, _) => {
            let (assistant, user) = last_two(&body["messages"]);
            let tool_use = assistant["content"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["type"] == "tool_use")
                .unwrap_or_else(|| panic!("{body}"))
                .clone();
            assert_eq!(tool_use["name"], "weather", "{body}");
            let result = user["content"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["type"] == "tool_result")
                .unwrap_or_else(|| panic!("{body}"))
                .clone();
            (as_id(&tool_use["id"]), as_id(&result["tool_use_id"]))
        }
        (Provider::Bedrock, _) => {
            let (assistant, user) = last_two(&body["messages"]);
            let tool_use = find(&assistant, "content", "toolUse");
            assert_eq!(tool_use["name"], "weather", "{body}");
            let result = find(&user, "content", "toolResult");
            (as_id(&tool_use["toolUseId"]), as_id(&result["toolUseId"]))
        }
        (Provider::Gemini | Provider::VertexGemini, _) => {
            let (model, user) = last_two(&body["contents"]);
            let function_call = find(&model, "parts", "functionCall");
            assert_eq!(function_call["name"], "weather", "{body}");
            let response = find(&user, "parts", "functionResponse");
            assert_eq!(response["name"], "weather", "{body}");
            let ids = (as_id(&function_call["id"]), as_id(&response["id"]));
            assert_eq!(ids.0, ids.1, "{body}");
            if ids.0.is_none() {
                return;
            }
            ids
        }
    };
    assert!(call_id.is_some(), "no call id: {body}");
    assert_eq!(call_id, result_id, "{body}");
    if door != Door::Gemini {
        assert_eq!(call_id, call.id, "not the id the client saw: {body}");
    }
}

/// The cell's requests reached the provider's own API, with its credentials
/// and the client's choice of stream.
fn check_upstream(mock: &MockHandle, door: Door, provider: Provider, stream: bool, count: usize) {
    let seen: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path != "/token")
        .collect();
    let paths: Vec<String> = seen
        .iter()
        .map(|r| format!("{}?{}", r.path, r.query.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(seen.len(), count, "upstream requests: {paths:?}");
    let google_action = if stream {
        "streamGenerateContent"
    } else {
        "generateContent"
    };
    let sse_query = || stream.then(|| "alt=sse".to_string());
    for request in &seen {
        let body = request.body_json().unwrap();
        let body_stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
        let (path, query): (String, Option<String>) = match provider {
            Provider::OpenAi => {
                assert_eq!(
                    request.header("authorization"),
                    Some(format!("Bearer {UPSTREAM_KEY}").as_str())
                );
                assert_eq!(body["model"], "mock-gpt", "{body}");
                assert_eq!(body_stream, stream, "{body}");
                let path = if door == Door::OpenAiResponses {
                    "/v1/responses"
                } else {
                    "/v1/chat/completions"
                };
                (path.to_string(), None)
            }
            Provider::Azure => {
                assert_eq!(request.header("api-key"), Some(UPSTREAM_KEY));
                assert_eq!(request.header("authorization"), None);
                assert_eq!(body_stream, stream, "{body}");
                if door == Door::OpenAiResponses {
                    assert_eq!(body["model"], AZURE_DEPLOYMENT, "{body}");
                    (
                        "/openai/responses".to_string(),
                        Some(format!("api-version={AZURE_RESPONSES_API_VERSION}")),
                    )
                } else {
                    (
                        format!("/openai/deployments/{AZURE_DEPLOYMENT}/chat/completions"),
                        Some(format!("api-version={AZURE_API_VERSION}")),
                    )
                }
            }
            Provider::Anthropic => {
                assert_eq!(request.header("x-api-key"), Some(UPSTREAM_KEY));
                assert_eq!(body["model"], "claude-mock", "{body}");
                assert_eq!(body_stream, stream, "{body}");
                ("/v1/messages".to_string(), None)
            }
            Provider::Gemini => {
                assert_eq!(request.header("x-goog-api-key"), Some(UPSTREAM_KEY));
                (
                    format!("/v1beta/models/gemini-mock:{google_action}"),
                    sse_query(),
                )
            }
            Provider::VertexGemini => {
                assert_vertex_token(request);
                (
                    format!("{VERTEX_PREFIX}/google/models/{VERTEX_GEMINI}:{google_action}"),
                    sse_query(),
                )
            }
            Provider::VertexClaude => {
                assert_vertex_token(request);
                assert_eq!(body.get("model"), None, "{body}");
                assert_eq!(body["anthropic_version"], "vertex-2023-10-16", "{body}");
                assert_eq!(body_stream, stream, "{body}");
                let action = if stream {
                    "streamRawPredict"
                } else {
                    "rawPredict"
                };
                (
                    format!("{VERTEX_PREFIX}/anthropic/models/{VERTEX_CLAUDE}:{action}"),
                    None,
                )
            }
            Provider::Bedrock => {
                let auth = request.header("authorization").unwrap_or_default();
                assert!(
                    auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={UPSTREAM_KEY}/"))
                        && auth.contains("/us-west-2/bedrock/aws4_request"),
                    "{auth}"
                );
                assert_eq!(body.get("model"), None, "{body}");
                let action = if stream {
                    "converse-stream"
                } else {
                    "converse"
                };
                (
                    format!("/model/{}/{action}", BEDROCK_MODEL.replace(':', "%3A")),
                    None,
                )
            }
            Provider::Cohere => {
                assert_eq!(
                    request.header("authorization"),
                    Some(format!("Bearer {UPSTREAM_KEY}").as_str())
                );
                assert_eq!(body["model"], "command-a-03-2025", "{body}");
                assert_eq!(body_stream, stream, "{body}");
                ("/v2/chat".to_string(), None)
            }
        };
        assert_eq!(request.path, path, "upstream requests: {paths:?}");
        assert_eq!(request.query, query, "upstream requests: {paths:?}");
    }
}

fn assert_vertex_token(request: &switchboard_mock::RecordedRequest) {
    // A token from the mock's `/token`, obtained with the service account.
    let auth = request.header("authorization").unwrap_or_default();
    assert!(auth.starts_with("Bearer mock-token-"), "{auth}");
}

fn panic_message(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".to_string()),
        Err(error) => error.to_string(),
    }
}

/// Every cell of `door`'s row, one after the other (each reads the mock's
/// requests); all failures are reported together.
async fn door_reaches_every_provider(door: Door) {
    let mock = checking_mock().await;
    let gateway = start(&config(&mock));
    let mut failures = Vec::new();
    for provider in Provider::ALL {
        for mode in Mode::ALL {
            let cell = Cell {
                door,
                provider,
                mode,
            };
            // A task of its own, so a failed assertion fails only the cell.
            let outcome = tokio::spawn(run_cell(gateway.base.clone(), mock.handle(), cell)).await;
            let known = KNOWN_FAILURES.contains(&(door, provider, mode));
            match (outcome, known) {
                (Ok(()), false) => {}
                (Ok(()), true) => {
                    failures.push(format!("{cell}: passes now, remove it from KNOWN_FAILURES"))
                }
                (Err(error), true) => {
                    eprintln!("known failure, {cell}: {}", panic_message(error));
                }
                (Err(error), false) => failures.push(format!("{cell}: {}", panic_message(error))),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cell(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[tokio::test]
async fn openai_chat_door_reaches_every_provider() {
    door_reaches_every_provider(Door::OpenAiChat).await;
}

#[tokio::test]
async fn openai_responses_door_reaches_every_provider() {
    door_reaches_every_provider(Door::OpenAiResponses).await;
}

#[tokio::test]
async fn anthropic_door_reaches_every_provider() {
    door_reaches_every_provider(Door::Anthropic).await;
}

#[tokio::test]
async fn gemini_door_reaches_every_provider() {
    door_reaches_every_provider(Door::Gemini).await;
}

#[tokio::test]
async fn errors_come_back_in_the_callers_dialect() {
    let mock = mock().await;
    let gateway = start(&without_retries(&config(&mock)));
    // An upstream 429 through each door, from a provider of another dialect.
    mock.push_fault(Fault {
        status: Some(429),
        retry_after: Some(3),
        ..Fault::default()
    });
    let response = client()
        .post(gateway.url("/v1/messages"))
        .header("x-api-key", MASTER_KEY)
        .json(&json!({"model": "oa", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "rate_limit_error");

    // Anthropic's "overloaded" is 529.
    mock.push_fault(Fault {
        status: Some(529),
        ..Fault::default()
    });
    let response = client()
        .post(gateway.url("/v1beta/models/an:generateContent"))
        .header("x-goog-api-key", MASTER_KEY)
        .json(&json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 529);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["status"], "UNAVAILABLE");

    // Auth failures too.
    let response = client()
        .post(gateway.url("/v1/messages"))
        .json(&json!({"model": "oa", "max_tokens": 10, "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "authentication_error");
    let response = client()
        .post(gateway.url("/v1beta/models/ge:generateContent?key=wrong"))
        .json(&json!({"contents": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn unsupported_parameters_are_refused_unless_dropped() {
    let mock = mock().await;
    let config = config(&mock).replace("drop_params: true", "drop_params: false");
    let gateway = start(&config);
    let response = post(
        &gateway,
        "/v1/chat/completions",
        &json!({"model": "an", "logit_bias": {"1": 2}, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("logit_bias") && message.contains("anthropic"),
        "{message}"
    );
    assert!(message.contains("drop_params"), "{message}");
}

#[tokio::test]
async fn translated_streams_are_accounted() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    let answer = ask(&gateway, Door::Anthropic, "ge", true, false).await;
    assert!(!answer.text.is_empty());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let rows: Vec<Value> = client()
            .get(gateway.url("/spend/logs"))
            .bearer_auth(MASTER_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(row) = rows.first() {
            assert_eq!(row["call_type"], "anthropic_messages");
            assert_eq!(row["custom_llm_provider"], "gemini");
            assert!(row["completion_tokens"].as_u64().unwrap() > 0, "{row}");
            assert!(row["prompt_tokens"].as_u64().unwrap() > 0, "{row}");
            break;
        }
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
