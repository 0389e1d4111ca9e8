use std::sync::Arc;

use super::*;
use crate::entities::{Budget, Limits};

const NOW: i64 = 1_800_000_000_000;

fn registry() -> (Registry, tokio::sync::mpsc::UnboundedReceiver<SpendEvent>) {
    let registry = Registry::default();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    registry.set_sink(tx);
    (registry, rx)
}

fn key(token: &str) -> Key {
    Key {
        token: token.into(),
        key_name: "sk-...test".into(),
        ..Key::default()
    }
}

fn budget(max: f64) -> Limits {
    Limits {
        max_budget: Some(max),
        ..Limits::default()
    }
}

#[test]
fn unknown_blocked_and_expired_keys() {
    let (registry, _events) = registry();
    assert_eq!(
        registry.caller("nope", NOW).unwrap_err().reason,
        DenialReason::Unauthenticated
    );
    registry.keys.upsert(Key {
        blocked: true,
        ..key("b")
    });
    assert_eq!(registry.caller("b", NOW).unwrap_err().code, "key_blocked");
    registry.keys.upsert(Key {
        expires: Some(NOW),
        ..key("e")
    });
    assert_eq!(registry.caller("e", NOW).unwrap_err().code, "key_expired");
    registry.keys.upsert(Key {
        expires: Some(NOW + 1),
        ..key("ok")
    });
    assert!(registry.caller("ok", NOW).is_ok());
}

#[test]
fn every_level_on_the_path_is_checked() {
    let (registry, _events) = registry();
    registry.organizations.upsert(Organization {
        organization_id: "org".into(),
        models: vec!["gpt".into(), "claude".into()],
        ..Organization::default()
    });
    registry.teams.upsert(Team {
        team_id: "team".into(),
        organization_id: Some("org".into()),
        models: vec!["gpt".into()],
        limits: budget(1.0),
        ..Team::default()
    });
    registry.keys.upsert(Key {
        team_id: Some("team".into()),
        ..key("k")
    });
    let caller = registry.caller("k", NOW).unwrap();
    assert!(
        caller.organization.is_some(),
        "organization found through the team"
    );

    let denied = registry
        .admit(Some(&caller), "claude", None, 0.0, NOW)
        .unwrap_err();
    assert_eq!(denied.code, "team_model_access_denied");

    let first = registry
        .admit(Some(&caller), "gpt", None, 0.1, NOW)
        .unwrap();
    first.settle(1.0, 10);
    let denied = registry
        .admit(Some(&caller), "gpt", None, 0.1, NOW)
        .unwrap_err();
    assert_eq!(denied.reason, DenialReason::Budget);
    assert!(denied.message.contains("team `team`"), "{}", denied.message);
}

#[test]
fn all_team_models_and_aliases() {
    let (registry, _events) = registry();
    registry.teams.upsert(Team {
        team_id: "t".into(),
        models: vec!["a".into()],
        ..Team::default()
    });
    let mut doc = Key {
        team_id: Some("t".into()),
        models: vec!["all-team-models".into()],
        ..key("k")
    };
    doc.aliases.insert("old".into(), "a".into());
    registry.keys.upsert(doc);
    let caller = registry.caller("k", NOW).unwrap();
    assert!(registry.admit(Some(&caller), "a", None, 0.0, NOW).is_ok());
    assert!(registry.admit(Some(&caller), "b", None, 0.0, NOW).is_err());
    assert_eq!(caller.alias("old").as_deref(), Some("a"));
}

#[test]
fn customers_are_tracked_and_limited() {
    let (registry, mut events) = registry();
    registry.budgets.upsert(Budget {
        budget_id: "small".into(),
        limits: budget(0.5),
        ..Budget::default()
    });
    registry.customers.upsert(Customer {
        user_id: "acme".into(),
        budget_id: Some("small".into()),
        ..Customer::default()
    });
    let admission = registry.admit(None, "m", Some("acme"), 0.0, NOW).unwrap();
    admission.settle(0.5, 5);
    let denied = registry
        .admit(None, "m", Some("acme"), 0.0, NOW)
        .unwrap_err();
    assert_eq!(
        denied.reason,
        DenialReason::Budget,
        "limits from the budget template"
    );

    // An unknown customer is created and its spend tracked.
    registry
        .admit(None, "m", Some("new-co"), 0.0, NOW)
        .unwrap()
        .settle(0.25, 3);
    assert_eq!(
        registry.customers.get("new-co").unwrap().account.spent(),
        0.25
    );
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    assert!(seen.contains(&SpendEvent::NewCustomer {
        id: "new-co".into()
    }));
    assert!(seen.contains(&SpendEvent::Spend {
        kind: Kind::Customer,
        id: "acme".into(),
        model: None,
        cost: 0.5
    }));
}

#[test]
fn dropping_an_admission_spends_nothing_and_frees_the_slot() {
    let (registry, mut events) = registry();
    registry.keys.upsert(Key {
        limits: Limits {
            max_parallel_requests: Some(1),
            ..Limits::default()
        },
        ..key("k")
    });
    let caller = registry.caller("k", NOW).unwrap();
    let held = registry.admit(Some(&caller), "m", None, 1.0, NOW).unwrap();
    assert_eq!(
        registry
            .admit(Some(&caller), "m", None, 0.0, NOW)
            .unwrap_err()
            .code,
        "max_parallel_requests_exceeded"
    );
    drop(held);
    assert!(registry.admit(Some(&caller), "m", None, 0.0, NOW).is_ok());
    assert_eq!(caller.key.account.spent(), 0.0);
    assert!(
        events.try_recv().is_err(),
        "nothing spent, nothing to persist"
    );
}

#[test]
fn concurrent_requests_cannot_overspend_beyond_one_request() {
    let (registry, _events) = registry();
    registry.keys.upsert(Key {
        limits: budget(1.0),
        ..key("k")
    });
    let registry = Arc::new(registry);
    let caller = registry.caller("k", NOW).unwrap();
    let cost = 0.03;
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let registry = Arc::clone(&registry);
            let caller = caller.clone();
            std::thread::spawn(move || {
                let mut admitted = 0;
                for _ in 0..100 {
                    if let Ok(admission) = registry.admit(Some(&caller), "m", None, cost, NOW) {
                        admitted += 1;
                        std::thread::yield_now();
                        admission.settle(cost, 1);
                    }
                }
                admitted
            })
        })
        .collect();
    let admitted: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let spent = caller.key.account.spent();
    // Estimates equal costs: spend never passes the budget by more than
    // one request.
    assert!(spent < 1.0 + cost + 1e-9, "spent {spent}");
    assert!(spent >= 1.0 - 1e-9, "the budget is used up: {spent}");
    assert!((f64::from(admitted) * cost - spent).abs() < 1e-9);
}
