//! Chaos: probabilistic 500s and cut connections (`fail_rate`, `cut_rate`), and their
//! interplay with the deterministic faults.

// Helpers outside #[test] fns are not covered by clippy's allow-*-in-tests settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{chat, client, mock_with, post, post_root, read_until_error, user};
use serde_json::{Value, json};
use switchboard_mock::{ChaosStats, Fault, MockConfig, MockServer};

fn stream(text: &str) -> Value {
    let mut body = user(text);
    body["stream"] = json!(true);
    body
}

async fn chaos_mock(fail_rate: f64, cut_rate: f64, cut_after_first_event: bool) -> MockServer {
    mock_with(MockConfig {
        fail_rate,
        cut_rate,
        cut_after_first_event,
        seed: 7,
        ..MockConfig::default()
    })
    .await
}

async fn send(mock: &MockServer, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}/chat/completions", mock.base_url()))
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_chaos_cut_really_cuts() {
    let mock = chaos_mock(0.0, 1.0, false).await;

    // Stream: the status and headers arrive, then the connection breaks before any event.
    let resp = send(&mock, &stream("cut me")).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let (body, failed) = read_until_error(resp).await;
    assert!(failed, "the connection is aborted, not ended cleanly");
    assert!(body.is_empty(), "no event before the cut: {body:?}");

    // Non-stream: the headers and half the declared body, then an abort.
    let resp = send(&mock, &user("cut me")).await;
    assert_eq!(resp.status(), 200);
    let declared: usize = resp.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let (body, failed) = read_until_error(resp).await;
    assert!(failed);
    assert!(
        !body.is_empty() && body.len() < declared,
        "{} of {declared}",
        body.len()
    );

    let recorded = mock.requests();
    assert_eq!(recorded.len(), 2);
    assert!(recorded.iter().all(|r| !r.completed));
    assert_eq!(
        mock.handle().chaos_stats(),
        ChaosStats {
            requests: 2,
            failed: 0,
            cut: 2
        }
    );
}

#[tokio::test]
async fn a_late_cut_comes_after_the_first_content_event() {
    let mock = chaos_mock(0.0, 1.0, true).await;
    let resp = send(&mock, &stream("cut me late")).await;
    assert_eq!(resp.status(), 200);
    let (body, failed) = read_until_error(resp).await;
    assert!(failed);
    let text = String::from_utf8(body).unwrap();
    let events: Vec<Value> = text
        .split_terminator("\n\n")
        .map(|e| serde_json::from_str(e.strip_prefix("data: ").unwrap()).unwrap())
        .collect();
    assert_eq!(
        events.len(),
        2,
        "the role event and one content event: {text}"
    );
    assert_eq!(events[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(events[1]["choices"][0]["delta"]["content"].is_string());
    assert!(!text.contains("[DONE]"));

    // Non-streams are cut halfway either way.
    let resp = send(&mock, &user("cut me late")).await;
    assert_eq!(resp.status(), 200);
    let (_, failed) = read_until_error(resp).await;
    assert!(failed);
}

#[tokio::test]
async fn chaos_failures_take_the_providers_error_shape() {
    let mock = chaos_mock(1.0, 0.0, false).await;
    let reply = chat(&mock, &user("fail")).await;
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.text(),
        r#"{"error":{"message":"mock injected error","type":"server_error","param":null,"code":null}}"#
    );
    // A stream fails before it starts, like any status fault.
    let reply = chat(&mock, &stream("fail")).await;
    assert_eq!(reply.status, 500);
    let body = json!({"model": "claude-x", "max_tokens": 10,
        "messages": [{"role": "user", "content": "fail"}]});
    let reply = post_root(
        &mock,
        "/v1/messages",
        &body,
        &[("anthropic-version", "2023-06-01")],
    )
    .await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json()["type"], "error");
    assert_eq!(reply.json()["error"]["type"], "api_error");
}

#[tokio::test]
async fn deterministic_faults_win_over_chaos() {
    let mock = chaos_mock(1.0, 0.0, false).await;
    mock.push_fault(Fault {
        status: Some(429),
        ..Fault::default()
    });
    assert_eq!(chat(&mock, &user("a")).await.status, 429);
    let reply = post(
        &mock,
        "/chat/completions",
        &user("a"),
        &[("x-mock-status", "503")],
    )
    .await;
    assert_eq!(reply.status, 503);
    // A header asking for a cut gets that cut, not the dice's 500.
    let resp = client()
        .post(format!("{}/chat/completions", mock.base_url()))
        .header("x-mock-cut-after", "2")
        .json(&stream("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (body, failed) = read_until_error(resp).await;
    assert!(failed);
    assert_eq!(
        String::from_utf8(body).unwrap().matches("data: ").count(),
        3
    );
    // A directive that only shapes the answer still leaves it to the dice.
    assert_eq!(chat(&mock, &user("a [mock:chunks=2]")).await.status, 500);
    assert_eq!(
        mock.handle().chaos_stats(),
        ChaosStats {
            requests: 1,
            failed: 1,
            cut: 0
        }
    );
}

#[tokio::test]
async fn outcomes_over_http_match_the_rates_and_the_tallies() {
    let mock = chaos_mock(0.5, 0.1, false).await;
    let n = 600u32;
    let (mut failed, mut cut, mut ok) = (0u32, 0u32, 0u32);
    for i in 0..n {
        let body = if i % 2 == 0 {
            user("hello")
        } else {
            stream("hello")
        };
        let resp = send(&mock, &body).await;
        match resp.status().as_u16() {
            500 => failed += 1,
            200 => {
                let (_, broken) = read_until_error(resp).await;
                if broken {
                    cut += 1;
                } else {
                    ok += 1;
                }
            }
            other => panic!("unexpected status {other}"),
        }
    }
    // sd of a fraction over 600 draws: 0.020 (p = 0.5) and 0.012 (p = 0.1); 0.08 and 0.05 are
    // 4 sigma, and the seed is fixed, so this cannot flake.
    let fraction = |k: u32| f64::from(k) / f64::from(n);
    assert!((fraction(failed) - 0.5).abs() < 0.08, "failed {failed}");
    assert!((fraction(cut) - 0.1).abs() < 0.05, "cut {cut}");
    assert_eq!(failed + cut + ok, n);
    let stats: ChaosStats = mock.handle().chaos_stats();
    assert_eq!(
        stats,
        ChaosStats {
            requests: u64::from(n),
            failed: u64::from(failed),
            cut: u64::from(cut)
        }
    );
    let over_http: Value = client()
        .get(format!("http://{}/__mock/chaos", mock.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        over_http,
        json!({"requests": n, "failed": failed, "cut": cut})
    );
}
