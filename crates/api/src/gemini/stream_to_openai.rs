//! Direction A, stream: the events of `streamGenerateContent?alt=sse` →
//! OpenAI `chat.completion.chunk`s.

use std::collections::BTreeMap;

use super::error::error_from_gemini;
use super::from_gemini::{candidate_index, response_id, tool_call};
use super::types::{Candidate, GenerateContentResponse, UsageMetadata};
use super::{finish_reason_to_openai, usage_to_openai};
use crate::error::{ApiError, ErrorKind};
use crate::openai::chat::{
    ChatChunk, ChatUsage, ChunkChoice, Delta, FunctionCallDelta, ToolCall, ToolCallDelta,
};
use crate::usage::TokenUsage;

/// Translates a Gemini stream chunk by chunk.
///
/// Each Gemini event is a partial response. Per candidate (OpenAI choice) the
/// output is: a role chunk first, then one chunk per part in order (text →
/// `content`, thought → `reasoning_content`, function call → one complete
/// tool call delta: Gemini never splits a call across events), then a finish
/// chunk when the candidate has a `finishReason`. Usage is not put on any
/// chunk: [`StreamToOpenAi::usage_chunk`] builds OpenAI's trailing usage
/// chunk for clients that asked for `stream_options.include_usage`.
#[derive(Debug, Clone)]
pub struct StreamToOpenAi {
    model: String,
    created: u64,
    id: Option<String>,
    choices: BTreeMap<u32, ChoiceState>,
    /// Function calls seen so far, numbering generated ids.
    call_counter: usize,
    /// The last `usageMetadata`: Gemini repeats cumulative counts.
    usage: Option<UsageMetadata>,
}

#[derive(Debug, Clone, Copy, Default)]
struct ChoiceState {
    tool_calls: u32,
    finished: bool,
}

impl StreamToOpenAi {
    /// `model` is the name the client asked for; `created` the Unix time.
    pub fn new(model: &str, created: u64) -> StreamToOpenAi {
        StreamToOpenAi {
            model: model.to_owned(),
            created,
            id: None,
            choices: BTreeMap::new(),
            call_counter: 0,
            usage: None,
        }
    }

    /// Feeds the `data` of one SSE event. A Google error object sent in the
    /// stream is returned as the error it describes; unparsable data is a
    /// bad gateway.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<ChatChunk>, ApiError> {
        let response = parse_event(data)?;
        if self.id.is_none() {
            // Fixed by the first event, so every chunk has the same id.
            self.id = Some(response_id(response.response_id.as_deref(), self.created));
        }
        if response.usage_metadata.is_some() {
            self.usage = response.usage_metadata.clone();
        }
        let mut chunks = Vec::new();
        for (position, candidate) in response.candidates.iter().enumerate() {
            self.candidate(candidate, position, &mut chunks);
        }
        let blocked = response
            .prompt_feedback
            .as_ref()
            .is_some_and(|feedback| feedback.block_reason.is_some());
        if response.candidates.is_empty() && blocked {
            self.start(0, &mut chunks);
            self.finish_choice(0, "content_filter", &mut chunks);
        }
        Ok(chunks)
    }

    /// Ends the stream. A choice Gemini left without a `finishReason` (the
    /// stream closed cleanly but early) gets one, so OpenAI clients see an
    /// ending; a transport error is for the caller to report instead.
    pub fn finish(&mut self) -> Vec<ChatChunk> {
        let open: Vec<(u32, bool)> = self
            .choices
            .iter()
            .filter(|(_, state)| !state.finished)
            .map(|(index, state)| (*index, state.tool_calls > 0))
            .collect();
        let mut chunks = Vec::new();
        for (index, has_tool_calls) in open {
            let reason = if has_tool_calls { "tool_calls" } else { "stop" };
            self.finish_choice(index, reason, &mut chunks);
        }
        chunks
    }

    /// Usage from the last `usageMetadata` seen.
    pub fn usage(&self) -> Option<TokenUsage> {
        self.usage.as_ref().map(usage_to_openai)
    }

    /// OpenAI's final usage chunk (`choices: []`), when usage is known.
    pub fn usage_chunk(&self) -> Option<ChatChunk> {
        let usage = self.usage()?;
        let mut chunk = self.chunk(Vec::new());
        chunk.usage = Some(ChatUsage::from(usage));
        Some(chunk)
    }

    fn candidate(&mut self, candidate: &Candidate, position: usize, chunks: &mut Vec<ChatChunk>) {
        let index = candidate_index(candidate, position);
        self.start(index, chunks);
        let parts = candidate
            .content
            .as_ref()
            .map_or(&[][..], |content| &content.parts[..]);
        for part in parts {
            if let Some(call) = tool_call(part, &mut self.call_counter) {
                let delta = self.tool_call_delta(index, call);
                chunks.push(self.delta_chunk(index, delta, None));
            } else if let Some(text) = part.text.as_ref().filter(|text| !text.is_empty()) {
                let delta = if part.is_thought() {
                    Delta {
                        reasoning_content: Some(text.clone()),
                        ..Delta::default()
                    }
                } else {
                    Delta {
                        content: Some(text.clone()),
                        ..Delta::default()
                    }
                };
                chunks.push(self.delta_chunk(index, delta, None));
            }
        }
        if let Some(reason) = &candidate.finish_reason {
            let has_tool_calls = self.choices.get(&index).is_some_and(|s| s.tool_calls > 0);
            let reason = finish_reason_to_openai(reason, has_tool_calls);
            self.finish_choice(index, reason, chunks);
        }
    }

    /// Emits the role chunk of a choice the first time it appears.
    fn start(&mut self, index: u32, chunks: &mut Vec<ChatChunk>) {
        if self.choices.contains_key(&index) {
            return;
        }
        self.choices.insert(index, ChoiceState::default());
        let delta = Delta {
            role: Some("assistant".to_owned()),
            content: Some(String::new()),
            ..Delta::default()
        };
        chunks.push(self.delta_chunk(index, delta, None));
    }

    fn finish_choice(&mut self, index: u32, reason: &str, chunks: &mut Vec<ChatChunk>) {
        let state = self.choices.entry(index).or_default();
        if state.finished {
            return;
        }
        state.finished = true;
        chunks.push(self.delta_chunk(index, Delta::default(), Some(reason)));
    }

    fn tool_call_delta(&mut self, index: u32, call: ToolCall) -> Delta {
        let state = self.choices.entry(index).or_default();
        let call_index = state.tool_calls;
        state.tool_calls += 1;
        Delta {
            tool_calls: Some(vec![ToolCallDelta {
                index: call_index,
                id: Some(call.id),
                r#type: Some(call.r#type),
                function: Some(FunctionCallDelta {
                    name: Some(call.function.name),
                    arguments: Some(call.function.arguments),
                }),
            }]),
            ..Delta::default()
        }
    }

    fn delta_chunk(&self, index: u32, delta: Delta, finish_reason: Option<&str>) -> ChatChunk {
        self.chunk(vec![ChunkChoice {
            index,
            delta,
            finish_reason: finish_reason.map(str::to_owned),
            logprobs: None,
        }])
    }

    fn chunk(&self, choices: Vec<ChunkChoice>) -> ChatChunk {
        ChatChunk {
            id: response_id(self.id.as_deref(), self.created),
            object: "chat.completion.chunk".to_owned(),
            created: self.created,
            model: self.model.clone(),
            choices,
            usage: None,
            system_fingerprint: None,
            service_tier: None,
        }
    }
}

/// One event's data: a partial response, or `{"error": {...}}` when Google
/// fails mid-stream.
fn parse_event(data: &[u8]) -> Result<GenerateContentResponse, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(data).map_err(|error| {
        ApiError::new(
            ErrorKind::BadGateway,
            format!("Gemini sent a stream event that is not JSON: {error}"),
        )
    })?;
    if let Some(error) = value.get("error") {
        let status = error
            .get("code")
            .and_then(serde_json::Value::as_u64)
            .and_then(|code| u16::try_from(code).ok())
            .unwrap_or(500);
        return Err(error_from_gemini(status, data));
    }
    serde_json::from_value(value).map_err(|error| {
        ApiError::new(
            ErrorKind::BadGateway,
            format!("Gemini sent a stream event of unexpected shape: {error}"),
        )
    })
}
