//! Persistence: SQLite by default (one file in the data directory, WAL),
//! Postgres for the scaled-out mode, one schema with a migration directory
//! per backend (DESIGN.md §5).
//!
//! Queries go through sqlx's `Any` driver with `$N` placeholders, times as
//! unix milliseconds (`i64`) and JSON as text, so one query text serves both
//! backends.

mod deployments;
mod logs;
mod migrations;
mod principals;
mod reports;
mod retention;
mod search;
mod spill;
mod sql;
mod stats;
mod writer;

use std::str::FromStr;
use std::time::Duration;

pub use deployments::StoredDeployment;
pub use logs::{LogQuery, LogRecord};
pub use principals::{AuditEntry, AuditQuery, SpendUpdate, StoredPrincipal};
pub use reports::{GroupBy, ReportRow};
pub use retention::Retention;
pub use search::{
    Cursor, LogOwner, LogPage, LogSearch, LogSummary, MAX_LIMIT, StatusFilter, TextQuery,
};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
pub use stats::{
    LogStats, MAX_BUCKETS, RAW_STATS_MAX_MS, StatsBucket, StatsQuery, TopKey, TopModel, TopTeam,
};
pub use writer::{LogWriter, WriterOptions, WriterStats};

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// A connection pool to the gateway's database, migrated to the current
/// schema.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    sqlite_dir: Option<std::path::PathBuf>,
}

impl Store {
    /// Opens (creating it if needed) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        };
        let url = match backend {
            // Create the file when it does not exist yet.
            Backend::Sqlite if !url.contains("mode=") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    // SQLite has one writer; a few connections serve readers.
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers run beside the batched writer;
                            // NORMAL sync is durable across process crashes
                            // (only an OS crash can lose the last commits).
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?
            }
        };
        let before = migrations::run(&pool, backend).await?;
        let store = Store {
            pool,
            backend,
            sqlite_dir: sqlite_file_dir(&url),
        };
        if before > 0 && before < migrations::ROLLUPS_VERSION {
            tracing::info!("computing the dashboard rollups of the existing request logs");
            store.backfill_rollups().await?;
        }
        Ok(store)
    }

    /// The SQLite database file `switchboard.db` in `dir`.
    pub fn sqlite_url_in(dir: &std::path::Path) -> String {
        format!("sqlite://{}", dir.join("switchboard.db").display())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The directory of the SQLite database file (`None` for Postgres or an
    /// in-memory database): where the log writer spills by default.
    pub fn sqlite_dir(&self) -> Option<std::path::PathBuf> {
        self.sqlite_dir.clone()
    }

    /// Whether the database rejected the data of a statement (a constraint,
    /// a value it cannot store), as opposed to failing to run it (down,
    /// busy): retrying the same data cannot succeed.
    pub fn is_data_error(&self, error: &StoreError) -> bool {
        let StoreError::Database(error) = error else {
            return false;
        };
        match error {
            sqlx::Error::Encode(_) => true,
            sqlx::Error::Database(db) => {
                if db.kind() != sqlx::error::ErrorKind::Other {
                    return true;
                }
                let code = db.code().unwrap_or_default();
                match self.backend {
                    // SQLSTATE classes 22 (data exception), 23 (integrity).
                    Backend::Postgres => code.starts_with("22") || code.starts_with("23"),
                    // Primary result codes TOOBIG, CONSTRAINT, MISMATCH, RANGE.
                    Backend::Sqlite => code
                        .parse::<i32>()
                        .is_ok_and(|c| matches!(c & 0xff, 18 | 19 | 20 | 25)),
                }
            }
            _ => false,
        }
    }

    /// Closes every connection (after the writer has flushed).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The directory of the file a `sqlite:` URL names.
fn sqlite_file_dir(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    let parent = std::path::Path::new(path).parent()?;
    Some(if parent.as_os_str().is_empty() {
        std::path::PathBuf::from(".")
    } else {
        parent.to_path_buf()
    })
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod log_tests;
#[cfg(test)]
mod tests;
