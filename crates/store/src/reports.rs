//! Spend reports over the request log: totals grouped by who, what, where
//! or when, over a date range. Computed from the log rows themselves, so a
//! report's total is the sum of its records by construction.

use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError};

/// What a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Key,
    Team,
    User,
    Customer,
    Organization,
    Model,
    Provider,
    Deployment,
    Tag,
    Day,
}

impl GroupBy {
    pub fn parse(text: &str) -> Option<GroupBy> {
        Some(match text {
            "key" | "api_key" => GroupBy::Key,
            "team" => GroupBy::Team,
            "user" => GroupBy::User,
            "customer" | "end_user" => GroupBy::Customer,
            "organization" => GroupBy::Organization,
            "model" | "model_group" => GroupBy::Model,
            "provider" => GroupBy::Provider,
            "deployment" => GroupBy::Deployment,
            "tag" => GroupBy::Tag,
            "day" => GroupBy::Day,
            _ => return None,
        })
    }

    /// The log column (expression) behind the group; each is a column of
    /// `request_logs` (aliased `l`) or the tag table (`t`).
    fn expression(self) -> &'static str {
        match self {
            GroupBy::Key => "l.key_hash",
            GroupBy::Team => "l.team_id",
            GroupBy::User => "l.user_id",
            GroupBy::Customer => "l.end_user",
            GroupBy::Organization => "l.organization_id",
            GroupBy::Model => "l.model_group",
            GroupBy::Provider => "l.provider",
            GroupBy::Deployment => "l.deployment_id",
            GroupBy::Tag => "t.tag",
            // Unix day number: the API turns it into a date.
            GroupBy::Day => "CAST(l.started_at / 86400000 AS TEXT)",
        }
    }
}

/// One group's totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportRow {
    /// The group's value; `None` for requests without one (no team, ...).
    pub group: Option<String>,
    pub requests: i64,
    pub spend: f64,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

impl Store {
    /// Totals per group of the requests started in `[start_ms, end_ms)`,
    /// most spend first.
    pub async fn spend_report(
        &self,
        group_by: GroupBy,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<ReportRow>, StoreError> {
        let from = if group_by == GroupBy::Tag {
            "request_tags t JOIN request_logs l ON l.id = t.log_id"
        } else {
            "request_logs l"
        };
        // Sums are cast back to BIGINT: Postgres sums BIGINT as NUMERIC.
        let sql = format!(
            "SELECT {group} AS grp, COUNT(*) AS requests, COALESCE(SUM(l.cost), 0.0) AS spend, \
             CAST(COALESCE(SUM(l.input_tokens), 0) AS BIGINT) AS input_tokens, \
             CAST(COALESCE(SUM(l.output_tokens), 0) AS BIGINT) AS output_tokens \
             FROM {from} WHERE l.started_at >= $1 AND l.started_at < $2 \
             GROUP BY {group} ORDER BY spend DESC, grp",
            group = group_by.expression()
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(start_ms)
            .bind(end_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ReportRow {
                    group: row.try_get("grp")?,
                    requests: row.try_get("requests")?,
                    spend: row.try_get("spend")?,
                    input_tokens: row.try_get("input_tokens")?,
                    output_tokens: row.try_get("output_tokens")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
