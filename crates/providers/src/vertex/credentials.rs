//! Where a Vertex AI deployment's project, location and credentials come
//! from (LiteLLM's `litellm_params` keys, then the environment).
//!
//! Credentials, first found wins:
//! 1. `vertex_credentials` (or `vertex_ai_credentials`): a path to a JSON
//!    credentials file, the JSON itself as a string, or a YAML mapping;
//! 2. `api_key`: an OAuth access token, sent as is (`Authorization: Bearer`);
//! 3. `VERTEXAI_CREDENTIALS`: a path or the JSON, as 1;
//! 4. `VERTEX_AI_ACCESS_TOKEN`: an access token, as 2 (GKE workload identity
//!    and other setups where something else mints the token);
//! 5. `GOOGLE_APPLICATION_CREDENTIALS`: a path, as Google's libraries read it;
//! 6. gcloud's application default credentials file
//!    (`gcloud auth application-default login`), when it exists.
//!
//! The deployment's own settings come first because they were written for
//! it. Files of type `service_account` (JWT bearer grant) and
//! `authorized_user` (refresh token grant) are understood. A credentials
//! source that is set but unusable (unreadable file, bad JSON, bad key) fails
//! the config load with its origin and path; no credentials at all fails each
//! request with a message saying what to set, so a config can be checked on
//! a machine without them.

use serde_json::{Map, Value};

use super::token::Grant;
use crate::DeploymentParams;
use crate::adapter::ProviderError;

const DEFAULT_LOCATION: &str = "us-central1";

/// How requests authenticate.
#[derive(Debug)]
pub(crate) enum Auth {
    /// An access token given as is.
    Token(String),
    /// Access tokens obtained, cached and refreshed with this grant.
    Grant(Box<Grant>),
    /// Nothing was found: each request fails with this message.
    Missing(String),
}

/// A deployment's project, location and credentials.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub project: String,
    pub location: String,
    pub auth: Auth,
}

pub(crate) fn resolve(
    params: &DeploymentParams<'_>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Resolved, ProviderError> {
    let param = |keys: &[&str]| {
        keys.iter()
            .find_map(|key| params.extra.get(*key).filter(|v| !is_empty(v)))
    };
    let text = |keys: &[&str]| param(keys).and_then(Value::as_str).map(str::to_owned);
    let env = |name: &str| env(name).filter(|v| !v.is_empty());

    let mut project_from_file = None;
    let mut oauth = |json: Map<String, Value>, origin: &str| {
        project_from_file = ["project_id", "quota_project_id"]
            .iter()
            .find_map(|key| json.get(*key).and_then(Value::as_str).map(str::to_owned));
        Grant::from_json(&json)
            .map(|grant| Auth::Grant(Box::new(grant)))
            .map_err(|why| failure(format!("{origin}: {why}")))
    };
    let auth = if let Some(value) = param(&["vertex_credentials", "vertex_ai_credentials"]) {
        let (json, origin) = load(value, "litellm_params.vertex_credentials")?;
        oauth(json, &origin)?
    } else if let Some(token) = params.api_key.filter(|k| !k.is_empty()) {
        Auth::Token(token.to_owned())
    } else if let Some(value) = env("VERTEXAI_CREDENTIALS") {
        let (json, origin) = load(&Value::String(value), "VERTEXAI_CREDENTIALS")?;
        oauth(json, &origin)?
    } else if let Some(token) = env("VERTEX_AI_ACCESS_TOKEN") {
        Auth::Token(token)
    } else if let Some(path) = env("GOOGLE_APPLICATION_CREDENTIALS") {
        let (json, origin) = read_file(&path, "GOOGLE_APPLICATION_CREDENTIALS")?;
        oauth(json, &origin)?
    } else if let Some(path) = gcloud_adc_path(&env).filter(|p| std::path::Path::new(p).exists()) {
        let (json, origin) = read_file(&path, "gcloud's application default credentials")?;
        oauth(json, &origin)?
    } else {
        Auth::Missing(
            "no Google credentials for vertex_ai: set vertex_credentials (a service account \
             JSON file or its contents) or api_key (an access token) in litellm_params, or \
             VERTEXAI_CREDENTIALS, VERTEX_AI_ACCESS_TOKEN or GOOGLE_APPLICATION_CREDENTIALS in \
             the environment"
                .to_owned(),
        )
    };

    let project = text(&["vertex_project", "vertex_ai_project"])
        .or_else(|| env("VERTEXAI_PROJECT"))
        .or_else(|| env("VERTEX_PROJECT"))
        .or_else(|| env("GOOGLE_CLOUD_PROJECT"))
        .or(project_from_file)
        .ok_or_else(|| {
            failure(
                "no project: set vertex_project in litellm_params (or VERTEXAI_PROJECT), or use \
                 service account credentials, whose project_id is the default"
                    .to_owned(),
            )
        })?;
    let location = text(&["vertex_location", "vertex_ai_location"])
        .or_else(|| env("VERTEXAI_LOCATION"))
        .or_else(|| env("VERTEX_LOCATION"))
        .unwrap_or_else(|| DEFAULT_LOCATION.to_owned());
    // Both go into the URL's host or path: refuse anything that would
    // change its structure rather than percent-encode it silently.
    if !location
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(failure(format!(
            "vertex_location `{location}` is not a Google Cloud location (like us-central1, \
             europe-west4 or global)"
        )));
    }
    if !project
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-.:_".contains(&b))
    {
        return Err(failure(format!(
            "vertex_project `{project}` is not a Google Cloud project id"
        )));
    }
    Ok(Resolved {
        project,
        location,
        auth,
    })
}

fn failure(message: String) -> ProviderError {
    ProviderError::Credentials(format!("vertex_ai: {message}"))
}

fn is_empty(value: &Value) -> bool {
    matches!(value, Value::Null) || value.as_str().is_some_and(str::is_empty)
}

/// Credentials JSON from a setting: the JSON text itself, a mapping, or a
/// path to a file. Returns it with a description of where it came from.
fn load(value: &Value, origin: &str) -> Result<(Map<String, Value>, String), ProviderError> {
    match value {
        Value::Object(map) => Ok((map.clone(), origin.to_owned())),
        Value::String(text) if text.trim_start().starts_with('{') => {
            // Never echo the text: it holds a private key.
            match serde_json::from_str(text) {
                Ok(Value::Object(map)) => Ok((map, origin.to_owned())),
                Ok(_) => Err(failure(format!("{origin} is not a JSON object"))),
                Err(error) => Err(failure(format!("{origin} is not valid JSON: {error}"))),
            }
        }
        Value::String(path) => read_file(path, origin),
        _ => Err(failure(format!(
            "{origin} must be a path to a credentials file or the credentials JSON"
        ))),
    }
}

fn read_file(path: &str, origin: &str) -> Result<(Map<String, Value>, String), ProviderError> {
    let origin = format!("{origin} (`{path}`)");
    let text = std::fs::read_to_string(path).map_err(|error| {
        failure(format!(
            "cannot read the credentials file {origin}: {error}"
        ))
    })?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok((map, origin)),
        Ok(_) => Err(failure(format!("{origin} is not a JSON object"))),
        Err(error) => Err(failure(format!("{origin} is not valid JSON: {error}"))),
    }
}

/// Where `gcloud auth application-default login` writes its credentials.
fn gcloud_adc_path(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let dir =
        env("CLOUDSDK_CONFIG").or_else(|| env("HOME").map(|h| format!("{h}/.config/gcloud")))?;
    Some(format!("{dir}/application_default_credentials.json"))
}
