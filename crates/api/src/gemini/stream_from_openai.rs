//! Direction B, stream: OpenAI `chat.completion.chunk`s → Gemini stream
//! chunks (render each with [`super::sse_event`]).

use std::collections::BTreeMap;

use serde_json::Map;

use super::from_openai::{function_call_part, model_content, thought_part};
use super::types::{Candidate, Content, GenerateContentResponse, Part, UsageMetadata};
use super::{finish_reason_from_openai, usage_from_openai};
use crate::openai::chat::{ChatChunk, ChunkChoice, ToolCallDelta};

/// Translates an OpenAI stream for a Gemini client.
///
/// Text and reasoning deltas are sent on as they come. Tool call fragments
/// are accumulated, since Gemini sends each `functionCall` whole: a call is
/// emitted when the next call starts or the choice finishes. A choice's
/// final chunk (with `finishReason`) is held back until OpenAI's usage chunk,
/// which comes after the finish chunk, so that it carries `usageMetadata` as
/// Gemini's last chunk does; [`StreamFromOpenAi::finish`] releases it when
/// the upstream sends no usage.
#[derive(Debug, Clone, Default)]
pub struct StreamFromOpenAi {
    id: Option<String>,
    model: Option<String>,
    /// Per choice, the tool call being accumulated.
    open_calls: BTreeMap<u32, OpenCall>,
    /// Final candidates waiting for usage.
    held: Vec<Candidate>,
    usage: Option<UsageMetadata>,
    usage_sent: bool,
}

#[derive(Debug, Clone, Default)]
struct OpenCall {
    index: u32,
    id: String,
    name: String,
    arguments: String,
}

impl StreamFromOpenAi {
    pub fn new() -> StreamFromOpenAi {
        StreamFromOpenAi::default()
    }

    /// Feeds one OpenAI chunk; returns the Gemini chunks it completes.
    pub fn push(&mut self, chunk: &ChatChunk) -> Vec<GenerateContentResponse> {
        if self.id.is_none() && !chunk.id.is_empty() {
            self.id = Some(chunk.id.clone());
        }
        if self.model.is_none() && !chunk.model.is_empty() {
            self.model = Some(chunk.model.clone());
        }
        let mut streaming = Vec::new();
        for choice in &chunk.choices {
            let parts = self.choice_parts(choice);
            if let Some(reason) = &choice.finish_reason {
                self.held.push(final_candidate(choice.index, parts, reason));
            } else if !parts.is_empty() {
                streaming.push(Candidate {
                    content: Some(Content {
                        role: Some("model".to_owned()),
                        parts,
                    }),
                    index: Some(choice.index),
                    ..Candidate::default()
                });
            }
        }
        if let Some(usage) = &chunk.usage {
            self.usage = Some(usage_from_openai(usage));
        }
        let mut out = Vec::new();
        if !streaming.is_empty() {
            out.push(self.response(streaming, None));
        }
        if self.usage.is_some() && !self.held.is_empty() {
            let held = std::mem::take(&mut self.held);
            let usage = self.take_usage();
            out.push(self.response(held, usage));
        }
        out
    }

    /// Ends the stream: releases held final chunks (without usage if none
    /// came), tool calls left open by a stream without a finish reason, and
    /// usage not sent yet.
    pub fn finish(&mut self) -> Vec<GenerateContentResponse> {
        let mut candidates: Vec<Candidate> = std::mem::take(&mut self.open_calls)
            .into_iter()
            .map(|(index, call)| Candidate {
                content: Some(model_content(vec![call.into_part()])),
                index: Some(index),
                ..Candidate::default()
            })
            .collect();
        candidates.append(&mut self.held);
        let usage = self.take_usage();
        if candidates.is_empty() && usage.is_none() {
            return Vec::new();
        }
        vec![self.response(candidates, usage)]
    }

    /// The parts a choice delta completes, in order: reasoning, text,
    /// refusal, then tool calls finished by this delta.
    fn choice_parts(&mut self, choice: &ChunkChoice) -> Vec<Part> {
        let delta = &choice.delta;
        let mut parts = Vec::new();
        if let Some(reasoning) = delta.reasoning_content.as_ref().filter(|r| !r.is_empty()) {
            parts.push(thought_part(reasoning));
        }
        for text in [&delta.content, &delta.refusal].into_iter().flatten() {
            if !text.is_empty() {
                parts.push(Part::text(text.clone()));
            }
        }
        for fragment in delta.tool_calls.iter().flatten() {
            if let Some(done) = self.add_fragment(choice.index, fragment) {
                parts.push(done);
            }
        }
        if choice.finish_reason.is_some()
            && let Some(call) = self.open_calls.remove(&choice.index)
        {
            parts.push(call.into_part());
        }
        parts
    }

    /// Adds a fragment to the open call of `choice`; a fragment of a new
    /// call index completes the previous call, which is returned.
    fn add_fragment(&mut self, choice: u32, fragment: &ToolCallDelta) -> Option<Part> {
        let mut done = None;
        if self
            .open_calls
            .get(&choice)
            .is_some_and(|open| open.index != fragment.index)
        {
            done = self.open_calls.remove(&choice).map(OpenCall::into_part);
        }
        let open = self.open_calls.entry(choice).or_insert_with(|| OpenCall {
            index: fragment.index,
            ..OpenCall::default()
        });
        if let Some(id) = fragment.id.as_ref().filter(|_| open.id.is_empty()) {
            open.id.clone_from(id);
        }
        if let Some(function) = &fragment.function {
            // Some servers repeat the name on every fragment: the first wins.
            if let Some(name) = function.name.as_ref().filter(|_| open.name.is_empty()) {
                open.name.clone_from(name);
            }
            if let Some(arguments) = &function.arguments {
                open.arguments.push_str(arguments);
            }
        }
        done
    }

    /// Usage for the next chunk, once.
    fn take_usage(&mut self) -> Option<UsageMetadata> {
        if self.usage_sent {
            return None;
        }
        let usage = self.usage.clone();
        self.usage_sent = usage.is_some();
        usage
    }

    fn response(
        &self,
        candidates: Vec<Candidate>,
        usage_metadata: Option<UsageMetadata>,
    ) -> GenerateContentResponse {
        GenerateContentResponse {
            candidates,
            prompt_feedback: None,
            usage_metadata,
            model_version: self.model.clone(),
            response_id: self.id.clone(),
            rest: Map::new(),
        }
    }
}

impl OpenCall {
    fn into_part(self) -> Part {
        function_call_part(&self.id, &self.name, &self.arguments)
    }
}

fn final_candidate(index: u32, parts: Vec<Part>, reason: &str) -> Candidate {
    Candidate {
        content: Some(model_content(parts)),
        finish_reason: Some(finish_reason_from_openai(reason).to_owned()),
        index: Some(index),
        ..Candidate::default()
    }
}
