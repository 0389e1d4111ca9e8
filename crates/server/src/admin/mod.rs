//! The admin API: LiteLLM's management paths and field names, so scripts
//! written against LiteLLM keep working. Who may do what is decided by the
//! caller's role (see `docs/ACCESS.md`).

/// An admin handler for a POST route with a JSON body: authenticates,
/// runs `$work` (an expression of type `Result<impl Serialize, Failure>`
/// that may `.await` and use `$admin` and `$body`, the parsed object), and
/// answers in OpenAI's error shape on failure.
macro_rules! post_route {
    ($name:ident, $route:literal, |$admin:ident, $body:ident| $work:expr) => {
        pub async fn $name(
            axum::extract::State(state): axum::extract::State<
                std::sync::Arc<crate::state::AppState>,
            >,
            headers: http::HeaderMap,
            bytes: bytes::Bytes,
        ) -> axum::response::Response {
            let $admin = match crate::admin::Admin::start(state, &headers, $route) {
                Ok(admin) => admin,
                Err(denied) => return *denied,
            };
            let result = async {
                let $body = crate::admin::object(&bytes)?;
                $work
            }
            .await;
            $admin.respond(result)
        }
    };
}

/// An admin handler for a GET route with query parameters (`$params`, a
/// `HashMap<String, String>`).
macro_rules! get_route {
    ($name:ident, $route:literal, |$admin:ident, $params:ident| $work:expr) => {
        pub async fn $name(
            axum::extract::State(state): axum::extract::State<
                std::sync::Arc<crate::state::AppState>,
            >,
            headers: http::HeaderMap,
            axum::extract::Query($params): axum::extract::Query<
                std::collections::HashMap<String, String>,
            >,
        ) -> axum::response::Response {
            let $admin = match crate::admin::Admin::start(state, &headers, $route) {
                Ok(admin) => admin,
                Err(denied) => return *denied,
            };
            let result = async { $work }.await;
            $admin.respond(result)
        }
    };
}

pub mod audit;
pub mod crud;
pub mod keys;
pub mod logs;
pub mod models;
pub mod principals;
pub mod reports;
pub mod spend;

use std::sync::Arc;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use switchboard_api::{ApiError, Dialect, ErrorKind};
use switchboard_governance::entities::UserRole;
use switchboard_governance::{Entry, time};
use switchboard_store::Store;

use crate::auth::{Principal, authenticate};
use crate::context::RequestContext;
use crate::failure::Failure;
use crate::front::error_response;
use crate::principals::{self as storage, Stored};
use crate::state::AppState;

/// An authenticated admin request.
pub struct Admin {
    pub state: Arc<AppState>,
    pub principal: Principal,
    pub ctx: RequestContext,
}

impl Admin {
    /// Authenticates the caller of an admin route.
    pub fn start(
        state: Arc<AppState>,
        headers: &HeaderMap,
        route: &str,
    ) -> Result<Admin, Box<Response>> {
        let ctx = RequestContext::start(headers, route, "admin");
        let runtime = state.runtime();
        match authenticate(&runtime, &state.registry, headers, None) {
            Ok(principal) => Ok(Admin {
                state,
                principal,
                ctx,
            }),
            Err(failure) => Err(Box::new(error_response(failure, &ctx, Dialect::OpenAi))),
        }
    }

    pub fn role(&self) -> UserRole {
        self.principal.role()
    }

    /// Proxy admins and viewers read everything.
    pub fn reads_everything(&self) -> bool {
        matches!(
            self.role(),
            UserRole::ProxyAdmin | UserRole::ProxyAdminViewer
        )
    }

    pub fn is_admin(&self) -> bool {
        self.role() == UserRole::ProxyAdmin
    }

    /// Viewers change nothing.
    pub fn may_write(&self) -> bool {
        matches!(self.role(), UserRole::ProxyAdmin | UserRole::InternalUser)
    }

    /// The caller's user id, when it has one.
    pub fn user_id(&self) -> Option<String> {
        self.principal.user_id()
    }

    /// Whether the caller administers `team_id` (proxy admin, or an admin
    /// member of the team).
    pub fn admins_team(&self, team_id: &str) -> bool {
        if self.is_admin() {
            return true;
        }
        let (Some(user), Some(team)) = (self.user_id(), self.state.registry.teams.get(team_id))
        else {
            return false;
        };
        self.may_write() && team.doc().is_admin(&user)
    }

    pub fn store(&self) -> Result<&Store, Failure> {
        self.state
            .store
            .as_ref()
            .ok_or_else(|| no_database().into())
    }

    /// Persists a new or changed principal (with its audit entry), then
    /// makes it live.
    pub async fn save<T: Stored>(
        &self,
        doc: T,
        action: &str,
        before: Option<&T>,
    ) -> Result<Arc<Entry<T>>, Failure> {
        let store = self.store()?;
        storage::persist(store, &doc, &self.principal.actor(), action, before)
            .await
            .map_err(storage_failure)?;
        Ok(table_of::<T>(&self.state).upsert(doc))
    }

    /// Deletes a principal (audited) and takes it out of service.
    pub async fn delete<T: Stored>(&self, doc: &T) -> Result<(), Failure> {
        let store = self.store()?;
        storage::remove(store, doc, &self.principal.actor())
            .await
            .map_err(storage_failure)?;
        table_of::<T>(&self.state).remove(doc.id());
        Ok(())
    }

    /// A response, or the failure in OpenAI's shape (as LiteLLM answers).
    pub fn respond<T: Serialize>(&self, result: Result<T, Failure>) -> Response {
        match result {
            Ok(body) => Json(body).into_response(),
            Err(failure) => error_response(failure, &self.ctx, Dialect::OpenAi),
        }
    }
}

/// The registry table of a principal type.
pub fn table_of<T: Stored>(state: &AppState) -> &switchboard_governance::Table<T> {
    T::table(&state.registry)
}

pub fn forbidden(message: impl Into<String>) -> Failure {
    ApiError::new(ErrorKind::PermissionDenied, message).into()
}

pub fn bad_request(message: impl Into<String>) -> Failure {
    ApiError::new(ErrorKind::InvalidRequest, message).into()
}

pub fn not_found(message: impl Into<String>) -> Failure {
    ApiError::new(ErrorKind::NotFound, message).into()
}

fn storage_failure(error: switchboard_store::StoreError) -> Failure {
    tracing::error!(%error, "admin change could not be stored");
    ApiError::new(ErrorKind::Internal, "the change could not be stored").into()
}

/// A 503 for admin routes that need the database when there is none.
pub fn no_database() -> ApiError {
    ApiError::new(
        ErrorKind::Unavailable,
        "no database is configured (set general_settings.database_url, or run with a data directory)",
    )
}

/// Applies a partial update to a document: the patch's fields replace the
/// document's, except `protected` ones (ids, secrets). Type errors name the
/// field.
pub fn merge<T: Serialize + DeserializeOwned>(
    doc: &T,
    patch: &Map<String, Value>,
    protected: &[&str],
) -> Result<T, Failure> {
    let base = serde_json::to_value(doc).map_err(|e| bad_request(e.to_string()))?;
    let apply = |fields: &mut dyn Iterator<Item = (&String, &Value)>| {
        let mut value = base.clone();
        if let Value::Object(object) = &mut value {
            for (name, field) in fields {
                if !protected.contains(&name.as_str()) {
                    object.insert(name.clone(), field.clone());
                }
            }
            object.insert("updated_at".into(), Value::from(time::now_ms()));
        }
        serde_json::from_value::<T>(value)
    };
    apply(&mut patch.iter()).map_err(|error| {
        // Flattened fields lose serde's path: find the culprit by trying the
        // fields one at a time.
        let culprit = patch
            .iter()
            .find(|(name, field)| apply(&mut std::iter::once((*name, *field))).is_err())
            .map_or("request", |(name, _)| name.as_str());
        let message = error
            .to_string()
            .replace("invalid type: ", "")
            .replace("expected f64", "expected a number")
            .replace("expected u64", "expected a non-negative integer");
        bad_request(format!("{culprit}: {message}"))
    })
}

/// A document as the API shows it: its fields, `spend` and
/// `budget_reset_at`.
pub fn with_spend<T: Serialize>(entry: &Entry<T>) -> Value {
    let mut value = serde_json::to_value(entry.doc().as_ref()).unwrap_or_default();
    if let Value::Object(fields) = &mut value {
        fields.insert("spend".into(), Value::from(entry.account.spent()));
        if let Some(at) = entry.account.reset_at() {
            fields.insert("budget_reset_at".into(), Value::from(time::format_ms(at)));
        }
        let model_spend: Map<String, Value> = entry
            .account
            .model_spend()
            .into_iter()
            .map(|(model, spend)| (model, Value::from(spend)))
            .collect();
        if !model_spend.is_empty() {
            fields.insert("model_spend".into(), Value::Object(model_spend));
        }
    }
    value
}

/// Reads a JSON object body.
pub fn object(body: &[u8]) -> Result<Map<String, Value>, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_request("the request body must be a JSON object")),
        Err(error) => Err(bad_request(format!(
            "the request body is not valid JSON: {error}"
        ))),
    }
}

/// A string field of a request body.
pub fn string_field(body: &Map<String, Value>, name: &str) -> Option<String> {
    body.get(name).and_then(Value::as_str).map(str::to_string)
}

/// A list of strings field (`["a", "b"]`), or a single string.
pub fn string_list(body: &Map<String, Value>, name: &str) -> Vec<String> {
    match body.get(name) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}
