//! Request-log search at scale (issue 6: 10 million records, p95 under
//! 100 ms; issue 8: the web UI with 1 million): fills the log store with
//! generated records through `Store::insert_logs`, as the writer does under
//! load, then times the searches the `/logs` API and the UI make, each
//! repeated with varying parameters, and prints a markdown table.
//!
//! ```sh
//! cargo run --release -p switchboard-store --example log_search_bench -- \
//!     [--rows N] [--database URL] [--reuse] [--reps N] [--seed N] \
//!     [--batch N] [--fill-seconds S]
//! ```
//!
//! - `--rows`: records to generate (10,000,000).
//! - `--database`: `sqlite://FILE` or `postgres://...`; a SQLite file in a
//!   temporary directory (deleted at exit) without it. The database must
//!   be new unless `--reuse` is given.
//! - `--reuse`: keep the records of an earlier run (the bench notes how it
//!   filled the database in a table of its own, `log_search_bench`) and
//!   insert only the missing ones, so an interrupted fill resumes and a
//!   full one is not repeated.
//! - `--fill-seconds`: stop filling after this long and time the searches
//!   on what is there (the table reports the row count).
//!
//! The records are a pure function of the seed and their index: about 15
//! model groups over 9 providers, 600 keys used with a skewed popularity,
//! 40 teams, 800 users, 3% failures (429, 500, 400), log-normal latencies,
//! times spread evenly over the 30 days before the first fill, tags on 40%,
//! and request/response bodies on 30% whose words come from a Zipf-
//! distributed vocabulary of 100,000 words: the first ranks occur in
//! nearly every body, the last in about one body in 5,000.
//!
//! `bench/logstore` runs it on SQLite and Postgres (bench/README.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::Row;
use switchboard_store::{
    Backend, Cursor, LogRecord, LogSearch, StatsQuery, StatusFilter, Store, TextQuery,
};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// The records span this long, ending when the database was first filled.
const SPAN_MS: i64 = 30 * DAY_MS;
/// Rows per page, as the UI asks.
const PAGE: u32 = 50;
/// Pages per cursor walk.
const WALK_PAGES: usize = 10;
const VOCABULARY: usize = 100_000;
/// Ranks of the words searched for: in nearly every body, in a few percent
/// of them, in about one in 5,000.
const COMMON_WORDS: std::ops::Range<usize> = 0..20;
const MEDIUM_WORDS: std::ops::Range<usize> = 500..2_000;
const RARE_WORDS: std::ops::Range<usize> = 50_000..VOCABULARY;
/// Share of records with bodies (message logging on for that traffic).
const BODY_SHARE: f64 = 0.30;

struct Args {
    rows: u64,
    database: Option<String>,
    reuse: bool,
    reps: usize,
    seed: u64,
    batch: usize,
    writers: usize,
    fill_database: Option<String>,
    fill_seconds: Option<f64>,
}

const USAGE: &str = "usage: log_search_bench [--rows N] [--database URL] [--reuse] [--reps N] \
                     [--seed N] [--batch N] [--writers N] [--fill-database URL] [--fill-seconds S]";

fn fail(message: &str) -> ! {
    eprintln!("log_search_bench: {message}\n{USAGE}");
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = Args {
        rows: 10_000_000,
        database: None,
        reuse: false,
        reps: 30,
        seed: 1,
        batch: 2_000,
        writers: 1,
        fill_database: None,
        fill_seconds: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| fail(&format!("{flag} needs a value")))
        };
        let number = |text: String| -> u64 {
            text.replace('_', "")
                .parse()
                .unwrap_or_else(|_| fail(&format!("{flag}: `{text}` is not a number")))
        };
        match flag.as_str() {
            "--rows" => args.rows = number(value()),
            "--database" => args.database = Some(value()),
            "--reuse" => args.reuse = true,
            "--reps" => args.reps = number(value()).max(1) as usize,
            "--seed" => args.seed = number(value()),
            "--batch" => args.batch = number(value()).clamp(1, 100_000) as usize,
            "--writers" => args.writers = number(value()).clamp(1, 64) as usize,
            "--fill-database" => args.fill_database = Some(value()),
            "--fill-seconds" => {
                let text = value();
                args.fill_seconds = Some(text.parse().unwrap_or_else(|_| {
                    fail(&format!("--fill-seconds: `{text}` is not a number"))
                }));
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0)
            }
            other => fail(&format!("unknown argument `{other}`")),
        }
    }
    if args.rows == 0 {
        fail("--rows must be positive");
    }
    args
}

// ---------------------------------------------------------------------------
// The generated records.

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A random UUID (v4), as the gateway's ids are.
fn uuid(rng: &mut fastrand::Rng) -> String {
    let (a, b) = (rng.u64(..), rng.u64(..));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        8 + (b >> 62),
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

/// Cumulative weights `1 / (rank + 1)^s`, normalised to end at 1.
fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let mut total = 0.0;
    let mut cdf: Vec<f64> = (0..n)
        .map(|rank| {
            total += 1.0 / ((rank + 1) as f64).powf(s);
            total
        })
        .collect();
    for c in &mut cdf {
        *c /= total;
    }
    cdf
}

fn pick(cdf: &[f64], rng: &mut fastrand::Rng) -> usize {
    let u = rng.f64();
    cdf.partition_point(|&c| c < u).min(cdf.len() - 1)
}

/// A standard normal deviate (Box-Muller).
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u1 = 1.0 - rng.f64();
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

struct Model {
    group: &'static str,
    provider: &'static str,
    upstream: &'static str,
    deployments: usize,
    weight: f64,
    /// Median latency of a success.
    median_ms: f64,
    /// Dollars per million input and output tokens.
    price: (f64, f64),
    embeddings: bool,
}

const fn model(
    group: &'static str,
    provider: &'static str,
    upstream: &'static str,
    deployments: usize,
    weight: f64,
    median_ms: f64,
    price: (f64, f64),
) -> Model {
    Model {
        group,
        provider,
        upstream,
        deployments,
        weight,
        median_ms,
        price,
        embeddings: false,
    }
}

const MODELS: &[Model] = &[
    model(
        "gpt-4o-mini",
        "openai",
        "gpt-4o-mini-2024-07-18",
        2,
        28.0,
        900.0,
        (0.15, 0.6),
    ),
    model(
        "gpt-4o",
        "openai",
        "gpt-4o-2024-08-06",
        3,
        12.0,
        1_800.0,
        (2.5, 10.0),
    ),
    model(
        "gpt-4.1",
        "azure",
        "gpt-4.1-2025-04-14",
        2,
        6.0,
        2_000.0,
        (2.0, 8.0),
    ),
    model(
        "o3-mini",
        "openai",
        "o3-mini-2025-01-31",
        1,
        3.0,
        7_000.0,
        (1.1, 4.4),
    ),
    model(
        "claude-3-5-sonnet",
        "anthropic",
        "claude-3-5-sonnet-20241022",
        2,
        9.0,
        2_600.0,
        (3.0, 15.0),
    ),
    model(
        "claude-3-5-haiku",
        "anthropic",
        "claude-3-5-haiku-20241022",
        1,
        7.0,
        1_200.0,
        (0.8, 4.0),
    ),
    model(
        "claude-sonnet-4",
        "bedrock",
        "anthropic.claude-sonnet-4-20250514-v1:0",
        2,
        4.0,
        3_000.0,
        (3.0, 15.0),
    ),
    model(
        "gemini-2.0-flash",
        "vertex_ai",
        "gemini-2.0-flash-001",
        2,
        8.0,
        700.0,
        (0.1, 0.4),
    ),
    model(
        "gemini-1.5-pro",
        "vertex_ai",
        "gemini-1.5-pro-002",
        1,
        2.0,
        2_400.0,
        (1.25, 5.0),
    ),
    model(
        "llama-3.3-70b",
        "groq",
        "llama-3.3-70b-versatile",
        1,
        4.0,
        450.0,
        (0.59, 0.79),
    ),
    model(
        "mistral-large",
        "mistral",
        "mistral-large-2411",
        1,
        1.5,
        1_900.0,
        (2.0, 6.0),
    ),
    model(
        "deepseek-chat",
        "deepseek",
        "deepseek-chat",
        1,
        2.0,
        3_500.0,
        (0.27, 1.1),
    ),
    model(
        "command-r-plus",
        "cohere",
        "command-r-plus-08-2024",
        1,
        0.5,
        2_100.0,
        (2.5, 10.0),
    ),
    Model {
        embeddings: true,
        ..model(
            "text-embedding-3-small",
            "openai",
            "text-embedding-3-small",
            1,
            10.0,
            120.0,
            (0.02, 0.0),
        )
    },
    Model {
        embeddings: true,
        ..model(
            "text-embedding-3-large",
            "azure",
            "text-embedding-3-large",
            1,
            3.0,
            180.0,
            (0.13, 0.0),
        )
    },
];

const TEAMS: &[&str] = &[
    "search",
    "support",
    "growth",
    "billing",
    "platform",
    "data",
    "ml-research",
    "mobile",
    "web",
    "infra",
    "security",
    "sales",
    "marketing",
    "legal",
    "finance",
    "hr",
    "docs",
    "qa",
    "devrel",
    "partners",
    "ads",
    "recsys",
    "risk",
    "fraud",
    "ops",
    "analytics",
    "design",
    "editorial",
    "translation",
    "voice",
    "vision",
    "agents",
    "evals",
    "labs",
    "enterprise",
    "smb",
    "edu",
    "health",
    "gaming",
    "internal-tools",
];

const SERVICES: &[&str] = &[
    "api",
    "worker",
    "batch",
    "chatbot",
    "summarizer",
    "classifier",
    "extractor",
    "notebook",
    "cli",
    "backend",
    "frontend",
    "cron",
    "eval",
    "agent",
    "indexer",
];

const TAGS: &[&str] = &[
    "prod",
    "staging",
    "dev",
    "batch",
    "interactive",
    "feature:summarize",
    "feature:chat",
    "feature:search",
    "feature:extract",
    "feature:classify",
    "feature:translate",
    "app:web",
    "app:mobile",
    "app:backend",
    "experiment:a",
    "experiment:b",
    "customer:enterprise",
    "customer:free",
    "region:eu",
    "region:us",
];

/// The most frequent words: English and the vocabulary of LLM traffic.
const COMMON: &str = "the of and to a in is you that it for on with as are this be at \
    or by your can not from have an will all we if please what which there use when one \
    more their about how do each should into would make like these other than then them \
    some could also only new just any time over such first after most need way well data \
    user answer question code function return value list text summary following example \
    model output input file error result json python string number request response name \
    type table query document customer message context step information provide write \
    explain based given using without between because while where who why must include \
    format section line test case order account product service issue report update \
    change system assistant content role task help review check create add remove find \
    short long simple detailed clear below above previous next final number total price \
    date email address support contact team project plan goal note point part level item";

struct Key {
    hash: String,
    alias: String,
    team: Option<String>,
    user: Option<String>,
    org: Option<String>,
}

/// Everything a record is generated from.
struct Generator {
    seed: u64,
    rows: u64,
    t0: i64,
    vocabulary: Vec<String>,
    word_cdf: Vec<f64>,
    keys: Vec<Key>,
    key_cdf: Vec<f64>,
    model_cdf: Vec<f64>,
}

impl Generator {
    fn new(seed: u64, rows: u64, t0: i64) -> Generator {
        let mut vocabulary: Vec<String> = COMMON.split_whitespace().map(str::to_string).collect();
        // The rest: three syllables, spread over the 14 × 5 syllables'
        // combinations by a multiplier prime to their number.
        let (consonants, vowels) = (b"bdfgklmnprstvz", b"aeiou");
        let syllables = consonants.len() * vowels.len();
        let combinations = syllables.pow(3);
        let mut n = 0usize;
        while vocabulary.len() < VOCABULARY {
            let mut code = (n * 7_919) % combinations;
            n += 1;
            let mut word = String::with_capacity(6);
            for _ in 0..3 {
                let s = code % syllables;
                code /= syllables;
                word.push(char::from(consonants[s / vowels.len()]));
                word.push(char::from(vowels[s % vowels.len()]));
            }
            vocabulary.push(word);
        }
        let mut keys_rng = fastrand::Rng::with_seed(splitmix(seed ^ 0x6b65_7973));
        let keys = (0..600)
            .map(|k| {
                let team = (keys_rng.f64() >= 0.05).then(|| TEAMS[k % TEAMS.len()]);
                Key {
                    hash: (0..4)
                        .map(|_| format!("{:016x}", keys_rng.u64(..)))
                        .collect(),
                    alias: format!(
                        "{}-{}-{k:03}",
                        team.unwrap_or("personal"),
                        SERVICES[keys_rng.usize(..SERVICES.len())]
                    ),
                    team: team.map(|t| format!("team-{t}")),
                    user: (keys_rng.f64() < 0.75)
                        .then(|| format!("user-{:04}", keys_rng.usize(..800))),
                    org: team.map(|_| format!("org-{}", k % TEAMS.len() % 5)),
                }
            })
            .collect();
        let total: f64 = MODELS.iter().map(|m| m.weight).sum();
        let mut sum = 0.0;
        let model_cdf = MODELS
            .iter()
            .map(|m| {
                sum += m.weight / total;
                sum
            })
            .collect();
        Generator {
            seed,
            rows,
            t0,
            vocabulary,
            word_cdf: zipf_cdf(VOCABULARY, 1.0),
            keys,
            key_cdf: zipf_cdf(600, 0.8),
            model_cdf,
        }
    }

    fn words(&self, rng: &mut fastrand::Rng, count: usize, out: &mut String) {
        for i in 0..count {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&self.vocabulary[pick(&self.word_cdf, rng)]);
        }
    }

    /// `min` to `min + extra - 1` words.
    fn text(&self, rng: &mut fastrand::Rng, min: usize, extra: usize) -> String {
        let count = min + rng.usize(..extra);
        let mut out = String::with_capacity(count * 7);
        self.words(rng, count, &mut out);
        out
    }

    /// Record `i` of the fill: always the same for the same seed.
    fn record(&self, i: u64) -> LogRecord {
        let mut rng = fastrand::Rng::with_seed(splitmix(self.seed ^ splitmix(i)));
        let step = SPAN_MS as f64 / self.rows as f64;
        let started_at = self.t0 + (i as f64 * step) as i64 + rng.i64(0..(step as i64).max(1));
        let model = &MODELS[pick(&self.model_cdf, &mut rng)];
        let key = &self.keys[pick(&self.key_cdf, &mut rng)];
        let (call_type, route) = if model.embeddings {
            ("embeddings", "/v1/embeddings")
        } else if model.provider == "anthropic" && rng.f64() < 0.3 {
            ("messages", "/v1/messages")
        } else {
            ("chat_completions", "/v1/chat/completions")
        };
        let stream = !model.embeddings && rng.f64() < 0.45;
        let roll = rng.f64();
        let status: u16 = match roll {
            r if r < 0.018 => 429,
            r if r < 0.025 => 500,
            r if r < 0.030 => 400,
            _ => 200,
        };
        // Log-normal, with a heavier tail (slow upstreams, long outputs).
        let mut latency_ms = model.median_ms * (0.8 * normal(&mut rng)).exp();
        if rng.f64() < 0.01 {
            latency_ms *= 3.0 + 7.0 * rng.f64();
        }
        latency_ms = match status {
            429 | 400 => 20.0 + 250.0 * rng.f64(),
            500 => latency_ms * 0.5,
            _ => latency_ms,
        }
        .min(600_000.0);
        let input_tokens = if status == 429 {
            0
        } else {
            (if model.embeddings { 200.0 } else { 600.0 } * (1.0 * normal(&mut rng)).exp()) as u64
                + 1
        };
        let output_tokens = if status != 200 || model.embeddings {
            0
        } else {
            (250.0 * (0.9 * normal(&mut rng)).exp()) as u64 + 1
        };
        let cost = (input_tokens as f64 * model.price.0 + output_tokens as f64 * model.price.1)
            / 1_000_000.0;
        let deployment = format!("{}-{}", model.group, rng.usize(..model.deployments));
        let error = match status {
            429 => Some(format!(
                "Rate limit reached for {} on tokens per min (TPM): Limit {}, Used {}, \
                 Requested {}. Please try again in {:.1}s.",
                model.upstream,
                30_000 * (1 + rng.u32(..8)),
                29_000 + rng.u32(..1_000),
                200 + rng.u32(..4_000),
                0.5 + 5.0 * rng.f64()
            )),
            500 => Some(
                [
                    "The server had an error while processing your request. Sorry about that!",
                    "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
                    "Internal server error",
                    "overloaded_error: Overloaded",
                ][rng.usize(..4)]
                .to_string(),
            ),
            400 => Some(
                [
                    format!(
                        "This model's maximum context length is 128000 tokens. However, your \
                         messages resulted in {} tokens.",
                        128_001 + rng.u32(..20_000)
                    ),
                    "Invalid value for 'temperature': must be between 0 and 2.".to_string(),
                    "messages: roles must alternate between \"user\" and \"assistant\"".to_string(),
                ][rng.usize(..3)]
                .clone(),
            ),
            _ => None,
        };
        let retried = status == 500 || rng.f64() < 0.03;
        let mut attempt_log = String::from("[");
        if retried {
            attempt_log.push_str(&format!(
                r#"{{"deployment":"{}-0","status":500,"ms":{:.1},"error":"upstream error"}},"#,
                model.group,
                latency_ms * 0.3
            ));
        }
        attempt_log.push_str(&format!(
            r#"{{"deployment":"{deployment}","status":{status},"ms":{latency_ms:.1}}}]"#
        ));
        let tags = if rng.f64() < 0.4 {
            let mut tags: Vec<String> = (0..1 + rng.usize(..3))
                .map(|_| TAGS[rng.usize(..TAGS.len())].to_string())
                .collect();
            tags.sort();
            tags.dedup();
            tags
        } else {
            Vec::new()
        };
        let (request_body, response_body) = if rng.f64() < BODY_SHARE {
            self.bodies(&mut rng, model, status, input_tokens, output_tokens)
        } else {
            (None, None)
        };
        LogRecord {
            id: uuid(&mut rng),
            request_id: uuid(&mut rng),
            started_at,
            latency_ms,
            // Never NULL (non-stream: the whole body is the first byte):
            // sqlx 0.9.0's `Any` driver binds a NULL f64 as a float4
            // (launchbadge/sqlx#4284), and on Postgres the INSERT prepared
            // with it then refuses every later non-NULL value in that
            // position ("incorrect binary data format", SQLSTATE 22P03).
            ttft_ms: Some(if stream {
                latency_ms * (0.1 + 0.3 * rng.f64())
            } else {
                latency_ms
            }),
            overhead_ms: Some(0.2 + 1.5 * rng.f64() * rng.f64()),
            route: route.into(),
            call_type: call_type.into(),
            model: model.group.into(),
            model_group: Some(model.group.into()),
            deployment_id: Some(deployment),
            provider: Some(model.provider.into()),
            upstream_model: Some(model.upstream.into()),
            key_hash: Some(key.hash.clone()),
            key_alias: Some(key.alias.clone()),
            user_id: key.user.clone(),
            team_id: key.team.clone(),
            organization_id: key.org.clone(),
            end_user: (rng.f64() < 0.3).then(|| format!("cust_{:05}", rng.u32(..20_000))),
            stream,
            status,
            error,
            input_tokens,
            output_tokens,
            cached_tokens: if rng.f64() < 0.2 { input_tokens / 2 } else { 0 },
            cache_write_tokens: 0,
            reasoning_tokens: if model.group.starts_with("o3") {
                output_tokens / 2
            } else {
                0
            },
            cost: Some(cost),
            cache_hit: rng.f64() < 0.02,
            attempts: 1 + u32::from(retried),
            tags,
            metadata: (rng.f64() < 0.1)
                .then(|| serde_json::json!({"trace_id": format!("{:032x}", rng.u128(..))})),
            request_body,
            response_body,
            attempt_log: Some(attempt_log),
        }
    }

    fn bodies(
        &self,
        rng: &mut fastrand::Rng,
        model: &Model,
        status: u16,
        input_tokens: u64,
        output_tokens: u64,
    ) -> (Option<String>, Option<String>) {
        if model.embeddings {
            let input = self.text(rng, 10, 60);
            let request = format!(r#"{{"model":"{}","input":"{input}"}}"#, model.group);
            return (Some(request), None);
        }
        let system = self.text(rng, 0, 60);
        let user = self.text(rng, 20, 180);
        let request = format!(
            r#"{{"model":"{}","messages":[{{"role":"system","content":"{system}"}},{{"role":"user","content":"{user}"}}],"temperature":0.7,"max_tokens":1024}}"#,
            model.group
        );
        if status != 200 {
            return (Some(request), None);
        }
        let answer = self.text(rng, 10, 190);
        let response = format!(
            r#"{{"id":"chatcmpl-{:016x}","object":"chat.completion","created":1700000000,"model":"{}","choices":[{{"index":0,"message":{{"role":"assistant","content":"{answer}"}},"finish_reason":"stop"}}],"usage":{{"prompt_tokens":{input_tokens},"completion_tokens":{output_tokens},"total_tokens":{}}}}}"#,
            rng.u64(..),
            model.upstream,
            input_tokens + output_tokens
        );
        (Some(request), Some(response))
    }
}

// ---------------------------------------------------------------------------
// Filling.

/// How the database was filled: kept in `log_search_bench` so that a
/// `--reuse` run generates the same records.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fill {
    seed: u64,
    rows: u64,
    t0: i64,
}

async fn scalar_i64(store: &Store, sql: &str) -> i64 {
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(store.pool())
        .await
        .unwrap_or_else(|e| panic_free_exit(&format!("`{sql}`: {e}")));
    row.try_get::<Option<i64>, _>(0).unwrap().unwrap_or(0)
}

fn panic_free_exit(message: &str) -> ! {
    eprintln!("log_search_bench: {message}");
    std::process::exit(1)
}

async fn stored_fill(store: &Store) -> Option<Fill> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS log_search_bench \
         (seed BIGINT NOT NULL, planned_rows BIGINT NOT NULL, t0 BIGINT NOT NULL)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let row = sqlx::query("SELECT seed, planned_rows, t0 FROM log_search_bench")
        .fetch_optional(store.pool())
        .await
        .unwrap()?;
    Some(Fill {
        seed: row.try_get::<i64, _>(0).unwrap() as u64,
        rows: row.try_get::<i64, _>(1).unwrap() as u64,
        t0: row.try_get(2).unwrap(),
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Decides what to generate; returns the fill and how many rows exist.
async fn plan(store: &Store, args: &Args) -> (Fill, u64) {
    let existing = scalar_i64(store, "SELECT COUNT(*) FROM request_logs").await as u64;
    let stored = stored_fill(store).await;
    if !args.reuse && existing > 0 {
        panic_free_exit(&format!(
            "the database already holds {existing} request logs: pass --reuse to use them, \
             or give a new database"
        ));
    }
    match stored {
        Some(fill) if args.reuse => {
            if fill.seed != args.seed {
                panic_free_exit(&format!(
                    "the database was filled with --seed {}; recreate it for --seed {}",
                    fill.seed, args.seed
                ));
            }
            if existing < args.rows && fill.rows != args.rows {
                panic_free_exit(&format!(
                    "the database was filled for --rows {} and holds {existing}; recreate it \
                     for --rows {}",
                    fill.rows, args.rows
                ));
            }
            (fill, existing)
        }
        Some(_) | None if existing > 0 => panic_free_exit(
            "the database holds request logs this bench did not write; give a new database",
        ),
        _ => {
            // Whole seconds, so the stored start reads back the same.
            let t0 = (now_ms() - SPAN_MS) / 1000 * 1000;
            let fill = Fill {
                seed: args.seed,
                rows: args.rows,
                t0,
            };
            sqlx::query("DELETE FROM log_search_bench")
                .execute(store.pool())
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO log_search_bench (seed, planned_rows, t0) VALUES ($1, $2, $3)",
            )
            .bind(fill.seed as i64)
            .bind(fill.rows as i64)
            .bind(fill.t0)
            .execute(store.pool())
            .await
            .unwrap();
            (fill, 0)
        }
    }
}

/// Inserts records `from..to` in batches of `batch` (generated on another
/// thread meanwhile) with `writers` concurrent `insert_logs` calls, each
/// taking the next batch; returns the rows inserted and the seconds it
/// took. Every batch taken is finished, so a fill stopped by `deadline`
/// leaves a prefix of the records.
async fn fill(
    store: &Store,
    generator: Arc<Generator>,
    (from, to): (u64, u64),
    batch: usize,
    writers: usize,
    deadline: Option<Instant>,
) -> (u64, f64) {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Vec<LogRecord>>(writers + 3);
    let producer = std::thread::spawn(move || {
        let mut i = from;
        while i < to {
            let end = (i + batch as u64).min(to);
            let records: Vec<LogRecord> = (i..end).map(|j| generator.record(j)).collect();
            if sender.blocking_send(records).is_err() {
                return;
            }
            i = end;
        }
    });
    let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..writers {
        let (store, receiver, done) = (store.clone(), Arc::clone(&receiver), Arc::clone(&done));
        tasks.spawn(async move {
            while deadline.is_none_or(|d| Instant::now() < d) {
                let next = receiver.lock().await.recv().await;
                let Some(records) = next else {
                    return;
                };
                store.insert_logs(&records).await.unwrap();
                done.fetch_add(records.len() as u64, Ordering::Relaxed);
            }
        });
    }
    let mut ticks = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(30),
        Duration::from_secs(30),
    );
    let (mut done_at_report, mut last_report) = (0u64, started);
    let report = |done: u64, since: u64, last: Instant| {
        let now = Instant::now();
        let interval = now.duration_since(last).as_secs_f64();
        println!(
            "  {:>10} / {to} rows  {:>7.0} rows/s overall, {:>7.0} rows/s in the last {:.0} s  ({:.0} s)",
            from + done,
            done as f64 / now.duration_since(started).as_secs_f64(),
            (done - since) as f64 / interval,
            interval,
            now.duration_since(started).as_secs_f64()
        );
        now
    };
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(result) => result.unwrap(),
                None => break,
            },
            _ = ticks.tick() => {
                let now_done = done.load(Ordering::Relaxed);
                last_report = report(now_done, done_at_report, last_report);
                done_at_report = now_done;
            }
        }
    }
    let inserted = done.load(Ordering::Relaxed);
    report(inserted, done_at_report, last_report);
    if from + inserted < to {
        println!(
            "  --fill-seconds reached: stopped at {} rows",
            from + inserted
        );
    }
    drop(receiver);
    producer.join().unwrap();
    (inserted, started.elapsed().as_secs_f64())
}

// ---------------------------------------------------------------------------
// Searching.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Newest,
    Last24h,
    KeyAlias,
    Team,
    User,
    ModelFailures,
    Status429,
    MinLatency,
    Day,
    TextRare,
    TextMedium,
    TextCommon,
    TextRare24h,
    TextCommon24h,
    WalkPage,
    WalkTotal,
    Detail,
    /// `/logs/stats` over `range` with `bucket` buckets.
    Stats {
        range: i64,
        bucket: i64,
    },
}

struct Bench {
    name: String,
    kind: Kind,
    samples: Vec<f64>,
    /// Rows (or buckets) the calls returned, summed.
    returned: u64,
}

fn benches() -> Vec<Bench> {
    let mut list = vec![
        ("newest page, no filter", Kind::Newest),
        ("last 24 h, no filter (UI default)", Kind::Last24h),
        ("key_alias", Kind::KeyAlias),
        ("team_id", Kind::Team),
        ("user_id", Kind::User),
        ("model_group + status=failure", Kind::ModelFailures),
        ("status=429", Kind::Status429),
        ("min_latency_ms (5-60 s)", Kind::MinLatency),
        ("one day in the middle", Kind::Day),
        ("text: rare word", Kind::TextRare),
        ("text: medium word", Kind::TextMedium),
        ("text: common word", Kind::TextCommon),
        ("text: rare word, last 24 h", Kind::TextRare24h),
        ("text: common word, last 24 h", Kind::TextCommon24h),
        ("cursor walk: each of 10 pages", Kind::WalkPage),
        ("cursor walk: 10 pages in all", Kind::WalkTotal),
        ("detail by request_id (find_log)", Kind::Detail),
    ]
    .into_iter()
    .map(|(name, kind)| (name.to_string(), kind))
    .collect::<Vec<_>>();
    for (name, range, bucket) in [
        ("stats: 24 h, 1 min buckets", DAY_MS, MINUTE_MS),
        ("stats: 30 d, 1 day buckets", 30 * DAY_MS, DAY_MS),
        ("stats (UI): 15 min, 15 s buckets", 15 * MINUTE_MS, 15_000),
        ("stats (UI): 1 h, 1 min buckets", HOUR_MS, MINUTE_MS),
        ("stats (UI): 6 h, 5 min buckets", 6 * HOUR_MS, 5 * MINUTE_MS),
        ("stats (UI): 24 h, 30 min buckets", DAY_MS, 30 * MINUTE_MS),
        ("stats (UI): 7 d, 3 h buckets", 7 * DAY_MS, 3 * HOUR_MS),
        ("stats (UI): 30 d, 12 h buckets", 30 * DAY_MS, 12 * HOUR_MS),
    ] {
        list.push((name.to_string(), Kind::Stats { range, bucket }));
    }
    list.into_iter()
        .map(|(name, kind)| Bench {
            name,
            kind,
            samples: Vec::new(),
            returned: 0,
        })
        .collect()
}

/// What the searches need to know about the data.
struct Data {
    generator: Arc<Generator>,
    rows: u64,
    /// The newest record's start: "now" for the searches.
    newest: i64,
    oldest: i64,
}

fn page(search: LogSearch) -> LogSearch {
    LogSearch {
        limit: PAGE,
        ..search
    }
}

fn text(word: &str) -> Option<TextQuery> {
    TextQuery::parse(word)
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// Runs one call of `kind`; pushes its time(s) to `benches`.
async fn run_one(
    store: &Store,
    data: &Data,
    rng: &mut fastrand::Rng,
    benches: &mut [Bench],
    index: usize,
) {
    let kind = benches[index].kind;
    let g = &data.generator;
    let now = data.newest + 1;
    let last_day = Some(now - DAY_MS);
    let search = match kind {
        Kind::Newest => page(LogSearch::default()),
        Kind::Last24h => page(LogSearch {
            start_ms: last_day,
            end_ms: Some(now),
            ..LogSearch::default()
        }),
        Kind::KeyAlias => page(LogSearch {
            key_alias: Some(g.keys[rng.usize(..g.keys.len())].alias.clone()),
            ..LogSearch::default()
        }),
        Kind::Team => page(LogSearch {
            team_id: Some(format!("team-{}", TEAMS[rng.usize(..TEAMS.len())])),
            ..LogSearch::default()
        }),
        Kind::User => page(LogSearch {
            // A user that has keys.
            user_id: loop {
                if let Some(user) = &g.keys[rng.usize(..g.keys.len())].user {
                    break Some(user.clone());
                }
            },
            ..LogSearch::default()
        }),
        Kind::ModelFailures => page(LogSearch {
            model_group: Some(MODELS[rng.usize(..MODELS.len())].group.to_string()),
            status: Some(StatusFilter::Failure),
            ..LogSearch::default()
        }),
        Kind::Status429 => page(LogSearch {
            status: Some(StatusFilter::Code(429)),
            ..LogSearch::default()
        }),
        Kind::MinLatency => page(LogSearch {
            // Log-uniform between 5 and 60 seconds.
            min_latency_ms: Some((5_000f64.ln() + rng.f64() * 12f64.ln()).exp().round()),
            ..LogSearch::default()
        }),
        Kind::Day => {
            let span = (data.newest - data.oldest).max(DAY_MS);
            let start = data.oldest + span / 4 + rng.i64(0..span / 2);
            page(LogSearch {
                start_ms: Some(start),
                end_ms: Some(start + DAY_MS),
                ..LogSearch::default()
            })
        }
        Kind::TextRare => page(LogSearch {
            text: text(&g.vocabulary[rng.usize(RARE_WORDS)]),
            ..LogSearch::default()
        }),
        Kind::TextMedium => page(LogSearch {
            text: text(&g.vocabulary[rng.usize(MEDIUM_WORDS)]),
            ..LogSearch::default()
        }),
        Kind::TextCommon => page(LogSearch {
            text: text(&g.vocabulary[rng.usize(COMMON_WORDS)]),
            ..LogSearch::default()
        }),
        Kind::TextRare24h => page(LogSearch {
            start_ms: last_day,
            end_ms: Some(now),
            text: text(&g.vocabulary[rng.usize(RARE_WORDS)]),
            ..LogSearch::default()
        }),
        Kind::TextCommon24h => page(LogSearch {
            start_ms: last_day,
            end_ms: Some(now),
            text: text(&g.vocabulary[rng.usize(COMMON_WORDS)]),
            ..LogSearch::default()
        }),
        Kind::WalkPage | Kind::WalkTotal => {
            // From a random point of the last 30 days, 10 pages back.
            let span = (data.newest - data.oldest).max(DAY_MS);
            let mut search = page(LogSearch {
                end_ms: Some(data.oldest + span / 10 + rng.i64(0..span * 9 / 10)),
                ..LogSearch::default()
            });
            let walk = Instant::now();
            let mut times = Vec::with_capacity(WALK_PAGES);
            let mut returned = 0;
            for _ in 0..WALK_PAGES {
                let started = Instant::now();
                let result = store.search_logs(&search).await.unwrap();
                times.push(ms(started));
                returned += result.data.len() as u64;
                match result.next_cursor.as_deref().and_then(Cursor::parse) {
                    Some(cursor) => search.cursor = Some(cursor),
                    None => break,
                }
            }
            let total = ms(walk);
            for bench in benches.iter_mut() {
                match bench.kind {
                    Kind::WalkPage if kind == Kind::WalkPage => {
                        bench.returned += returned;
                        bench.samples.extend(&times);
                    }
                    Kind::WalkTotal if kind == Kind::WalkTotal => {
                        bench.returned += returned;
                        bench.samples.push(total);
                    }
                    _ => {}
                }
            }
            return;
        }
        Kind::Detail => {
            let record = g.record(rng.u64(..data.rows));
            let started = Instant::now();
            let found = store.find_log(&record.request_id, None).await.unwrap();
            benches[index].samples.push(ms(started));
            assert_eq!(found.map(|r| r.id), Some(record.id), "find_log");
            benches[index].returned += 1;
            return;
        }
        Kind::Stats { range, bucket } => {
            // The UI asks up to now; vary "now" over the last two hours so
            // the range's edges (read from the log rows) move.
            let end = now - rng.i64(0..2 * HOUR_MS);
            let query = StatsQuery {
                start_ms: end - range,
                end_ms: end,
                bucket_ms: bucket,
                top: 10,
            };
            let started = Instant::now();
            let stats = store.log_stats(&query).await.unwrap();
            benches[index].samples.push(ms(started));
            benches[index].returned += stats.buckets.iter().map(|b| b.requests as u64).sum::<u64>();
            return;
        }
    };
    let started = Instant::now();
    let result = store.search_logs(&search).await.unwrap();
    benches[index].samples.push(ms(started));
    benches[index].returned += result.data.len() as u64;
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

async fn database_size(store: &Store, url: &str) -> String {
    {
        match store.backend() {
            Backend::Postgres => {
                let db = scalar_i64(store, "SELECT pg_database_size(current_database())").await;
                let table =
                    scalar_i64(store, "SELECT pg_total_relation_size('request_logs')").await;
                format!(
                    "database {:.2} GB (request_logs with its indexes {:.2} GB)",
                    db as f64 / 1e9,
                    table as f64 / 1e9
                )
            }
            Backend::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:")
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let size = |p: &str| std::fs::metadata(p).map_or(0, |m| m.len());
                format!(
                    "file {:.2} GB (+ WAL {:.2} GB)",
                    size(&path) as f64 / 1e9,
                    size(&format!("{path}-wal")) as f64 / 1e9
                )
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let dir = tempfile::tempdir().unwrap();
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| Store::sqlite_url_in(dir.path()));
    let store = Store::open(&url)
        .await
        .unwrap_or_else(|e| panic_free_exit(&format!("{}: {e}", switchboard_store::redact(&url))));
    println!(
        "# request log search bench: {:?}, {}",
        store.backend(),
        switchboard_store::redact(&url)
    );
    let (plan, existing) = plan(&store, &args).await;
    let started = Instant::now();
    let generator = Arc::new(Generator::new(plan.seed, plan.rows, plan.t0));
    println!(
        "generator ready in {:.1} s (seed {}, {} rows planned over 30 days from {})",
        started.elapsed().as_secs_f64(),
        plan.seed,
        plan.rows,
        plan.t0
    );
    let mut fill_note = String::from("reused, nothing inserted");
    if existing < args.rows {
        // A fill killed while several writers ran may have finished a batch
        // after one it did not: insert again from where that could be
        // (records stored already are skipped, and not counted twice).
        let from = existing.saturating_sub((args.writers as u64 - 1) * args.batch as u64);
        let fill_store = match &args.fill_database {
            Some(fill_url) => Store::open(fill_url).await.unwrap_or_else(|e| {
                panic_free_exit(&format!("{}: {e}", switchboard_store::redact(fill_url)))
            }),
            None => store.clone(),
        };
        let through = args.fill_database.as_deref().map_or(String::new(), |u| {
            format!(", through {}", switchboard_store::redact(u))
        });
        println!(
            "filling {} rows ({existing} present) in batches of {} with {} writer(s) through \
             Store::insert_logs{through}",
            args.rows - existing,
            args.batch,
            args.writers
        );
        let deadline = args
            .fill_seconds
            .map(|s| Instant::now() + Duration::from_secs_f64(s));
        let (inserted, seconds) = fill(
            &fill_store,
            Arc::clone(&generator),
            (from, args.rows),
            args.batch,
            args.writers,
            deadline,
        )
        .await;
        if args.fill_database.is_some() {
            fill_store.close().await;
        }
        fill_note = format!(
            "{inserted} rows in {seconds:.0} s: {:.0} rows/s (batches of {}, {} writer(s){through})",
            inserted as f64 / seconds,
            args.batch,
            args.writers
        );
        println!("filled: {fill_note}");
    } else {
        println!("--reuse: {existing} rows present, nothing to insert");
    }
    if store.backend() == Backend::Postgres {
        // Autovacuum's analyze would do this after a bulk load (it is off
        // on some test servers); without statistics the planner guesses.
        let started = Instant::now();
        sqlx::query("ANALYZE").execute(store.pool()).await.unwrap();
        println!("ANALYZE: {:.1} s", started.elapsed().as_secs_f64());
    }
    let rows = scalar_i64(&store, "SELECT COUNT(*) FROM request_logs").await as u64;
    let newest = scalar_i64(&store, "SELECT MAX(started_at) FROM request_logs").await;
    let oldest = scalar_i64(&store, "SELECT MIN(started_at) FROM request_logs").await;
    let size = database_size(&store, &url).await;
    println!("{rows} rows, {size}; started_at from {oldest} to {newest}");
    let data = Data {
        generator,
        rows,
        newest,
        oldest,
    };
    let mut benches = benches();
    let mut rng = fastrand::Rng::with_seed(plan.seed ^ 0x5eed);
    println!(
        "timing {} searches x {} rounds after one untimed round (each round runs every search \
         once, with new parameters)",
        benches.len(),
        args.reps
    );
    // One round untimed first: the pool opens its connections (over TCP
    // with TLS, tens of milliseconds each) and prepares its statements, as
    // a running gateway's have long done.
    for index in 0..benches.len() {
        run_one(&store, &data, &mut rng, &mut benches, index).await;
    }
    for bench in &mut benches {
        bench.samples.clear();
        bench.returned = 0;
    }
    let searching = Instant::now();
    for _ in 0..args.reps {
        for index in 0..benches.len() {
            run_one(&store, &data, &mut rng, &mut benches, index).await;
        }
    }
    println!(
        "searches done in {:.1} s\n",
        searching.elapsed().as_secs_f64()
    );

    let backend = match store.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "Postgres",
    };
    println!("{backend}, {rows} rows ({size}); fill: {fill_note}\n");
    println!("| search | p50 ms | p95 ms | max ms | rows per call | p95 < 100 ms |");
    println!("|---|---:|---:|---:|---:|:---:|");
    let mut misses = BTreeMap::new();
    for bench in &mut benches {
        bench.samples.sort_by(f64::total_cmp);
        let calls = match bench.kind {
            Kind::WalkTotal => args.reps as u64,
            _ => bench.samples.len() as u64,
        };
        let (p50, p95) = (
            percentile(&bench.samples, 0.5),
            percentile(&bench.samples, 0.95),
        );
        let max = bench.samples.last().copied().unwrap_or(0.0);
        let per_call = bench.returned as f64 / calls.max(1) as f64;
        let returned = match bench.kind {
            Kind::Stats { .. } => format!("{per_call:.0} requests"),
            _ => format!("{per_call:.1}"),
        };
        // The walk's total is ten calls; its target is per page.
        let ok = if bench.kind == Kind::WalkTotal {
            "–"
        } else if p95 < 100.0 {
            "yes"
        } else {
            misses.insert(bench.name.clone(), p95);
            "**no**"
        };
        println!(
            "| {} | {p50:.1} | {p95:.1} | {max:.1} | {returned} | {ok} |",
            bench.name
        );
    }
    if !misses.is_empty() {
        println!("\np95 over 100 ms: {misses:?}");
    }
    store.close().await;
}
