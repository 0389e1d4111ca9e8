//! Where the running model list comes from: the config file's `model_list`
//! (reloaded when the file changes) plus the deployments added through the
//! admin API (`/model/new`), which live in the database, sealed because
//! they carry provider credentials.
//!
//! Every change, from either side, builds a whole new runtime from both
//! lists and swaps it in only if it builds: a deployment that does not
//! validate is refused with the reason, and the running one is untouched.
//! One lock orders the changes, so a file reload never undoes an API change
//! or the reverse.

use std::collections::HashSet;
use std::sync::Arc;

use arc_swap::ArcSwap;
use serde_json::{Map, Value};
use switchboard_config::{Config, Environment, ModelEntry};
use switchboard_governance::time::now_ms;
use switchboard_store::{Store, StoredDeployment};

use crate::runtime::Runtime;
use crate::secrets::SecretBox;
use crate::state::AppState;

/// Builds a runtime from a whole config (the master key and the deployment
/// health come from the process); the error names the path at fault.
pub type BuildRuntime = Box<dyn Fn(&Config) -> Result<Runtime, String> + Send + Sync>;

/// A deployment added through the API.
#[derive(Debug, Clone)]
struct Added {
    id: String,
    /// The entry as the client sent it (`os.environ/` references kept).
    definition: Value,
    entry: ModelEntry,
    created_by: Option<String>,
    created_at: i64,
}

#[derive(Debug)]
struct Sources {
    config: Config,
    added: Vec<Added>,
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// The request is wrong: 400.
    #[error("{0}")]
    Invalid(String),
    /// No deployment with that id: 404.
    #[error("{0}")]
    NotFound(String),
    /// The database failed: 500.
    #[error("{0}")]
    Storage(String),
}

/// The two sources of the model list and how to build a runtime of them.
pub struct Deployments {
    sources: tokio::sync::Mutex<Sources>,
    /// The ids of the API's deployments, for `/model/info` (read without
    /// the lock).
    added_ids: ArcSwap<HashSet<String>>,
    build: BuildRuntime,
    secrets: SecretBox,
    env: Environment,
}

impl std::fmt::Debug for Deployments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deployments")
            .field("added_ids", &self.added_ids.load())
            .finish_non_exhaustive()
    }
}

impl Deployments {
    pub fn new(
        config: Config,
        build: BuildRuntime,
        secrets: SecretBox,
        env: Environment,
    ) -> Deployments {
        Deployments {
            sources: tokio::sync::Mutex::new(Sources {
                config,
                added: Vec::new(),
            }),
            added_ids: ArcSwap::from_pointee(HashSet::new()),
            build,
            secrets,
            env,
        }
    }

    /// Whether `id` was added through the API (else it is the file's).
    pub fn is_added(&self, id: &str) -> bool {
        self.added_ids.load().contains(id)
    }

    /// Loads the stored deployments at startup and swaps in the runtime
    /// with them. One that cannot be read (sealed with another key, or no
    /// longer valid) is left out with an error in the log, not fatal: the
    /// gateway still serves everything else.
    pub async fn load(&self, store: &Store, state: &AppState) -> Result<usize, String> {
        let stored = store
            .load_deployments()
            .await
            .map_err(|e| format!("cannot read the stored deployments: {e}"))?;
        if stored.is_empty() {
            return Ok(0);
        }
        let mut sources = self.sources.lock().await;
        for row in stored {
            match self.unseal(&row) {
                Ok(added) => {
                    let mut trial = sources.added.clone();
                    trial.push(added.clone());
                    match (self.build)(&merged(&sources.config, &trial)) {
                        Ok(_) => sources.added.push(added),
                        Err(error) => tracing::error!(
                            id = row.id,
                            %error,
                            "a stored deployment no longer validates; left out"
                        ),
                    }
                }
                Err(error) => {
                    tracing::error!(id = row.id, %error, "cannot read a stored deployment; left out");
                }
            }
        }
        let runtime = (self.build)(&merged(&sources.config, &sources.added))?;
        self.publish(&sources, runtime, state);
        Ok(sources.added.len())
    }

    /// A new config file: the runtime of it and the API's deployments, or
    /// why it does not build (the running one stays). Returns the number of
    /// model groups.
    pub async fn replace_config(&self, config: Config, state: &AppState) -> Result<usize, String> {
        let mut sources = self.sources.lock().await;
        let runtime = (self.build)(&merged(&config, &sources.added))?;
        sources.config = config;
        let groups = runtime.routes.groups().count();
        self.publish(&sources, runtime, state);
        Ok(groups)
    }

    /// `/model/new`: validates, stores and serves a deployment. Returns it
    /// as stored (without credentials).
    pub async fn add(
        &self,
        mut definition: Value,
        actor: &str,
        store: &Store,
        state: &AppState,
    ) -> Result<Value, ChangeError> {
        let mut sources = self.sources.lock().await;
        let id = match definition.pointer("/model_info/id").and_then(Value::as_str) {
            Some(id) if !id.trim().is_empty() => id.trim().to_string(),
            _ => crate::context::uuid_text(),
        };
        if state.runtime().routes.deployment(&id).is_some() {
            return Err(ChangeError::Invalid(format!(
                "a deployment with model_info.id `{id}` exists already"
            )));
        }
        set_id(&mut definition, &id)?;
        let added = Added {
            entry: self.parse(&definition)?,
            id,
            definition,
            created_by: Some(actor.to_string()),
            created_at: now_ms(),
        };
        let mut trial = sources.added.clone();
        trial.push(added.clone());
        let runtime = self.build_trial(&sources.config, &trial, trial.len() - 1)?;
        self.save(store, &added).await?;
        sources.added = trial;
        self.publish(&sources, runtime, state);
        Ok(public_view(&added.definition))
    }

    /// `/model/update`: merges `patch` (`model_name`, `litellm_params`,
    /// `model_info`, each key replacing the stored one; `null` removes it)
    /// into an API deployment. Returns it before and after (without
    /// credentials).
    pub async fn update(
        &self,
        id: &str,
        patch: &Map<String, Value>,
        store: &Store,
        state: &AppState,
    ) -> Result<(Value, Value), ChangeError> {
        let mut sources = self.sources.lock().await;
        let index = self.position(&sources, id, state)?;
        let mut definition = sources.added[index].definition.clone();
        if let Some(name) = patch.get("model_name").and_then(Value::as_str) {
            definition["model_name"] = Value::String(name.to_string());
        }
        for section in ["litellm_params", "model_info"] {
            if let Some(Value::Object(changes)) = patch.get(section) {
                let target = definition.as_object_mut().map(|d| {
                    d.entry(section)
                        .or_insert_with(|| Value::Object(Map::new()))
                });
                if let Some(Value::Object(target)) = target {
                    for (key, value) in changes {
                        if value.is_null() {
                            target.remove(key);
                        } else {
                            target.insert(key.clone(), value.clone());
                        }
                    }
                }
            }
        }
        // The id is the deployment's name: it does not change.
        set_id(&mut definition, id)?;
        let mut trial = sources.added.clone();
        trial[index].entry = self.parse(&definition)?;
        trial[index].definition = definition;
        let runtime = self.build_trial(&sources.config, &trial, index)?;
        self.save(store, &trial[index]).await?;
        let before = public_view(&sources.added[index].definition);
        let after = public_view(&trial[index].definition);
        sources.added = trial;
        self.publish(&sources, runtime, state);
        Ok((before, after))
    }

    /// `/model/delete`: takes an API deployment out of service and out of
    /// the database. Requests in flight on it finish.
    pub async fn delete(
        &self,
        id: &str,
        store: &Store,
        state: &AppState,
    ) -> Result<Value, ChangeError> {
        let mut sources = self.sources.lock().await;
        let index = self.position(&sources, id, state)?;
        let mut trial = sources.added.clone();
        let removed = trial.remove(index);
        let runtime =
            (self.build)(&merged(&sources.config, &trial)).map_err(ChangeError::Invalid)?;
        store
            .delete_deployment(id)
            .await
            .map_err(|e| ChangeError::Storage(format!("cannot delete the deployment: {e}")))?;
        sources.added = trial;
        self.publish(&sources, runtime, state);
        Ok(public_view(&removed.definition))
    }

    /// The runtime with `trial` as the API's deployments, or why it does
    /// not build; errors about the changed one (`trial[changed]`) name
    /// paths within it (`litellm_params.api_base`), as the client sent it.
    fn build_trial(
        &self,
        config: &Config,
        trial: &[Added],
        changed: usize,
    ) -> Result<Runtime, ChangeError> {
        (self.build)(&merged(config, trial)).map_err(|error| {
            let prefix = format!("model_list[{}]", config.model_list.len() + changed);
            let error = match error.strip_prefix(&prefix) {
                Some(rest) => rest.trim_start_matches('.').to_string(),
                None => error,
            };
            ChangeError::Invalid(error)
        })
    }

    /// The index of API deployment `id`, or why there is none.
    fn position(
        &self,
        sources: &Sources,
        id: &str,
        state: &AppState,
    ) -> Result<usize, ChangeError> {
        if let Some(index) = sources.added.iter().position(|a| a.id == id) {
            return Ok(index);
        }
        Err(if state.runtime().routes.deployment(id).is_some() {
            ChangeError::Invalid(format!(
                "deployment `{id}` is defined in the config file; change it there"
            ))
        } else {
            ChangeError::NotFound(format!("no deployment with model_info.id `{id}`"))
        })
    }

    fn parse(&self, definition: &Value) -> Result<ModelEntry, ChangeError> {
        let loaded = switchboard_config::parse_model(definition.clone(), &self.env)
            .map_err(|e| ChangeError::Invalid(e.to_string()))?;
        loaded
            .config
            .model_list
            .into_iter()
            .next()
            .ok_or_else(|| ChangeError::Invalid("the deployment is empty".into()))
    }

    fn unseal(&self, row: &StoredDeployment) -> Result<Added, String> {
        let plain = self
            .secrets
            .open(&row.definition)
            .map_err(|e| e.to_string())?;
        let definition: Value = serde_json::from_slice(&plain).map_err(|e| e.to_string())?;
        let entry = self.parse(&definition).map_err(|e| e.to_string())?;
        Ok(Added {
            id: row.id.clone(),
            definition,
            entry,
            created_by: row.created_by.clone(),
            created_at: row.created_at,
        })
    }

    async fn save(&self, store: &Store, added: &Added) -> Result<(), ChangeError> {
        let sealed = self
            .secrets
            .seal(added.definition.to_string().as_bytes())
            .map_err(|e| ChangeError::Storage(e.to_string()))?;
        store
            .save_deployment(&StoredDeployment {
                id: added.id.clone(),
                model_name: added.entry.model_name.clone(),
                definition: sealed,
                created_by: added.created_by.clone(),
                created_at: added.created_at,
                updated_at: now_ms(),
            })
            .await
            .map_err(|e| ChangeError::Storage(format!("cannot store the deployment: {e}")))
    }

    fn publish(&self, sources: &Sources, runtime: Runtime, state: &AppState) {
        self.added_ids.store(Arc::new(
            sources.added.iter().map(|a| a.id.clone()).collect(),
        ));
        state.replace_runtime(runtime);
    }
}

/// The config with the API's deployments after the file's.
fn merged(config: &Config, added: &[Added]) -> Config {
    let mut merged = config.clone();
    merged
        .model_list
        .extend(added.iter().map(|a| a.entry.clone()));
    merged
}

fn set_id(definition: &mut Value, id: &str) -> Result<(), ChangeError> {
    let Value::Object(fields) = definition else {
        return Err(ChangeError::Invalid(
            "the deployment must be a JSON object with model_name and litellm_params".into(),
        ));
    };
    let info = fields
        .entry("model_info")
        .or_insert_with(|| Value::Object(Map::new()));
    match info {
        Value::Object(info) => {
            info.insert("id".into(), Value::String(id.to_string()));
            Ok(())
        }
        _ => Err(ChangeError::Invalid("model_info must be an object".into())),
    }
}

/// A definition as the API shows it: credentials left out.
fn public_view(definition: &Value) -> Value {
    let mut view = definition.clone();
    if let Some(Value::Object(params)) = view.get_mut("litellm_params") {
        for secret in [
            "api_key",
            "aws_secret_access_key",
            "aws_session_token",
            "vertex_credentials",
        ] {
            params.remove(secret);
        }
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_view_has_no_credentials() {
        let definition = serde_json::json!({
            "model_name": "g",
            "litellm_params": {"model": "openai/x", "api_key": "sk-secret", "rpm": 5},
            "model_info": {"id": "d1"},
        });
        let view = public_view(&definition);
        assert_eq!(view["litellm_params"]["rpm"], 5);
        assert!(view["litellm_params"].get("api_key").is_none());
        assert_eq!(view["model_info"]["id"], "d1");
    }

    #[test]
    fn ids_are_set_on_objects_only() {
        let mut definition = serde_json::json!({"model_name": "g"});
        set_id(&mut definition, "abc").unwrap();
        assert_eq!(definition["model_info"]["id"], "abc");
        assert!(set_id(&mut Value::Null, "abc").is_err());
        let mut bad = serde_json::json!({"model_info": 3});
        assert!(set_id(&mut bad, "abc").is_err());
    }
}
