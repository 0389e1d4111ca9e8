//! OpenAI's wire format: chat completions, legacy completions, embeddings, models and the
//! Responses API.
//!
//! Request types borrow from the request body and type only what the mock reads; everything
//! else is ignored, as a real provider ignores fields it does not know. Response types are
//! serde structs whose field order is OpenAI's.

mod azure;
pub(crate) mod chat;
mod chat_stream;
pub(crate) mod completions;
pub(crate) mod embeddings;
pub(crate) mod models;
pub(crate) mod responses;
mod responses_object;
mod responses_render;
pub(crate) mod tools;

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use http::request::Parts;

use crate::auth::Auth;
use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::faults::Knobs;
use crate::pipeline::{Answer, Endpoint, has_api_version};
pub(crate) use crate::pipeline::{RenderCtx, Rendered};
use chat::ChatRequest;
use completions::CompletionRequest;
use embeddings::EmbeddingRequest;

/// The OpenAI inference endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Chat,
    Completions,
    Embeddings,
}

/// An OpenAI endpoint; `deployment` is set on Azure OpenAI deployment paths.
pub(crate) struct OpenAi {
    pub(crate) kind: Kind,
    pub(crate) deployment: Option<String>,
}

/// A parsed OpenAI request; borrows from the body.
pub(crate) enum Parsed<'a> {
    Chat(ChatRequest<'a>),
    Completion(CompletionRequest<'a>),
    Embedding(EmbeddingRequest<'a>),
}

impl Endpoint for OpenAi {
    type Request<'a> = Parsed<'a>;

    fn dialect(&self) -> Dialect {
        Dialect::OpenAi
    }

    fn auth(&self) -> Auth {
        if self.deployment.is_some() {
            Auth::AzureApiKey
        } else {
            Auth::Bearer
        }
    }

    fn precheck(&self, parts: &Parts) -> Result<(), ApiError> {
        if self.deployment.is_some() && !has_api_version(parts.uri.query()) {
            return Err(ApiError::invalid_param(
                "api-version",
                "Missing required query parameter 'api-version'.",
            ));
        }
        Ok(())
    }

    fn parse<'a>(&'a self, body: &'a [u8]) -> Result<Parsed<'a>, ApiError> {
        let deployment = self.deployment.as_deref();
        Ok(match self.kind {
            Kind::Chat => Parsed::Chat(ChatRequest::parse(body, deployment)?),
            Kind::Completions => Parsed::Completion(CompletionRequest::parse(body, deployment)?),
            Kind::Embeddings => Parsed::Embedding(EmbeddingRequest::parse(body, deployment)?),
        })
    }
}

impl Answer for Parsed<'_> {
    fn directive(&self) -> Knobs {
        match self {
            Self::Chat(r) => r.directive(),
            Self::Completion(r) => r.directive(),
            Self::Embedding(r) => r.directive(),
        }
    }

    fn render(&self, ctx: &RenderCtx) -> serde_json::Result<Rendered> {
        match self {
            Self::Chat(r) => r.render(ctx),
            Self::Completion(r) => r.render(ctx),
            Self::Embedding(r) => r.render(ctx),
        }
    }
}

/// Parses a request body, telling "not JSON" apart from "JSON of the wrong shape".
pub(crate) fn parse_body<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|err| {
        if err.is_data() {
            ApiError::invalid(format!("Invalid request body: {err}"))
        } else {
            ApiError::unparsable(&err)
        }
    })
}

/// The model to echo: the body's `model`, or on Azure deployment paths (where the body
/// usually has none) the deployment name.
pub(crate) fn resolve_model<'a>(
    model: Option<Cow<'a, str>>,
    deployment: Option<&'a str>,
) -> Result<Cow<'a, str>, ApiError> {
    model
        .or(deployment.map(Cow::Borrowed))
        .ok_or_else(|| ApiError::missing("model"))
}

/// `stream_options` of chat and legacy completions.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StreamOptions {
    #[serde(default)]
    pub(crate) include_usage: Option<bool>,
}

/// Keeps at most `max_tokens` pieces and returns the finish reason: `"length"` when pieces
/// were dropped, else `"stop"`.
pub(crate) fn truncate_to_max<T>(pieces: &mut Vec<T>, max_tokens: Option<u64>) -> &'static str {
    match max_tokens {
        Some(max) if (pieces.len() as u64) > max => {
            pieces.truncate(usize::try_from(max).unwrap_or(usize::MAX));
            "length"
        }
        _ => "stop",
    }
}

/// Chat message content: a string, or an array of parts (text parts carry `text`).
#[derive(Debug)]
pub(crate) enum Content<'a> {
    Text(Cow<'a, str>),
    Parts(Vec<Part<'a>>),
}

/// One content part. Only `text` matters to the mock; images and audio are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct Part<'a> {
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
}

impl Content<'_> {
    /// The text pieces of this content, in order.
    pub(crate) fn texts(&self) -> impl Iterator<Item = &str> {
        let (single, parts): (Option<&str>, &[Part<'_>]) = match self {
            Content::Text(text) => (Some(text), &[]),
            Content::Parts(parts) => (None, parts),
        };
        single
            .into_iter()
            .chain(parts.iter().filter_map(|p| p.text.as_deref()))
    }

    /// All text, joined by spaces; borrowed when there is a single piece.
    pub(crate) fn joined(&self) -> Cow<'_, str> {
        match self {
            Content::Text(text) => Cow::Borrowed(text),
            Content::Parts(_) => {
                let mut texts = self.texts();
                let first = texts.next().unwrap_or_default();
                match texts.next() {
                    None => Cow::Borrowed(first),
                    Some(second) => {
                        let mut all = format!("{first} {second}");
                        for text in texts {
                            all.push(' ');
                            all.push_str(text);
                        }
                        Cow::Owned(all)
                    }
                }
            }
        }
    }

    pub(crate) fn char_count(&self) -> usize {
        self.texts().map(|t| t.chars().count()).sum()
    }
}

// Hand-written so a string borrows from the body and arrays need no intermediate `Value`.
impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ContentVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for ContentVisitor<'a> {
            type Value = Content<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of content parts")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(v)))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut parts = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(part) = seq.next_element::<Part<'a>>()? {
                    parts.push(part);
                }
                Ok(Content::Parts(parts))
            }
        }

        deserializer.deserialize_any(ContentVisitor(PhantomData))
    }
}

/// Chat usage, with the detail objects OpenAI always sends.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ChatUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
    prompt_tokens_details: PromptTokensDetails,
    completion_tokens_details: CompletionTokensDetails,
}

#[derive(Debug, Clone, Default, Serialize)]
struct PromptTokensDetails {
    cached_tokens: u64,
    audio_tokens: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
struct CompletionTokensDetails {
    reasoning_tokens: u64,
    audio_tokens: u64,
    accepted_prediction_tokens: u64,
    rejected_prediction_tokens: u64,
}

impl ChatUsage {
    pub(crate) fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Self {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
            prompt_tokens_details: PromptTokensDetails::default(),
            completion_tokens_details: CompletionTokensDetails::default(),
        }
    }
}

/// Usage of legacy completions and (without `completion_tokens`) embeddings.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Usage {
    pub(crate) prompt_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) completion_tokens: Option<u64>,
    pub(crate) total_tokens: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Msg<'a> {
        #[serde(borrow)]
        content: Option<Content<'a>>,
    }

    #[test]
    fn content_accepts_strings_parts_and_null() {
        let m: Msg<'_> = serde_json::from_str(r#"{"content":"hi"}"#).unwrap();
        assert!(matches!(
            m.content,
            Some(Content::Text(Cow::Borrowed("hi")))
        ));
        let m: Msg<'_> = serde_json::from_str(
            r#"{"content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"b"}]}"#,
        )
        .unwrap();
        let content = m.content.unwrap();
        assert_eq!(content.joined(), "a b");
        assert_eq!(content.char_count(), 2);
        let m: Msg<'_> = serde_json::from_str(r#"{"content":null}"#).unwrap();
        assert!(m.content.is_none());
        assert!(serde_json::from_str::<Msg<'_>>(r#"{"content":3}"#).is_err());
    }
}
