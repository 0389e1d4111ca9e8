//! Log output on stdout: human text or JSON lines, level from `RUST_LOG`,
//! else LiteLLM's `LITELLM_LOG`, else `info`.

use tracing_subscriber::EnvFilter;

pub fn init(json: bool) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .or_else(|| std::env::var("LITELLM_LOG").ok().map(|l| l.to_lowercase()))
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout);
    let result = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
    // A subscriber already set (tests) is fine.
    let _ = result;
}
