//! `POST /v1/completions`, the legacy text completion API, non-stream and stream.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    RenderCtx, Rendered, StreamOptions, Usage, parse_body, resolve_model, truncate_to_max,
};
use crate::error::ApiError;
use crate::faults::Knobs;
use crate::sse::SseFrames;
use crate::text::{estimate_tokens, pad_to_chars, prefix_chars, split_even};

const ECHO_CHARS: usize = 100;
const MAX_CHOICES: u32 = 128;

#[derive(Deserialize)]
struct RawRequest<'a> {
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    prompt: Option<Value>,
    stream: Option<bool>,
    stream_options: Option<StreamOptions>,
    n: Option<u32>,
    max_tokens: Option<u64>,
}

/// One prompt: text, or pre-tokenized ids (which the mock cannot read back as text).
struct Prompt {
    text: String,
    tokens: u64,
}

pub(crate) struct CompletionRequest<'a> {
    model: Cow<'a, str>,
    prompts: Vec<Prompt>,
    pub(crate) stream: bool,
    include_usage: bool,
    n: u32,
    max_tokens: Option<u64>,
}

impl<'a> CompletionRequest<'a> {
    pub(crate) fn parse(body: &'a [u8], deployment: Option<&'a str>) -> Result<Self, ApiError> {
        let raw: RawRequest<'a> = parse_body(body)?;
        let model = resolve_model(raw.model, deployment)?;
        let n = raw.n.unwrap_or(1);
        if !(1..=MAX_CHOICES).contains(&n) {
            return Err(ApiError::invalid_param(
                "n",
                format!("Invalid 'n': must be between 1 and {MAX_CHOICES}."),
            ));
        }
        Ok(Self {
            model,
            prompts: prompts(raw.prompt)?,
            stream: raw.stream.unwrap_or(false),
            include_usage: raw
                .stream_options
                .and_then(|o| o.include_usage)
                .unwrap_or(false),
            n,
            max_tokens: raw.max_tokens,
        })
    }

    /// The `[mock:...]` directive of the last text prompt.
    pub(crate) fn directive(&self) -> Knobs {
        self.prompts
            .last()
            .map_or_else(Knobs::default, |p| Knobs::from_directive(&p.text))
    }

    pub(crate) fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        let id = format!("cmpl-{:016x}", ctx.hash);
        let replies: Vec<String> = self
            .prompts
            .iter()
            .map(|p| {
                let mut text = format!("Mock reply: {}", prefix_chars(&p.text, ECHO_CHARS));
                pad_to_chars(&mut text, ctx.chunks);
                text
            })
            .collect();
        // One choice per prompt and `n`, indexed prompt-major like OpenAI.
        let mut choices = Vec::with_capacity(replies.len() * self.n as usize);
        for reply in &replies {
            let mut pieces = split_even(reply, ctx.chunks);
            let finish = truncate_to_max(&mut pieces, self.max_tokens);
            for _ in 0..self.n {
                choices.push((pieces.clone(), finish));
            }
        }
        let prompt_tokens = self.prompts.iter().map(|p| p.tokens).sum();
        let completion_tokens = choices.iter().map(|(p, _)| p.len() as u64).sum();
        let usage = Usage {
            prompt_tokens,
            completion_tokens: Some(completion_tokens),
            total_tokens: prompt_tokens + completion_tokens,
        };
        let env = Envelope {
            id: &id,
            created: ctx.created,
            model: &self.model,
        };
        if self.stream {
            return self
                .render_stream(&env, &choices, &usage)
                .map(Rendered::Stream);
        }
        let texts: Vec<String> = choices.iter().map(|(pieces, _)| pieces.concat()).collect();
        let body = TextCompletion {
            id: env.id,
            object: "text_completion",
            created: env.created,
            model: env.model,
            choices: (0..)
                .zip(&choices)
                .zip(&texts)
                .map(|((index, (_, finish)), text)| TextChoice::new(text, index, Some(finish)))
                .collect(),
            usage: &usage,
        };
        serde_json::to_vec(&body).map(Rendered::Json)
    }

    /// Content events for every choice step by step, then a finish event per choice (empty
    /// text), the usage event if asked for, and `[DONE]`.
    fn render_stream(
        &self,
        env: &Envelope<'_>,
        choices: &[(Vec<&str>, &'static str)],
        usage: &Usage,
    ) -> serde_json::Result<SseFrames> {
        let steps = choices.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
        let mut frames = SseFrames::with_capacity((steps + 2) * choices.len() + 2);
        let push = |frames: &mut SseFrames,
                    choice: Option<TextChoice<'_>>,
                    usage: Option<&Usage>|
         -> serde_json::Result<()> {
            frames.push_json(&TextChunk {
                id: env.id,
                object: "text_completion",
                created: env.created,
                choices: choice.as_slice(),
                model: env.model,
                usage: self.include_usage.then_some(usage),
            })
        };
        frames.begin_content();
        for step in 0..steps {
            for (index, (pieces, _)) in (0..).zip(choices) {
                if let Some(text) = pieces.get(step) {
                    push(&mut frames, Some(TextChoice::new(text, index, None)), None)?;
                }
            }
        }
        frames.end_content();
        for (index, (_, finish)) in (0..).zip(choices) {
            let last = TextChoice::new("", index, Some(finish));
            push(&mut frames, Some(last), None)?;
        }
        if self.include_usage {
            push(&mut frames, None, Some(usage))?;
        }
        frames.push_done();
        Ok(frames)
    }
}

/// Reads `prompt`: a string, strings, token ids, or lists of token ids. Missing means one
/// empty prompt (OpenAI defaults it to `<|endoftext|>`).
fn prompts(prompt: Option<Value>) -> Result<Vec<Prompt>, ApiError> {
    let invalid = || {
        ApiError::invalid_param(
            "prompt",
            "'$.prompt' is invalid: expected a string, an array of strings, an array of \
             token ids, or an array of arrays of token ids.",
        )
    };
    let text = |text: String| Prompt {
        tokens: estimate_tokens(text.chars().count()),
        text,
    };
    let tokens = |ids: &[Value]| -> Option<Prompt> {
        ids.iter().all(Value::is_u64).then(|| Prompt {
            text: String::new(),
            tokens: ids.len() as u64,
        })
    };
    match prompt {
        None | Some(Value::Null) => Ok(vec![text(String::new())]),
        Some(Value::String(s)) => Ok(vec![text(s)]),
        Some(Value::Array(items)) if items.is_empty() => Err(invalid()),
        Some(Value::Array(items)) if items.iter().all(Value::is_u64) => {
            tokens(&items).map(|p| vec![p]).ok_or_else(invalid)
        }
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Some(text(s)),
                Value::Array(ids) => tokens(&ids),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(invalid),
        Some(_) => Err(invalid()),
    }
}

struct Envelope<'a> {
    id: &'a str,
    created: u64,
    model: &'a str,
}

// Field order below is OpenAI's (note `model` after `choices` in stream events).

#[derive(Serialize)]
struct TextCompletion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: Vec<TextChoice<'a>>,
    usage: &'a Usage,
}

#[derive(Serialize)]
struct TextChunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    choices: &'a [TextChoice<'a>],
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Option<&'a Usage>>,
}

#[derive(Serialize)]
struct TextChoice<'a> {
    text: &'a str,
    index: u32,
    logprobs: (),
    finish_reason: Option<&'a str>,
}

impl<'a> TextChoice<'a> {
    fn new(text: &'a str, index: u32, finish_reason: Option<&'a str>) -> Self {
        Self {
            text,
            index,
            logprobs: (),
            finish_reason,
        }
    }
}
