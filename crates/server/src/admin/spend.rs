//! `GET /spend/logs`: the request log in LiteLLM's SpendLogs shape.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use http::HeaderMap;
use serde::Serialize;
use serde_json::Value;
use switchboard_api::{ApiError, ErrorKind};
use switchboard_store::{LogQuery, LogRecord};

use crate::admin::Admin;
use crate::failure::Failure;
use crate::state::AppState;
use switchboard_governance::time::{format_ms, parse_date_ms};

/// One row, with LiteLLM's field names (so scripts written against LiteLLM's
/// `/spend/logs` keep working) and switchboard's timing details.
#[derive(Serialize)]
struct SpendLogRow {
    request_id: String,
    call_type: String,
    api_key: Option<String>,
    spend: f64,
    total_tokens: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
    #[serde(rename = "startTime")]
    start_time: String,
    #[serde(rename = "endTime")]
    end_time: String,
    model: String,
    model_id: Option<String>,
    model_group: Option<String>,
    custom_llm_provider: Option<String>,
    user: Option<String>,
    team_id: Option<String>,
    end_user: Option<String>,
    metadata: Value,
    cache_hit: String,
    request_tags: Vec<String>,
    status: &'static str,
    // switchboard's own fields
    http_status: u16,
    error: Option<String>,
    stream: bool,
    latency_ms: f64,
    ttft_ms: Option<f64>,
    overhead_ms: Option<f64>,
    cached_tokens: u64,
    reasoning_tokens: u64,
    attempts: u32,
    /// Every attempt: deployment, status, error, milliseconds, hedge.
    attempt_log: Value,
}

impl From<LogRecord> for SpendLogRow {
    fn from(r: LogRecord) -> SpendLogRow {
        let end = r.started_at + r.latency_ms.round() as i64;
        SpendLogRow {
            request_id: r.request_id,
            call_type: r.call_type,
            api_key: r.key_hash,
            spend: r.cost.unwrap_or(0.0),
            total_tokens: r.input_tokens + r.output_tokens,
            prompt_tokens: r.input_tokens,
            completion_tokens: r.output_tokens,
            start_time: format_ms(r.started_at),
            end_time: format_ms(end),
            model: r.upstream_model.unwrap_or(r.model),
            model_id: r.deployment_id,
            model_group: r.model_group,
            custom_llm_provider: r.provider,
            user: r.user_id,
            team_id: r.team_id,
            end_user: r.end_user,
            metadata: r.metadata.unwrap_or(Value::Object(Default::default())),
            cache_hit: r.cache_hit.to_string(),
            request_tags: r.tags,
            status: if r.status < 400 { "success" } else { "failure" },
            http_status: r.status,
            error: r.error,
            stream: r.stream,
            latency_ms: r.latency_ms,
            ttft_ms: r.ttft_ms,
            overhead_ms: r.overhead_ms,
            cached_tokens: r.cached_tokens,
            reasoning_tokens: r.reasoning_tokens,
            attempts: r.attempts,
            attempt_log: r
                .attempt_log
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or(Value::Array(Vec::new())),
        }
    }
}

/// Query parameters: LiteLLM's (`api_key`, `user_id`, `request_id`,
/// `start_date`, `end_date` as `YYYY-MM-DD`, end inclusive) plus `team_id`,
/// `model_group`, `end_user` and `limit`.
pub async fn logs(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let admin = match Admin::start(state, &headers, "/spend/logs") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async {
        let store = admin.store()?;
        let mut query = log_query(&params)?;
        // Users see their own requests only.
        if !admin.reads_everything() {
            match admin.user_id() {
                Some(user) => query.user_id = Some(user),
                None => {
                    let own = admin.principal.caller().map(|c| c.key.doc().token.clone());
                    query.key_hash = own;
                }
            }
        }
        let records = store.query_logs(&query).await.map_err(|error| {
            tracing::error!(%error, "spend log query failed");
            Failure::from(ApiError::new(ErrorKind::Internal, "the log query failed"))
        })?;
        Ok(records
            .into_iter()
            .map(SpendLogRow::from)
            .collect::<Vec<_>>())
    }
    .await;
    admin.respond(result)
}

fn log_query(params: &HashMap<String, String>) -> Result<LogQuery, Failure> {
    let date = |name: &str| -> Result<Option<i64>, ApiError> {
        params
            .get(name)
            .map(|text| {
                parse_date_ms(text).ok_or_else(|| {
                    ApiError::new(
                        ErrorKind::InvalidRequest,
                        format!("`{name}` must be a date written YYYY-MM-DD"),
                    )
                    .with_param(name)
                })
            })
            .transpose()
    };
    let limit = match params.get("limit") {
        Some(text) => Some(text.parse::<u32>().map_err(|_| {
            ApiError::new(
                ErrorKind::InvalidRequest,
                "`limit` must be a positive integer",
            )
            .with_param("limit")
        })?),
        None => None,
    };
    Ok(LogQuery {
        start_ms: date("start_date").map_err(Failure::from)?,
        // The end date is inclusive: up to the end of that day.
        end_ms: date("end_date")
            .map_err(Failure::from)?
            .map(|start_of_day| start_of_day + 86_400_000),
        request_id: params.get("request_id").cloned(),
        key_hash: params.get("api_key").cloned(),
        user_id: params.get("user_id").cloned(),
        team_id: params.get("team_id").cloned(),
        model_group: params.get("model_group").cloned(),
        end_user: params.get("end_user").cloned(),
        limit,
    })
}
