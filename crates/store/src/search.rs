//! Log search (`GET /logs`) and detail (`GET /logs/{request_id}`).
//!
//! Pages are newest first, by `(started_at, seq)`, and the cursor is the
//! last row's pair: the next page is a range scan that starts where the last
//! one stopped (keyset pagination), so a deep page costs what the first one
//! does. Each filter has an index (migration 0005) that serves this order.
//! Two cannot: words (the full-text index yields rows by `seq`) and a
//! latency threshold (a range). Postgres's planner chooses for them from its
//! statistics; SQLite, which keeps none here, follows [`TextPlan`] and
//! [`LatencyPlan`], chosen by counting matches up to a bound (bench/logstore
//! times them at 10 million rows).

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

/// Matches a SQLite text or latency search reads one by one at most (each
/// a row read wherever the row is); with more, it reads an index in time
/// order instead (Postgres's planner decides from its statistics).
#[cfg(not(test))]
const FEW: i64 = 1_024;
/// Small, so that the tests' few hundred records take every path.
#[cfg(test)]
const FEW: i64 = 16;
/// The largest window of newest matches a text search reads before it
/// lets another index lead.
const MAX_WINDOW: i64 = 64 * FEW;

/// How a SQLite query finds the rows of a text search. A full-text index
/// yields its matches in `seq` order, a page wants them in `started_at`
/// order, and each lookup costs a row read: reading every match of a word
/// in a third of the bodies (millions of rows) takes seconds, when a page
/// needs the newest 50.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextPlan {
    /// Every match, from the full-text index (there are few).
    Matches,
    /// The matches with `seq` in `[lo, hi]`: the newest of many.
    Window { lo: i64, hi: Option<i64> },
    /// The rows started at or after `since` with `seq` outside `[lo, hi]`,
    /// each checked against the full-text index: with the window, every
    /// match started at or after `since`, whatever order it was inserted in.
    Stragglers {
        since: i64,
        lo: i64,
        hi: Option<i64>,
    },
    /// Rows in the order of the time or filter index, each checked against
    /// the full-text index until the page is full.
    Probe,
}

/// How a SQLite query applies `min_latency_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LatencyPlan {
    /// As the planner likes (Postgres; or no latency filter).
    Planner,
    /// From the latency index: few rows are that slow.
    Index,
    /// From the time index that holds the latency too, newest first: rows
    /// too fast are skipped in the index, unread.
    TimeIndex,
    /// As a filter on the rows another index yields (a filter's, or the
    /// full-text index's).
    Filter,
}

#[derive(Debug, Clone, Copy)]
struct Plan {
    text: TextPlan,
    latency: LatencyPlan,
}

const DEFAULT_PLAN: Plan = Plan {
    text: TextPlan::Matches,
    latency: LatencyPlan::Planner,
};

/// A row's place in a page's order.
fn order_key(row: &AnyRow) -> Result<(i64, i64), sqlx::Error> {
    Ok((row.try_get("started_at")?, row.try_get("seq")?))
}

impl Store {
    /// One page of the records matching `search`, newest first.
    pub async fn search_logs(&self, search: &LogSearch) -> Result<LogPage, StoreError> {
        let limit = match search.limit {
            0 => 50,
            n => n.min(MAX_LIMIT),
        };
        let rows = match (self.backend, &search.text) {
            (Backend::Sqlite, Some(text)) => self.sqlite_text_rows(search, text, limit).await?,
            (Backend::Sqlite, None) if search.min_latency_ms.is_some() => {
                let latency = self.sqlite_latency_plan(search).await?;
                let plan = Plan {
                    latency,
                    ..DEFAULT_PLAN
                };
                self.page_rows(search, limit, plan).await?
            }
            _ => self.page_rows(search, limit, DEFAULT_PLAN).await?,
        };
        let more = rows.len() > limit as usize;
        let mut data = Vec::with_capacity(rows.len().min(limit as usize));
        let mut last = None;
        for row in rows.iter().take(limit as usize) {
            data.push(summary_from_row(row)?);
            let (started_at, seq) = order_key(row)?;
            last = Some(Cursor { started_at, seq });
        }
        Ok(LogPage {
            data,
            next_cursor: last.filter(|_| more).map(|c| c.encode()),
        })
    }

    /// Up to `limit + 1` rows of `search` (one more tells whether there is
    /// a next page), newest first, found as `plan` says.
    async fn page_rows(
        &self,
        search: &LogSearch,
        limit: u32,
        plan: Plan,
    ) -> Result<Vec<AnyRow>, StoreError> {
        let mut sql = Builder::new(self.backend);
        sql.push(&format!("SELECT {SUMMARY_COLUMNS} FROM request_logs"));
        match plan.latency {
            LatencyPlan::Index => sql.push(" INDEXED BY request_logs_latency"),
            LatencyPlan::TimeIndex => sql.push(" INDEXED BY request_logs_started_latency"),
            LatencyPlan::Planner | LatencyPlan::Filter => &mut sql,
        };
        sql.push(" WHERE 1 = 1");
        self.push_filters(&mut sql, search, plan);
        if let Some(cursor) = search.cursor {
            // A row-value comparison both backends turn into an index range.
            sql.push(" AND (started_at, seq) < (")
                .bind(cursor.started_at)
                .push(", ")
                .bind(cursor.seq)
                .push(")");
        }
        sql.push(&format!(
            " ORDER BY started_at DESC, seq DESC LIMIT {}",
            limit + 1
        ));
        // How selective words and latency thresholds are, only Postgres's
        // custom plans see: a statement prepared once and reused gets a
        // generic plan after five runs, made for no value in particular,
        // which read a rare word's search newest-first through the whole
        // table (15 s at 4 million rows). One-off statements are planned
        // for their values.
        let one_off = self.backend == Backend::Postgres
            && (search.text.is_some() || search.min_latency_ms.is_some());
        Ok(sql
            .query()
            .persistent(!one_off)
            .fetch_all(&self.pool)
            .await?)
    }

    /// How SQLite should apply a latency threshold (see [`LatencyPlan`]).
    async fn sqlite_latency_plan(&self, search: &LogSearch) -> Result<LatencyPlan, StoreError> {
        let Some(ms) = search.min_latency_ms else {
            return Ok(LatencyPlan::Planner);
        };
        let slow: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM request_logs INDEXED BY request_logs_latency \
             WHERE latency_ms >= $1 LIMIT $2)",
        )
        .bind(ms)
        .bind(FEW)
        .fetch_one(&self.pool)
        .await?;
        let filtered = [
            &search.key_hash,
            &search.key_alias,
            &search.team_id,
            &search.user_id,
            &search.end_user,
            &search.model,
            &search.model_group,
            &search.provider,
        ]
        .iter()
        .any(|f| f.is_some())
            || search.status.is_some();
        Ok(match (slow < FEW, filtered) {
            (true, _) => LatencyPlan::Index,
            (false, false) => LatencyPlan::TimeIndex,
            (false, true) => LatencyPlan::Filter,
        })
    }

    /// A text search on SQLite (see [`TextPlan`]). With few matches, all of
    /// them. With many, a window of the newest of them by `seq` (up to the
    /// newest row before the end or cursor), widened until it holds a page;
    /// the page's oldest row tells from when on a match could have been
    /// missed (inserted out of order: a slow request, a replayed spill
    /// file), and those few rows are checked one by one.
    async fn sqlite_text_rows(
        &self,
        search: &LogSearch,
        text: &TextQuery,
        limit: u32,
    ) -> Result<Vec<AnyRow>, StoreError> {
        let words = text.fts5();
        let plan = |text| Plan {
            text,
            latency: LatencyPlan::Filter,
        };
        let (count, _) = self.newest_matches(&words, None, FEW).await?;
        if count < FEW {
            return self.page_rows(search, limit, plan(TextPlan::Matches)).await;
        }
        let hi = if search.end_ms.is_none() && search.cursor.is_none() {
            None
        } else {
            match self.newest_seq_before(search).await? {
                Some(hi) => Some(hi),
                None => return Ok(Vec::new()),
            }
        };
        let mut window = 4 * (i64::from(limit) + 1);
        let (mut rows, lo) = loop {
            let (count, oldest) = self.newest_matches(&words, hi, window).await?;
            let lo = if count < window { 0 } else { oldest };
            let rows = self
                .page_rows(search, limit, plan(TextPlan::Window { lo, hi }))
                .await?;
            if rows.len() > limit as usize || lo == 0 || window >= MAX_WINDOW {
                break (rows, lo);
            }
            window *= 8;
        };
        let since = match rows.get(limit as usize) {
            Some(last) => order_key(last)?.0,
            // Every match is in the window.
            None if lo == 0 && hi.is_none() => return Ok(rows),
            None => match search.start_ms {
                Some(start) => start,
                // The filters exclude most matches: let the time or filter
                // index lead.
                None => return self.page_rows(search, limit, plan(TextPlan::Probe)).await,
            },
        };
        if lo == 0 && hi.is_none() {
            return Ok(rows);
        }
        let stragglers = self
            .page_rows(search, limit, plan(TextPlan::Stragglers { since, lo, hi }))
            .await?;
        if !stragglers.is_empty() {
            rows.extend(stragglers);
            let mut keyed = rows
                .into_iter()
                .map(|row| order_key(&row).map(|key| (key, row)))
                .collect::<Result<Vec<_>, _>>()?;
            keyed.sort_by_key(|(key, _)| std::cmp::Reverse(*key));
            keyed.truncate(limit as usize + 1);
            rows = keyed.into_iter().map(|(_, row)| row).collect();
        }
        Ok(rows)
    }

    /// How many of the newest `window` matches of `words` (with `seq` up
    /// to `hi`) there are, and the oldest one's `seq`.
    async fn newest_matches(
        &self,
        words: &str,
        hi: Option<i64>,
        window: i64,
    ) -> Result<(i64, i64), StoreError> {
        let mut sql = Builder::new(self.backend);
        sql.push(
            "SELECT COUNT(*), MIN(rowid) FROM (SELECT rowid FROM request_logs_fts \
             WHERE request_logs_fts MATCH ",
        )
        .bind(words);
        if let Some(hi) = hi {
            sql.push(" AND rowid <= ").bind(hi);
        }
        sql.push(&format!(" ORDER BY rowid DESC LIMIT {window})"));
        let row = sql.query().fetch_one(&self.pool).await?;
        Ok((
            row.try_get(0)?,
            row.try_get::<Option<i64>, _>(1)?.unwrap_or(0),
        ))
    }

    /// The `seq` of the newest row before `search`'s end and cursor.
    async fn newest_seq_before(&self, search: &LogSearch) -> Result<Option<i64>, StoreError> {
        let mut sql = Builder::new(self.backend);
        sql.push("SELECT seq FROM request_logs WHERE 1 = 1");
        if let Some(end) = search.end_ms {
            sql.push(" AND started_at < ").bind(end);
        }
        if let Some(cursor) = search.cursor {
            sql.push(" AND (started_at, seq) < (")
                .bind(cursor.started_at)
                .push(", ")
                .bind(cursor.seq)
                .push(")");
        }
        sql.push(" ORDER BY started_at DESC, seq DESC LIMIT 1");
        let row = sql.query().fetch_optional(&self.pool).await?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }

    fn push_filters(&self, sql: &mut Builder, s: &LogSearch, plan: Plan) {
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
            // `+` keeps SQLite from reading the latency index.
            let column = match plan.latency {
                LatencyPlan::Filter => "+latency_ms",
                LatencyPlan::Planner | LatencyPlan::Index | LatencyPlan::TimeIndex => "latency_ms",
            };
            sql.push(&format!(" AND {column} >= ")).bind(ms);
        }
        if let Some(text) = &s.text {
            match (self.backend, plan.text) {
                (Backend::Postgres, _) => {
                    sql.push(" AND search @@ plainto_tsquery('simple', ")
                        .bind(text.words.join(" "))
                        .push(")");
                }
                (Backend::Sqlite, TextPlan::Matches) => {
                    sql.push(
                        " AND seq IN (SELECT rowid FROM request_logs_fts \
                         WHERE request_logs_fts MATCH ",
                    )
                    .bind(text.fts5())
                    .push(")");
                }
                (Backend::Sqlite, TextPlan::Window { lo, hi }) => {
                    sql.push(
                        " AND seq IN (SELECT rowid FROM request_logs_fts \
                         WHERE request_logs_fts MATCH ",
                    )
                    .bind(text.fts5())
                    .push(" AND rowid >= ")
                    .bind(lo);
                    if let Some(hi) = hi {
                        sql.push(" AND rowid <= ").bind(hi);
                    }
                    sql.push(")");
                }
                (Backend::Sqlite, TextPlan::Stragglers { since, lo, hi }) => {
                    sql.push(" AND started_at >= ").bind(since);
                    match hi {
                        Some(hi) => sql
                            .push(" AND (seq < ")
                            .bind(lo)
                            .push(" OR seq > ")
                            .bind(hi)
                            .push(")"),
                        None => sql.push(" AND seq < ").bind(lo),
                    };
                    Self::push_probe(sql, text);
                }
                (Backend::Sqlite, TextPlan::Probe) => Self::push_probe(sql, text),
            }
        }
    }

    /// The row's own entry in the full-text index: one lookup per row.
    fn push_probe(sql: &mut Builder, text: &TextQuery) {
        sql.push(" AND EXISTS (SELECT 1 FROM request_logs_fts WHERE request_logs_fts MATCH ")
            .bind(text.fts5())
            .push(" AND rowid = request_logs.seq)");
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

    /// Every page of `search` (`limit` rows each), following the cursor.
    async fn all_pages(store: &Store, search: &LogSearch) -> Vec<String> {
        let mut ids = Vec::new();
        let mut search = search.clone();
        loop {
            let page = store.search_logs(&search).await.unwrap();
            ids.extend(page.data.into_iter().map(|r| r.request_id));
            match page.next_cursor {
                Some(cursor) => search.cursor = Some(Cursor::parse(&cursor).unwrap()),
                None => return ids,
            }
        }
    }

    /// The text and latency plans (windows of the newest matches, rows
    /// inserted out of order, filters that exclude most matches, the
    /// latency index or not) find what a scan of every record finds.
    #[tokio::test]
    async fn sqlite_plans_find_every_match_in_order() {
        const T0: i64 = 1_700_000_000_000;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Store::sqlite_url_in(dir.path()))
            .await
            .unwrap();
        let records: Vec<LogRecord> = (0..300i64)
            .map(|i| {
                // Some inserted long after they started (a slow request, a
                // spill file replayed), some stamped ahead (a clock ahead).
                let started_at = match i {
                    _ if i % 7 == 3 => T0 + (i - 60) * 1_000 - 500,
                    _ if i % 13 == 5 => T0 + (i + 40) * 1_000 + 500,
                    _ => T0 + i * 1_000,
                };
                let mut words = vec!["filler"];
                if i % 3 != 0 {
                    words.push("common");
                }
                if i % 50 == 7 {
                    words.push("rare");
                }
                LogRecord {
                    id: format!("id{i}"),
                    request_id: format!("r{i}"),
                    started_at,
                    latency_ms: (i % 100 * 100) as f64,
                    status: if i % 9 == 1 { 500 } else { 200 },
                    request_body: Some(words.join(" ")),
                    ..LogRecord::default()
                }
            })
            .collect();
        store.insert_logs(&records).await.unwrap();
        let mut newest_first: Vec<(i64, &LogRecord)> = records
            .iter()
            .enumerate()
            .map(|(i, r)| (i as i64, r))
            .collect();
        newest_first.sort_by_key(|(i, r)| std::cmp::Reverse((r.started_at, *i)));
        let has = |r: &LogRecord, word: &str| {
            r.request_body
                .as_deref()
                .is_some_and(|b| b.split(' ').any(|w| w == word))
        };
        let (start, end) = (T0 + 50_000, T0 + 250_000);
        type Keep = Box<dyn Fn(&LogRecord) -> bool>;
        let cases: Vec<(&str, LogSearch, Keep)> = vec![
            (
                "common word",
                LogSearch {
                    text: TextQuery::parse("common"),
                    ..LogSearch::default()
                },
                Box::new(move |r| has(r, "common")),
            ),
            (
                "common word in a time range",
                LogSearch {
                    text: TextQuery::parse("common"),
                    start_ms: Some(start),
                    end_ms: Some(end),
                    ..LogSearch::default()
                },
                Box::new(move |r| has(r, "common") && r.started_at >= start && r.started_at < end),
            ),
            (
                "common word, a filter that excludes most",
                LogSearch {
                    text: TextQuery::parse("common"),
                    status: Some(StatusFilter::Code(500)),
                    ..LogSearch::default()
                },
                Box::new(move |r| has(r, "common") && r.status == 500),
            ),
            (
                "common word, a filter that excludes most, from a time",
                LogSearch {
                    text: TextQuery::parse("common"),
                    status: Some(StatusFilter::Code(500)),
                    start_ms: Some(start),
                    ..LogSearch::default()
                },
                Box::new(move |r| has(r, "common") && r.status == 500 && r.started_at >= start),
            ),
            (
                "rare word",
                LogSearch {
                    text: TextQuery::parse("rare"),
                    ..LogSearch::default()
                },
                Box::new(move |r| has(r, "rare")),
            ),
            (
                "both words",
                LogSearch {
                    text: TextQuery::parse("rare common"),
                    ..LogSearch::default()
                },
                Box::new(move |r| has(r, "rare") && has(r, "common")),
            ),
            (
                "few slow",
                LogSearch {
                    min_latency_ms: Some(9_850.0),
                    ..LogSearch::default()
                },
                Box::new(|r| r.latency_ms >= 9_850.0),
            ),
            (
                "many slow",
                LogSearch {
                    min_latency_ms: Some(2_000.0),
                    end_ms: Some(end),
                    ..LogSearch::default()
                },
                Box::new(move |r| r.latency_ms >= 2_000.0 && r.started_at < end),
            ),
            (
                "many slow, with a filter",
                LogSearch {
                    min_latency_ms: Some(2_000.0),
                    status: Some(StatusFilter::Code(200)),
                    ..LogSearch::default()
                },
                Box::new(|r| r.latency_ms >= 2_000.0 && r.status == 200),
            ),
            (
                "slow, with a word",
                LogSearch {
                    min_latency_ms: Some(5_000.0),
                    text: TextQuery::parse("common"),
                    ..LogSearch::default()
                },
                Box::new(move |r| r.latency_ms >= 5_000.0 && has(r, "common")),
            ),
        ];
        for (name, search, keep) in cases {
            let expected: Vec<String> = newest_first
                .iter()
                .filter(|(_, r)| keep(r))
                .map(|(_, r)| r.request_id.clone())
                .collect();
            assert!(!expected.is_empty(), "{name}: tests nothing");
            for limit in [1, 7, 50] {
                let search = LogSearch {
                    limit,
                    ..search.clone()
                };
                assert_eq!(
                    all_pages(&store, &search).await,
                    expected,
                    "{name}, {limit}"
                );
            }
        }
    }

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
