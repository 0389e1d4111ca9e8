//! The text items of a stream: reasoning (as summary text) and the
//! assistant message, with its output-text and refusal parts.

use super::{Open, OpenMessage, OpenPart, StreamFromChat};
use crate::openai::responses::events::StreamEvent;
use crate::openai::responses::from_chat::item_id;
use crate::openai::responses::response::{
    OutputContent, OutputItem, OutputMessage, OutputReasoning, SummaryText,
};

impl StreamFromChat {
    pub(super) fn reasoning(&mut self, delta: &str, events: &mut Vec<StreamEvent>) {
        if !matches!(self.open, Some(Open::Reasoning { .. })) {
            self.close_open(events);
            let output_index = self.reserve();
            let id = item_id("rs", &self.seed, output_index);
            let item = OutputItem::Reasoning(OutputReasoning {
                id: id.clone(),
                summary: Vec::new(),
            });
            self.item_added(output_index, item, events);
            let sequence_number = self.next();
            events.push(StreamEvent::ReasoningSummaryPartAdded {
                item_id: id.clone(),
                output_index,
                summary_index: 0,
                part: SummaryText::new(""),
                sequence_number,
            });
            self.open = Some(Open::Reasoning {
                output_index,
                id,
                text: String::new(),
            });
        }
        let Some(Open::Reasoning {
            output_index,
            id,
            text,
        }) = &mut self.open
        else {
            return;
        };
        text.push_str(delta);
        let (item_id, output_index) = (id.clone(), *output_index);
        let sequence_number = self.next();
        events.push(StreamEvent::ReasoningSummaryTextDelta {
            item_id,
            output_index,
            summary_index: 0,
            delta: delta.to_owned(),
            sequence_number,
        });
    }

    pub(super) fn open_message(&mut self, events: &mut Vec<StreamEvent>) {
        let output_index = self.reserve();
        let id = item_id("msg", &self.seed, output_index);
        let item = OutputItem::Message(OutputMessage {
            id: id.clone(),
            status: "in_progress".to_owned(),
            role: "assistant".to_owned(),
            content: Vec::new(),
        });
        self.item_added(output_index, item, events);
        self.open = Some(Open::Message(OpenMessage {
            output_index,
            id,
            done: Vec::new(),
            part: None,
        }));
    }

    fn message(&mut self) -> Option<&mut OpenMessage> {
        match &mut self.open {
            Some(Open::Message(message)) => Some(message),
            _ => None,
        }
    }

    /// Appends text (or a refusal) to the open message, opening what is
    /// needed first.
    pub(super) fn message_text(
        &mut self,
        refusal: bool,
        delta: &str,
        events: &mut Vec<StreamEvent>,
    ) {
        if self.message().is_none() {
            self.close_open(events);
            self.open_message(events);
        }
        let same_part = self
            .message()
            .and_then(|m| m.part.as_ref())
            .is_some_and(|p| p.refusal == refusal);
        if !same_part {
            self.close_part(events);
            self.open_part(refusal, events);
        }
        let Some(message) = self.message() else {
            return;
        };
        let Some(part) = &mut message.part else {
            return;
        };
        part.text.push_str(delta);
        let (item_id, output_index) = (message.id.clone(), message.output_index);
        let content_index = message.content_index();
        let delta = delta.to_owned();
        let sequence_number = self.next();
        events.push(if refusal {
            StreamEvent::RefusalDelta {
                item_id,
                output_index,
                content_index,
                delta,
                sequence_number,
            }
        } else {
            StreamEvent::OutputTextDelta {
                item_id,
                output_index,
                content_index,
                delta,
                logprobs: Vec::new(),
                sequence_number,
            }
        });
    }

    fn open_part(&mut self, refusal: bool, events: &mut Vec<StreamEvent>) {
        let Some(message) = self.message() else {
            return;
        };
        message.part = Some(OpenPart {
            refusal,
            text: String::new(),
        });
        let (item_id, output_index) = (message.id.clone(), message.output_index);
        let content_index = message.content_index();
        let sequence_number = self.next();
        events.push(StreamEvent::ContentPartAdded {
            item_id,
            output_index,
            content_index,
            part: content(refusal, String::new()),
            sequence_number,
        });
    }

    /// Closes the open part of the open message, if any.
    fn close_part(&mut self, events: &mut Vec<StreamEvent>) {
        let Some(message) = self.message() else {
            return;
        };
        let Some(OpenPart { refusal, text }) = message.part.take() else {
            return;
        };
        let (item_id, output_index) = (message.id.clone(), message.output_index);
        let content_index = message.content_index();
        let part = content(refusal, text.clone());
        message.done.push(part.clone());
        let sequence_number = self.next();
        events.push(if refusal {
            StreamEvent::RefusalDone {
                item_id: item_id.clone(),
                output_index,
                content_index,
                refusal: text,
                sequence_number,
            }
        } else {
            StreamEvent::OutputTextDone {
                item_id: item_id.clone(),
                output_index,
                content_index,
                text,
                logprobs: Vec::new(),
                sequence_number,
            }
        });
        let sequence_number = self.next();
        events.push(StreamEvent::ContentPartDone {
            item_id,
            output_index,
            content_index,
            part,
            sequence_number,
        });
    }

    /// Closes the open item, if any.
    pub(super) fn close_open(&mut self, events: &mut Vec<StreamEvent>) {
        if self
            .message()
            .is_some_and(|m| m.part.is_none() && m.done.is_empty())
        {
            // A message closed before any text: it still has one (empty) part.
            self.open_part(false, events);
        }
        self.close_part(events);
        match self.open.take() {
            None => {}
            Some(Open::Call(call)) => self.close_call(call, events),
            Some(Open::Reasoning {
                output_index,
                id,
                text,
            }) => {
                let sequence_number = self.next();
                events.push(StreamEvent::ReasoningSummaryTextDone {
                    item_id: id.clone(),
                    output_index,
                    summary_index: 0,
                    text: text.clone(),
                    sequence_number,
                });
                let sequence_number = self.next();
                events.push(StreamEvent::ReasoningSummaryPartDone {
                    item_id: id.clone(),
                    output_index,
                    summary_index: 0,
                    part: SummaryText::new(text.clone()),
                    sequence_number,
                });
                let item = OutputItem::Reasoning(OutputReasoning {
                    id,
                    summary: vec![SummaryText::new(text)],
                });
                self.item_done(output_index, item, events);
            }
            Some(Open::Message(message)) => {
                let item = OutputItem::Message(OutputMessage {
                    id: message.id,
                    status: self.item_status().to_owned(),
                    role: "assistant".to_owned(),
                    content: message.done,
                });
                self.item_done(message.output_index, item, events);
            }
        }
    }
}

fn content(refusal: bool, text: String) -> OutputContent {
    if refusal {
        OutputContent::Refusal { refusal: text }
    } else {
        OutputContent::output_text(text)
    }
}
