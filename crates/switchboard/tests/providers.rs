//! `switchboard providers` lists the whole catalog: native adapters and
//! every OpenAI-compatible row.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn providers_command_lists_at_least_100() {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("providers")
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(names.len() >= 100, "{} providers:\n{text}", names.len());
    for name in [
        "openai",
        "anthropic",
        "gemini",
        "cohere",
        "groq",
        "veniceai",
        "litellm_proxy",
    ] {
        assert!(names.contains(&name), "{name} missing:\n{text}");
    }
}
