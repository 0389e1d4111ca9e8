//! Command-line interface: LiteLLM's flags for `serve`, plus `check` and
//! `providers`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "An LLM gateway: one OpenAI-, Anthropic- and Gemini-compatible endpoint in front of every model provider.",
    long_about = "An LLM gateway: one OpenAI-, Anthropic- and Gemini-compatible endpoint in front of every model provider.\n\nWith no --config, it starts with zero configuration: the built-in mock/* provider, and <provider>/* for every provider whose API key variable is set (OPENAI_API_KEY, GROQ_API_KEY, ...)."
)]
pub struct Cli {
    /// LiteLLM-style config.yaml (model_list, router_settings, litellm_settings, general_settings).
    #[arg(long, short = 'c', env = "SWITCHBOARD_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", env = "SWITCHBOARD_HOST")]
    pub host: String,

    /// Port to listen on (0 picks a free one).
    #[arg(long, short = 'p', default_value_t = 4000, env = "SWITCHBOARD_PORT")]
    pub port: u16,

    /// Where switchboard keeps its state (database, generated master key).
    #[arg(long, env = "SWITCHBOARD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Log lines as JSON (also `litellm_settings.json_logs`).
    #[arg(long, env = "JSON_LOGS")]
    pub json_logs: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a config file without starting; exits non-zero on errors.
    Check {
        /// The config file to check.
        file: PathBuf,
    },
    /// List the providers switchboard can route to.
    Providers,
}
