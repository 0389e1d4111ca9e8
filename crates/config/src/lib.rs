//! LiteLLM's `config.yaml` dialect (DESIGN.md §4).
//!
//! Loading goes YAML → JSON value → `os.environ/NAME` references resolved →
//! typed [`Config`]. Type errors name the path of the offending value
//! (`model_list[2].litellm_params.rpm: expected integer, found string "x"`);
//! keys switchboard does not know become warnings that name them.

mod environment;
mod litellm_keys;
mod schema;

use std::path::Path;

pub use environment::Environment;
pub use schema::{
    CallbackSettings, Config, GeneralSettings, LitellmParams, LitellmSettings, ModelEntry,
    ModelInfo, RouterSettings,
};

/// A parsed config with the warnings found on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Syntax(String),
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// Reads and validates a config file.
pub fn load_file(path: &Path, env: &Environment) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, env)
}

/// Parses and validates config text.
pub fn parse(text: &str, env: &Environment) -> Result<Loaded, ConfigError> {
    let mut value: serde_json::Value = if text.trim().is_empty() {
        serde_json::Value::Object(Default::default())
    } else {
        serde_saphyr::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?
    };
    if value.is_null() {
        value = serde_json::Value::Object(Default::default());
    }
    parse_value(value, env)
}

/// Parses and validates one `model_list` entry given as JSON (a deployment
/// added through the admin API), with the same checks and `os.environ/`
/// references as in a file. Error paths start at the entry
/// (`litellm_params.rpm`).
pub fn parse_model(entry: serde_json::Value, env: &Environment) -> Result<Loaded, ConfigError> {
    let wrapped = serde_json::json!({ "model_list": [entry] });
    parse_value(wrapped, env).map_err(|error| match error {
        ConfigError::Invalid { path, message } => ConfigError::Invalid {
            path: path
                .strip_prefix("model_list[0].")
                .map_or(path.clone(), str::to_string),
            message,
        },
        other => other,
    })
}

fn parse_value(mut value: serde_json::Value, env: &Environment) -> Result<Loaded, ConfigError> {
    if !value.is_object() {
        return Err(ConfigError::Invalid {
            path: "(top level)".into(),
            message: "expected a mapping of sections (model_list, router_settings, ...)".into(),
        });
    }

    // The file's own `environment_variables` are visible to its references.
    let overlay = value
        .get("environment_variables")
        .and_then(|v| v.as_object())
        .map(|vars| {
            vars.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let env = env.with_overlay(overlay);
    let mut warnings = Vec::new();
    environment::resolve_references(&mut value, &env, &mut String::new(), &mut warnings);

    let mut ignored = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let deserializer = serde_path_to_error::Deserializer::new(value, &mut track);
    let result = serde_ignored::deserialize(deserializer, |path| {
        ignored.push(format_ignored_path(&path.to_string()))
    });
    let config = match result {
        Ok(config) => config,
        Err(error) => {
            return Err(ConfigError::Invalid {
                path: track.path().to_string(),
                message: friendly_type_names(&error.to_string()),
            });
        }
    };
    for path in ignored {
        warnings.push(if litellm_keys::is_known_litellm_key(&path) {
            format!("{path}: LiteLLM setting not supported by switchboard yet; ignored")
        } else {
            format!("{path}: unknown key; ignored (check the spelling)")
        });
    }
    let config: Config = config;
    validate(&config)?;
    Ok(Loaded { config, warnings })
}

/// Checks that types alone cannot express.
fn validate(config: &Config) -> Result<(), ConfigError> {
    for (i, entry) in config.model_list.iter().enumerate() {
        let invalid = |field: &str, message: &str| ConfigError::Invalid {
            path: format!("model_list[{i}].{field}"),
            message: message.to_string(),
        };
        if entry.model_name.trim().is_empty() {
            return Err(invalid("model_name", "must not be empty"));
        }
        let params = &entry.litellm_params;
        if params.model.trim().is_empty() {
            return Err(invalid("litellm_params.model", "must not be empty"));
        }
        for (field, value) in [
            ("weight", params.weight),
            ("timeout", params.timeout),
            ("stream_timeout", params.stream_timeout),
            ("input_cost_per_token", params.input_cost_per_token),
            ("output_cost_per_token", params.output_cost_per_token),
        ] {
            if value.is_some_and(|v| !v.is_finite() || v < 0.0) {
                let path = format!("litellm_params.{field}");
                return Err(invalid(&path, "must be a non-negative number"));
            }
        }
        for (field, value) in [
            ("timeout", params.timeout),
            ("stream_timeout", params.stream_timeout),
        ] {
            if value == Some(0.0) {
                let path = format!("litellm_params.{field}");
                return Err(invalid(&path, "must be greater than zero"));
            }
        }
    }
    if let Some(mb) = config.general_settings.max_request_size_mb
        && !(mb.is_finite() && mb > 0.0)
    {
        return Err(ConfigError::Invalid {
            path: "general_settings.max_request_size_mb".into(),
            message: "must be a positive number".into(),
        });
    }
    Ok(())
}

/// serde_ignored prints sequence indices as `.N`; the rest of switchboard
/// (and serde_path_to_error) writes `[N]`.
fn format_ignored_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, part) in path.split('.').enumerate() {
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(part);
            out.push(']');
        } else {
            if i > 0 {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

/// Serde's messages name Rust types (`u64`); users think in YAML types.
fn friendly_type_names(message: &str) -> String {
    message
        .replace("expected u64", "expected integer")
        .replace("expected u32", "expected integer")
        .replace("expected f64", "expected number")
        .replace("expected a boolean", "expected true or false")
        .replace("invalid type: ", "")
}

#[cfg(test)]
mod tests;
