//! LiteLLM's model management API: `POST /model/new`, `/model/update`,
//! `/model/delete`. Deployments added here join the config file's without a
//! restart and survive restarts (crate::deployments). Proxy admins only;
//! every change is audited (object type `deployment`, credentials left out).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Map, Value, json};
use switchboard_api::{ApiError, ErrorKind};
use switchboard_store::AuditEntry;

use crate::admin::{Admin, bad_request, forbidden, not_found, object};
use crate::deployments::{ChangeError, Deployments};
use crate::failure::Failure;
use crate::state::AppState;

/// `POST /model/new` with a `model_list` entry: `{"model_name": ...,
/// "litellm_params": {...}, "model_info": {...}}`.
pub async fn new(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let admin = match Admin::start(state, &headers, "/model/new") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async {
        let (deployments, store) = access(&admin)?;
        let definition = Value::Object(object(&body)?);
        let created = deployments
            .add(definition, &admin.principal.actor(), store, &admin.state)
            .await
            .map_err(failure)?;
        audit(&admin, "created", &created, None, Some(&created)).await;
        Ok(created)
    }
    .await;
    admin.respond(result)
}

/// `POST /model/update`: `{"model_info": {"id": ...}, "model_name"?,
/// "litellm_params"?: {changed keys}}` (`id` at the top level works too).
pub async fn update(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let admin = match Admin::start(state, &headers, "/model/update") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async {
        let (deployments, store) = access(&admin)?;
        let patch = object(&body)?;
        let id = deployment_id(&patch)?;
        let (before, updated) = deployments
            .update(&id, &patch, store, &admin.state)
            .await
            .map_err(failure)?;
        audit(&admin, "updated", &updated, Some(&before), Some(&updated)).await;
        Ok(updated)
    }
    .await;
    admin.respond(result)
}

/// `POST /model/delete`: `{"id": ...}`.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let admin = match Admin::start(state, &headers, "/model/delete") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async {
        let (deployments, store) = access(&admin)?;
        let id = deployment_id(&object(&body)?)?;
        let removed = deployments
            .delete(&id, store, &admin.state)
            .await
            .map_err(failure)?;
        audit(&admin, "deleted", &removed, Some(&removed), None).await;
        Ok(json!({"message": format!("deployment {id} deleted"), "deleted": removed}))
    }
    .await;
    admin.respond(result)
}

/// The model sources and the database, for a proxy admin.
fn access(admin: &Admin) -> Result<(&Deployments, &switchboard_store::Store), Failure> {
    if !admin.is_admin() {
        return Err(forbidden("only proxy admins can change deployments"));
    }
    let deployments = admin.state.deployments().ok_or_else(|| {
        Failure::from(ApiError::new(
            ErrorKind::Internal,
            "model management is not set up in this process",
        ))
    })?;
    Ok((deployments, admin.store()?))
}

/// `id` or `model_info.id`.
fn deployment_id(body: &Map<String, Value>) -> Result<String, Failure> {
    body.get("id")
        .or_else(|| body.get("model_info").and_then(|info| info.get("id")))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .ok_or_else(|| bad_request("`id` (or `model_info.id`) names the deployment"))
}

fn failure(error: ChangeError) -> Failure {
    match error {
        ChangeError::Invalid(message) => bad_request(message),
        ChangeError::NotFound(message) => not_found(message),
        ChangeError::Storage(message) => ApiError::new(ErrorKind::Internal, message).into(),
    }
}

/// The audit entry of a change; a failure to write it is logged, the
/// change stands (it is live and stored already).
async fn audit(
    admin: &Admin,
    action: &str,
    deployment: &Value,
    before: Option<&Value>,
    after: Option<&Value>,
) {
    let Ok(store) = admin.store() else { return };
    let entry = AuditEntry {
        id: crate::context::uuid_text(),
        at: switchboard_governance::time::now_ms(),
        actor: admin.principal.actor(),
        action: action.to_string(),
        object_type: "deployment".into(),
        object_id: deployment
            .pointer("/model_info/id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        before: before.cloned(),
        after: after.cloned(),
    };
    if let Err(error) = store.insert_audit(&entry).await {
        tracing::error!(%error, "cannot write the audit entry of a deployment change");
    }
}
