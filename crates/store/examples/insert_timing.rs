//! Request-log insert throughput, without criterion: inserts `ROWS` records
//! in batches of varying size (as the writer's batches vary under load) and
//! prints rows per second. Runs against whichever version of the store it
//! is built with, so the same file times a change before and after:
//!
//! ```sh
//! cargo run --release -p switchboard-store --example insert_timing [postgres://...]
//! ```
//!
//! Without an argument it uses a SQLite file in a temporary directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use switchboard_store::{LogRecord, Store};

const ROWS: usize = 200_000;

fn record(i: usize) -> LogRecord {
    LogRecord {
        id: format!("{i:032x}"),
        request_id: format!("req-{i:016x}"),
        started_at: 1_700_000_000_000 + i as i64 * 5,
        latency_ms: 120.0 + (i % 997) as f64,
        ttft_ms: Some(35.0),
        overhead_ms: Some(0.4),
        route: "/v1/chat/completions".into(),
        call_type: "chat_completions".into(),
        model: "gpt-4o-mini".into(),
        model_group: Some("gpt-4o-mini".into()),
        deployment_id: Some(format!("deployment-{}", i % 4)),
        provider: Some("openai".into()),
        upstream_model: Some("gpt-4o-mini-2024-07-18".into()),
        key_hash: Some(format!("{:064x}", i % 64)),
        key_alias: Some(format!("key-{}", i % 64)),
        team_id: Some(format!("team-{}", i % 8)),
        stream: i.is_multiple_of(2),
        status: 200,
        input_tokens: 50 + (i % 300) as u64,
        output_tokens: 8 + (i % 200) as u64,
        cost: Some(0.000_02),
        attempts: 1,
        attempt_log: Some(r#"[{"deployment":"deployment-0","status":200,"ms":120.5}]"#.into()),
        ..LogRecord::default()
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| Store::sqlite_url_in(dir.path()));
    let store = Store::open(&url).await.unwrap();
    let records: Vec<LogRecord> = (0..ROWS).map(record).collect();
    // Batch sizes as the writer sees them under load: anything up to 2,000.
    let mut rng = fastrand::Rng::with_seed(7);
    let started = Instant::now();
    let mut done = 0;
    let mut batches = 0;
    while done < ROWS {
        let size = rng.usize(1..=2_000).min(ROWS - done);
        store
            .insert_logs(&records[done..done + size])
            .await
            .map(|_| ())
            .unwrap();
        done += size;
        batches += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} rows in {batches} batches: {seconds:.2} s, {:.0} rows/s ({})",
        ROWS,
        ROWS as f64 / seconds,
        switchboard_store::redact(&url)
    );
}
