//! Teams, users, organizations, customers and budgets over HTTP, and their
//! enforcement on the request path: every level must allow the model and
//! have budget left.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{Value, json};

const PRICE: f64 = 0.001;
/// 2 prompt tokens ("hello") and 8 completion tokens at `PRICE` each.
const HELLO_COST: f64 = 10.0 * PRICE;

fn config(mock: &MockServer) -> String {
    format!(
        "model_list:
  - model_name: gpt
    litellm_params: {{model: openai/mock-gpt, api_base: {base}, input_cost_per_token: {PRICE}, output_cost_per_token: {PRICE}}}
  - model_name: claude
    litellm_params: {{model: openai/mock-claude, api_base: {base}, input_cost_per_token: {PRICE}, output_cost_per_token: {PRICE}}}
general_settings:
  master_key: {MASTER_KEY}
",
        base = mock.base_url()
    )
}

async fn call(gateway: &Gateway, key: &str, path: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(gateway.url(path))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn get(gateway: &Gateway, key: &str, path: &str) -> (u16, Value) {
    let response = client()
        .get(gateway.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn ok(gateway: &Gateway, path: &str, body: Value) -> Value {
    let (status, value) = call(gateway, MASTER_KEY, path, body).await;
    assert_eq!(status, 200, "{path}: {value}");
    value
}

async fn hello(gateway: &Gateway, key: &str, model: &str, user: Option<&str>) -> (u16, Value) {
    let mut body = json!({"model": model, "messages": [{"role": "user", "content": "hello"}]});
    if let Some(user) = user {
        body["user"] = json!(user);
    }
    call(gateway, key, "/v1/chat/completions", body).await
}

#[tokio::test]
async fn hierarchy_enforces_models_and_budgets_at_every_level() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    ok(
        &gateway,
        "/organization/new",
        json!({"organization_id": "org", "models": ["gpt", "claude"], "max_budget": 100.0}),
    )
    .await;
    let team = ok(
        &gateway,
        "/team/new",
        json!({"team_id": "search", "team_alias": "Search", "organization_id": "org",
               "models": ["gpt"], "max_budget": 2.5 * HELLO_COST}),
    )
    .await;
    assert_eq!(team["spend"], 0.0);
    ok(&gateway, "/user/new", json!({"user_id": "ana", "user_email": "ana@example.com", "auto_create_key": false, "max_budget": 100.0})).await;
    let key = ok(
        &gateway,
        "/key/generate",
        json!({"team_id": "search", "user_id": "ana"}),
    )
    .await;
    let key = key["key"].as_str().unwrap().to_string();

    // The team allows only gpt.
    let (status, body) = hello(&gateway, &key, "claude", None).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "team_model_access_denied");

    // Three requests fit the team's budget (reservations permitting), then no more.
    for _ in 0..3 {
        assert_eq!(hello(&gateway, &key, "gpt", None).await.0, 200);
    }
    let (status, body) = hello(&gateway, &key, "gpt", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "budget_exceeded");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("team `search`"),
        "{body}"
    );

    // Spend is visible at every level.
    let (_, info) = get(&gateway, MASTER_KEY, "/team/info?team_id=search").await;
    assert!((info["team_info"]["spend"].as_f64().unwrap() - 3.0 * HELLO_COST).abs() < 1e-9);
    assert_eq!(info["keys"].as_array().unwrap().len(), 1);
    let (_, info) = get(&gateway, MASTER_KEY, "/user/info?user_id=ana").await;
    assert!((info["user_info"]["spend"].as_f64().unwrap() - 3.0 * HELLO_COST).abs() < 1e-9);
    let (_, info) = get(
        &gateway,
        MASTER_KEY,
        "/organization/info?organization_id=org",
    )
    .await;
    assert!((info["spend"].as_f64().unwrap() - 3.0 * HELLO_COST).abs() < 1e-9);
    assert_eq!(info["teams"][0]["team_id"], "search");

    // Raising the team's budget lets the key through again.
    ok(
        &gateway,
        "/team/update",
        json!({"team_id": "search", "max_budget": 10.0}),
    )
    .await;
    assert_eq!(hello(&gateway, &key, "gpt", None).await.0, 200);

    // Blocking the team stops its keys.
    ok(&gateway, "/team/block", json!({"team_id": "search"})).await;
    assert_eq!(hello(&gateway, &key, "gpt", None).await.0, 403);
    ok(&gateway, "/team/unblock", json!({"team_ids": ["search"]})).await;
    assert_eq!(hello(&gateway, &key, "gpt", None).await.0, 200);

    // Deleting the team deletes its keys.
    let deleted = ok(&gateway, "/team/delete", json!({"team_ids": ["search"]})).await;
    assert_eq!(deleted["deleted_teams"], json!(["search"]));
    assert_eq!(hello(&gateway, &key, "gpt", None).await.0, 401);
}

#[tokio::test]
async fn customers_have_budgets_from_shared_budgets_and_can_be_blocked() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    ok(
        &gateway,
        "/budget/new",
        json!({"budget_id": "free-tier", "max_budget": HELLO_COST / 2.0}),
    )
    .await;
    let (_, budgets) = get(&gateway, MASTER_KEY, "/budget/list").await;
    assert_eq!(budgets[0]["budget_id"], "free-tier");
    ok(
        &gateway,
        "/customer/new",
        json!({"user_id": "acme", "budget_id": "free-tier"}),
    )
    .await;
    assert_eq!(
        hello(&gateway, MASTER_KEY, "gpt", Some("acme")).await.0,
        200
    );
    let (status, body) = hello(&gateway, MASTER_KEY, "gpt", Some("acme")).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("customer `acme`")
    );

    // Unknown customers are tracked on first sight.
    assert_eq!(
        hello(&gateway, MASTER_KEY, "gpt", Some("new-co")).await.0,
        200
    );
    let (status, info) = get(&gateway, MASTER_KEY, "/customer/info?end_user_id=new-co").await;
    assert_eq!(status, 200, "{info}");
    assert!((info["spend"].as_f64().unwrap() - HELLO_COST).abs() < 1e-9);

    ok(&gateway, "/customer/block", json!({"user_ids": ["new-co"]})).await;
    assert_eq!(
        hello(&gateway, MASTER_KEY, "gpt", Some("new-co")).await.0,
        403
    );
    ok(
        &gateway,
        "/customer/unblock",
        json!({"user_ids": ["new-co"]}),
    )
    .await;
    assert_eq!(
        hello(&gateway, MASTER_KEY, "gpt", Some("new-co")).await.0,
        200
    );

    let (_, customers) = get(&gateway, MASTER_KEY, "/customer/list").await;
    assert_eq!(customers.as_array().unwrap().len(), 2);
    let info = ok(&gateway, "/budget/info", json!({"budgets": ["free-tier"]})).await;
    assert_eq!(info[0]["max_budget"], HELLO_COST / 2.0);
    ok(&gateway, "/customer/delete", json!({"user_ids": ["acme"]})).await;
    ok(&gateway, "/budget/delete", json!({"id": "free-tier"})).await;
    let (_, budgets) = get(&gateway, MASTER_KEY, "/budget/list").await;
    assert_eq!(budgets, json!([]));
}

#[tokio::test]
async fn users_teams_and_members() {
    let mock = mock().await;
    let gateway = start(&config(&mock));
    ok(&gateway, "/team/new", json!({"team_id": "t1"})).await;
    let user = ok(
        &gateway,
        "/user/new",
        json!({"user_id": "bo", "user_role": "internal_user", "teams": ["t1"]}),
    )
    .await;
    let key = user["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("sk-"), "a new user gets a key: {user}");
    assert_eq!(hello(&gateway, &key, "gpt", None).await.0, 200);

    let added = ok(
        &gateway,
        "/team/member_add",
        json!({"team_id": "t1", "member": [{"user_id": "cy", "role": "admin"}]}),
    )
    .await;
    assert_eq!(added["members_with_roles"].as_array().unwrap().len(), 2);
    let (_, cy) = get(&gateway, MASTER_KEY, "/user/info?user_id=cy").await;
    assert_eq!(cy["teams"][0]["team_id"], "t1", "{cy}");

    ok(
        &gateway,
        "/team/member_delete",
        json!({"team_id": "t1", "user_id": "cy"}),
    )
    .await;
    let (_, team) = get(&gateway, MASTER_KEY, "/team/info?team_id=t1").await;
    assert_eq!(
        team["team_info"]["members_with_roles"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let (_, list) = get(&gateway, MASTER_KEY, "/user/list?page=1&page_size=1").await;
    assert_eq!(
        (
            list["total"].as_u64(),
            list["users"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );

    let deleted = ok(&gateway, "/user/delete", json!({"user_ids": ["bo"]})).await;
    assert_eq!(deleted["deleted_users"], json!(["bo"]));
    assert_eq!(
        hello(&gateway, &key, "gpt", None).await.0,
        401,
        "a deleted user's keys stop"
    );

    // Bad input is a clear 400; unknown ids a 404.
    let (status, body) = call(
        &gateway,
        MASTER_KEY,
        "/team/new",
        json!({"team_id": "x", "budget_duration": "soon"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = call(
        &gateway,
        MASTER_KEY,
        "/team/update",
        json!({"team_id": "nope", "team_alias": "a"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(&gateway, MASTER_KEY, "/team/new", json!({"team_id": "t1"})).await;
    assert_eq!(status, 400, "duplicate id");
}
