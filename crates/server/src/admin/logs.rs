//! The request log API the web UI reads: `GET /logs` (search, newest first,
//! cursor pages), `GET /logs/{request_id}` (one record, bodies included)
//! and `GET /logs/stats` (the dashboard's buckets and top lists).
//!
//! Access follows `GET /spend/logs` (docs/ACCESS.md): proxy admins and
//! viewers see every request, other callers their own (their user's, or
//! for a key without a user, the key's); the stats are for proxy admins and
//! viewers only.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use http::HeaderMap;
use serde_json::Value;
use switchboard_api::{ApiError, ErrorKind};
use switchboard_config::GeneralSettings;
use switchboard_governance::time::{now_ms, parse_iso_ms};
use switchboard_store::{
    Cursor, LogOwner, LogSearch, MAX_BUCKETS, MAX_LIMIT, RAW_STATS_MAX_MS, Retention, StatsQuery,
    StatusFilter, StoreError, TextQuery,
};

use crate::admin::{Admin, bad_request, forbidden, not_found};
use crate::failure::Failure;
use crate::state::AppState;

const DAY_MS: i64 = 86_400_000;
/// Entries per top list unless `top` says otherwise, and at most.
const TOP_DEFAULT: usize = 10;
const TOP_MAX: usize = 100;

/// The retention bounds `general_settings` asks for (the log writer prunes
/// in the background), or what is wrong with them, naming the key.
pub fn retention(settings: &GeneralSettings) -> Result<Retention, String> {
    let max_age = settings
        .maximum_spend_logs_retention_period
        .as_deref()
        .map(|text| {
            switchboard_governance::duration::parse(text).ok_or_else(|| {
                format!(
                    "general_settings.maximum_spend_logs_retention_period: `{text}` is not a duration such as 30d, 12h, 2w or 1mo"
                )
            })
        })
        .transpose()?;
    if settings.max_request_logs == Some(0) {
        return Err("general_settings.max_request_logs: must be at least 1".into());
    }
    Ok(Retention {
        max_age,
        max_rows: settings.max_request_logs,
    })
}

/// Unix milliseconds, or RFC 3339 with any offset (`2026-11-22T10:04:05Z`,
/// `...+02:00`), or a date (`2026-11-22`, midnight UTC).
fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    let split = text.len().checked_sub(6)?;
    if let (Some(local), Some(offset)) = (text.get(..split), text.get(split..))
        && local.contains('T')
        && let Some(sign) = match offset.as_bytes().first() {
            Some(b'+') => Some(1),
            Some(b'-') => Some(-1),
            _ => None,
        }
        && let Some((hours, minutes)) = offset[1..].split_once(':')
    {
        let hours: i64 = hours.parse().ok()?;
        let minutes: i64 = minutes.parse().ok()?;
        if hours > 23 || minutes > 59 {
            return None;
        }
        return Some(parse_iso_ms(local)? - sign * (hours * 60 + minutes) * 60_000);
    }
    parse_iso_ms(text)
}

/// The non-empty value of a query parameter.
fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn invalid(name: &str, message: String) -> Failure {
    ApiError::new(ErrorKind::InvalidRequest, message)
        .with_param(name)
        .into()
}

fn time_param(params: &HashMap<String, String>, name: &str) -> Result<Option<i64>, Failure> {
    param(params, name)
        .map(|text| {
            parse_time(text).ok_or_else(|| {
                invalid(
                    name,
                    format!(
                        "`{name}` must be RFC 3339 (2026-11-22T10:00:00Z) or unix milliseconds"
                    ),
                )
            })
        })
        .transpose()
}

fn number_param<T: std::str::FromStr>(
    params: &HashMap<String, String>,
    name: &str,
    what: &str,
    valid: impl Fn(&T) -> bool,
) -> Result<Option<T>, Failure> {
    param(params, name)
        .map(|text| {
            text.parse::<T>()
                .ok()
                .filter(|v| valid(v))
                .ok_or_else(|| invalid(name, format!("`{name}` must be {what}")))
        })
        .transpose()
}

fn search_from(params: &HashMap<String, String>) -> Result<LogSearch, Failure> {
    let text = |name: &str| param(params, name).map(str::to_string);
    let limit = number_param::<u32>(params, "limit", "a positive integer", |n| *n > 0)?;
    let status = param(params, "status")
        .map(|text| {
            StatusFilter::parse(text).ok_or_else(|| {
                invalid(
                    "status",
                    "`status` is success, failure or an HTTP status code".into(),
                )
            })
        })
        .transpose()?;
    let words = param(params, "q")
        .map(|q| {
            TextQuery::parse(q).ok_or_else(|| invalid("q", "`q` has no word to search for".into()))
        })
        .transpose()?;
    let cursor = param(params, "cursor")
        .map(|c| {
            Cursor::parse(c)
                .ok_or_else(|| invalid("cursor", "`cursor` is not one this API returned".into()))
        })
        .transpose()?;
    Ok(LogSearch {
        start_ms: time_param(params, "start_time")?,
        end_ms: time_param(params, "end_time")?,
        key_hash: text("key_hash"),
        key_alias: text("key_alias"),
        team_id: text("team_id"),
        user_id: text("user_id"),
        end_user: text("end_user"),
        model: text("model"),
        model_group: text("model_group"),
        provider: text("provider"),
        status,
        min_latency_ms: number_param::<f64>(
            params,
            "min_latency_ms",
            "a number of milliseconds",
            |ms| ms.is_finite() && *ms >= 0.0,
        )?,
        text: words,
        limit: limit.map_or(50, |n| n.min(MAX_LIMIT)),
        cursor,
    })
}

/// Whose requests the caller may read: `None` for everyone's.
fn owner(admin: &Admin) -> Option<LogOwner> {
    if admin.reads_everything() {
        return None;
    }
    Some(match admin.user_id() {
        Some(user) => LogOwner::User(user),
        None => LogOwner::Key(
            admin
                .principal
                .caller()
                .map(|c| c.key.doc().token.clone())
                .unwrap_or_default(),
        ),
    })
}

fn query_failure(what: &'static str) -> impl Fn(StoreError) -> Failure {
    move |error| {
        tracing::error!(%error, "{what} failed");
        ApiError::new(ErrorKind::Internal, format!("the {what} failed")).into()
    }
}

/// `GET /logs`: `{"data": [summaries], "next_cursor": "..." | null}`.
pub async fn search(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let admin = match Admin::start(state, &headers, "/logs") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async {
        let mut search = search_from(&params)?;
        match owner(&admin) {
            Some(LogOwner::User(user)) => search.user_id = Some(user),
            Some(LogOwner::Key(hash)) => search.key_hash = Some(hash),
            None => {}
        }
        admin
            .store()?
            .search_logs(&search)
            .await
            .map_err(query_failure("log search"))
    }
    .await;
    admin.respond(result)
}

/// `GET /logs/{request_id}`: the whole record, `attempt_log` as JSON.
pub async fn detail(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(request_id): Path<String>,
) -> Response {
    let admin = match Admin::start(state, &headers, "/logs/{request_id}") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async {
        let record = admin
            .store()?
            .find_log(&request_id, owner(&admin).as_ref())
            .await
            .map_err(query_failure("log lookup"))?
            .ok_or_else(|| not_found(format!("no request log with request_id `{request_id}`")))?;
        let attempts = record
            .attempt_log
            .as_deref()
            .and_then(|text| serde_json::from_str::<Value>(text).ok())
            .unwrap_or(Value::Array(Vec::new()));
        let mut value = serde_json::to_value(&record).map_err(|e| bad_request(e.to_string()))?;
        if let Value::Object(fields) = &mut value {
            fields.insert("attempt_log".into(), attempts);
            let tokens = record.input_tokens.saturating_add(record.output_tokens);
            fields.insert("tokens".into(), Value::from(tokens));
        }
        Ok(value)
    }
    .await;
    admin.respond(result)
}

/// `GET /logs/stats?start_time=&end_time=&bucket_seconds=60[&top=10]`: the
/// last day by default.
pub async fn stats(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let admin = match Admin::start(state, &headers, "/logs/stats") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async {
        if !admin.reads_everything() {
            return Err(forbidden(
                "only proxy admins and viewers can read the log statistics",
            ));
        }
        let query = stats_query(&params)?;
        admin
            .store()?
            .log_stats(&query)
            .await
            .map_err(query_failure("log statistics query"))
    }
    .await;
    admin.respond(result)
}

fn stats_query(params: &HashMap<String, String>) -> Result<StatsQuery, Failure> {
    let end_ms = time_param(params, "end_time")?.unwrap_or_else(|| now_ms() + 1);
    let start_ms = time_param(params, "start_time")?.unwrap_or(end_ms - DAY_MS);
    if start_ms >= end_ms {
        return Err(invalid(
            "start_time",
            "`start_time` must be before `end_time`".into(),
        ));
    }
    let seconds = number_param::<i64>(params, "bucket_seconds", "a positive integer", |s| {
        (1..=366 * 86_400).contains(s)
    })?
    .unwrap_or(60);
    if seconds >= 60 && seconds % 60 != 0 {
        return Err(invalid(
            "bucket_seconds",
            "`bucket_seconds` of a minute or more must be whole minutes".into(),
        ));
    }
    let bucket_ms = seconds * 1000;
    if seconds < 60 && end_ms - start_ms > RAW_STATS_MAX_MS {
        return Err(invalid(
            "bucket_seconds",
            "buckets under a minute are for ranges of an hour at most".into(),
        ));
    }
    if (end_ms - start_ms) / bucket_ms >= MAX_BUCKETS {
        return Err(invalid(
            "bucket_seconds",
            format!("the range would have more than {MAX_BUCKETS} buckets; choose larger ones"),
        ));
    }
    let top = number_param::<usize>(params, "top", "a positive integer", |n| *n > 0)?
        .map_or(TOP_DEFAULT, |n| n.min(TOP_MAX));
    Ok(StatsQuery {
        start_ms,
        end_ms,
        bucket_ms,
        top,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_unix_milliseconds() {
        let utc = parse_time("2026-11-22T10:04:05.123Z").unwrap();
        assert_eq!(parse_time(&utc.to_string()), Some(utc));
        assert_eq!(parse_time("2026-11-22T12:04:05.123+02:00"), Some(utc));
        assert_eq!(parse_time("2026-11-22T05:34:05.123-04:30"), Some(utc));
        assert_eq!(parse_time("2026-11-22"), Some(utc - utc % DAY_MS));
        for bad in [
            "",
            "yesterday",
            "2026-11-22T10:04:05+25:00",
            "2026-13-01",
            "1e5",
            "ü+00:00",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn retention_settings_are_checked() {
        let settings = GeneralSettings {
            maximum_spend_logs_retention_period: Some("30d".into()),
            max_request_logs: Some(1_000_000),
            ..GeneralSettings::default()
        };
        let retention = retention(&settings).unwrap();
        assert_eq!(
            retention.max_age,
            Some(std::time::Duration::from_secs(30 * 86_400))
        );
        assert_eq!(retention.max_rows, Some(1_000_000));
        assert!(
            !super::retention(&GeneralSettings::default())
                .unwrap()
                .is_bounded()
        );
        let bad = GeneralSettings {
            maximum_spend_logs_retention_period: Some("30 days".into()),
            ..GeneralSettings::default()
        };
        assert!(
            super::retention(&bad)
                .unwrap_err()
                .contains("maximum_spend_logs_retention_period")
        );
    }

    #[test]
    fn stats_ranges_are_checked() {
        let params = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>()
        };
        let day = stats_query(&params(&[("start_time", "0"), ("end_time", "86400000")])).unwrap();
        assert_eq!((day.bucket_ms, day.top), (60_000, TOP_DEFAULT));
        for bad in [
            params(&[("start_time", "10"), ("end_time", "5")]),
            params(&[("bucket_seconds", "90")]),
            params(&[("bucket_seconds", "15")]),
            params(&[("bucket_seconds", "0")]),
            params(&[
                ("start_time", "0"),
                ("end_time", "31536000000"),
                ("bucket_seconds", "60"),
            ]),
        ] {
            assert!(stats_query(&bad).is_err(), "{bad:?}");
        }
        let short = params(&[
            ("start_time", "0"),
            ("end_time", "900000"),
            ("bucket_seconds", "15"),
        ]);
        assert_eq!(stats_query(&short).unwrap().bucket_ms, 15_000);
    }
}
