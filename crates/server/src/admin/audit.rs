//! `GET /audit/logs`: who changed what, when, with the document before and
//! after. Proxy admins and viewers only.

use serde_json::Value;
use switchboard_governance::time::parse_date_ms;
use switchboard_store::AuditQuery;

use crate::admin::{bad_request, forbidden};
use crate::failure::Failure;

get_route!(logs, "/audit/logs", |admin, params| {
    if !admin.reads_everything() {
        return Err(forbidden(
            "only proxy admins and viewers can read the audit log",
        ));
    }
    let date = |name: &str| -> Result<Option<i64>, Failure> {
        params
            .get(name)
            .map(|text| {
                parse_date_ms(text)
                    .ok_or_else(|| bad_request(format!("`{name}` must be YYYY-MM-DD")))
            })
            .transpose()
    };
    let query = AuditQuery {
        object_type: params.get("object_type").cloned(),
        object_id: params.get("object_id").cloned(),
        actor: params.get("actor").cloned(),
        start_ms: date("start_date")?,
        end_ms: date("end_date")?.map(|day| day + 86_400_000),
        limit: params.get("limit").and_then(|l| l.parse().ok()),
    };
    let entries = admin.store()?.query_audit(&query).await.map_err(|error| {
        tracing::error!(%error, "audit query failed");
        bad_request("the audit query failed")
    })?;
    let rows: Vec<Value> = entries
        .into_iter()
        .map(|entry| {
            let mut row = serde_json::to_value(&entry).unwrap_or_default();
            if let Value::Object(fields) = &mut row {
                fields.insert(
                    "at".into(),
                    Value::from(switchboard_governance::time::format_ms(entry.at)),
                );
            }
            row
        })
        .collect();
    Ok(rows)
});
