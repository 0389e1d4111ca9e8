use super::*;

/// A Postgres URL for tests: a fresh schema in the machine's `test` database.
/// Under `CI=true` an unreachable server fails the test instead of skipping.
pub(crate) async fn postgres_url() -> Option<String> {
    let base = std::env::var("SWITCHBOARD_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    sqlx::any::install_default_drivers();
    let pool = match sqlx::AnyPool::connect(&base).await {
        Ok(pool) => pool,
        Err(error) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "Postgres at {base} is unreachable under CI: {error}"
            );
            eprintln!("skipping: Postgres at {base} is unreachable: {error}");
            return None;
        }
    };
    let schema = format!("sb_test_{}", fastrand::u64(..));
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let separator = if base.contains('?') { '&' } else { '?' };
    Some(format!(
        "{base}{separator}options=-c%20search_path%3D{schema}"
    ))
}

use sqlx::AssertSqlSafe;

fn record(i: u32) -> LogRecord {
    LogRecord {
        id: format!("row-{i}"),
        request_id: format!("req-{i}"),
        started_at: 1_700_000_000_000 + i64::from(i),
        latency_ms: 12.5,
        ttft_ms: Some(3.25),
        route: "/v1/chat/completions".into(),
        call_type: "chat_completions".into(),
        model: "gpt".into(),
        model_group: Some("gpt".into()),
        provider: Some("openai".into()),
        key_hash: Some(if i.is_multiple_of(2) { "even" } else { "odd" }.into()),
        stream: i.is_multiple_of(3),
        status: 200,
        input_tokens: u64::from(i),
        output_tokens: 2 * u64::from(i),
        cost: Some(0.001 * f64::from(i)),
        attempts: 1,
        tags: vec!["a".into(), "b".into()],
        metadata: Some(serde_json::json!({"k": i})),
        ..LogRecord::default()
    }
}

async fn round_trip(store: &Store) {
    let records: Vec<LogRecord> = (0..450).map(record).collect();
    store.insert_logs(&records).await.unwrap();

    let all = store
        .query_logs(&LogQuery {
            limit: Some(1000),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 450);
    assert_eq!(all[0], records[449], "newest first, every field intact");

    let even = store
        .query_logs(&LogQuery {
            key_hash: Some("even".into()),
            start_ms: Some(1_700_000_000_100),
            end_ms: Some(1_700_000_000_200),
            limit: Some(1000),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(even.len(), 50);
    assert!(even.iter().all(|r| r.key_hash.as_deref() == Some("even")));

    let one = store
        .query_logs(&LogQuery {
            request_id: Some("req-7".into()),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(one, vec![records[7].clone()]);
}

#[tokio::test]
async fn sqlite_round_trip_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    round_trip(&store).await;
    store.close().await;
    // Migrations are idempotent and data survives.
    let again = Store::open(&url).await.unwrap();
    let rows = again.query_logs(&LogQuery::default()).await.unwrap();
    assert_eq!(rows.len(), 100);
}

#[tokio::test]
async fn postgres_round_trip() {
    let Some(url) = postgres_url().await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    round_trip(&store).await;
}

#[tokio::test]
async fn writer_flushes_everything_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::sqlite_url_in(dir.path()))
        .await
        .unwrap();
    let writer = LogWriter::start(store.clone());
    for i in 0..5_000 {
        writer.record(record(i));
    }
    writer.shutdown().await;
    assert_eq!(
        writer
            .stats()
            .written
            .load(std::sync::atomic::Ordering::Relaxed),
        5_000
    );
    assert_eq!(
        writer
            .stats()
            .dropped
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    let rows = store
        .query_logs(&LogQuery {
            limit: Some(10_000),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 5_000);
    // Records after shutdown are refused, not lost silently.
    writer.record(record(9_999));
    assert_eq!(
        writer
            .stats()
            .dropped
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[test]
fn urls_are_redacted() {
    assert_eq!(
        redact("postgres://user:secret@db:5432/x"),
        "postgres://user:***@db:5432/x"
    );
    assert_eq!(redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
}

#[tokio::test]
async fn unsupported_url_is_refused() {
    let error = Store::open("mysql://x@y/z").await.unwrap_err();
    assert!(error.to_string().contains("unsupported"), "{error}");
}

async fn principals_round_trip(store: &Store) {
    store
        .save_principal("key", "h1", r#"{"token":"h1","max_budget":5}"#, 1_000)
        .await
        .unwrap();
    store
        .save_principal("team", "t1", r#"{"team_id":"t1"}"#, 1_000)
        .await
        .unwrap();
    // A new document keeps the spend.
    store
        .apply_spend(&[SpendUpdate {
            kind: "key".into(),
            id: "h1".into(),
            model: None,
            reset_at: None,
            delta: 0.25,
        }])
        .await
        .unwrap();
    store
        .save_principal("key", "h1", r#"{"token":"h1","max_budget":9}"#, 2_000)
        .await
        .unwrap();
    store
        .apply_spend(&[
            SpendUpdate {
                kind: "key".into(),
                id: "h1".into(),
                model: None,
                reset_at: None,
                delta: 0.5,
            },
            SpendUpdate {
                kind: "key".into(),
                id: "h1".into(),
                model: Some("gpt".into()),
                reset_at: None,
                delta: 0.5,
            },
            SpendUpdate {
                kind: "key".into(),
                id: "h1".into(),
                model: Some("gpt".into()),
                reset_at: None,
                delta: 0.25,
            },
            SpendUpdate {
                kind: "team".into(),
                id: "t1".into(),
                model: None,
                reset_at: Some(99),
                delta: 0.125,
            },
        ])
        .await
        .unwrap();
    // Customers created on first sight do not overwrite an existing document.
    store
        .create_principal_if_absent("team", "t1", "{}", 3_000)
        .await
        .unwrap();
    let loaded = store.load_principals().await.unwrap();
    assert_eq!(loaded.len(), 2);
    let key = loaded.iter().find(|p| p.kind == "key").unwrap();
    assert_eq!(key.doc, r#"{"token":"h1","max_budget":9}"#);
    assert!((key.spend - 0.75).abs() < 1e-12);
    assert_eq!(key.model_spend, vec![("gpt".to_string(), 0.75, None)]);
    let team = loaded.iter().find(|p| p.kind == "team").unwrap();
    assert_eq!((team.spend, team.budget_reset_at), (0.125, Some(99)));
    assert_eq!(team.doc, r#"{"team_id":"t1"}"#);

    store.delete_principal("key", "h1").await.unwrap();
    assert_eq!(store.load_principals().await.unwrap().len(), 1);

    for i in 0..3 {
        store
            .insert_audit(&AuditEntry {
                id: format!("a{i}"),
                at: 10 + i,
                actor: "master_key".into(),
                action: "updated".into(),
                object_type: "team".into(),
                object_id: format!("t{}", i % 2),
                before: Some(serde_json::json!({"n": i})),
                after: None,
            })
            .await
            .unwrap();
    }
    let entries = store
        .query_audit(&AuditQuery {
            object_id: Some("t0".into()),
            start_ms: Some(10),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["a2", "a0"]
    );
    assert_eq!(entries[1].before, Some(serde_json::json!({"n": 0})));
}

#[tokio::test]
async fn sqlite_principals_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::sqlite_url_in(dir.path()))
        .await
        .unwrap();
    principals_round_trip(&store).await;
}

#[tokio::test]
async fn postgres_principals_and_audit() {
    let Some(url) = postgres_url().await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    principals_round_trip(&store).await;
}

async fn reports_sum_the_records(store: &Store) {
    let records: Vec<LogRecord> = (0..40).map(record).collect();
    store.insert_logs(&records).await.unwrap();
    let total: f64 = records.iter().filter_map(|r| r.cost).sum();
    for group_by in [
        GroupBy::Key,
        GroupBy::Model,
        GroupBy::Day,
        GroupBy::Provider,
    ] {
        let rows = store.spend_report(group_by, 0, i64::MAX).await.unwrap();
        let spend: f64 = rows.iter().map(|r| r.spend).sum();
        let requests: i64 = rows.iter().map(|r| r.requests).sum();
        assert!(
            (spend - total).abs() < 1e-9,
            "{group_by:?}: {spend} vs {total}"
        );
        assert_eq!(requests, 40);
    }
    let by_key = store.spend_report(GroupBy::Key, 0, i64::MAX).await.unwrap();
    assert_eq!(by_key.len(), 2);
    assert_eq!(
        by_key.iter().map(|r| r.input_tokens).sum::<i64>(),
        (0..40).sum::<i64>()
    );
    // Every record has tags a and b.
    let by_tag = store.spend_report(GroupBy::Tag, 0, i64::MAX).await.unwrap();
    assert_eq!(
        by_tag
            .iter()
            .map(|r| (r.group.clone().unwrap(), r.requests))
            .collect::<Vec<_>>(),
        [("a".to_string(), 40), ("b".to_string(), 40)]
    );
    let none = store.spend_report(GroupBy::Key, 0, 1).await.unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn sqlite_reports() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::sqlite_url_in(dir.path()))
        .await
        .unwrap();
    reports_sum_the_records(&store).await;
}

#[tokio::test]
async fn postgres_reports() {
    let Some(url) = postgres_url().await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    reports_sum_the_records(&store).await;
}

/// Nullable floats absent in one record and present in the next, in one
/// batch and in separate ones: sqlx's Any driver declares a NULL f64 as
/// float4, so a statement first prepared with NULL rejected later values
/// (logs.rs, NULLABLE_FLOATS) and the gateway lost those records.
async fn nullable_floats_mix(store: &Store) {
    let bare = |i: u32| LogRecord {
        ttft_ms: None,
        overhead_ms: None,
        cost: None,
        ..record(i)
    };
    let full = |i: u32| LogRecord {
        overhead_ms: Some(0.123_456_789),
        cost: Some(0.000_123_456_789_012),
        ..record(i)
    };
    assert_eq!(store.insert_logs(&[bare(1)]).await.unwrap(), 1);
    assert_eq!(store.insert_logs(&[full(2)]).await.unwrap(), 1);
    assert_eq!(
        store
            .insert_logs(&[bare(3), full(4), bare(5)])
            .await
            .unwrap(),
        3
    );
    let rows = store.query_logs(&LogQuery::default()).await.unwrap();
    assert_eq!(rows.len(), 5);
    let four = rows.iter().find(|r| r.id == "row-4").unwrap();
    assert_eq!(four.cost, Some(0.000_123_456_789_012));
    assert_eq!(four.overhead_ms, Some(0.123_456_789));
    assert_eq!(four.ttft_ms, Some(3.25));
    assert!(
        rows.iter()
            .find(|r| r.id == "row-5")
            .unwrap()
            .cost
            .is_none()
    );
}

#[tokio::test]
async fn postgres_nullable_floats_mix() {
    let Some(url) = postgres_url().await else {
        return;
    };
    nullable_floats_mix(&Store::open(&url).await.unwrap()).await;
}

#[tokio::test]
async fn sqlite_nullable_floats_mix() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::sqlite_url_in(dir.path()))
        .await
        .unwrap();
    nullable_floats_mix(&store).await;
}
