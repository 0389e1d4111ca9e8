//! Log search (`GET /logs`) and detail (`GET /logs/{request_id}`).
//!
//! Pages are newest first, by `(started_at, seq)`, and the cursor is the
//! last row's pair: the next page is a range scan that starts where the last
//! one stopped (keyset pagination), so a deep page costs what the first one
//! does. Each filter has an index (migration 0005) that serves this order.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::logs::{COLUMNS, record_from_row};
use crate::sql::Builder;
use crate::{Backend, LogRecord, Store, StoreError};

/// Rows per page at most.
pub const MAX_LIMIT: u32 = 1_000;

/// `status=`: a class or one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Below 400.
    Success,
    /// 400 and above.
    Failure,
    Code(u16),
}

impl StatusFilter {
    pub fn parse(text: &str) -> Option<StatusFilter> {
        match text {
            "success" => Some(StatusFilter::Success),
            "failure" => Some(StatusFilter::Failure),
            code => code
                .parse::<u16>()
                .ok()
                .filter(|c| (100..=599).contains(c))
                .map(StatusFilter::Code),
        }
    }
}

/// `q=`: words that must all occur in the request body, the response body
/// or the error (case-insensitive, whole words). The words are letters and
/// digits; everything else separates them, as in both text indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextQuery {
    words: Vec<String>,
}

/// Words of a text query at most (more add little and cost index reads).
const MAX_WORDS: usize = 16;

impl TextQuery {
    /// `None` when `text` has no word.
    pub fn parse(text: &str) -> Option<TextQuery> {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(MAX_WORDS)
            .map(str::to_lowercase)
            .collect();
        (!words.is_empty()).then_some(TextQuery { words })
    }

    /// FTS5 syntax: each word a quoted string, all required.
    fn fts5(&self) -> String {
        let quoted: Vec<String> = self.words.iter().map(|w| format!("\"{w}\"")).collect();
        quoted.join(" ")
    }
}

/// Where a page starts: after the row with this `(started_at, seq)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    started_at: i64,
    seq: i64,
}

impl Cursor {
    /// Reads a cursor that [`Cursor::encode`] wrote.
    pub fn parse(text: &str) -> Option<Cursor> {
        let (started_at, seq) = text.split_once('_')?;
        Some(Cursor {
            started_at: started_at.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }

    /// Opaque to clients; two numbers inside.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.started_at, self.seq)
    }
}

/// Whose requests a caller that does not read everything may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogOwner {
    User(String),
    /// A key without a user: its own requests (by key hash).
    Key(String),
}

/// Filters of `GET /logs`; every one is optional.
#[derive(Debug, Clone, Default)]
pub struct LogSearch {
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub key_hash: Option<String>,
    pub key_alias: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub end_user: Option<String>,
    pub model: Option<String>,
    pub model_group: Option<String>,
    pub provider: Option<String>,
    pub status: Option<StatusFilter>,
    pub min_latency_ms: Option<f64>,
    pub text: Option<TextQuery>,
    /// Rows per page: 50 when 0, at most [`MAX_LIMIT`].
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

/// One row of a search: the record without its bodies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogSummary {
    pub request_id: String,
    /// Unix milliseconds.
    pub started_at: i64,
    pub latency_ms: f64,
    pub ttft_ms: Option<f64>,
    pub overhead_ms: Option<f64>,
    pub call_type: String,
    pub model: String,
    pub model_group: Option<String>,
    pub provider: Option<String>,
    pub deployment_id: Option<String>,
    pub key_alias: Option<String>,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    pub end_user: Option<String>,
    /// The HTTP status the client got.
    pub status: u16,
    pub error: Option<String>,
    /// Input plus output tokens.
    pub tokens: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: Option<f64>,
    pub attempts: i64,
    pub stream: bool,
    pub tags: Vec<String>,
}

const SUMMARY_COLUMNS: &str = "seq, request_id, started_at, latency_ms, ttft_ms, overhead_ms, \
     call_type, model, model_group, provider, deployment_id, key_alias, user_id, team_id, \
     end_user, status, error, input_tokens, output_tokens, cost, attempts, stream, tags";

fn summary_from_row(row: &AnyRow) -> Result<LogSummary, sqlx::Error> {
    let input_tokens: i64 = row.try_get("input_tokens")?;
    let output_tokens: i64 = row.try_get("output_tokens")?;
    let tags: Option<String> = row.try_get("tags")?;
    Ok(LogSummary {
        request_id: row.try_get("request_id")?,
        started_at: row.try_get("started_at")?,
        latency_ms: row.try_get("latency_ms")?,
        ttft_ms: row.try_get("ttft_ms")?,
        overhead_ms: row.try_get("overhead_ms")?,
        call_type: row.try_get("call_type")?,
        model: row.try_get("model")?,
        model_group: row.try_get("model_group")?,
        provider: row.try_get("provider")?,
        deployment_id: row.try_get("deployment_id")?,
        key_alias: row.try_get("key_alias")?,
        user_id: row.try_get("user_id")?,
        team_id: row.try_get("team_id")?,
        end_user: row.try_get("end_user")?,
        status: u16::try_from(row.try_get::<i64, _>("status")?).unwrap_or(0),
        error: row.try_get("error")?,
        tokens: input_tokens.saturating_add(output_tokens),
        input_tokens,
        output_tokens,
        cost: row.try_get("cost")?,
        attempts: row.try_get("attempts")?,
        stream: row.try_get::<i64, _>("stream")? != 0,
        tags: tags
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default(),
    })
}

/// A page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogPage {
    pub data: Vec<LogSummary>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl Store {
    /// One page of the records matching `search`, newest first.
    pub async fn search_logs(&self, search: &LogSearch) -> Result<LogPage, StoreError> {
        let limit = match search.limit {
            0 => 50,
            n => n.min(MAX_LIMIT),
        };
        let mut sql = Builder::new(self.backend);
        sql.push(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM request_logs WHERE 1 = 1"
        ));
        self.push_filters(&mut sql, search);
        if let Some(cursor) = search.cursor {
            // A row-value comparison both backends turn into an index range.
            sql.push(" AND (started_at, seq) < (")
                .bind(cursor.started_at)
                .push(", ")
                .bind(cursor.seq)
                .push(")");
        }
        // One row more than asked tells whether there is a next page.
        sql.push(&format!(
            " ORDER BY started_at DESC, seq DESC LIMIT {}",
            limit + 1
        ));
        let rows = sql.query().fetch_all(&self.pool).await?;
        let more = rows.len() > limit as usize;
        let mut data = Vec::with_capacity(rows.len().min(limit as usize));
        let mut last = None;
        for row in rows.iter().take(limit as usize) {
            data.push(summary_from_row(row)?);
            last = Some(Cursor {
                started_at: row.try_get("started_at")?,
                seq: row.try_get("seq")?,
            });
        }
        Ok(LogPage {
            data,
            next_cursor: last.filter(|_| more).map(|c| c.encode()),
        })
    }

    fn push_filters(&self, sql: &mut Builder, s: &LogSearch) {
        if let Some(start) = s.start_ms {
            sql.push(" AND started_at >= ").bind(start);
        }
        if let Some(end) = s.end_ms {
            sql.push(" AND started_at < ").bind(end);
        }
        for (column, value) in [
            ("key_hash", &s.key_hash),
            ("key_alias", &s.key_alias),
            ("team_id", &s.team_id),
            ("user_id", &s.user_id),
            ("end_user", &s.end_user),
            ("model", &s.model),
            ("model_group", &s.model_group),
            ("provider", &s.provider),
        ] {
            if let Some(value) = value {
                sql.push(&format!(" AND {column} = ")).bind(value.as_str());
            }
        }
        match s.status {
            Some(StatusFilter::Success) => {
                sql.push(" AND status < 400");
            }
            Some(StatusFilter::Failure) => {
                sql.push(" AND status >= 400");
            }
            Some(StatusFilter::Code(code)) => {
                sql.push(" AND status = ").bind(i64::from(code));
                if code >= 400 {
                    // Spelled out so the planners may use the failures'
                    // partial index.
                    sql.push(" AND status >= 400");
                }
            }
            None => {}
        }
        if let Some(ms) = s.min_latency_ms {
            sql.push(" AND latency_ms >= ").bind(ms);
        }
        if let Some(text) = &s.text {
            match self.backend {
                Backend::Sqlite => sql
                    .push(" AND seq IN (SELECT rowid FROM request_logs_fts WHERE request_logs_fts MATCH ")
                    .bind(text.fts5())
                    .push(")"),
                Backend::Postgres => sql
                    .push(" AND search @@ plainto_tsquery('simple', ")
                    .bind(text.words.join(" "))
                    .push(")"),
            };
        }
    }

    /// The newest record with this request id, whole; with `owner`, only
    /// if it is the owner's.
    pub async fn find_log(
        &self,
        request_id: &str,
        owner: Option<&LogOwner>,
    ) -> Result<Option<LogRecord>, StoreError> {
        let mut sql = Builder::new(self.backend);
        sql.push(&format!(
            "SELECT {} FROM request_logs WHERE request_id = ",
            COLUMNS.join(", ")
        ))
        .bind(request_id);
        match owner {
            Some(LogOwner::User(user)) => sql.push(" AND user_id = ").bind(user.as_str()),
            Some(LogOwner::Key(hash)) => sql.push(" AND key_hash = ").bind(hash.as_str()),
            None => &mut sql,
        };
        sql.push(" ORDER BY started_at DESC, seq DESC LIMIT 1");
        let row = sql.query().fetch_optional(&self.pool).await?;
        row.as_ref().map(record_from_row).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_queries_are_words() {
        let q = TextQuery::parse("Rate-limit \"exceeded\"; gpt-4o").unwrap();
        assert_eq!(q.words, ["rate", "limit", "exceeded", "gpt", "4o"]);
        assert_eq!(q.fts5(), r#""rate" "limit" "exceeded" "gpt" "4o""#);
        assert_eq!(TextQuery::parse(" -- "), None);
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            started_at: 1_700_000_000_000,
            seq: 42,
        };
        assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
        for bad in ["", "1", "a_b", "1_", "_2"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn status_filters() {
        assert_eq!(StatusFilter::parse("success"), Some(StatusFilter::Success));
        assert_eq!(StatusFilter::parse("429"), Some(StatusFilter::Code(429)));
        assert_eq!(StatusFilter::parse("42"), None);
        assert_eq!(StatusFilter::parse("fail"), None);
    }
}
