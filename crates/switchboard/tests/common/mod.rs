//! Test harness: runs the real `switchboard` binary against the in-process
//! mock provider and talks to it over HTTP.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[allow(unused_imports)]
pub use switchboard_mock::{Fault, MockConfig, MockServer};

pub const MASTER_KEY: &str = "sk-test-master";
/// `created` of every mock response, so identical requests give identical bytes.
pub const FIXED_CREATED: u64 = 1_750_000_000;

pub async fn mock() -> MockServer {
    mock_with(MockConfig {
        fixed_created: Some(FIXED_CREATED),
        ..MockConfig::default()
    })
    .await
}

pub async fn mock_with(config: MockConfig) -> MockServer {
    switchboard_mock::spawn(config).await.expect("mock starts")
}

/// A running gateway process; killed when dropped.
pub struct Gateway {
    pub child: Child,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub config_path: Option<PathBuf>,
    /// Lines the process printed after the listening line.
    pub output: mpsc::Receiver<String>,
    /// Lines printed before the listening line.
    pub banner: Vec<String>,
}

#[derive(Default)]
pub struct Launch<'a> {
    pub config: Option<String>,
    pub env: Vec<(&'a str, String)>,
    pub args: Vec<String>,
}

/// Starts the gateway with `config` (YAML) and the test master key.
pub fn start(config: &str) -> Gateway {
    let config = if config.contains("general_settings") {
        config.to_string()
    } else {
        format!("{config}\ngeneral_settings:\n  master_key: {MASTER_KEY}\n")
    };
    launch(Launch {
        config: Some(config),
        ..Launch::default()
    })
}

pub fn launch(launch: Launch<'_>) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.arg("--port").arg("0").args(&launch.args);
    if !launch.args.iter().any(|a| a == "--data-dir") {
        command.arg("--data-dir").arg(dir.path().join("data"));
    }
    command
        .env_remove("SWITCHBOARD_MASTER_KEY")
        .env_remove("LITELLM_MASTER_KEY")
        .env_remove("OPENAI_API_KEY")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let config_path = launch.config.map(|text| {
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, text).unwrap();
        command.arg("--config").arg(&path);
        path
    });
    for (name, value) in &launch.env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the switchboard binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = Vec::new();
    let base = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("gateway did not start; output so far: {banner:#?}"));
        if let Some(address) = line.strip_prefix("switchboard listening on ") {
            break address.trim().to_string();
        }
        banner.push(line);
    };
    Gateway {
        child,
        base,
        dir,
        config_path,
        output: rx,
        banner,
    }
}

impl Gateway {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit and returns its exit code.
    pub fn wait_exit(&mut self, within: Duration) -> i32 {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(std::time::Instant::now() < deadline, "gateway did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Output lines printed so far.
    pub fn drain_output(&self) -> Vec<String> {
        self.output.try_iter().collect()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A config with one model group `gpt` on the mock.
pub fn mock_config(mock: &MockServer) -> String {
    format!(
        "model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/mock-gpt\n      api_base: {}\n      api_key: sk-upstream\n",
        mock.base_url()
    )
}

/// `config` with retries off: for tests of what a client sees when an
/// upstream fails (with retries on, the next attempt would succeed).
pub fn without_retries(config: &str) -> String {
    format!("{config}router_settings:\n  num_retries: 0\n")
}

pub async fn post(gateway: &Gateway, path: &str, body: &serde_json::Value) -> reqwest::Response {
    client()
        .post(gateway.url(path))
        .bearer_auth(MASTER_KEY)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Sends `body` straight to the mock (what the gateway's upstream sees).
pub async fn post_direct(mock: &MockServer, path: &str, body: &serde_json::Value) -> bytes::Bytes {
    client()
        .post(format!("{}{}", mock.base_url(), path))
        .bearer_auth("sk-upstream")
        .json(body)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
}

/// A Postgres URL with a fresh schema in the machine's `test` database, or
/// `None` (test skipped) when Postgres is unreachable outside CI. Under
/// `CI=true` an unreachable server fails the test loudly.
pub async fn postgres_url() -> Option<String> {
    let base = std::env::var("SWITCHBOARD_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let schema = format!("sb_it_{}", fastrand::u64(..));
    let status = std::process::Command::new("psql")
        .arg(&base)
        .args(["-q", "-c", &format!("CREATE SCHEMA {schema}")])
        .status();
    match status {
        Ok(status) if status.success() => {}
        other => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "Postgres at {base} is unreachable under CI: {other:?}"
            );
            eprintln!("skipping: Postgres at {base} is unreachable: {other:?}");
            return None;
        }
    }
    Some(format!("{base}?options=-c%20search_path%3D{schema}"))
}
