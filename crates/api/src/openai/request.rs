//! Reading and minimally rewriting an OpenAI request body without rebuilding it.
//!
//! The passthrough path (DESIGN.md §2) forwards the client's bytes with only
//! `model` replaced. [`inspect_request`] reads the few fields the gateway acts
//! on in one pass, borrowing from the body, and remembers where they sit;
//! [`rewrite_request`] then splices new values into those byte ranges, so the
//! rest of the body (unknown fields included) reaches the upstream untouched.

use std::ops::Range;

use bytes::Bytes;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::Operation;
use crate::error::{ApiError, ErrorKind};

/// What the gateway needs to know about an OpenAI request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectedRequest {
    /// The model the client asked for.
    pub model: String,
    pub stream: bool,
    /// The client asked for the usage chunk (`stream_options.include_usage`).
    pub client_wants_usage: bool,
    /// The end-user id (`user`), which names a customer for budgets.
    pub user: Option<String>,
    /// The output limit the client set (`max_tokens` or
    /// `max_completion_tokens`; `max_output_tokens` for the Responses API),
    /// for budget reservations.
    pub max_tokens: Option<u64>,
    model_span: Range<usize>,
    /// The operation takes `stream_options.include_usage` (see
    /// [`Operation::usage_on_request`]); [`Edit::IncludeUsage`] is a no-op
    /// otherwise.
    usage_option: bool,
    stream_options: Option<StreamOptions>,
    /// Offset just after the body's opening `{`.
    fields_start: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct StreamOptions {
    span: Range<usize>,
    /// The object with `include_usage` forced on, ready to splice.
    with_usage: String,
}

/// The fields of the body the gateway reads; serde skips all others without
/// allocating. Values are borrowed as raw JSON to learn where they sit.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow, default)]
    model: Option<&'a RawValue>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(borrow, default, deserialize_with = "raw_including_null")]
    stream_options: Option<&'a RawValue>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
    #[serde(default)]
    max_output_tokens: Option<u64>,
    #[serde(borrow, default, deserialize_with = "raw_including_null")]
    messages: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw_including_null")]
    prompt: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw_including_null")]
    input: Option<&'a RawValue>,
}

/// `Option<&RawValue>` turns `null` into `None`; this keeps `null` as a raw
/// value so that "present but null" and "absent" stay distinguishable.
fn raw_including_null<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidRequest, message)
}

/// Reads the routing-relevant fields of an OpenAI request body.
pub fn inspect_request(operation: Operation, body: &[u8]) -> Result<InspectedRequest, ApiError> {
    let fields_start = match body.iter().position(|b| !b.is_ascii_whitespace()) {
        Some(i) if body[i] == b'{' => i + 1,
        Some(_) => return Err(invalid("The request body must be a JSON object.")),
        None => {
            return Err(invalid(
                "The request body is empty; send a JSON object with at least `model`.",
            ));
        }
    };
    let probe: Probe = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("The request body is not valid JSON: {e}")))?;

    let raw_model = probe
        .model
        .ok_or_else(|| invalid("you must provide a model parameter").with_param("model"))?;
    let model: String = serde_json::from_str(raw_model.get())
        .map_err(|_| invalid("`model` must be a string").with_param("model"))?;
    if model.is_empty() {
        return Err(invalid("`model` must not be empty").with_param("model"));
    }

    let input_field = operation.input_field();
    let input = match operation {
        Operation::ChatCompletions => probe.messages,
        Operation::Completions => probe.prompt,
        Operation::Embeddings | Operation::Responses => probe.input,
    };
    match input.map(|raw| raw.get()) {
        None | Some("null") => {
            return Err(
                invalid(format!("Missing required parameter: '{input_field}'."))
                    .with_param(input_field),
            );
        }
        Some(raw) if operation == Operation::ChatCompletions && !raw.starts_with('[') => {
            return Err(
                invalid("`messages` must be an array of message objects").with_param("messages")
            );
        }
        Some(raw)
            if operation == Operation::Responses
                && !(raw.starts_with('[') || raw.starts_with('"')) =>
        {
            return Err(
                invalid("`input` must be a string or an array of input items").with_param("input"),
            );
        }
        Some(_) => {}
    }

    let stream = probe.stream.unwrap_or(false);
    if stream && !operation.can_stream() {
        return Err(invalid("this endpoint does not support `stream`").with_param("stream"));
    }

    let (stream_options, client_wants_usage) = match probe.stream_options {
        None => (None, false),
        Some(raw) => {
            let mut object = match raw.get() {
                "null" => serde_json::Map::new(),
                text => serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
                    .map_err(|_| {
                        invalid("`stream_options` must be an object").with_param("stream_options")
                    })?,
            };
            let wants = object
                .get("include_usage")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            object.insert("include_usage".into(), serde_json::Value::Bool(true));
            let with_usage = serde_json::Value::Object(object).to_string();
            let span = span_of(body, raw);
            (Some(StreamOptions { span, with_usage }), wants)
        }
    };

    Ok(InspectedRequest {
        model,
        stream,
        client_wants_usage,
        user: probe.user,
        max_tokens: match operation {
            Operation::Responses => probe.max_output_tokens,
            _ => probe.max_completion_tokens.or(probe.max_tokens),
        },
        model_span: span_of(body, raw_model),
        usage_option: operation.usage_on_request(),
        stream_options,
        fields_start,
    })
}

/// Where a raw value borrowed from `body` sits in it.
fn span_of(body: &[u8], raw: &RawValue) -> Range<usize> {
    // `raw` borrows from `body` (deserialized with `from_slice`), so the
    // pointer difference is its offset.
    let start = raw.get().as_ptr() as usize - body.as_ptr() as usize;
    start..start + raw.get().len()
}

/// A change to make to the request on its way upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit<'a> {
    /// Replace the model with the deployment's upstream model name.
    Model(&'a str),
    /// Ask the upstream for the usage chunk even though the client did not,
    /// so the gateway always learns the token counts of a stream.
    IncludeUsage,
}

/// Applies `edits` to `body`, returning the new body as a list of segments:
/// untouched stretches are zero-copy slices of the original.
pub fn rewrite_request(body: &Bytes, request: &InspectedRequest, edits: &[Edit<'_>]) -> Vec<Bytes> {
    // (range to replace, replacement); an empty range is an insertion.
    let mut splices: Vec<(Range<usize>, Bytes)> = Vec::with_capacity(2);
    for edit in edits {
        match *edit {
            Edit::Model(model) => {
                if model != request.model {
                    let quoted = serde_json::Value::from(model).to_string();
                    splices.push((request.model_span.clone(), Bytes::from(quoted)));
                }
            }
            Edit::IncludeUsage => {
                if request.client_wants_usage || !request.usage_option {
                    continue;
                }
                match &request.stream_options {
                    Some(options) => splices.push((
                        options.span.clone(),
                        Bytes::from(options.with_usage.clone()),
                    )),
                    None => {
                        let at = request.fields_start;
                        let text: &'static [u8] = b"\"stream_options\":{\"include_usage\":true},";
                        splices.push((at..at, Bytes::from_static(text)));
                    }
                }
            }
        }
    }
    splices.sort_by_key(|(range, _)| range.start);

    let mut segments = Vec::with_capacity(splices.len() * 2 + 1);
    let mut cursor = 0;
    for (range, replacement) in splices {
        if range.start > cursor {
            segments.push(body.slice(cursor..range.start));
        }
        segments.push(replacement);
        cursor = range.end;
    }
    if cursor < body.len() {
        segments.push(body.slice(cursor..));
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(segments: Vec<Bytes>) -> String {
        String::from_utf8(segments.concat()).unwrap()
    }

    fn inspect(body: &str) -> Result<InspectedRequest, ApiError> {
        inspect_request(Operation::ChatCompletions, body.as_bytes())
    }

    #[test]
    fn reads_routing_fields() {
        let r = inspect(r#"{"model":"gpt-4o","messages":[],"stream":true,"user":"u1"}"#).unwrap();
        assert_eq!(r.model, "gpt-4o");
        assert!(r.stream);
        assert!(!r.client_wants_usage);
        assert_eq!(r.user.as_deref(), Some("u1"));
    }

    #[test]
    fn model_rewrite_keeps_everything_else_byte_for_byte() {
        let text = r#"{ "messages": [{"role":"user","content":"hi \"model\""}], "model" : "fast", "x_new_param": {"a": [1, 2.50]} }"#;
        let body = Bytes::from(text);
        let r = inspect(text).unwrap();
        let out = joined(rewrite_request(&body, &r, &[Edit::Model("gpt-4o-mini")]));
        assert_eq!(out, text.replace(r#""fast""#, r#""gpt-4o-mini""#));
    }

    #[test]
    fn same_model_means_no_copy() {
        let body = Bytes::from(r#"{"model":"m","messages":[]}"#);
        let r = inspect_request(Operation::ChatCompletions, &body).unwrap();
        let segments = rewrite_request(&body, &r, &[Edit::Model("m")]);
        assert_eq!(segments.len(), 1);
        assert_eq!(segments[0].as_ptr(), body.as_ptr());
    }

    #[test]
    fn include_usage_inserted_when_absent() {
        let text = r#"{"model":"a","messages":[],"stream":true}"#;
        let r = inspect(text).unwrap();
        let out = joined(rewrite_request(
            &Bytes::from(text),
            &r,
            &[Edit::Model("b"), Edit::IncludeUsage],
        ));
        assert_eq!(
            out,
            r#"{"stream_options":{"include_usage":true},"model":"b","messages":[],"stream":true}"#
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["stream_options"]["include_usage"], true);
    }

    #[test]
    fn include_usage_merged_into_existing_options() {
        let text = r#"{"model":"a","messages":[],"stream":true,"stream_options":{"include_usage":false,"other":1}}"#;
        let r = inspect(text).unwrap();
        assert!(!r.client_wants_usage);
        let out = joined(rewrite_request(
            &Bytes::from(text),
            &r,
            &[Edit::IncludeUsage],
        ));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert_eq!(v["stream_options"]["other"], 1);

        let text = r#"{"model":"a","messages":[],"stream":true,"stream_options":null}"#;
        let r = inspect(text).unwrap();
        let out = joined(rewrite_request(
            &Bytes::from(text),
            &r,
            &[Edit::IncludeUsage],
        ));
        assert!(out.ends_with(r#""stream_options":{"include_usage":true}}"#));
    }

    #[test]
    fn client_usage_request_left_alone() {
        let text =
            r#"{"model":"a","messages":[],"stream":true,"stream_options":{"include_usage":true}}"#;
        let r = inspect(text).unwrap();
        assert!(r.client_wants_usage);
        let out = joined(rewrite_request(
            &Bytes::from(text),
            &r,
            &[Edit::IncludeUsage],
        ));
        assert_eq!(out, text);
    }

    #[test]
    fn bad_input_is_a_clear_400() {
        let cases = [
            ("", "empty"),
            ("[1,2]", "JSON object"),
            ("{\"model\":", "not valid JSON"),
            (r#"{"messages":[]}"#, "model parameter"),
            (r#"{"model":3,"messages":[]}"#, "must be a string"),
            (r#"{"model":""}"#, "must not be empty"),
            (r#"{"model":"m"}"#, "'messages'"),
            (r#"{"model":"m","messages":"hi"}"#, "array"),
            (
                r#"{"model":"m","messages":[],"stream":"yes"}"#,
                "not valid JSON",
            ),
            (r#"{"model":"m","model":"n","messages":[]}"#, "duplicate"),
        ];
        for (body, needle) in cases {
            let error = inspect(body).unwrap_err();
            assert_eq!(error.status, 400, "{body}");
            assert!(error.message.contains(needle), "{body}: {}", error.message);
        }
    }

    #[test]
    fn responses_need_input_and_never_get_include_usage() {
        let error = inspect_request(Operation::Responses, br#"{"model":"m"}"#).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("input"));
        let text = r#"{"model":"fast","input":"hi","stream":true,"max_output_tokens":64,"max_tokens":9,"user":"u"}"#;
        let r = inspect_request(Operation::Responses, text.as_bytes()).unwrap();
        assert!(r.stream);
        assert_eq!(r.max_tokens, Some(64));
        assert_eq!(r.user.as_deref(), Some("u"));
        let out = joined(rewrite_request(
            &Bytes::from(text),
            &r,
            &[Edit::Model("gpt-4.1"), Edit::IncludeUsage],
        ));
        assert_eq!(out, text.replace(r#""fast""#, r#""gpt-4.1""#));
    }

    #[test]
    fn embeddings_need_input_and_cannot_stream() {
        let error = inspect_request(Operation::Embeddings, br#"{"model":"e"}"#).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("input"));
        let error = inspect_request(
            Operation::Embeddings,
            br#"{"model":"e","input":"x","stream":true}"#,
        )
        .unwrap_err();
        assert_eq!(error.param.as_deref(), Some("stream"));
    }
}
