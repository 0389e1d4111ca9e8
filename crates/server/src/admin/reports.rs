//! Spend reports: `/global/spend/report` (grouped totals over a date range,
//! JSON or CSV), `/spend/keys` and `/spend/tags` (LiteLLM's shapes). Proxy
//! admins and viewers only.

use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use serde_json::{Value, json};
use switchboard_governance::time::{format_ms, now_ms, parse_date_ms};
use switchboard_store::{GroupBy, ReportRow};

use crate::admin::{Admin, bad_request, forbidden, with_spend};
use crate::failure::Failure;

const DAY_MS: i64 = 86_400_000;

/// `[start, end)` from `start_date` and `end_date` (inclusive), both
/// `YYYY-MM-DD`; the last 30 days when absent.
fn range(params: &std::collections::HashMap<String, String>) -> Result<(i64, i64), Failure> {
    let date = |name: &str| -> Result<Option<i64>, Failure> {
        params
            .get(name)
            .map(|text| {
                parse_date_ms(text)
                    .ok_or_else(|| bad_request(format!("`{name}` must be YYYY-MM-DD")))
            })
            .transpose()
    };
    let end = date("end_date")?.map_or_else(|| now_ms() + 1, |day| day + DAY_MS);
    let start = date("start_date")?.unwrap_or(end - 30 * DAY_MS);
    if start >= end {
        return Err(bad_request("`start_date` must not be after `end_date`"));
    }
    Ok((start, end))
}

async fn report(
    admin: &Admin,
    group_by: GroupBy,
    start: i64,
    end: i64,
) -> Result<Vec<ReportRow>, Failure> {
    if !admin.reads_everything() {
        return Err(forbidden(
            "only proxy admins and viewers can read spend reports",
        ));
    }
    admin
        .store()?
        .spend_report(group_by, start, end)
        .await
        .map_err(|error| {
            tracing::error!(%error, "spend report failed");
            bad_request("the spend report failed")
        })
}

/// A day number (days since 1970-01-01) as `YYYY-MM-DD`.
fn day_label(group: Option<&str>) -> Option<String> {
    let day: i64 = group?.parse().ok()?;
    format_ms(day * DAY_MS).get(..10).map(str::to_string)
}

/// `GET /global/spend/report?group_by=team&start_date=..&end_date=..[&format=csv]`.
pub async fn global(
    axum::extract::State(state): axum::extract::State<std::sync::Arc<crate::state::AppState>>,
    headers: http::HeaderMap,
    axum::extract::Query(params): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let admin = match Admin::start(state, &headers, "/global/spend/report") {
        Ok(admin) => admin,
        Err(denied) => return *denied,
    };
    let result = async {
        let name = params.get("group_by").map_or("team", String::as_str);
        let group_by = GroupBy::parse(name).ok_or_else(|| {
            bad_request(
                "`group_by` is one of key, team, user, customer, organization, model, provider, deployment, tag, day",
            )
        })?;
        let (start, end) = range(&params)?;
        let rows = report(&admin, group_by, start, end).await?;
        Ok((name.to_string(), group_by, start, end, rows))
    }
    .await;
    match result {
        Err(failure) => admin.respond::<Value>(Err(failure)),
        Ok((name, group_by, start, end, rows)) => {
            let label = |row: &ReportRow| match group_by {
                GroupBy::Day => day_label(row.group.as_deref()),
                _ => row.group.clone(),
            };
            if params.get("format").is_some_and(|f| f == "csv") {
                let mut csv = format!("{name},requests,spend,input_tokens,output_tokens\n");
                for row in &rows {
                    csv.push_str(&format!(
                        "{},{},{},{},{}\n",
                        csv_field(label(row).as_deref().unwrap_or("")),
                        row.requests,
                        row.spend,
                        row.input_tokens,
                        row.output_tokens
                    ));
                }
                return (
                    [
                        (CONTENT_TYPE, "text/csv; charset=utf-8"),
                        (
                            CONTENT_DISPOSITION,
                            "attachment; filename=\"spend-report.csv\"",
                        ),
                    ],
                    csv,
                )
                    .into_response();
            }
            let total_spend: f64 = rows.iter().map(|r| r.spend).sum();
            let total_requests: i64 = rows.iter().map(|r| r.requests).sum();
            let rows: Vec<Value> = rows
                .iter()
                .map(|row| {
                    json!({
                        name.as_str(): label(row),
                        "requests": row.requests,
                        "spend": row.spend,
                        "input_tokens": row.input_tokens,
                        "output_tokens": row.output_tokens,
                    })
                })
                .collect();
            admin.respond(Ok::<_, Failure>(json!({
                "group_by": name,
                "start_date": format_ms(start),
                "end_date": format_ms(end),
                "total_spend": total_spend,
                "total_requests": total_requests,
                "rows": rows,
            })))
        }
    }
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

get_route!(keys, "/spend/keys", |admin, _params| {
    if !admin.reads_everything() {
        return Err(forbidden(
            "only proxy admins and viewers can read spend reports",
        ));
    }
    let mut keys: Vec<Value> = admin
        .state
        .registry
        .keys
        .all()
        .iter()
        .map(|entry| with_spend(entry))
        .collect();
    keys.sort_by(|a, b| {
        let spend = |v: &Value| v["spend"].as_f64().unwrap_or(0.0);
        spend(b).total_cmp(&spend(a))
    });
    Ok(keys)
});

get_route!(tags, "/spend/tags", |admin, params| {
    let (start, end) = range(&params)?;
    let rows = report(&admin, GroupBy::Tag, start, end).await?;
    let tags: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            json!({
                "individual_request_tag": row.group,
                "log_count": row.requests,
                "total_spend": row.spend,
            })
        })
        .collect();
    Ok::<_, Failure>(tags)
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting_and_day_labels() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(day_label(Some("20779")).as_deref(), Some("2026-11-22"));
    }
}
