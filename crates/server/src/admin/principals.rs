//! `/team/*`, `/user/*`, `/customer/*`, `/organization/*`, `/budget/*`.

use serde_json::{Map, Value, json};
use switchboard_governance::entities::{Budget, Customer, Key, Member, Organization, Team, User};
use switchboard_governance::time;

use crate::admin::crud::{self, Managed, admins_only};
use crate::admin::{Admin, bad_request, forbidden, keys, not_found, string_field, with_spend};
use crate::failure::Failure;

/// Fields a team admin may change on its team; the rest (limits, models,
/// organization) are the proxy admin's.
const TEAM_ADMIN_FIELDS: &[&str] = &["team_id", "team_alias", "metadata"];

fn team_readable(admin: &Admin, team: &Team) -> bool {
    admin.reads_everything() || admin.user_id().is_some_and(|user| team.has_member(&user))
}

fn user_readable(admin: &Admin, user: &User) -> bool {
    admin.reads_everything() || admin.user_id().as_deref() == Some(user.user_id.as_str())
}

/// Every key matching `keep`, as the API shows keys.
fn keys_where(admin: &Admin, keep: impl Fn(&Key) -> bool) -> Vec<Value> {
    admin
        .state
        .registry
        .keys
        .all()
        .into_iter()
        .filter(|entry| keep(&entry.doc()))
        .map(|entry| with_spend(&entry))
        .collect()
}

/// Deletes every key that `doomed` selects (a deleted team's or user's).
async fn delete_keys(admin: &Admin, doomed: impl Fn(&Key) -> bool) -> Result<(), Failure> {
    for entry in admin.state.registry.keys.all() {
        let doc = entry.doc();
        if doomed(&doc) {
            admin.delete(doc.as_ref()).await?;
        }
    }
    Ok(())
}

// ----- teams -----

post_route!(team_new, "/team/new", |admin, body| {
    let created = crud::create::<Team>(&admin, &body).await?;
    // Members named at creation also list the team among their teams.
    if let Some(team_id) = created["team_id"].as_str() {
        let team = admin.state.registry.teams.get(team_id).map(|t| t.doc());
        for member in team.iter().flat_map(|t| t.members_with_roles.clone()) {
            ensure_member_user(&admin, &member, team_id).await?;
        }
    }
    Ok(created)
});

post_route!(team_update, "/team/update", |admin, body| {
    crud::update::<Team>(&admin, &body, |admin, team| {
        admin.is_admin()
            || (admin.admins_team(&team.team_id)
                && body
                    .keys()
                    .all(|field| TEAM_ADMIN_FIELDS.contains(&field.as_str())))
    })
    .await
});

post_route!(team_delete, "/team/delete", |admin, body| {
    let teams = crud::delete::<Team>(&admin, &body).await?;
    for team in &teams {
        delete_keys(&admin, |key| {
            key.team_id.as_deref() == Some(team.team_id.as_str())
        })
        .await?;
    }
    let ids: Vec<&str> = teams.iter().map(|t| t.team_id.as_str()).collect();
    Ok(json!({"deleted_teams": ids}))
});

get_route!(team_info, "/team/info", |admin, params| {
    let entry = crud::info::<Team>(&admin, params.get("team_id"), team_readable)?;
    let team = entry.doc();
    Ok::<_, Failure>(json!({
        "team_id": team.team_id,
        "team_info": with_spend(&entry),
        "keys": keys_where(&admin, |key| key.team_id.as_deref() == Some(team.team_id.as_str())),
    }))
});

get_route!(team_list, "/team/list", |admin, params| {
    Ok::<_, Failure>(crud::list::<Team>(&admin, team_readable, |team| {
        params
            .get("organization_id")
            .is_none_or(|org| team.organization_id.as_deref() == Some(org.as_str()))
            && params
                .get("user_id")
                .is_none_or(|user| team.has_member(user))
    }))
});

post_route!(team_block, "/team/block", |admin, body| {
    crud::set_blocked::<Team>(&admin, &body, true, |team, blocked| team.blocked = blocked).await
});

post_route!(team_unblock, "/team/unblock", |admin, body| {
    crud::set_blocked::<Team>(&admin, &body, false, |team, blocked| team.blocked = blocked).await
});

/// The members a `member_add` request names: one object or a list.
fn members_of(body: &Map<String, Value>) -> Result<Vec<Member>, Failure> {
    let value = body.get("member").cloned().unwrap_or(Value::Null);
    let list = match value {
        Value::Array(items) => items,
        Value::Object(_) => vec![value],
        _ => {
            return Err(bad_request(
                "`member` is required: {\"user_id\": ..., \"role\": \"user\"|\"admin\"}",
            ));
        }
    };
    list.into_iter()
        .map(|item| {
            let member: Member =
                serde_json::from_value(item).map_err(|e| bad_request(format!("member: {e}")))?;
            if member.user_id.is_none() && member.user_email.is_none() {
                return Err(bad_request("a member needs `user_id` or `user_email`"));
            }
            if member.role != "admin" && member.role != "user" {
                return Err(bad_request("a member's `role` is `admin` or `user`"));
            }
            Ok(member)
        })
        .collect()
}

/// The user of a member, created if new, with the team among its teams.
async fn ensure_member_user(
    admin: &Admin,
    member: &Member,
    team_id: &str,
) -> Result<Member, Failure> {
    let registry = &admin.state.registry;
    let existing = match (&member.user_id, &member.user_email) {
        (Some(id), _) => registry.users.get(id),
        (None, Some(email)) => registry
            .users
            .all()
            .into_iter()
            .find(|u| u.doc().user_email.as_deref() == Some(email.as_str())),
        (None, None) => None,
    };
    let before = existing.as_ref().map(|e| e.doc());
    let mut user = match &before {
        Some(user) => user.as_ref().clone(),
        None => User {
            user_id: member
                .user_id
                .clone()
                .unwrap_or_else(crate::context::uuid_text),
            user_email: member.user_email.clone(),
            created_at: Some(time::now_ms()),
            ..User::default()
        },
    };
    if !user.teams.iter().any(|t| t == team_id) {
        user.teams.push(team_id.to_string());
        user.updated_at = Some(time::now_ms());
        let action = if before.is_some() {
            "updated"
        } else {
            "created"
        };
        admin.save(user.clone(), action, before.as_deref()).await?;
    }
    Ok(Member {
        user_id: Some(user.user_id),
        user_email: user.user_email,
        role: member.role.clone(),
    })
}

post_route!(team_member_add, "/team/member_add", |admin, body| {
    let entry = crud::named::<Team>(&admin, &body)?;
    let before = entry.doc();
    if !admin.admins_team(&before.team_id) {
        return Err(forbidden(
            "only a proxy admin or the team's admin can add members",
        ));
    }
    let mut team = before.as_ref().clone();
    for member in members_of(&body)? {
        let member = ensure_member_user(&admin, &member, &team.team_id).await?;
        team.members_with_roles
            .retain(|m| m.user_id != member.user_id);
        team.members_with_roles.push(member);
    }
    team.updated_at = Some(time::now_ms());
    let entry = admin
        .save(team, "member_added", Some(before.as_ref()))
        .await?;
    Ok(with_spend(&entry))
});

post_route!(team_member_delete, "/team/member_delete", |admin, body| {
    let entry = crud::named::<Team>(&admin, &body)?;
    let before = entry.doc();
    if !admin.admins_team(&before.team_id) {
        return Err(forbidden(
            "only a proxy admin or the team's admin can remove members",
        ));
    }
    let user_id = string_field(&body, "user_id");
    let email = string_field(&body, "user_email");
    if user_id.is_none() && email.is_none() {
        return Err(bad_request("name the member: `user_id` or `user_email`"));
    }
    let mut team = before.as_ref().clone();
    let count = team.members_with_roles.len();
    team.members_with_roles.retain(|m| {
        !(user_id.is_some() && m.user_id == user_id || email.is_some() && m.user_email == email)
    });
    if team.members_with_roles.len() == count {
        return Err(not_found("no such member in this team"));
    }
    team.updated_at = Some(time::now_ms());
    let entry = admin
        .save(team, "member_deleted", Some(before.as_ref()))
        .await?;
    Ok(with_spend(&entry))
});

// ----- users -----

post_route!(user_new, "/user/new", |admin, body| {
    let mut created = crud::create::<User>(&admin, &body).await?;
    let user_id = created["user_id"].as_str().unwrap_or_default().to_string();
    for team_id in crate::admin::string_list(&body, "teams") {
        let Some(team) = admin.state.registry.teams.get(&team_id) else {
            return Err(bad_request(format!("team `{team_id}` does not exist")));
        };
        let before = team.doc();
        let mut doc = before.as_ref().clone();
        if !doc.has_member(&user_id) {
            doc.members_with_roles.push(Member {
                user_id: Some(user_id.clone()),
                user_email: None,
                role: "user".into(),
            });
            admin
                .save(doc, "member_added", Some(before.as_ref()))
                .await?;
        }
    }
    // LiteLLM gives a new user a key unless told otherwise.
    if body.get("auto_create_key").and_then(Value::as_bool) != Some(false) {
        let mut request = Map::new();
        request.insert("user_id".into(), Value::from(user_id));
        if let Some(alias) = body.get("key_alias") {
            request.insert("key_alias".into(), alias.clone());
        }
        let key = keys::issue(&admin, request).await?;
        if let (Value::Object(fields), Some(secret)) = (&mut created, key.get("key")) {
            fields.insert("key".into(), secret.clone());
        }
    }
    Ok(created)
});

post_route!(user_update, "/user/update", |admin, body| {
    crud::update::<User>(&admin, &body, |admin, _| admin.is_admin()).await
});

post_route!(user_delete, "/user/delete", |admin, body| {
    let users = crud::delete::<User>(&admin, &body).await?;
    for user in &users {
        delete_keys(&admin, |key| {
            key.user_id.as_deref() == Some(user.user_id.as_str())
        })
        .await?;
        for team in admin.state.registry.teams.all() {
            let before = team.doc();
            if before.has_member(&user.user_id) {
                let mut doc = before.as_ref().clone();
                doc.members_with_roles
                    .retain(|m| m.user_id.as_deref() != Some(user.user_id.as_str()));
                admin
                    .save(doc, "member_deleted", Some(before.as_ref()))
                    .await?;
            }
        }
    }
    let ids: Vec<&str> = users.iter().map(|u| u.user_id.as_str()).collect();
    Ok(json!({"deleted_users": ids}))
});

get_route!(user_info, "/user/info", |admin, params| {
    let id = params.get("user_id").cloned().or_else(|| admin.user_id());
    let entry = crud::info::<User>(&admin, id.as_ref(), user_readable)?;
    let user = entry.doc();
    let teams: Vec<Value> = admin
        .state
        .registry
        .teams
        .all()
        .into_iter()
        .filter(|team| team.doc().has_member(&user.user_id))
        .map(|team| with_spend(&team))
        .collect();
    Ok::<_, Failure>(json!({
        "user_id": user.user_id,
        "user_info": with_spend(&entry),
        "keys": keys_where(&admin, |key| key.user_id.as_deref() == Some(user.user_id.as_str())),
        "teams": teams,
    }))
});

get_route!(user_list, "/user/list", |admin, params| {
    let wanted: Vec<&str> = params
        .get("user_ids")
        .map(|ids| ids.split(',').collect())
        .unwrap_or_default();
    let users = crud::list::<User>(&admin, user_readable, |user| {
        params.get("role").is_none_or(|role| {
            serde_json::to_value(user.user_role).ok() == Some(Value::from(role.as_str()))
        }) && (wanted.is_empty() || wanted.contains(&user.user_id.as_str()))
    });
    let page: usize = params
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let size: usize = params
        .get("page_size")
        .and_then(|s| s.parse().ok())
        .unwrap_or(25)
        .clamp(1, 1000);
    let total = users.len();
    let shown: Vec<Value> = users
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    Ok::<_, Failure>(json!({
        "users": shown,
        "total": total,
        "page": page,
        "page_size": size,
        "total_pages": total.div_ceil(size),
    }))
});

// ----- customers -----

post_route!(customer_new, "/customer/new", |admin, body| {
    crud::create::<Customer>(&admin, &body).await
});

post_route!(customer_update, "/customer/update", |admin, body| {
    crud::update::<Customer>(&admin, &body, |admin, _| admin.is_admin()).await
});

post_route!(customer_delete, "/customer/delete", |admin, body| {
    let customers = crud::delete::<Customer>(&admin, &body).await?;
    let ids: Vec<&str> = customers.iter().map(|c| c.user_id.as_str()).collect();
    Ok(json!({"deleted_customers": ids}))
});

get_route!(customer_info, "/customer/info", |admin, params| {
    let id = params.get("end_user_id").or_else(|| params.get("user_id"));
    let entry = crud::info::<Customer>(&admin, id, admins_only)?;
    Ok::<_, Failure>(with_spend(&entry))
});

get_route!(customer_list, "/customer/list", |admin, _params| {
    crud::list_for_admins::<Customer>(&admin)
});

post_route!(customer_block, "/customer/block", |admin, body| {
    crud::set_blocked::<Customer>(&admin, &body, true, |c, blocked| c.blocked = blocked).await
});

post_route!(customer_unblock, "/customer/unblock", |admin, body| {
    crud::set_blocked::<Customer>(&admin, &body, false, |c, blocked| c.blocked = blocked).await
});

// ----- organizations -----

post_route!(organization_new, "/organization/new", |admin, body| {
    crud::create::<Organization>(&admin, &body).await
});

post_route!(
    organization_update,
    "/organization/update",
    |admin, body| {
        crud::update::<Organization>(&admin, &body, |admin, _| admin.is_admin()).await
    }
);

post_route!(
    organization_delete,
    "/organization/delete",
    |admin, body| {
        let organizations = crud::delete::<Organization>(&admin, &body).await?;
        let ids: Vec<&str> = organizations
            .iter()
            .map(|o| o.organization_id.as_str())
            .collect();
        Ok(json!({"deleted_organizations": ids}))
    }
);

get_route!(organization_info, "/organization/info", |admin, params| {
    let entry = crud::info::<Organization>(&admin, params.get("organization_id"), admins_only)?;
    let organization = entry.doc();
    let teams: Vec<Value> = admin
        .state
        .registry
        .teams
        .all()
        .into_iter()
        .filter(|t| {
            t.doc().organization_id.as_deref() == Some(organization.organization_id.as_str())
        })
        .map(|t| with_spend(&t))
        .collect();
    let mut info = with_spend(&entry);
    if let Value::Object(fields) = &mut info {
        fields.insert("teams".into(), Value::from(teams));
    }
    Ok::<_, Failure>(info)
});

get_route!(organization_list, "/organization/list", |admin, _params| {
    crud::list_for_admins::<Organization>(&admin)
});

// ----- budgets -----

post_route!(budget_new, "/budget/new", |admin, body| {
    crud::create::<Budget>(&admin, &body).await
});

post_route!(budget_update, "/budget/update", |admin, body| {
    crud::update::<Budget>(&admin, &body, |admin, _| admin.is_admin()).await
});

post_route!(budget_delete, "/budget/delete", |admin, body| {
    // LiteLLM names the budget `id` here.
    let mut body = body;
    if let Some(id) = body.remove("id") {
        body.insert(Budget::IDS.into(), Value::Array(vec![id]));
    }
    let budgets = crud::delete::<Budget>(&admin, &body).await?;
    let ids: Vec<&str> = budgets.iter().map(|b| b.budget_id.as_str()).collect();
    Ok(json!({"deleted_budgets": ids}))
});

post_route!(budget_info, "/budget/info", |admin, body| {
    let ids = crate::admin::string_list(&body, "budgets");
    let found: Vec<Value> = ids
        .iter()
        .map(|id| crud::info::<Budget>(&admin, Some(id), admins_only).map(|e| with_spend(&e)))
        .collect::<Result<_, _>>()?;
    Ok(found)
});

get_route!(budget_list, "/budget/list", |admin, _params| {
    crud::list_for_admins::<Budget>(&admin)
});
