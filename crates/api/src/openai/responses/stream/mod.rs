//! A chat completion stream as Responses stream events.
//!
//! The first chunk opens the response (`response.created`,
//! `response.in_progress`). Reasoning text, message text, refusals and
//! function calls open output items as they come, one at a time as OpenAI
//! sends them: a new item closes the open one. `finish` closes the last and
//! sends `response.completed` (or `response.incomplete`) with the whole
//! output and the usage.

mod text;

use serde_json::Value;

use super::events::{ErrorObject, StreamEvent};
use super::from_chat::{id_seed, item_id, response_id, status_of};
use super::response::{
    OutputContent, OutputFunctionCall, OutputItem, ResponseEcho, ResponsesResponse, ResponsesUsage,
};
use crate::error::{ApiError, Dialect};
use crate::openai::chat::{ChatChunk, ChatUsage, ToolCallDelta};

/// Turns chat chunks into Responses events; one per response.
#[derive(Debug)]
pub struct StreamFromChat {
    echo: ResponseEcho,
    sequence: u64,
    started: bool,
    finished: bool,
    seed: String,
    model: String,
    created_at: u64,
    finish_reason: Option<String>,
    usage: Option<ChatUsage>,
    /// Items by output index; `None` while still open.
    output: Vec<Option<OutputItem>>,
    open: Option<Open>,
    /// Calls already closed: (chat index, output index, call id).
    closed_calls: Vec<(u32, u32, String)>,
}

/// The item being streamed.
#[derive(Debug)]
enum Open {
    Reasoning {
        output_index: u32,
        id: String,
        text: String,
    },
    Message(OpenMessage),
    Call(OpenCall),
}

/// The open message: its finished parts and the one being streamed.
#[derive(Debug)]
struct OpenMessage {
    output_index: u32,
    id: String,
    done: Vec<OutputContent>,
    part: Option<OpenPart>,
}

impl OpenMessage {
    /// The open part's `content_index`.
    fn content_index(&self) -> u32 {
        index_u32(self.done.len())
    }
}

/// The open part of a message: output text or a refusal.
#[derive(Debug)]
struct OpenPart {
    refusal: bool,
    text: String,
}

#[derive(Debug)]
struct OpenCall {
    /// The call's `index` in the chat deltas.
    chat_index: u32,
    output_index: u32,
    id: String,
    call_id: String,
    name: String,
    arguments: String,
}

impl StreamFromChat {
    pub fn new(echo: ResponseEcho) -> StreamFromChat {
        StreamFromChat {
            echo,
            sequence: 0,
            started: false,
            finished: false,
            seed: String::new(),
            model: String::new(),
            created_at: 0,
            finish_reason: None,
            usage: None,
            output: Vec::new(),
            open: None,
            closed_calls: Vec::new(),
        }
    }

    /// The events for one chunk (the first choice's; Responses has no `n`).
    pub fn push(&mut self, chunk: &ChatChunk) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        if self.finished {
            return events;
        }
        self.start(Some(chunk), &mut events);
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        let Some(choice) = chunk.choices.first() else {
            return events;
        };
        let delta = &choice.delta;
        if let Some(text) = delta.reasoning_content.as_deref().filter(|t| !t.is_empty()) {
            self.reasoning(text, &mut events);
        }
        if let Some(text) = delta.content.as_deref().filter(|t| !t.is_empty()) {
            self.message_text(false, text, &mut events);
        }
        if let Some(text) = delta.refusal.as_deref().filter(|t| !t.is_empty()) {
            self.message_text(true, text, &mut events);
        }
        for call in delta.tool_calls.iter().flatten() {
            self.tool_call(call, &mut events);
        }
        if let Some(reason) = &choice.finish_reason {
            self.finish_reason = Some(reason.clone());
        }
        events
    }

    /// The closing events; `usage` is the upstream's usage chunk, if any.
    pub fn finish(&mut self, usage: Option<&ChatChunk>) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        if self.finished {
            return events;
        }
        self.start(usage, &mut events);
        if let Some(usage) = usage.and_then(|c| c.usage) {
            self.usage = Some(usage);
        }
        self.close_open(&mut events);
        let has_reply = self
            .output
            .iter()
            .flatten()
            .any(|item| !matches!(item, OutputItem::Reasoning(_)));
        if !has_reply {
            // Clients read the message's text even when it is empty.
            self.open_message(&mut events);
            self.close_open(&mut events);
        }
        let (status, incomplete_details) = status_of(self.finish_reason.as_deref());
        let mut response = self.snapshot(status);
        response.incomplete_details = incomplete_details;
        response.output = self.output.iter().flatten().cloned().collect();
        response.usage = self.usage.map(ResponsesUsage::from);
        let response = Box::new(response);
        let sequence_number = self.next();
        events.push(if status == "completed" {
            StreamEvent::Completed {
                response,
                sequence_number,
            }
        } else {
            StreamEvent::Incomplete {
                response,
                sequence_number,
            }
        });
        self.finished = true;
        events
    }

    /// An `error` event; the stream is over after it.
    pub fn error(&mut self, error: &ApiError) -> StreamEvent {
        self.finished = true;
        // The OpenAI error type is what the OpenAI error body says.
        let body: Value =
            serde_json::from_slice(&error.to_body(Dialect::OpenAi)).unwrap_or_default();
        let kind = body["error"]["type"]
            .as_str()
            .unwrap_or("server_error")
            .to_owned();
        let code = error.code.clone().unwrap_or_else(|| kind.clone());
        StreamEvent::Error {
            code: Some(code.clone()),
            message: error.message.clone(),
            param: error.param.clone(),
            sequence_number: self.next(),
            error: Some(ErrorObject {
                r#type: kind,
                code: Some(code),
                message: error.message.clone(),
                param: error.param.clone(),
            }),
        }
    }

    /// A closed item's `status`: `incomplete` once the output was cut short.
    fn item_status(&self) -> &'static str {
        match status_of(self.finish_reason.as_deref()) {
            ("completed", _) => "completed",
            _ => "incomplete",
        }
    }

    fn next(&mut self) -> u64 {
        let sequence = self.sequence;
        self.sequence += 1;
        sequence
    }

    /// Opens the response on the first chunk (or at `finish` without one).
    fn start(&mut self, chunk: Option<&ChatChunk>, events: &mut Vec<StreamEvent>) {
        if self.started {
            return;
        }
        self.started = true;
        self.seed = id_seed(chunk.map_or("", |c| c.id.as_str())).to_owned();
        self.model = match chunk {
            Some(c) if !c.model.is_empty() => c.model.clone(),
            _ => self.echo.model.clone(),
        };
        self.created_at = chunk.map_or(0, |c| c.created);
        let response = Box::new(self.snapshot("in_progress"));
        let sequence_number = self.next();
        events.push(StreamEvent::Created {
            response: response.clone(),
            sequence_number,
        });
        let sequence_number = self.next();
        events.push(StreamEvent::InProgress {
            response,
            sequence_number,
        });
    }

    fn snapshot(&self, status: &str) -> ResponsesResponse {
        ResponsesResponse {
            id: response_id(&self.seed),
            object: "response".to_owned(),
            created_at: self.created_at,
            status: status.to_owned(),
            error: None,
            incomplete_details: None,
            model: self.model.clone(),
            output: Vec::new(),
            usage: None,
            echo: self.echo.clone(),
        }
    }

    /// Reserves the next output index for an item being opened.
    fn reserve(&mut self) -> u32 {
        self.output.push(None);
        u32::try_from(self.output.len() - 1).unwrap_or(u32::MAX)
    }

    fn item_added(&mut self, output_index: u32, item: OutputItem, events: &mut Vec<StreamEvent>) {
        let sequence_number = self.next();
        events.push(StreamEvent::OutputItemAdded {
            output_index,
            item,
            sequence_number,
        });
    }

    fn item_done(&mut self, output_index: u32, item: OutputItem, events: &mut Vec<StreamEvent>) {
        if let Some(slot) = self.output.get_mut(output_index as usize) {
            *slot = Some(item.clone());
        }
        let sequence_number = self.next();
        events.push(StreamEvent::OutputItemDone {
            output_index,
            item,
            sequence_number,
        });
    }

    fn tool_call(&mut self, delta: &ToolCallDelta, events: &mut Vec<StreamEvent>) {
        let arguments = delta
            .function
            .as_ref()
            .and_then(|f| f.arguments.as_deref())
            .unwrap_or_default();
        // The same call: same index, and no other id.
        let same = |index: u32, call_id: &str| {
            index == delta.index && delta.id.as_deref().is_none_or(|id| id == call_id)
        };
        let open = matches!(&self.open, Some(Open::Call(c)) if same(c.chat_index, &c.call_id));
        if !open {
            let closed = self
                .closed_calls
                .iter()
                .find(|(index, _, call_id)| same(*index, call_id));
            if let Some(&(_, output_index, _)) = closed {
                // A provider that interleaves calls: too late for events,
                // but the final output still gets the whole arguments.
                if let Some(Some(OutputItem::FunctionCall(call))) =
                    self.output.get_mut(output_index as usize)
                {
                    call.arguments.push_str(arguments);
                }
                return;
            }
            self.open_call(delta, events);
        }
        if arguments.is_empty() {
            return;
        }
        let Some(Open::Call(call)) = &mut self.open else {
            return;
        };
        call.arguments.push_str(arguments);
        let (item_id, output_index) = (call.id.clone(), call.output_index);
        let sequence_number = self.next();
        events.push(StreamEvent::FunctionCallArgumentsDelta {
            item_id,
            output_index,
            delta: arguments.to_owned(),
            sequence_number,
        });
    }

    fn open_call(&mut self, delta: &ToolCallDelta, events: &mut Vec<StreamEvent>) {
        self.close_open(events);
        let output_index = self.reserve();
        let id = item_id("fc", &self.seed, output_index);
        let call_id = delta
            .id
            .clone()
            .unwrap_or_else(|| item_id("call", &self.seed, output_index));
        let name = delta
            .function
            .as_ref()
            .and_then(|f| f.name.clone())
            .unwrap_or_default();
        let item = OutputItem::FunctionCall(OutputFunctionCall {
            id: id.clone(),
            call_id: call_id.clone(),
            name: name.clone(),
            arguments: String::new(),
            status: "in_progress".to_owned(),
        });
        self.item_added(output_index, item, events);
        self.open = Some(Open::Call(OpenCall {
            chat_index: delta.index,
            output_index,
            id,
            call_id,
            name,
            arguments: String::new(),
        }));
    }

    fn close_call(&mut self, call: OpenCall, events: &mut Vec<StreamEvent>) {
        self.closed_calls
            .push((call.chat_index, call.output_index, call.call_id.clone()));
        let sequence_number = self.next();
        events.push(StreamEvent::FunctionCallArgumentsDone {
            item_id: call.id.clone(),
            output_index: call.output_index,
            name: call.name.clone(),
            arguments: call.arguments.clone(),
            sequence_number,
        });
        let item = OutputItem::FunctionCall(OutputFunctionCall {
            id: call.id,
            call_id: call.call_id,
            name: call.name,
            arguments: call.arguments,
            status: self.item_status().to_owned(),
        });
        self.item_done(call.output_index, item, events);
    }
}

fn index_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}
