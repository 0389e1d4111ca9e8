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
];

pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<(), StoreError> {
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
    Ok(())
}
