//! Schema migrations, embedded in the binary: one directory per backend,
//! the same version numbers in both.

use std::borrow::Cow;

use sqlx::AnyPool;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::{Backend, StoreError};

/// (version, description, SQLite text, Postgres text).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "request logs",
        include_str!("../migrations/sqlite/0001_request_logs.sql"),
        include_str!("../migrations/postgres/0001_request_logs.sql"),
    ),
    (
        2,
        "principals, model spend, audit log",
        include_str!("../migrations/sqlite/0002_principals.sql"),
        include_str!("../migrations/postgres/0002_principals.sql"),
    ),
    (
        3,
        "request tags",
        include_str!("../migrations/sqlite/0003_request_tags.sql"),
        include_str!("../migrations/postgres/0003_request_tags.sql"),
    ),
    (
        4,
        "attempt log",
        include_str!("../migrations/sqlite/0004_attempt_log.sql"),
        include_str!("../migrations/postgres/0004_attempt_log.sql"),
    ),
    (
        5,
        "log search: insertion order, filter indexes, text index, rollups",
        include_str!("../migrations/sqlite/0005_log_search.sql"),
        include_str!("../migrations/postgres/0005_log_search.sql"),
    ),
    (
        6,
        "deployments added through the admin API",
        include_str!("../migrations/sqlite/0006_deployments.sql"),
        include_str!("../migrations/postgres/0006_deployments.sql"),
    ),
    (
        7,
        "log search: latency index",
        include_str!("../migrations/sqlite/0007_latency_index.sql"),
        include_str!("../migrations/postgres/0007_latency_index.sql"),
    ),
    (
        8,
        "log search: a larger sample of the words for Postgres's planner",
        include_str!("../migrations/sqlite/0008_text_statistics.sql"),
        include_str!("../migrations/postgres/0008_text_statistics.sql"),
    ),
];

/// The migration that added the dashboard rollups: a database migrated
/// across it gets the rollups of its existing rows computed once.
pub(crate) const ROLLUPS_VERSION: i64 = 5;

/// Migrates to the current schema; returns the version the database was at
/// before (0 for a new one).
pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<i64, StoreError> {
    let before: i64 =
        match sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
            .fetch_one(pool)
            .await
        {
            Ok(version) => version,
            // The server refused the query: no migrations table, a new database.
            Err(sqlx::Error::Database(_)) => 0,
            Err(error) => return Err(error.into()),
        };
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, description, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => *sqlite,
                Backend::Postgres => *postgres,
            };
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                sqlx::SqlStr::from_static(sql),
                false,
            )
        })
        .collect();
    let migrator = Migrator::with_migrations(migrations);
    migrator.run(pool).await?;
    Ok(before)
}
