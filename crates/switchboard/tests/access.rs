//! The role matrix of docs/ACCESS.md, route by route and role by role, plus
//! the audit log, spend reports, and secrets kept out of log lines.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

const ROLES: [&str; 5] = ["pa", "pv", "iu", "iv", "ta"];

async fn send(
    gateway: &Gateway,
    key: &str,
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let request = if method == "GET" {
        client().get(gateway.url(path))
    } else {
        client().post(gateway.url(path)).json(body)
    };
    let response = request.bearer_auth(key).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn master(gateway: &Gateway, path: &str, body: Value) -> Value {
    let (status, value) = send(gateway, MASTER_KEY, "POST", path, &body).await;
    assert_eq!(status, 200, "{path}: {value}");
    value
}

struct World {
    keys: std::collections::HashMap<&'static str, String>,
    /// A key owned by `iu`.
    iu_key: String,
    /// A key of team `t`.
    team_key: String,
}

async fn world(gateway: &Gateway) -> World {
    master(gateway, "/team/new", json!({"team_id": "t"})).await;
    let mut keys = std::collections::HashMap::new();
    for (user, role) in [
        ("pa", "proxy_admin"),
        ("pv", "proxy_admin_viewer"),
        ("iu", "internal_user"),
        ("iv", "internal_user_viewer"),
        ("ta", "internal_user"),
    ] {
        let created = master(
            gateway,
            "/user/new",
            json!({"user_id": user, "user_role": role}),
        )
        .await;
        keys.insert(user, created["key"].as_str().unwrap().to_string());
    }
    master(
        gateway,
        "/team/member_add",
        json!({"team_id": "t", "member": [{"user_id": "ta", "role": "admin"}, {"user_id": "iu", "role": "user"}]}),
    )
    .await;
    let iu_key = master(gateway, "/key/generate", json!({"user_id": "iu"})).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let team_key = master(gateway, "/key/generate", json!({"team_id": "t"})).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    master(gateway, "/customer/new", json!({"user_id": "c"})).await;
    master(
        gateway,
        "/organization/new",
        json!({"organization_id": "o"}),
    )
    .await;
    master(gateway, "/budget/new", json!({"budget_id": "b"})).await;
    World {
        keys,
        iu_key,
        team_key,
    }
}

#[tokio::test]
async fn role_matrix_matches_the_documentation() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    let world = world(&gateway).await;
    // (method, path, body, allowed for pa, pv, iu, iv, ta)
    let fresh = |prefix: &str| format!("{prefix}-{}", fastrand::u32(..));
    let cases: Vec<(&str, String, Value, [bool; 5])> = vec![
        (
            "POST",
            "/key/generate".into(),
            json!({}),
            [true, false, true, false, true],
        ),
        (
            "GET",
            format!("/key/info?key={}", world.iu_key),
            json!(null),
            [true, true, true, false, false],
        ),
        (
            "GET",
            format!("/key/info?key={}", world.team_key),
            json!(null),
            [true, true, false, false, true],
        ),
        ("GET", "/key/list".into(), json!(null), [true; 5]),
        (
            "POST",
            "/key/update".into(),
            json!({"key": world.team_key, "metadata": {"x": 1}}),
            [true, false, false, false, true],
        ),
        (
            "POST",
            "/key/update".into(),
            json!({"key": world.iu_key, "metadata": {"x": 1}}),
            [true, false, true, false, false],
        ),
        (
            "POST",
            "/key/update".into(),
            json!({"key": world.iu_key, "max_budget": 1000}),
            [true, false, false, false, false],
        ),
        (
            "POST",
            "/key/block".into(),
            json!({"key": world.team_key}),
            [true, false, false, false, true],
        ),
        (
            "POST",
            "/key/unblock".into(),
            json!({"key": world.team_key}),
            [true, false, false, false, true],
        ),
        (
            "POST",
            "/team/new".into(),
            json!({}),
            [true, false, false, false, false],
        ),
        (
            "POST",
            "/team/update".into(),
            json!({"team_id": "t", "team_alias": "T"}),
            [true, false, false, false, true],
        ),
        (
            "POST",
            "/team/update".into(),
            json!({"team_id": "t", "max_budget": 5}),
            [true, false, false, false, false],
        ),
        (
            "GET",
            "/team/info?team_id=t".into(),
            json!(null),
            [true, true, true, false, true],
        ),
        ("GET", "/team/list".into(), json!(null), [true; 5]),
        (
            "POST",
            "/user/new".into(),
            json!({"auto_create_key": false}),
            [true, false, false, false, false],
        ),
        (
            "POST",
            "/user/update".into(),
            json!({"user_id": "iu", "metadata": {}}),
            [true, false, false, false, false],
        ),
        (
            "GET",
            "/user/info?user_id=iu".into(),
            json!(null),
            [true, true, true, false, false],
        ),
        ("GET", "/user/list".into(), json!(null), [true; 5]),
        (
            "POST",
            "/customer/new".into(),
            json!({}),
            [true, false, false, false, false],
        ),
        (
            "GET",
            "/customer/info?end_user_id=c".into(),
            json!(null),
            [true, true, false, false, false],
        ),
        (
            "GET",
            "/customer/list".into(),
            json!(null),
            [true, true, false, false, false],
        ),
        (
            "POST",
            "/organization/new".into(),
            json!({}),
            [true, false, false, false, false],
        ),
        (
            "GET",
            "/organization/list".into(),
            json!(null),
            [true, true, false, false, false],
        ),
        (
            "POST",
            "/budget/new".into(),
            json!({}),
            [true, false, false, false, false],
        ),
        (
            "GET",
            "/budget/list".into(),
            json!(null),
            [true, true, false, false, false],
        ),
        (
            "POST",
            "/budget/info".into(),
            json!({"budgets": ["b"]}),
            [true, true, false, false, false],
        ),
        ("GET", "/spend/logs".into(), json!(null), [true; 5]),
        (
            "GET",
            "/global/spend/report".into(),
            json!(null),
            [true, true, false, false, false],
        ),
        (
            "GET",
            "/spend/keys".into(),
            json!(null),
            [true, true, false, false, false],
        ),
        (
            "GET",
            "/spend/tags".into(),
            json!(null),
            [true, true, false, false, false],
        ),
        (
            "GET",
            "/audit/logs".into(),
            json!(null),
            [true, true, false, false, false],
        ),
    ];
    let mut mismatches = Vec::new();
    for (method, path, body, expected) in &cases {
        for (role, allowed) in ROLES.iter().zip(expected) {
            // Creation calls get fresh ids so every role's attempt is new.
            let mut body = body.clone();
            if path.ends_with("/new") && body.is_object() {
                let field = match path.as_str() {
                    "/team/new" => "team_id",
                    "/user/new" | "/customer/new" => "user_id",
                    "/organization/new" => "organization_id",
                    _ => "budget_id",
                };
                body[field] = json!(fresh(role));
            }
            let (status, answer) = send(&gateway, &world.keys[role], method, path, &body).await;
            let got = status != 403;
            if got != *allowed || (got && status != 200) {
                mismatches.push(format!("{role} {method} {path}: {status} {answer}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");

    // Deletions, each on a fresh target per role.
    for (role, allowed) in ROLES.iter().zip([true, false, true, false, false]) {
        let key =
            master(&gateway, "/key/generate", json!({"user_id": "iu"})).await["token"].clone();
        let (status, _) = send(
            &gateway,
            &world.keys[role],
            "POST",
            "/key/delete",
            &json!({"keys": [key]}),
        )
        .await;
        assert_eq!(status == 200, allowed, "{role} deletes iu's key: {status}");
    }
    for (role, allowed) in ROLES.iter().zip([true, false, false, false, false]) {
        let team = fresh("doomed");
        master(&gateway, "/team/new", json!({"team_id": team})).await;
        let (status, _) = send(
            &gateway,
            &world.keys[role],
            "POST",
            "/team/delete",
            &json!({"team_ids": [team]}),
        )
        .await;
        assert_eq!(status == 200, allowed, "{role} deletes a team: {status}");
    }

    // A user's key lists only what it may see.
    let (_, listed) = send(
        &gateway,
        &world.keys["iu"],
        "GET",
        "/key/list",
        &json!(null),
    )
    .await;
    let tokens = listed["keys"].as_array().unwrap();
    assert!(tokens.iter().any(|t| t == &json!(world.iu_key)));
    assert!(!tokens.iter().any(|t| t == &json!(world.team_key)));
}

#[tokio::test]
async fn admin_changes_are_audited() {
    let mock = mock().await;
    let gateway = start(&mock_config(&mock));
    master(
        &gateway,
        "/team/new",
        json!({"team_id": "audited", "max_budget": 1.0}),
    )
    .await;
    master(
        &gateway,
        "/team/update",
        json!({"team_id": "audited", "max_budget": 2.0}),
    )
    .await;
    let (status, entries) = send(
        &gateway,
        MASTER_KEY,
        "GET",
        "/audit/logs?object_type=team&object_id=audited",
        &json!(null),
    )
    .await;
    assert_eq!(status, 200, "{entries}");
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "updated");
    assert_eq!(entries[0]["actor"], "master_key");
    assert_eq!(entries[0]["before"]["max_budget"], 1.0);
    assert_eq!(entries[0]["after"]["max_budget"], 2.0);
    assert_eq!(entries[1]["action"], "created");
    assert!(entries[1]["before"].is_null());
}

#[tokio::test]
async fn report_totals_equal_the_sum_of_the_spend_records() {
    let mock = mock().await;
    let config = format!(
        "model_list:\n  - model_name: gpt\n    litellm_params: {{model: openai/mock-gpt, api_base: {}, input_cost_per_token: 0.001, output_cost_per_token: 0.002}}\ngeneral_settings:\n  master_key: {MASTER_KEY}\n",
        mock.base_url()
    );
    let gateway = start(&config);
    master(&gateway, "/team/new", json!({"team_id": "a"})).await;
    master(&gateway, "/team/new", json!({"team_id": "b"})).await;
    let key_a = master(
        &gateway,
        "/key/generate",
        json!({"team_id": "a", "tags": ["prod"]}),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let key_b = master(&gateway, "/key/generate", json!({"team_id": "b"})).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    for (key, count, words) in [
        (&key_a, 3, "hello"),
        (&key_b, 2, "a much longer question here"),
    ] {
        for _ in 0..count {
            let response = client()
                .post(gateway.url("/v1/chat/completions"))
                .bearer_auth(key)
                .header("x-litellm-tags", "batch,nightly")
                .json(&json!({"model": "gpt", "messages": [{"role": "user", "content": words}]}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    }
    // Logs are written off the hot path: wait for all five.
    let mut logs = Vec::new();
    for _ in 0..100 {
        let (_, rows) = send(&gateway, MASTER_KEY, "GET", "/spend/logs", &json!(null)).await;
        logs = rows.as_array().unwrap().clone();
        if logs.len() == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(logs.len(), 5);
    let total: f64 = logs.iter().map(|r| r["spend"].as_f64().unwrap()).sum();

    for group_by in ["team", "key", "model", "provider", "day", "tag", "customer"] {
        let (status, report) = send(
            &gateway,
            MASTER_KEY,
            "GET",
            &format!("/global/spend/report?group_by={group_by}"),
            &json!(null),
        )
        .await;
        assert_eq!(status, 200, "{report}");
        let per_group: f64 = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["spend"].as_f64().unwrap())
            .sum();
        if group_by == "tag" {
            // A request counts once per tag: every request has `batch` and
            // `nightly`, team a's requests also `prod` (their key's tag).
            let team_a: f64 = logs
                .iter()
                .filter(|r| r["team_id"] == "a")
                .map(|r| r["spend"].as_f64().unwrap())
                .sum();
            assert!(
                (per_group - (2.0 * total + team_a)).abs() < 1e-9,
                "{report}"
            );
            continue;
        }
        assert!(
            (report["total_spend"].as_f64().unwrap() - total).abs() < 1e-9,
            "{group_by}: {report}"
        );
        assert!((per_group - total).abs() < 1e-9, "{group_by}");
        assert_eq!(report["total_requests"], 5);
    }
    let (_, by_team) = send(
        &gateway,
        MASTER_KEY,
        "GET",
        "/global/spend/report?group_by=team",
        &json!(null),
    )
    .await;
    let teams: Vec<&str> = by_team["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["team"].as_str().unwrap())
        .collect();
    assert_eq!(teams.len(), 2);

    let (_, tags) = send(&gateway, MASTER_KEY, "GET", "/spend/tags", &json!(null)).await;
    let count = |tag: &str| {
        tags.as_array()
            .unwrap()
            .iter()
            .find(|t| t["individual_request_tag"] == tag)
            .map(|t| t["log_count"].as_i64().unwrap())
    };
    assert_eq!(
        (count("batch"), count("nightly"), count("prod")),
        (Some(5), Some(5), Some(3))
    );

    let response = client()
        .get(gateway.url("/global/spend/report?group_by=team&format=csv"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("team,requests,spend,input_tokens,output_tokens")
    );
    let csv_total: f64 = lines
        .map(|l| l.split(',').nth(2).unwrap().parse::<f64>().unwrap())
        .sum();
    assert!((csv_total - total).abs() < 1e-9);
}

#[tokio::test]
async fn no_secret_appears_in_any_log_line() {
    let mock = mock().await;
    let config = format!(
        "model_list:\n  - model_name: gpt\n    litellm_params: {{model: openai/mock-gpt, api_base: {}, api_key: sk-provider-secret-123}}\ngeneral_settings:\n  master_key: {MASTER_KEY}\n",
        mock.base_url()
    );
    let gateway = launch(Launch {
        config: Some(config),
        env: vec![("RUST_LOG", "debug".into())],
        ..Launch::default()
    });
    let key = master(&gateway, "/key/generate", json!({"key_alias": "logged"})).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    for auth in [MASTER_KEY, key.as_str(), "sk-wrong-guess"] {
        let response = client()
            .post(gateway.url("/v1/chat/completions"))
            .bearer_auth(auth)
            .json(&json!({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        response.bytes().await.unwrap();
    }
    mock.push_fault(Fault {
        status: Some(500),
        ..Fault::default()
    });
    client()
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .json(&json!({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lines = [gateway.banner.clone(), gateway.drain_output()].concat();
    assert!(lines.len() > 5, "debug logging produced output: {lines:?}");
    for secret in [
        MASTER_KEY,
        key.as_str(),
        "sk-provider-secret-123",
        "sk-wrong-guess",
    ] {
        let leaks: Vec<&String> = lines.iter().filter(|l| l.contains(secret)).collect();
        assert!(leaks.is_empty(), "{secret} leaked: {leaks:#?}");
    }
}
