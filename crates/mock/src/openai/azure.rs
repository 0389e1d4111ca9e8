//! Azure OpenAI's additions to chat responses on deployment paths: `prompt_filter_results`
//! and per-choice `content_filter_results` (all categories "safe"), and a first stream event
//! with no choices that carries the prompt filter results.

use serde::Serialize;

use crate::sse::SseFrames;

#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Severity {
    filtered: bool,
    severity: &'static str,
}

const SAFE: Severity = Severity {
    filtered: false,
    severity: "safe",
};

/// The completion's filter verdict, per choice.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct ContentFilterResults {
    hate: Severity,
    self_harm: Severity,
    sexual: Severity,
    violence: Severity,
}

pub(crate) const CONTENT_SAFE: ContentFilterResults = ContentFilterResults {
    hate: SAFE,
    self_harm: SAFE,
    sexual: SAFE,
    violence: SAFE,
};

#[derive(Debug, Clone, Copy, Serialize)]
struct Detection {
    filtered: bool,
    detected: bool,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct PromptFilters {
    hate: Severity,
    jailbreak: Detection,
    self_harm: Severity,
    sexual: Severity,
    violence: Severity,
}

/// The prompt's filter verdict.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct PromptFilterResult {
    prompt_index: u32,
    content_filter_results: PromptFilters,
}

pub(crate) const PROMPT_SAFE: [PromptFilterResult; 1] = [PromptFilterResult {
    prompt_index: 0,
    content_filter_results: PromptFilters {
        hate: SAFE,
        jailbreak: Detection {
            filtered: false,
            detected: false,
        },
        self_harm: SAFE,
        sexual: SAFE,
        violence: SAFE,
    },
}];

/// Azure's first stream event: empty `choices`, empty ids, and the prompt filter results.
pub(crate) fn push_prompt_filter_event(frames: &mut SseFrames) -> serde_json::Result<()> {
    #[derive(Serialize)]
    struct FilterEvent {
        choices: [(); 0],
        created: u64,
        id: &'static str,
        model: &'static str,
        object: &'static str,
        prompt_filter_results: [PromptFilterResult; 1],
    }
    frames.push_json(&FilterEvent {
        choices: [],
        created: 0,
        id: "",
        model: "",
        object: "",
        prompt_filter_results: PROMPT_SAFE,
    })
}
