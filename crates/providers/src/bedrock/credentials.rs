//! Where a Bedrock deployment's credentials and region come from.
//!
//! The order is LiteLLM's keys first, then the AWS SDKs' default chain as far
//! as static keys go:
//! 1. `api_key` (a Bedrock API key): `Authorization: Bearer`, no signing;
//! 2. `aws_access_key_id` / `aws_secret_access_key` / `aws_session_token`;
//! 3. `AWS_BEARER_TOKEN_BEDROCK`;
//! 4. `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`;
//! 5. the shared files' profile (`aws_profile_name`, else `AWS_PROFILE`,
//!    else `default`): `~/.aws/credentials`, then `~/.aws/config`.
//!
//! The deployment's own settings come before the environment because they
//! were written for it. A mistake in them (a key id without its secret, a
//! named profile without static keys) fails the config load; credentials
//! simply absent from the environment fail each request with a message
//! saying what to set, so that a config can be checked on a machine without
//! them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::sigv4::Credentials;
use crate::DeploymentParams;
use crate::adapter::ProviderError;

/// How requests authenticate.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    /// A Bedrock API key, sent as `Authorization: Bearer`.
    Bearer(String),
    /// Static keys; every request is signed.
    SigV4(Credentials),
    /// Nothing was found: each request fails with this message.
    Missing(String),
}

/// A deployment's credentials and region.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub auth: Auth,
    pub region: String,
}

const DEFAULT_REGION: &str = "us-east-1";

pub(crate) fn resolve(
    params: &DeploymentParams<'_>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Resolved, ProviderError> {
    let extra = |key: &str| {
        params
            .extra
            .get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let env = |name: &str| env(name).filter(|v| !v.is_empty());
    let explicit_profile = extra("aws_profile_name");
    let profile_name = explicit_profile
        .clone()
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_owned());
    let profile = Profile::load(&profile_name, &env);
    let region = extra("aws_region_name")
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .or_else(|| profile.value("region"))
        .unwrap_or_else(|| DEFAULT_REGION.to_owned());

    let from_params = keys(
        extra("aws_access_key_id"),
        extra("aws_secret_access_key"),
        extra("aws_session_token"),
    )
    .map_err(|missing| {
        ProviderError::Credentials(format!(
            "bedrock: litellm_params sets {missing} without its pair"
        ))
    })?;
    let auth = if let Some(key) = params.api_key.filter(|k| !k.is_empty()) {
        Auth::Bearer(key.to_owned())
    } else if let Some(credentials) = from_params {
        Auth::SigV4(credentials)
    } else if let Some(token) = env("AWS_BEARER_TOKEN_BEDROCK") {
        Auth::Bearer(token)
    } else if let Ok(Some(credentials)) = keys(
        env("AWS_ACCESS_KEY_ID"),
        env("AWS_SECRET_ACCESS_KEY"),
        env("AWS_SESSION_TOKEN"),
    ) {
        Auth::SigV4(credentials)
    } else if let Some(credentials) = profile.credentials() {
        Auth::SigV4(credentials)
    } else if explicit_profile.is_some() || env("AWS_PROFILE").is_some() {
        return Err(ProviderError::Credentials(format!(
            "bedrock: AWS profile `{profile_name}` has no static keys in the shared credentials \
             or config file (switchboard reads aws_access_key_id and aws_secret_access_key; \
             SSO, role and process credentials are not supported)"
        )));
    } else {
        Auth::Missing(
            "no AWS credentials for bedrock: set aws_access_key_id and aws_secret_access_key \
             (or api_key) in litellm_params, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or \
             AWS_BEARER_TOKEN_BEDROCK in the environment, or a profile in ~/.aws/credentials"
                .to_owned(),
        )
    };
    Ok(Resolved { auth, region })
}

/// Credentials from a key id and secret: `Ok(None)` when neither is set,
/// `Err(name)` naming the one that is set without the other.
fn keys(
    id: Option<String>,
    secret: Option<String>,
    token: Option<String>,
) -> Result<Option<Credentials>, &'static str> {
    match (id, secret) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Some(Credentials {
            access_key_id,
            secret_access_key,
            session_token: token,
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err("aws_access_key_id"),
        (None, Some(_)) => Err("aws_secret_access_key"),
    }
}

/// One profile's settings from the shared credentials and config files.
#[derive(Debug, Default)]
struct Profile {
    /// From the credentials file (`[name]`).
    credentials: BTreeMap<String, String>,
    /// From the config file (`[profile name]`, or `[default]`).
    config: BTreeMap<String, String>,
}

impl Profile {
    fn load(name: &str, env: &dyn Fn(&str) -> Option<String>) -> Profile {
        let read = |variable: &str, default: &str| {
            let path =
                env(variable).or_else(|| env("HOME").map(|home| format!("{home}/{default}")))?;
            let path = match (path.strip_prefix("~/"), env("HOME")) {
                (Some(rest), Some(home)) => format!("{home}/{rest}"),
                _ => path,
            };
            std::fs::read_to_string(path).ok()
        };
        let credentials = read("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")
            .map(|text| section(&text, name))
            .unwrap_or_default();
        let config = read("AWS_CONFIG_FILE", ".aws/config")
            .map(|text| {
                let named = section(&text, &format!("profile {name}"));
                if named.is_empty() && name == "default" {
                    section(&text, "default")
                } else {
                    named
                }
            })
            .unwrap_or_default();
        Profile {
            credentials,
            config,
        }
    }

    fn value(&self, key: &str) -> Option<String> {
        self.config.get(key).cloned()
    }

    /// Static keys, from the credentials file, else the config file.
    fn credentials(&self) -> Option<Credentials> {
        [&self.credentials, &self.config]
            .into_iter()
            .find_map(|values| {
                let get = |key: &str| values.get(key).cloned();
                keys(
                    get("aws_access_key_id"),
                    get("aws_secret_access_key"),
                    get("aws_session_token"),
                )
                .ok()
                .flatten()
            })
    }
}

/// The `key = value` pairs of one `[section]` of an AWS INI file. Comment
/// lines (`#`, `;`) and indented lines (sub-settings such as `s3 =`'s) are
/// skipped; a section that appears twice is merged, as the AWS CLI does.
fn section(text: &str, name: &str) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = header.split_whitespace().collect::<Vec<_>>().join(" ") == name;
            continue;
        }
        if inside && let Some((key, value)) = line.split_once('=') {
            values.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secret-default

# a comment
[work]
aws_access_key_id=AKIDWORK
aws_secret_access_key=secret-work
aws_session_token = token-work
";

    const CONFIG: &str = "\
[default]
region = eu-west-1

[profile work]
region = ap-southeast-2
s3 =
  max_concurrent_requests = 20

[profile sso]
sso_start_url = https://example.awsapps.com/start
";

    #[test]
    fn sections_are_read_like_the_aws_cli() {
        let work = section(CREDENTIALS, "work");
        assert_eq!(work["aws_access_key_id"], "AKIDWORK");
        assert_eq!(work["aws_session_token"], "token-work");
        let config = section(CONFIG, "profile work");
        assert_eq!(
            config.get("region").map(String::as_str),
            Some("ap-southeast-2")
        );
        assert_eq!(config.get("max_concurrent_requests"), None);
        assert!(section(CONFIG, "profile missing").is_empty());
    }

    fn files() -> (std::path::PathBuf, String, String) {
        let dir = std::env::temp_dir().join(format!(
            "switchboard-bedrock-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let credentials = dir.join("credentials");
        let config = dir.join("config");
        std::fs::write(&credentials, CREDENTIALS).unwrap();
        std::fs::write(&config, CONFIG).unwrap();
        (
            dir,
            credentials.display().to_string(),
            config.display().to_string(),
        )
    }

    fn resolve_with(
        api_key: Option<&str>,
        extra: &[(&str, &str)],
        env: &[(&str, &str)],
    ) -> Result<Resolved, ProviderError> {
        let extra: BTreeMap<String, Value> = extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect();
        let params = DeploymentParams {
            provider: "bedrock",
            api_base: None,
            api_key,
            api_version: None,
            upstream_model: None,
            extra: &extra,
        };
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        resolve(&params, &|name| env.get(name).cloned())
    }

    fn key_id(resolved: &Resolved) -> &str {
        match &resolved.auth {
            Auth::SigV4(credentials) => &credentials.access_key_id,
            Auth::Bearer(token) => token,
            Auth::Missing(message) => message,
        }
    }

    #[test]
    fn the_chain_in_order() {
        let (dir, credentials, config) = files();
        let files = [
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.as_str()),
            ("AWS_CONFIG_FILE", config.as_str()),
        ];
        let with_env = |more: &[(&'static str, &'static str)]| {
            let mut env = files.to_vec();
            env.extend_from_slice(more);
            env
        };
        let env_keys = [
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "secret-env"),
            ("AWS_BEARER_TOKEN_BEDROCK", "bedrock-key"),
        ];
        let params = [
            ("aws_access_key_id", "AKIDPARAM"),
            ("aws_secret_access_key", "secret-param"),
            ("aws_region_name", "us-west-2"),
        ];
        let all = with_env(&env_keys);
        let resolved = resolve_with(Some("api-key"), &params, &all).unwrap();
        assert!(matches!(resolved.auth, Auth::Bearer(ref key) if key == "api-key"));
        let resolved = resolve_with(None, &params, &all).unwrap();
        assert_eq!(
            (key_id(&resolved), resolved.region.as_str()),
            ("AKIDPARAM", "us-west-2")
        );
        let resolved = resolve_with(None, &[], &all).unwrap();
        assert!(matches!(resolved.auth, Auth::Bearer(ref key) if key == "bedrock-key"));
        let resolved = resolve_with(None, &[], &with_env(&env_keys[..2])).unwrap();
        assert_eq!(key_id(&resolved), "AKIDENV");
        // The default profile, and its region from the config file.
        let resolved = resolve_with(None, &[], &with_env(&[])).unwrap();
        assert_eq!(
            (key_id(&resolved), resolved.region.as_str()),
            ("AKIDDEFAULT", "eu-west-1")
        );
        let resolved = resolve_with(None, &[("aws_profile_name", "work")], &with_env(&[])).unwrap();
        assert_eq!(
            (key_id(&resolved), resolved.region.as_str()),
            ("AKIDWORK", "ap-southeast-2")
        );
        let Auth::SigV4(work) = &resolved.auth else {
            panic!("work has static keys")
        };
        assert_eq!(work.session_token.as_deref(), Some("token-work"));
        let env_region = with_env(&[("AWS_PROFILE", "work"), ("AWS_DEFAULT_REGION", "sa-east-1")]);
        let resolved = resolve_with(None, &[], &env_region).unwrap();
        assert_eq!(
            (key_id(&resolved), resolved.region.as_str()),
            ("AKIDWORK", "sa-east-1")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn mistakes_fail_the_load_and_absence_fails_requests() {
        let (dir, credentials, config) = files();
        let files = [
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.as_str()),
            ("AWS_CONFIG_FILE", config.as_str()),
        ];
        let half = resolve_with(None, &[("aws_access_key_id", "AKID")], &[]).unwrap_err();
        assert!(half.to_string().contains("aws_access_key_id"), "{half}");
        let sso = resolve_with(None, &[("aws_profile_name", "sso")], &files).unwrap_err();
        assert!(
            sso.to_string().contains("`sso` has no static keys"),
            "{sso}"
        );
        let none = resolve_with(None, &[], &[("HOME", "/nonexistent")]).unwrap();
        assert!(matches!(none.auth, Auth::Missing(_)));
        assert_eq!(none.region, "us-east-1");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
