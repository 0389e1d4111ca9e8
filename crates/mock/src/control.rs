//! `/__mock/*`: drive the mock over HTTP when it runs out of process.
//!
//! - `POST /__mock/faults`: queue a [`Fault`] (JSON body; optional `"count": N` queues N copies)
//! - `DELETE /__mock/faults`: drop queued faults
//! - `GET /__mock/requests`: recorded requests as JSON (bodies as UTF-8 text)
//! - `DELETE /__mock/requests`: forget recorded requests
//! - `GET /__mock/chaos`: what the chaos dice decided so far (`requests`, `failed`, `cut`)
//!
//! These paths are not recorded and need no API key.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::StatusCode;
use http::header::CONTENT_TYPE;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::app::Shared;
use crate::error::ApiError;
use crate::faults::Fault;
use crate::openai::parse_body;
use crate::pipeline::error_response;
use crate::record::{RecordHandle, RecordedRequestView};

/// Enough for any test; bounds memory if a script sends a huge count by mistake.
const MAX_FAULT_COUNT: u64 = 100_000;

pub(crate) async fn push_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match parse_fault_request(&body) {
        Ok((fault, count)) => {
            shared.faults.push(fault, count);
            json(StatusCode::OK, &Queued { queued: count })
        }
        Err(err) => error_response(&err, &RecordHandle::none()),
    }
}

fn parse_fault_request(body: &[u8]) -> Result<(Fault, usize), ApiError> {
    let mut fields: Map<String, Value> = parse_body(body)?;
    let count = match fields.remove("count") {
        None => 1,
        Some(count) => count
            .as_u64()
            .filter(|c| (1..=MAX_FAULT_COUNT).contains(c))
            .and_then(|c| usize::try_from(c).ok())
            .ok_or_else(|| {
                ApiError::invalid_param(
                    "count",
                    format!("'count' must be an integer between 1 and {MAX_FAULT_COUNT}."),
                )
            })?,
    };
    let fault = Fault::deserialize(Value::Object(fields))
        .map_err(|err| ApiError::invalid(format!("Invalid fault: {err}")))?;
    Ok((fault, count))
}

pub(crate) async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.faults.clear();
    StatusCode::NO_CONTENT
}

pub(crate) async fn list_requests(State(shared): State<Arc<Shared>>) -> Response {
    let requests = shared.recorder.snapshot();
    let views: Vec<RecordedRequestView<'_>> = requests.iter().map(Into::into).collect();
    json(StatusCode::OK, &views)
}

pub(crate) async fn clear_requests(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.recorder.clear();
    StatusCode::NO_CONTENT
}

pub(crate) async fn chaos_stats(State(shared): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, &shared.chaos.stats())
}

#[derive(Serialize)]
struct Queued {
    queued: usize,
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (status, [(CONTENT_TYPE, "application/json")], body).into_response(),
        Err(err) => {
            let err = ApiError::internal(format!("could not serialize the response: {err}"));
            error_response(&err, &RecordHandle::none())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_requests_take_an_optional_count_and_reject_unknown_keys() {
        let (fault, count) = parse_fault_request(br#"{"status":503,"count":3}"#).unwrap();
        assert_eq!(fault.status, Some(503));
        assert_eq!(count, 3);
        let (_, count) = parse_fault_request(br#"{"cut_after":1}"#).unwrap();
        assert_eq!(count, 1);
        assert!(parse_fault_request(br#"{"stauts":503}"#).is_err());
        assert!(parse_fault_request(br#"{"count":0}"#).is_err());
        assert!(parse_fault_request(b"not json").is_err());
    }
}
