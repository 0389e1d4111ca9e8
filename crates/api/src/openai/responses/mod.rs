//! OpenAI's Responses API (`POST /v1/responses`): wire types, and pure
//! conversions to and from the lingua franca, chat completions.
//!
//! Two ways through the gateway:
//! - **Passthrough** to upstreams that have the API themselves (OpenAI,
//!   Azure): [`inspect_responses_request`] reads the routing fields (the
//!   model is spliced like chat's), [`responses_usage`] and the codec's
//!   `responses_usage_observer` read usage from the body or the
//!   `response.completed` event.
//! - **Translation** for every other provider: [`request_to_chat`], then
//!   [`response_from_chat`] or [`StreamFromChat`] for the answer.
//!
//! Scope: stored state is not supported. The gateway keeps no responses,
//! so `previous_response_id`, `conversation` and `item_reference` inputs are
//! a 400 on the translated path (upstreams with the API handle them
//! themselves), `store` is ignored and responses echo `"store": false`.
//!
//! Everything here is pure: ids come from an input seed (the upstream's
//! completion id), timestamps from the chat response. Golden fixtures live
//! in `crates/api/tests/golden/responses/`.

mod events;
mod from_chat;
mod request;
mod response;
mod stream;
mod to_chat;

#[cfg(test)]
mod tests;

pub use events::{ErrorObject, StreamEvent};
pub use from_chat::{id_seed, response_from_chat};
pub use request::{
    ContentPart, FunctionCallItem, FunctionCallOutputItem, FunctionTool, Input, InputItem,
    InputMessage, MessageContent, ReasoningConfig, ReasoningItem, ResponsesRequest, ResponsesTool,
    ResponsesToolChoice, TextConfig, TextFormat, TextPart, ToolChoiceObject,
};
pub use response::{
    IncompleteDetails, InputTokensDetails, OutputContent, OutputFunctionCall, OutputItem,
    OutputMessage, OutputReasoning, OutputTokensDetails, ResponseEcho, ResponseError,
    ResponsesResponse, ResponsesUsage, SummaryText,
};
pub use stream::StreamFromChat;
pub use to_chat::request_to_chat;

use serde::Deserialize;

use super::{InspectedRequest, Operation, inspect_request};
use crate::error::ApiError;
use crate::usage::TokenUsage;

/// The routing fields of a Responses body (`model`, `stream`, `user`, and
/// `max_output_tokens` as the output estimate), with the model's place
/// remembered for `rewrite_request`. Requires `model` and `input`.
pub fn inspect_responses_request(body: &[u8]) -> Result<InspectedRequest, ApiError> {
    inspect_request(Operation::Responses, body)
}

/// The usage of a complete Responses body (or of a `response.completed`
/// event's `response`), skipping everything else without building it.
pub fn responses_usage(body: &[u8]) -> Option<TokenUsage> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        usage: Option<ResponsesUsage>,
    }
    let probe: Probe = serde_json::from_slice(body).ok()?;
    probe.usage.map(TokenUsage::from)
}

/// The usage in a stream event's data: the `response.usage` of
/// `response.completed`, `response.incomplete` and `response.failed`.
pub fn event_usage(data: &[u8]) -> Option<TokenUsage> {
    #[derive(Deserialize)]
    struct Event {
        #[serde(default)]
        response: Option<Inner>,
    }
    #[derive(Deserialize)]
    struct Inner {
        #[serde(default)]
        usage: Option<ResponsesUsage>,
    }
    let event: Event = serde_json::from_slice(data).ok()?;
    event.response?.usage.map(TokenUsage::from)
}
