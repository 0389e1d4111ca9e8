//! The deterministic answer behind every dialect: the reply text, tool calls with arguments
//! built from the tools' schemas, an optional thinking text, and how they split into pieces.
//!
//! OpenAI's chat path uses the building blocks ([`echo`], [`calls`]) directly, so it pays for
//! nothing it does not use; the other dialects describe their request as a [`Conversation`]
//! and render the [`Pieces`] it gives.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::text::{
    base64_encode, estimate_tokens, pad_to_chars, prefix_chars, split_even, splitmix64,
};

/// How much of the user's message the reply echoes.
const ECHO_CHARS: usize = 100;

/// `prefix` followed by the start of `source`: the unpadded reply text.
pub(crate) fn echo(prefix: &str, source: Option<&str>) -> String {
    let mut text = String::from(prefix);
    if let Some(source) = source {
        text.push_str(prefix_chars(source, ECHO_CHARS));
    }
    text
}

/// A thinking block's signature: opaque base64, deterministic from the conversation.
pub(crate) fn signature(hash: u64) -> String {
    let mut state = hash;
    let bytes: Vec<u8> = (0..6)
        .flat_map(|_| splitmix64(&mut state).to_le_bytes())
        .collect();
    base64_encode(&bytes)
}

/// A function tool offered by the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Function<'r> {
    pub(crate) name: &'r str,
    /// JSON schema of the arguments (any case of `type`: Gemini writes `"STRING"`).
    pub(crate) parameters: Option<&'r Value>,
}

/// A call the mock makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToolCall<'r> {
    pub(crate) id: String,
    pub(crate) name: &'r str,
    /// The arguments as a JSON object string (OpenAI, Cohere, streamed fragments).
    pub(crate) arguments: String,
    /// The same arguments as a value (Anthropic `input`, Gemini `args`, Bedrock `input`).
    pub(crate) input: Value,
}

/// The calls to make: the `named` function, else the first one, or the first two when
/// `parallel`. `id` makes a call id from the function name and a per-call random number.
pub(crate) fn calls<'r>(
    functions: &[Function<'r>],
    named: Option<&'r str>,
    parallel: bool,
    hash: u64,
    id: impl Fn(&str, u64) -> String,
) -> Vec<ToolCall<'r>> {
    let call = |index: u64, name: &'r str, parameters: Option<&Value>| {
        let mut seed = hash ^ index;
        let input = sample_arguments(parameters);
        ToolCall {
            id: id(name, splitmix64(&mut seed)),
            name,
            arguments: input.to_string(),
            input,
        }
    };
    if let Some(name) = named {
        let parameters = functions
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.parameters);
        return vec![call(0, name, parameters)];
    }
    let count = if parallel { 2 } else { 1 };
    functions
        .iter()
        .take(count)
        .zip(0..)
        .map(|(f, i)| call(i, f.name, f.parameters))
        .collect()
}

/// Arguments built from a JSON schema: each property gets a fixed value of its type.
fn sample_arguments(parameters: Option<&Value>) -> Value {
    let mut args = Map::new();
    if let Some(Value::Object(properties)) = parameters.and_then(|p| p.get("properties")) {
        for (name, schema) in properties {
            args.insert(name.clone(), sample_value(schema));
        }
    }
    Value::Object(args)
}

fn sample_value(schema: &Value) -> Value {
    // An enum's first member is the only value certain to validate.
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        // `["string", "null"]`: use the first non-null type.
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| !k.eq_ignore_ascii_case("null"))
            .unwrap_or("null"),
        _ => "null",
    };
    let is = |name: &str| kind.eq_ignore_ascii_case(name);
    if is("string") {
        Value::from("mock")
    } else if is("integer") || is("number") {
        Value::from(1)
    } else if is("boolean") {
        Value::Bool(true)
    } else if is("array") {
        Value::Array(Vec::new())
    } else if is("object") {
        Value::Object(Map::new())
    } else {
        Value::Null
    }
}

/// What the request lets the model do with its tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ToolChoice<'r> {
    Auto,
    /// Must call some tool (Anthropic `any`, Gemini `ANY`, Cohere `REQUIRED`): the mock calls
    /// the first, as it does for `Auto`.
    Any,
    None,
    Named(&'r str),
}

/// A request in provider-neutral terms: just what the answer depends on.
#[derive(Debug)]
pub(crate) struct Conversation<'r> {
    /// Text of the last user turn (also where a `[mock:...]` directive is read).
    pub(crate) last_user: Option<Cow<'r, str>>,
    /// The text of the tool results the conversation ends with, if it does.
    pub(crate) tool_result: Option<Cow<'r, str>>,
    pub(crate) functions: Vec<Function<'r>>,
    pub(crate) choice: ToolChoice<'r>,
    /// False when the request forbids parallel tool calls.
    pub(crate) parallel_allowed: bool,
    /// Characters of every prompt text (system, messages, tool results).
    pub(crate) prompt_chars: usize,
    pub(crate) max_tokens: Option<u64>,
    /// The request asked for the model's thinking.
    pub(crate) thinking: bool,
}

impl Default for Conversation<'_> {
    fn default() -> Self {
        Self {
            last_user: None,
            tool_result: None,
            functions: Vec::new(),
            choice: ToolChoice::Auto,
            parallel_allowed: true,
            prompt_chars: 0,
            max_tokens: None,
            thinking: false,
        }
    }
}

/// The answer, owning its text.
#[derive(Debug)]
pub(crate) struct Reply<'r> {
    pub(crate) thinking: Option<String>,
    pub(crate) body: ReplyBody<'r>,
    max_tokens: Option<u64>,
}

#[derive(Debug)]
pub(crate) enum ReplyBody<'r> {
    /// Already padded to at least `chunks` characters.
    Text(String),
    Tools(Vec<ToolCall<'r>>),
}

/// Why the answer ended, in neutral terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    EndTurn,
    MaxTokens,
    ToolUse,
}

impl Stop {
    /// This stop's name in a dialect that names them `[end turn, max tokens, tool use]`.
    pub(crate) fn pick(self, names: [&'static str; 3]) -> &'static str {
        match self {
            Self::EndTurn => names[0],
            Self::MaxTokens => names[1],
            Self::ToolUse => names[2],
        }
    }
}

/// Anthropic's stop reasons, which Bedrock shares.
pub(crate) const SNAKE_STOPS: [&str; 3] = ["end_turn", "max_tokens", "tool_use"];

/// The answer split into the pieces that become stream events (and count as tokens).
#[derive(Debug)]
pub(crate) struct Pieces<'a> {
    pub(crate) thinking: Vec<&'a str>,
    /// The whole thinking text (for non-stream bodies).
    pub(crate) thinking_text: Option<&'a str>,
    pub(crate) body: PiecesBody<'a>,
    pub(crate) stop: Stop,
}

#[derive(Debug)]
pub(crate) enum PiecesBody<'a> {
    /// The kept pieces and their concatenation.
    Text { pieces: Vec<&'a str>, text: &'a str },
    /// Each call with its argument fragments.
    Tools(Vec<(&'a ToolCall<'a>, Vec<&'a str>)>),
}

impl Conversation<'_> {
    pub(crate) fn prompt_tokens(&self) -> u64 {
        estimate_tokens(self.prompt_chars)
    }

    /// Tool calls when tools are offered, not refused, and the user spoke last; otherwise text
    /// echoing the last user turn (or acknowledging the tool results).
    pub(crate) fn reply(
        &self,
        hash: u64,
        chunks: usize,
        parallel: bool,
        id: impl Fn(&str, u64) -> String,
    ) -> Reply<'_> {
        let thinking = self.thinking.then(|| {
            let mut text = echo("Thinking about: ", self.last_user.as_deref());
            pad_to_chars(&mut text, chunks);
            text
        });
        let wants_tools = !self.functions.is_empty()
            && self.choice != ToolChoice::None
            && self.tool_result.is_none();
        let body = if wants_tools {
            let named = match self.choice {
                ToolChoice::Named(name) => Some(name),
                _ => None,
            };
            let parallel = parallel && self.parallel_allowed;
            ReplyBody::Tools(calls(&self.functions, named, parallel, hash, id))
        } else {
            let mut text = match &self.tool_result {
                Some(result) => echo("Tool result received: ", Some(result)),
                None => echo("Mock reply: ", self.last_user.as_deref()),
            };
            pad_to_chars(&mut text, chunks);
            ReplyBody::Text(text)
        };
        Reply {
            thinking,
            body,
            max_tokens: self.max_tokens,
        }
    }
}

impl<'r> Reply<'r> {
    /// Splits the answer into `chunks` pieces per text (keeping at most `max_tokens` reply
    /// pieces) and each call's arguments into `chunks` fragments.
    pub(crate) fn pieces(&'r self, chunks: usize) -> Pieces<'r> {
        let thinking = self
            .thinking
            .as_deref()
            .map_or_else(Vec::new, |t| split_even(t, chunks));
        let (body, stop) = match &self.body {
            ReplyBody::Text(text) => {
                let mut pieces = split_even(text, chunks);
                let stop = match self.max_tokens {
                    Some(max) if pieces.len() as u64 > max => {
                        pieces.truncate(usize::try_from(max).unwrap_or(usize::MAX));
                        Stop::MaxTokens
                    }
                    _ => Stop::EndTurn,
                };
                let len = pieces.iter().map(|p| p.len()).sum();
                let text = &text[..len];
                (PiecesBody::Text { pieces, text }, stop)
            }
            ReplyBody::Tools(calls) => {
                let calls = calls
                    .iter()
                    .map(|c| (c, split_even(&c.arguments, chunks)))
                    .collect();
                (PiecesBody::Tools(calls), Stop::ToolUse)
            }
        };
        Pieces {
            thinking,
            thinking_text: self.thinking.as_deref(),
            body,
            stop,
        }
    }
}

impl Pieces<'_> {
    /// Output tokens: one per piece (thinking, text, or argument fragment), so a stream's
    /// content events and its usage always agree.
    pub(crate) fn output_tokens(&self) -> u64 {
        let body = match &self.body {
            PiecesBody::Text { pieces, .. } => pieces.len(),
            PiecesBody::Tools(calls) => calls.iter().map(|(_, f)| f.len()).sum(),
        };
        (self.thinking.len() + body) as u64
    }

    pub(crate) fn thinking_tokens(&self) -> u64 {
        self.thinking.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_follow_the_schema_in_any_case() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "hourly": {"type": ["boolean", "null"]},
                "tags": {"type": "ARRAY"},
                "opts": {"type": "OBJECT"}
            }
        });
        let args = sample_arguments(Some(&schema));
        assert_eq!(
            args,
            serde_json::json!({"city": "mock", "days": 1, "unit": "celsius", "hourly": true, "tags": [], "opts": {}})
        );
        assert_eq!(sample_arguments(None).to_string(), "{}");
    }

    #[test]
    fn conversation_calls_tools_until_a_result_comes_back() {
        let schema = serde_json::json!({"properties": {"q": {"type": "STRING"}}});
        let mut conv = Conversation {
            last_user: Some("find it".into()),
            functions: vec![
                Function {
                    name: "search",
                    parameters: Some(&schema),
                },
                Function {
                    name: "other",
                    parameters: None,
                },
            ],
            max_tokens: Some(2),
            thinking: true,
            ..Conversation::default()
        };
        let id = |name: &str, n: u64| format!("{name}_{n:x}");
        let reply = conv.reply(1, 4, true, id);
        let pieces = reply.pieces(4);
        assert_eq!(pieces.stop, Stop::ToolUse);
        let PiecesBody::Tools(calls) = &pieces.body else {
            panic!("expected tool calls")
        };
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].0.arguments, r#"{"q":"mock"}"#);
        assert_eq!(pieces.thinking.len(), 4);

        conv.tool_result = Some("42".into());
        let reply = conv.reply(1, 4, false, id);
        let pieces = reply.pieces(4);
        assert_eq!(pieces.stop, Stop::MaxTokens);
        let PiecesBody::Text { pieces: kept, text } = &pieces.body else {
            panic!("expected text")
        };
        assert_eq!(kept.len(), 2);
        assert!("Tool result received: 42".starts_with(text));
        assert_eq!(pieces.output_tokens(), 4 + 2);
    }
}
