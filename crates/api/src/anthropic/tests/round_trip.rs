//! OpenAI request → Anthropic → OpenAI keeps the conversation.

use super::{golden, parse};
use crate::anthropic::{request_from_openai, request_to_openai};
use crate::openai::chat::ChatRequest;

/// For the subset both dialects express (alternating turns, function tools,
/// images, signed thinking, the tool-choice modes, and the sampling
/// parameters), the round trip is the identity. The fixture is written the
/// way the inverse produces it: tool arguments as compact JSON, `stop` as
/// a list, streams asking for usage.
#[test]
fn openai_request_survives_the_round_trip() {
    let original: ChatRequest = parse(golden!("round_trip.openai.json"));
    let anthropic = request_from_openai(&original, 1024).unwrap();
    assert!(anthropic.dropped.is_empty());
    let back = request_to_openai(&anthropic.request).unwrap();
    assert!(back.dropped.is_empty());
    assert_eq!(back.request, original);
}
