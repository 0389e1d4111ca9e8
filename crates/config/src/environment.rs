//! `os.environ/NAME` references, resolved from the process environment with
//! the config file's own `environment_variables` in front.

use std::collections::BTreeMap;

use serde_json::Value;

const PREFIX: &str = "os.environ/";

/// Where references are looked up: an overlay map, then the process
/// environment. Kept as a value (rather than writing into the process
/// environment) so reloads and tests cannot leak settings into each other.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    overlay: BTreeMap<String, String>,
    use_process: bool,
}

impl Environment {
    /// The real process environment.
    pub fn process() -> Environment {
        Environment {
            overlay: BTreeMap::new(),
            use_process: true,
        }
    }

    /// Only the given variables (tests).
    pub fn from_map(vars: BTreeMap<String, String>) -> Environment {
        Environment {
            overlay: vars,
            use_process: false,
        }
    }

    /// This environment with `overlay` taking precedence.
    pub fn with_overlay(&self, overlay: BTreeMap<String, String>) -> Environment {
        let mut merged = self.overlay.clone();
        merged.extend(overlay);
        Environment {
            overlay: merged,
            use_process: self.use_process,
        }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(value) = self.overlay.get(name) {
            return Some(value.clone());
        }
        if self.use_process {
            return std::env::var(name).ok().filter(|v| !v.is_empty());
        }
        None
    }
}

/// Replaces every string `os.environ/NAME` in `value` with the variable's
/// value. An unset variable becomes `null` (LiteLLM reads it as `None`) and
/// a warning naming the path and the variable.
pub(crate) fn resolve_references(
    value: &mut Value,
    env: &Environment,
    path: &mut String,
    warnings: &mut Vec<String>,
) {
    match value {
        Value::String(text) => {
            if let Some(name) = text.strip_prefix(PREFIX) {
                match env.get(name) {
                    Some(resolved) => *text = resolved,
                    None => {
                        warnings.push(format!(
                            "{path}: environment variable {name} is not set; treated as absent"
                        ));
                        *value = Value::Null;
                    }
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                resolve_references(item, env, path, warnings);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                resolve_references(item, env, path, warnings);
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}
