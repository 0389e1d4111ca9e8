//! `/key/*`: virtual keys. A new key is shown once; only its hash is kept.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Map, Value, json};
use switchboard_governance::entities::{Key, User};
use switchboard_governance::{Entry, duration, secret, time};

use crate::admin::{
    Admin, bad_request, forbidden, merge, not_found, object, string_field, string_list, with_spend,
};
use crate::failure::Failure;
use crate::state::AppState;

/// Fields a request may not set directly.
const PROTECTED: &[&str] = &[
    "token",
    "key_name",
    "key",
    "keys",
    "duration",
    "spend",
    "created_at",
    "created_by",
    "expires",
];

/// Fields only a proxy admin or the key's team admin may change: a user
/// must not raise its own limits.
const LIMIT_FIELDS: &[&str] = &[
    "max_budget",
    "soft_budget",
    "budget_duration",
    "tpm_limit",
    "rpm_limit",
    "max_parallel_requests",
    "model_max_budget",
    "model_rpm_limit",
    "model_tpm_limit",
    "models",
    "team_id",
    "user_id",
    "organization_id",
    "budget_id",
    "blocked",
];

/// The key named by `text`: the key itself or its hash.
fn find(state: &AppState, text: &str) -> Option<Arc<Entry<Key>>> {
    let token = if secret::is_hash(text) {
        text.to_string()
    } else {
        secret::hash(text)
    };
    state.registry.keys.get(&token)
}

/// Whether the caller may see `key`.
fn may_read(admin: &Admin, key: &Key) -> bool {
    admin.reads_everything()
        || (admin.user_id().is_some() && admin.user_id() == key.user_id)
        || key
            .team_id
            .as_deref()
            .is_some_and(|team| admin.admins_team(team))
        || admin
            .principal
            .caller()
            .is_some_and(|caller| caller.key.doc().token == key.token)
}

/// Whether the caller may change `key` (limits only if `limits`).
fn may_change(admin: &Admin, key: &Key, limits: bool) -> bool {
    if admin.is_admin() {
        return true;
    }
    if key
        .team_id
        .as_deref()
        .is_some_and(|team| admin.admins_team(team))
    {
        return true;
    }
    admin.may_write() && !limits && admin.user_id().is_some() && admin.user_id() == key.user_id
}

fn touches_limits(patch: &Map<String, Value>) -> bool {
    patch
        .keys()
        .any(|name| LIMIT_FIELDS.contains(&name.as_str()))
}

/// `duration` (`30d`, ...) as an expiry time; `null` or absent: never.
fn expiry(patch: &Map<String, Value>) -> Result<Option<Option<i64>>, Failure> {
    match patch.get("duration") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(text)) => {
            let length = duration::parse(text).ok_or_else(|| {
                bad_request(format!(
                    "`duration` `{text}` is not a duration like 30s, 1h, 7d, 30d"
                ))
            })?;
            let ms = i64::try_from(length.as_millis()).unwrap_or(i64::MAX);
            Ok(Some(Some(time::now_ms().saturating_add(ms))))
        }
        Some(_) => Err(bad_request("`duration` must be a string like 30d")),
    }
}

/// Checks the references of a key document and creates its user when new
/// (LiteLLM creates the user of a key on the fly).
async fn check_references(admin: &Admin, key: &Key) -> Result<(), Failure> {
    let registry = &admin.state.registry;
    if let Some(team) = &key.team_id
        && registry.teams.get(team).is_none()
    {
        return Err(bad_request(format!("team `{team}` does not exist")));
    }
    if let Some(organization) = &key.organization_id
        && registry.organizations.get(organization).is_none()
    {
        return Err(bad_request(format!(
            "organization `{organization}` does not exist"
        )));
    }
    if let Some(budget) = &key.budget_id
        && registry.budgets.get(budget).is_none()
    {
        return Err(bad_request(format!("budget `{budget}` does not exist")));
    }
    if let Some(period) = &key.limits.budget_duration
        && duration::parse(period).is_none()
    {
        return Err(bad_request(format!(
            "`budget_duration` `{period}` is not a duration like 30s, 1h, 7d, 30d"
        )));
    }
    if let Some(user) = &key.user_id
        && registry.users.get(user).is_none()
    {
        let doc = User {
            user_id: user.clone(),
            created_at: Some(time::now_ms()),
            ..User::default()
        };
        admin.save(doc, "created", None).await?;
    }
    Ok(())
}

/// The response to a new (or regenerated) key: the document and, once,
/// the key itself.
fn shown_once(entry: &Entry<Key>, secret: &str) -> Value {
    let mut value = with_spend(entry);
    if let Value::Object(fields) = &mut value {
        fields.insert("key".into(), Value::from(secret));
    }
    value
}

/// `POST /key/generate`.
pub async fn generate(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let admin = match Admin::start(state, &headers, "/key/generate") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async { issue(&admin, object(&body)?).await }.await;
    admin.respond(result)
}

/// Creates a key as `/key/generate` describes it; the response shows the
/// key once.
pub async fn issue(admin: &Admin, patch: Map<String, Value>) -> Result<Value, Failure> {
    if !admin.may_write() {
        return Err(forbidden("this role cannot create keys"));
    }
    let mut patch = patch;
    if !admin.is_admin() {
        let own = admin.user_id();
        let team_admin = string_field(&patch, "team_id").is_some_and(|t| admin.admins_team(&t));
        match string_field(&patch, "user_id") {
            Some(user) if Some(&user) != own.as_ref() && !team_admin => {
                return Err(forbidden("you can only create keys for yourself"));
            }
            None if !team_admin => match own {
                Some(own) => {
                    patch.insert("user_id".into(), Value::from(own));
                }
                None => return Err(forbidden("only a user's key can create keys")),
            },
            _ => {}
        }
        if let Some(team) = string_field(&patch, "team_id") {
            let member = admin.user_id().is_some_and(|user| {
                admin
                    .state
                    .registry
                    .teams
                    .get(&team)
                    .is_some_and(|t| t.doc().has_member(&user))
            });
            if !member {
                return Err(forbidden(format!("you are not a member of team `{team}`")));
            }
        }
    }
    let secret = match string_field(&patch, "key") {
        Some(custom) if custom.starts_with("sk-") && custom.len() >= 8 => custom,
        Some(_) => {
            return Err(bad_request(
                "a custom `key` must start with `sk-` and be at least 8 characters",
            ));
        }
        None => {
            secret::generate().map_err(|e| bad_request(format!("no randomness available: {e}")))?
        }
    };
    let token = secret::hash(&secret);
    if admin.state.registry.keys.get(&token).is_some() {
        return Err(bad_request("this key already exists"));
    }
    let now = time::now_ms();
    let base = Key {
        token,
        key_name: secret::display_name(&secret),
        created_at: Some(now),
        created_by: Some(admin.principal.actor()),
        ..Key::default()
    };
    let mut key = merge(&base, &patch, PROTECTED)?;
    if let Some(expires) = expiry(&patch)? {
        key.expires = expires;
    }
    check_references(admin, &key).await?;
    let entry = admin.save(key, "created", None).await?;
    Ok(shown_once(&entry, &secret))
}

/// `GET /key/info?key=...` (the caller's own key when absent).
pub async fn info(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let admin = match Admin::start(state, &headers, "/key/info") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = (|| {
        let entry = match params.get("key") {
            Some(text) => find(&admin.state, text).ok_or_else(|| not_found("no such key"))?,
            None => admin
                .principal
                .caller()
                .map(|c| Arc::clone(&c.key))
                .ok_or_else(|| bad_request("name the key: /key/info?key=..."))?,
        };
        let doc = entry.doc();
        if !may_read(&admin, &doc) {
            return Err(forbidden("you cannot see this key"));
        }
        Ok(json!({"key": doc.token, "info": with_spend(&entry)}))
    })();
    admin.respond(result)
}

/// `GET /key/list`: filters `user_id`, `team_id`, `organization_id`,
/// `key_alias`; pages `page` (from 1) of `size`; `return_full_object`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let admin = match Admin::start(state, &headers, "/key/list") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let page: usize = params
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let size: usize = params
        .get("size")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100)
        .clamp(1, 1000);
    let full = params
        .get("return_full_object")
        .is_some_and(|v| v == "true");
    let matches = |key: &Key| {
        let field = |name: &str, value: &Option<String>| {
            params
                .get(name)
                .is_none_or(|wanted| value.as_deref() == Some(wanted))
        };
        field("user_id", &key.user_id)
            && field("team_id", &key.team_id)
            && field("organization_id", &key.organization_id)
            && field("key_alias", &key.key_alias)
    };
    let visible: Vec<Arc<Entry<Key>>> = admin
        .state
        .registry
        .keys
        .all()
        .into_iter()
        .filter(|entry| {
            let doc = entry.doc();
            matches(&doc) && may_read(&admin, &doc)
        })
        .collect();
    let total = visible.len();
    let keys: Vec<Value> = visible
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|entry| {
            if full {
                with_spend(entry)
            } else {
                Value::from(entry.doc().token.clone())
            }
        })
        .collect();
    admin.respond(Ok::<_, Failure>(json!({
        "keys": keys,
        "total_count": total,
        "current_page": page,
        "total_pages": total.div_ceil(size),
    })))
}

/// `POST /key/update` with `key` and the fields to change.
pub async fn update(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let admin = match Admin::start(state, &headers, "/key/update") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async {
        let patch = object(&body)?;
        let text = string_field(&patch, "key").ok_or_else(|| bad_request("`key` is required"))?;
        let entry = find(&admin.state, &text).ok_or_else(|| not_found("no such key"))?;
        let before = entry.doc();
        if !may_change(&admin, &before, touches_limits(&patch)) {
            return Err(forbidden("you cannot change this key (or its limits)"));
        }
        let mut key = merge(before.as_ref(), &patch, PROTECTED)?;
        if let Some(expires) = expiry(&patch)? {
            key.expires = expires;
        }
        check_references(&admin, &key).await?;
        let entry = admin.save(key, "updated", Some(before.as_ref())).await?;
        Ok(with_spend(&entry))
    }
    .await;
    admin.respond(result)
}

/// `POST /key/delete` with `keys` (keys or hashes) and/or `key_aliases`.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let admin = match Admin::start(state, &headers, "/key/delete") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async {
        let patch = object(&body)?;
        let mut targets: Vec<Arc<Entry<Key>>> = Vec::new();
        for text in string_list(&patch, "keys") {
            targets.push(
                find(&admin.state, &text)
                    .ok_or_else(|| not_found(format!("no such key: {}", shorten(&text))))?,
            );
        }
        let aliases = string_list(&patch, "key_aliases");
        if !aliases.is_empty() {
            for entry in admin.state.registry.keys.all() {
                if entry
                    .doc()
                    .key_alias
                    .as_ref()
                    .is_some_and(|a| aliases.contains(a))
                {
                    targets.push(entry);
                }
            }
        }
        if targets.is_empty() {
            return Err(bad_request(
                "name the keys to delete: `keys` or `key_aliases`",
            ));
        }
        for entry in &targets {
            if !may_change(&admin, &entry.doc(), false) {
                return Err(forbidden("you cannot delete one of these keys"));
            }
        }
        let mut deleted = Vec::new();
        for entry in targets {
            let doc = entry.doc();
            admin.delete(doc.as_ref()).await?;
            deleted.push(doc.token.clone());
        }
        Ok(json!({"deleted_keys": deleted}))
    }
    .await;
    admin.respond(result)
}

fn shorten(text: &str) -> String {
    if secret::is_hash(text) {
        text.to_string()
    } else {
        secret::display_name(text)
    }
}

/// `POST /key/block` and `/key/unblock` with `key`.
pub async fn block(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    set_blocked(state, headers, body, true).await
}

pub async fn unblock(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    set_blocked(state, headers, body, false).await
}

async fn set_blocked(
    state: Arc<AppState>,
    headers: HeaderMap,
    body: Bytes,
    blocked: bool,
) -> Response {
    let admin = match Admin::start(state, &headers, "/key/block") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async {
        let patch = object(&body)?;
        let text = string_field(&patch, "key").ok_or_else(|| bad_request("`key` is required"))?;
        let entry = find(&admin.state, &text).ok_or_else(|| not_found("no such key"))?;
        let before = entry.doc();
        if !may_change(&admin, &before, true) {
            return Err(forbidden("you cannot block or unblock this key"));
        }
        let mut key = before.as_ref().clone();
        key.blocked = blocked;
        key.updated_at = Some(time::now_ms());
        let action = if blocked { "blocked" } else { "unblocked" };
        let entry = admin.save(key, action, Some(before.as_ref())).await?;
        Ok(with_spend(&entry))
    }
    .await;
    admin.respond(result)
}

/// `POST /key/regenerate` (body `key`) and `/key/{key}/regenerate`: a new
/// secret for the same key; settings and spend stay.
pub async fn regenerate(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    regenerate_key(state, headers, None, body).await
}

pub async fn regenerate_path(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    regenerate_key(state, headers, Some(key), body).await
}

async fn regenerate_key(
    state: Arc<AppState>,
    headers: HeaderMap,
    named: Option<String>,
    body: Bytes,
) -> Response {
    let admin = match Admin::start(state, &headers, "/key/regenerate") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async {
        let patch = object(&body)?;
        let text = named
            .or_else(|| string_field(&patch, "key"))
            .ok_or_else(|| bad_request("`key` is required"))?;
        let entry = find(&admin.state, &text).ok_or_else(|| not_found("no such key"))?;
        let before = entry.doc();
        if !may_change(&admin, &before, touches_limits(&patch)) {
            return Err(forbidden("you cannot regenerate this key"));
        }
        let secret =
            secret::generate().map_err(|e| bad_request(format!("no randomness available: {e}")))?;
        let mut key = merge(before.as_ref(), &patch, PROTECTED)?;
        key.token = secret::hash(&secret);
        key.key_name = secret::display_name(&secret);
        let store = admin.store()?;
        store
            .rename_principal(
                "key",
                &before.token,
                &key.token,
                &serde_json::to_string(&key).unwrap_or_default(),
            )
            .await
            .map_err(|error| {
                tracing::error!(%error, "key regeneration could not be stored");
                bad_request("the key could not be regenerated")
            })?;
        let registry = &admin.state.registry;
        let account = switchboard_governance::account::Account::restore(
            entry.account.spent(),
            entry.account.reset_at(),
        );
        registry.keys.remove(&before.token);
        let renewed = registry.keys.insert(key.clone(), account);
        admin
            .save(key, "regenerated", Some(before.as_ref()))
            .await?;
        Ok(shown_once(&renewed, &secret))
    }
    .await;
    admin.respond(result)
}
