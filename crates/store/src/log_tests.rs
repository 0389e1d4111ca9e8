//! Log search, dashboard stats, retention and the writer's spill, each on
//! SQLite and on Postgres (`tests::postgres_url` finds it; under `CI=true`
//! an unreachable server fails the test).

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use crate::tests::postgres_url;
use crate::*;

const T0: i64 = 1_700_000_000_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;

/// Varied records, 37 s apart (one in ten started earlier than its
/// neighbours, as slow requests finish late), inserted in index order.
fn generated(i: u32) -> LogRecord {
    let n = i64::from(i);
    let failed = match i {
        _ if i.is_multiple_of(11) => Some((429, "Rate limit exceeded for this key")),
        _ if i.is_multiple_of(13) => Some((500, "upstream server error")),
        _ => None,
    };
    let models = ["gpt-4o", "claude-sonnet", "gemini-flash"];
    LogRecord {
        id: format!("g{i}"),
        request_id: format!("gen-{i}"),
        started_at: T0 + n * 37_000 - if i % 10 == 3 { 100_000 } else { 0 },
        latency_ms: f64::from((i * 7_919) % 5_000) + 0.5,
        ttft_ms: Some(12.0),
        overhead_ms: Some(0.25),
        route: "/v1/chat/completions".into(),
        call_type: "chat_completions".into(),
        model: models[(i % 3) as usize].into(),
        model_group: Some(models[(i % 3) as usize].into()),
        deployment_id: Some(format!("dep-{}", i % 3)),
        provider: Some(["openai", "azure"][(i % 2) as usize].into()),
        key_hash: Some(format!("hash{}", i % 5)),
        key_alias: Some(format!("alias{}", i % 5)),
        user_id: Some(format!("user{}", i % 6)),
        team_id: (!i.is_multiple_of(4)).then(|| format!("team{}", i % 3)),
        end_user: (i.is_multiple_of(7)).then(|| "customer".to_string()),
        stream: i.is_multiple_of(2),
        status: failed.map_or(200, |(code, _)| code),
        error: failed.map(|(_, message)| message.to_string()),
        input_tokens: u64::from(i % 100),
        output_tokens: u64::from(i % 50),
        cost: Some(f64::from(i % 10) * 0.001),
        attempts: 1,
        tags: if i.is_multiple_of(3) {
            vec!["batch".into()]
        } else {
            Vec::new()
        },
        request_body: (i.is_multiple_of(5)).then(|| {
            format!(
                r#"{{"messages":[{{"role":"user","content":"find the needle{} in Café"}}]}}"#,
                i % 2
            )
        }),
        response_body: (i.is_multiple_of(5))
            .then(|| r#"{"choices":[{"text":"haystack"}]}"#.to_string()),
        attempt_log: Some(r#"[{"deployment":"dep-0","status":200}]"#.into()),
        ..LogRecord::default()
    }
}

async fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::sqlite_url_in(dir.path()))
        .await
        .unwrap();
    (dir, store)
}

/// Every page of `search`, `limit` rows at a time, following the cursor.
async fn all_pages(store: &Store, search: &LogSearch) -> Vec<String> {
    let mut ids = Vec::new();
    let mut search = search.clone();
    for _ in 0..1_000 {
        let page = store.search_logs(&search).await.unwrap();
        assert!(page.data.len() <= search.limit as usize);
        ids.extend(page.data.into_iter().map(|r| r.request_id));
        match page.next_cursor {
            Some(cursor) => search.cursor = Some(Cursor::parse(&cursor).unwrap()),
            None => return ids,
        }
    }
    panic!("the cursor never ended");
}

async fn search_finds_what_each_filter_names(store: &Store) {
    let records: Vec<LogRecord> = (0..400).map(generated).collect();
    assert_eq!(store.insert_logs(&records).await.unwrap(), 400);
    // Again: nothing new (a replayed spill file).
    assert_eq!(store.insert_logs(&records[..40]).await.unwrap(), 0);

    let mut newest_first: Vec<(usize, &LogRecord)> = records.iter().enumerate().collect();
    newest_first.sort_by_key(|(i, r)| std::cmp::Reverse((r.started_at, *i)));
    let expect = |keep: &dyn Fn(&LogRecord) -> bool| -> Vec<String> {
        newest_first
            .iter()
            .filter(|(_, r)| keep(r))
            .map(|(_, r)| r.request_id.clone())
            .collect()
    };
    let search = |f: &dyn Fn(&mut LogSearch)| {
        let mut s = LogSearch {
            limit: 7,
            ..LogSearch::default()
        };
        f(&mut s);
        s
    };
    let (start, end) = (T0 + HOUR, T0 + 3 * HOUR);
    let cases: Vec<(&str, LogSearch, Vec<String>)> = vec![
        ("all", search(&|_| {}), expect(&|_| true)),
        (
            "time range + key",
            search(&|s| {
                s.start_ms = Some(start);
                s.end_ms = Some(end);
                s.key_hash = Some("hash2".into());
            }),
            expect(&|r| {
                r.started_at >= start
                    && r.started_at < end
                    && r.key_hash.as_deref() == Some("hash2")
            }),
        ),
        (
            "alias + model",
            search(&|s| {
                s.key_alias = Some("alias1".into());
                s.model = Some("claude-sonnet".into());
            }),
            expect(&|r| r.key_alias.as_deref() == Some("alias1") && r.model == "claude-sonnet"),
        ),
        (
            "team",
            search(&|s| s.team_id = Some("team1".into())),
            expect(&|r| r.team_id.as_deref() == Some("team1")),
        ),
        (
            "user + end user",
            search(&|s| {
                s.user_id = Some("user0".into());
                s.end_user = Some("customer".into());
            }),
            expect(&|r| r.user_id.as_deref() == Some("user0") && r.end_user.is_some()),
        ),
        (
            "model group + provider",
            search(&|s| {
                s.model_group = Some("gpt-4o".into());
                s.provider = Some("azure".into());
            }),
            expect(&|r| {
                r.model_group.as_deref() == Some("gpt-4o") && r.provider.as_deref() == Some("azure")
            }),
        ),
        (
            "failures",
            search(&|s| s.status = StatusFilter::parse("failure")),
            expect(&|r| r.status >= 400),
        ),
        (
            "successes",
            search(&|s| s.status = StatusFilter::parse("success")),
            expect(&|r| r.status < 400),
        ),
        (
            "429",
            search(&|s| s.status = StatusFilter::parse("429")),
            expect(&|r| r.status == 429),
        ),
        (
            "slow",
            search(&|s| s.min_latency_ms = Some(4_000.0)),
            expect(&|r| r.latency_ms >= 4_000.0),
        ),
        (
            "text in a body",
            search(&|s| s.text = TextQuery::parse("NEEDLE0")),
            expect(&|r| {
                r.request_body
                    .as_deref()
                    .is_some_and(|b| b.contains("needle0"))
            }),
        ),
        (
            "every word, in the error",
            search(&|s| s.text = TextQuery::parse("rate-limit exceeded")),
            expect(&|r| r.status == 429),
        ),
        (
            "text + filter",
            search(&|s| {
                s.text = TextQuery::parse("haystack");
                s.status = StatusFilter::parse("failure");
            }),
            expect(&|r| r.response_body.is_some() && r.status >= 400),
        ),
        (
            "words must all occur",
            search(&|s| s.text = TextQuery::parse("needle0 upstream")),
            expect(&|r| {
                r.request_body
                    .as_deref()
                    .is_some_and(|b| b.contains("needle0"))
                    && r.status == 500
            }),
        ),
        (
            "no match",
            search(&|s| s.text = TextQuery::parse("absent")),
            Vec::new(),
        ),
    ];
    for (name, search, expected) in cases {
        assert!(
            !expected.is_empty() || name == "no match",
            "{name}: a case that tests nothing"
        );
        assert_eq!(all_pages(store, &search).await, expected, "{name}");
    }

    // A page is a summary: the first row's fields.
    let page = store
        .search_logs(&LogSearch {
            limit: 1,
            ..LogSearch::default()
        })
        .await
        .unwrap();
    let (_, newest) = newest_first[0];
    let row = &page.data[0];
    assert_eq!(row.request_id, newest.request_id);
    assert_eq!(
        row.tokens,
        (newest.input_tokens + newest.output_tokens) as i64
    );
    assert_eq!(row.tags, newest.tags);
    assert_eq!(row.status, newest.status);
    assert!(page.next_cursor.is_some());

    // The detail is the whole record; an owner sees only its own.
    let found = store.find_log("gen-25", None).await.unwrap();
    assert_eq!(found.as_ref(), Some(&records[25]));
    // gen-25 is user1's, with key hash0.
    for (owner, visible) in [
        (LogOwner::User("user1".into()), true),
        (LogOwner::User("user2".into()), false),
        (LogOwner::Key("hash0".into()), true),
        (LogOwner::Key("hash1".into()), false),
    ] {
        let found = store.find_log("gen-25", Some(&owner)).await.unwrap();
        assert_eq!(found.is_some(), visible, "{owner:?}");
    }
    assert_eq!(store.find_log("absent", None).await.unwrap(), None);
}

#[tokio::test]
async fn sqlite_search() {
    let (_dir, store) = sqlite().await;
    search_finds_what_each_filter_names(&store).await;
}

#[tokio::test]
async fn postgres_search() {
    let Some(url) = postgres_url().await else {
        return;
    };
    search_finds_what_each_filter_names(&Store::open(&url).await.unwrap()).await;
}

/// Buckets of `bucket` ms over `[start, end)` computed from the records.
fn expected_buckets(
    records: &[LogRecord],
    start: i64,
    end: i64,
    bucket: i64,
) -> Vec<(i64, i64, i64)> {
    let first = start.div_euclid(bucket) * bucket;
    let mut out = Vec::new();
    let mut t = first;
    while t < end {
        let inside: Vec<&LogRecord> = records
            .iter()
            .filter(|r| r.started_at >= t && r.started_at < t + bucket)
            .collect();
        let errors = inside.iter().filter(|r| r.status >= 400).count() as i64;
        let tokens = inside.iter().map(|r| r.input_tokens as i64).sum();
        out.push((inside.len() as i64, errors, tokens));
        t += bucket;
    }
    out
}

async fn stats_match_the_records(store: &Store) {
    let records: Vec<LogRecord> = (0..400).map(generated).collect();
    // In two batches: the rollups add up across transactions.
    store.insert_logs(&records[..150]).await.unwrap();
    store.insert_logs(&records[150..]).await.unwrap();
    store.insert_logs(&records[..10]).await.unwrap();
    // Unaligned: partial hours at both ends, whole hours between.
    let (start, end) = (T0 - 7 * MINUTE + 13, T0 + 4 * HOUR + 17 * MINUTE);
    for (bucket, range_end) in [
        (HOUR, end),
        (5 * MINUTE, end),
        (MINUTE, end),
        (15_000, start + HOUR),
    ] {
        let stats = store
            .log_stats(&StatsQuery {
                start_ms: start,
                end_ms: range_end,
                bucket_ms: bucket,
                top: 100,
            })
            .await
            .unwrap();
        let got: Vec<(i64, i64, i64)> = stats
            .buckets
            .iter()
            .map(|b| (b.requests, b.errors, b.input_tokens))
            .collect();
        assert_eq!(
            got,
            expected_buckets(&records, start, range_end, bucket),
            "bucket {bucket}"
        );
        assert_eq!(stats.buckets[0].t, start.div_euclid(bucket) * bucket);
        for b in &stats.buckets {
            assert_eq!(b.p50_ms.is_some(), b.requests > 0);
            if let (Some(p50), Some(p99)) = (b.p50_ms, b.p99_ms) {
                assert!(p50 <= p99 && p99 < 5_000.0 * 1.5, "{b:?}");
            }
        }
    }

    let stats = store
        .log_stats(&StatsQuery {
            start_ms: start,
            end_ms: end,
            bucket_ms: HOUR,
            top: 100,
        })
        .await
        .unwrap();
    let inside: Vec<&LogRecord> = records
        .iter()
        .filter(|r| r.started_at >= start && r.started_at < end)
        .collect();
    let mut teams: HashMap<String, i64> = HashMap::new();
    let mut keys: HashMap<String, i64> = HashMap::new();
    let mut models: HashMap<String, i64> = HashMap::new();
    for r in &inside {
        *teams
            .entry(r.team_id.clone().unwrap_or_default())
            .or_default() += 1;
        *keys
            .entry(r.key_hash.clone().unwrap_or_default())
            .or_default() += 1;
        *models
            .entry(r.model_group.clone().unwrap_or_default())
            .or_default() += 1;
    }
    teams.remove("");
    let got_teams: HashMap<String, i64> = stats
        .top_teams
        .iter()
        .map(|t| (t.team_id.clone(), t.requests))
        .collect();
    let got_keys: HashMap<String, i64> = stats
        .top_keys
        .iter()
        .map(|t| (t.key_hash.clone(), t.requests))
        .collect();
    let got_models: HashMap<String, i64> = stats
        .top_models
        .iter()
        .map(|t| (t.model_group.clone(), t.requests))
        .collect();
    assert_eq!((got_teams, got_keys, got_models), (teams, keys, models));
    assert!(
        stats
            .top_keys
            .iter()
            .all(|k| k.key_alias.as_deref() == Some(&*k.key_hash.replace("hash", "alias")))
    );
    let spend: f64 = stats.top_models.iter().map(|m| m.spend).sum();
    let expected: f64 = inside.iter().filter_map(|r| r.cost).sum();
    assert!((spend - expected).abs() < 1e-9, "{spend} vs {expected}");
    // Most spend first.
    assert!(stats.top_keys.windows(2).all(|w| w[0].spend >= w[1].spend));
}

#[tokio::test]
async fn sqlite_stats() {
    let (_dir, store) = sqlite().await;
    stats_match_the_records(&store).await;
}

#[tokio::test]
async fn postgres_stats() {
    let Some(url) = postgres_url().await else {
        return;
    };
    stats_match_the_records(&Store::open(&url).await.unwrap()).await;
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn prune_all(store: &Store, retention: &Retention, now: i64) {
    loop {
        let deleted = store.prune_logs_batch(retention, now).await.unwrap();
        assert!(deleted <= 500, "batches stay small: {deleted}");
        if deleted == 0 {
            break;
        }
    }
    store.prune_rollups().await.unwrap();
}

async fn pruning_keeps_the_bounds(store: &Store) {
    let records: Vec<LogRecord> = (0..1_200).map(generated).collect();
    store.insert_logs(&records).await.unwrap();
    // By age: everything older than 5 hours before "now".
    let now = T0 + 10 * HOUR;
    let age = Retention {
        max_age: Some(std::time::Duration::from_secs(5 * 3_600)),
        max_rows: None,
    };
    prune_all(store, &age, now).await;
    let cutoff = now - 5 * HOUR;
    let kept = records.iter().filter(|r| r.started_at >= cutoff).count() as i64;
    assert_eq!(
        count(store, "SELECT COUNT(*) FROM request_logs").await,
        kept
    );
    assert_eq!(
        count(
            store,
            &format!("SELECT COUNT(*) FROM request_logs WHERE started_at < {cutoff}")
        )
        .await,
        0
    );
    // Tags and rollups went with their records.
    assert_eq!(
        count(
            store,
            "SELECT COUNT(*) FROM request_tags WHERE log_id NOT IN (SELECT id FROM request_logs)"
        )
        .await,
        0
    );
    let oldest = records
        .iter()
        .map(|r| r.started_at)
        .filter(|t| *t >= cutoff)
        .min()
        .unwrap();
    assert_eq!(
        count(
            store,
            &format!(
                "SELECT COUNT(*) FROM log_stats_minute WHERE period < {}",
                oldest / MINUTE
            )
        )
        .await,
        0
    );
    assert!(count(store, "SELECT COUNT(*) FROM log_stats_minute").await > 0);
    // Text search no longer finds deleted records.
    let found = store
        .search_logs(&LogSearch {
            text: TextQuery::parse("needle0"),
            limit: 1_000,
            ..LogSearch::default()
        })
        .await
        .unwrap();
    assert!(found.data.iter().all(|r| r.started_at >= cutoff));
    assert!(!found.data.is_empty());

    // By size: the newest 100 inserted.
    let size = Retention {
        max_age: None,
        max_rows: Some(100),
    };
    prune_all(store, &size, now).await;
    assert_eq!(count(store, "SELECT COUNT(*) FROM request_logs").await, 100);
    assert_eq!(
        count(
            store,
            "SELECT COUNT(*) FROM request_logs WHERE id = 'g1199'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            store,
            "SELECT COUNT(*) FROM request_logs WHERE id = 'g1099'"
        )
        .await,
        0
    );
    // Within the bounds: nothing more to do.
    assert_eq!(store.prune_logs_batch(&size, now).await.unwrap(), 0);
    assert_eq!(store.prune_logs_batch(&age, now).await.unwrap(), 0);
}

#[tokio::test]
async fn sqlite_retention() {
    let (_dir, store) = sqlite().await;
    pruning_keeps_the_bounds(&store).await;
}

#[tokio::test]
async fn postgres_retention() {
    let Some(url) = postgres_url().await else {
        return;
    };
    pruning_keeps_the_bounds(&Store::open(&url).await.unwrap()).await;
}

/// The writer's queue overflows (nothing runs on this single-threaded
/// runtime while the test records): the overflow goes to the spill files
/// and from there into the database; nothing is dropped.
#[tokio::test]
async fn a_full_queue_spills_and_loses_nothing() {
    let (dir, store) = sqlite().await;
    let writer = LogWriter::start_with(
        store.clone(),
        WriterOptions {
            data_dir: Some(dir.path().to_path_buf()),
            retention: Retention::default(),
        },
    );
    // Bursts bigger than the queue, each once the spill task has taken
    // the last one's overflow (a burst fits in the queue and the overflow
    // list together).
    let total = 30_000u32;
    let mut next = 0;
    for burst in [9_000, 7_000, 7_000, 7_000] {
        for i in next..next + burst {
            writer.record(generated(i));
        }
        next += burst;
        while writer.overflowing() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    writer.shutdown().await;
    let stats = writer.stats();
    assert_eq!(stats.dropped.load(Ordering::Relaxed), 0);
    assert_eq!(stats.failed.load(Ordering::Relaxed), 0);
    assert!(
        stats.spilled.load(Ordering::Relaxed) > 0,
        "the queue overflowed"
    );
    assert_eq!(stats.written.load(Ordering::Relaxed), u64::from(total));
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM request_logs").await,
        i64::from(total)
    );
    assert_eq!(writer.spill_bytes(), 0, "the spill files were drained");
}

/// Spill files a crashed process left are drained at the next start, and
/// records that were already inserted are neither duplicated nor counted
/// twice by the rollups.
#[tokio::test]
async fn spill_files_left_by_a_crash_are_drained_once() {
    let (dir, store) = sqlite().await;
    let records: Vec<LogRecord> = (0..15).map(generated).collect();
    store.insert_logs(&records[..10]).await.unwrap();
    let spill = spill::Spill::open(dir.path().join("request-log-spill"), u64::MAX).unwrap();
    spill.append(&records[5..]).unwrap();
    drop(spill);
    let writer = LogWriter::start(store.clone());
    writer.shutdown().await;
    assert_eq!(count(&store, "SELECT COUNT(*) FROM request_logs").await, 15);
    assert_eq!(
        count(&store, "SELECT SUM(requests) FROM log_stats_minute").await,
        15
    );
    assert_eq!(
        count(
            &store,
            "SELECT SUM(requests) FROM log_tops_day WHERE kind = 'key'"
        )
        .await,
        15
    );
    assert_eq!(writer.stats().written.load(Ordering::Relaxed), 5);
}

/// A record Postgres cannot store (a NUL character) is dropped and counted;
/// the others of its batch are written.
#[tokio::test]
async fn postgres_a_bad_record_does_not_hold_back_its_batch() {
    let Some(url) = postgres_url().await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    let writer = LogWriter::start(store.clone());
    for i in 0..20 {
        let mut record = generated(i);
        if i == 7 {
            record.error = Some("nul \u{0} inside".into());
        }
        writer.record(record);
    }
    writer.shutdown().await;
    assert_eq!(writer.stats().written.load(Ordering::Relaxed), 19);
    assert_eq!(writer.stats().failed.load(Ordering::Relaxed), 1);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM request_logs").await, 19);
}
