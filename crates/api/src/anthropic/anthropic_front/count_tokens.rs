//! `POST /v1/messages/count_tokens` when the upstream is not Anthropic.

use super::super::types::{
    ContentBlock, CountTokensRequest, DocumentSource, MessageContent, System, SystemBlock,
    ToolDefinition, ToolResultContent,
};

/// Roughly four characters of English text per token.
const CHARS_PER_TOKEN: u64 = 4;

/// A flat charge per image: about what Anthropic bills for an image near
/// its 1.15 megapixel size limit. Counting the base64 text would be far off.
const TOKENS_PER_IMAGE: u64 = 1600;

/// An **estimate** of a request's input tokens: one token per four
/// characters (rounded up) of all text, thinking, tool inputs, tool
/// definitions (name, description and JSON schema) and system text, plus a
/// flat [`TOKENS_PER_IMAGE`] per image and base64 document.
///
/// Clients use `count_tokens` to budget context windows; a real tokenizer
/// differs by model, and an OpenAI-dialect upstream has no counting
/// endpoint, so an honest estimate is the best available answer.
pub fn count_tokens_estimate(request: &CountTokensRequest) -> u64 {
    let mut count = Count::default();
    match &request.system {
        Some(System::Text(text)) => count.text(text),
        Some(System::Blocks(blocks)) => {
            for SystemBlock::Text(block) in blocks {
                count.text(&block.text);
            }
        }
        None => {}
    }
    for message in &request.messages {
        match &message.content {
            MessageContent::Text(text) => count.text(text),
            MessageContent::Blocks(blocks) => blocks.iter().for_each(|b| count.block(b)),
        }
    }
    for tool in request.tools.iter().flatten() {
        match tool {
            ToolDefinition::Custom(tool) => {
                count.text(&tool.name);
                count.text(tool.description.as_deref().unwrap_or_default());
                count.text(&tool.input_schema.to_string());
            }
            ToolDefinition::Other(value) => count.text(&value.to_string()),
        }
    }
    count.tokens()
}

#[derive(Default)]
struct Count {
    chars: u64,
    images: u64,
}

impl Count {
    fn text(&mut self, text: &str) {
        self.chars += text.chars().count() as u64;
    }

    fn block(&mut self, block: &ContentBlock) {
        match block {
            ContentBlock::Text(block) => self.text(&block.text),
            ContentBlock::Thinking(block) => self.text(&block.thinking),
            ContentBlock::ToolUse(call) => {
                self.text(&call.name);
                self.text(&call.input.to_string());
            }
            ContentBlock::ToolResult(result) => match &result.content {
                Some(ToolResultContent::Text(text)) => self.text(text),
                Some(ToolResultContent::Blocks(blocks)) => {
                    blocks.iter().for_each(|b| self.block(b));
                }
                None => {}
            },
            ContentBlock::Document(document) => match &document.source {
                DocumentSource::Text { data, .. } => self.text(data),
                _ => self.images += 1,
            },
            ContentBlock::Image(_) => self.images += 1,
            // Redacted thinking is opaque; unknown blocks are counted as
            // their JSON text, an over- rather than an underestimate.
            ContentBlock::RedactedThinking(_) => {}
            ContentBlock::Unknown(value) => self.text(&value.to_string()),
        }
    }

    fn tokens(&self) -> u64 {
        self.chars.div_ceil(CHARS_PER_TOKEN) + self.images * TOKENS_PER_IMAGE
    }
}
