//! A small builder for queries whose WHERE clause depends on the request:
//! it writes each backend's placeholder (`?` for SQLite, `$N` for
//! Postgres) and keeps the values to bind in order.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe};

use crate::Backend;

/// A value to bind.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Bind {
    fn from(value: i64) -> Bind {
        Bind::Int(value)
    }
}

impl From<f64> for Bind {
    fn from(value: f64) -> Bind {
        Bind::Real(value)
    }
}

impl From<&str> for Bind {
    fn from(value: &str) -> Bind {
        Bind::Text(value.to_string())
    }
}

impl From<String> for Bind {
    fn from(value: String) -> Bind {
        Bind::Text(value)
    }
}

#[derive(Debug)]
pub(crate) struct Builder {
    backend: Backend,
    sql: String,
    binds: Vec<Bind>,
}

impl Builder {
    pub(crate) fn new(backend: Backend) -> Builder {
        Builder {
            backend,
            sql: String::with_capacity(512),
            binds: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Builder {
        self.sql.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Bind>) -> &mut Builder {
        self.binds.push(value.into());
        match self.backend {
            Backend::Sqlite => self.sql.push('?'),
            Backend::Postgres => self.sql.push_str(&format!("${}", self.binds.len())),
        }
        self
    }

    pub(crate) fn query(self) -> Query<'static, Any, AnyArguments> {
        let mut query = sqlx::query(AssertSqlSafe(self.sql));
        for bind in self.binds {
            query = match bind {
                Bind::Int(v) => query.bind(v),
                Bind::Real(v) => query.bind(v),
                Bind::Text(v) => query.bind(v),
            };
        }
        query
    }
}
