//! Serving a request from one model group: select a deployment, attempt,
//! and on a retriable failure record it (cooldowns), then try another
//! deployment of the group, backing off only when none is left untried.
//! With hedging on for the group, a slow first attempt gets a second one on
//! another deployment; the first answer wins and the other is cancelled.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_api::ErrorKind;
use switchboard_governance::time::now_ms;
use switchboard_router::{Deployment, FailureClass, ModelGroup, Route, Selected, Unavailable};

use super::attempt::{Answer, AttemptError, attempt};
use super::{FrontRequest, Probe};
use crate::accounting::AttemptRecord;
use crate::failure::Failure;
use crate::runtime::Runtime;
use crate::state::AppState;
use crate::telemetry::{TraceContext, UPSTREAM_TRACEPARENT, trace};

/// The answer of the deployment that won, with its in-flight slot (held
/// until the answer has been relayed).
pub(super) struct Won {
    pub answer: Answer,
    pub deployment: Arc<Deployment>,
    pub upstream_model: String,
    pub selected: Selected,
    span: AttemptSpan,
}

/// An attempt's trace span: its id (sent upstream in `traceparent`) and
/// when it started.
#[derive(Debug, Clone, Copy)]
struct AttemptSpan {
    id: [u8; 8],
    started: Instant,
}

/// What the group loop keeps across attempts.
pub(super) struct Journal {
    pub attempts: Vec<AttemptRecord>,
    /// Time spent waiting on upstreams or backing off: not gateway overhead.
    pub waited: Duration,
    /// When the request started (attempt times are relative to it).
    pub origin: Instant,
    /// The request's trace, when traced: each attempt is a span of it.
    pub trace: Option<TraceContext>,
}

/// Serves the request from `route`'s group, retrying per the policy.
pub(super) async fn serve(
    state: &AppState,
    runtime: &Runtime,
    request: &FrontRequest,
    probe: &Probe,
    route: &Route<'_>,
    journal: &mut Journal,
) -> Result<Won, AttemptError> {
    let group = route.group;
    let policy = &runtime.policy;
    let mut tried: Vec<String> = Vec::new();
    let mut retries = 0;
    loop {
        let selected = select(runtime, group, &tried)?;
        let outcome = race(
            state, runtime, request, probe, route, selected, &tried, journal,
        )
        .await;
        let error = match outcome {
            Ok(won) => return Ok(won),
            Err(failed) => {
                let Failed {
                    error, deployment, ..
                } = *failed;
                let cooled = policy.record_failure(
                    &deployment.health,
                    error.class,
                    error.retry_after,
                    group.is_single(),
                    now_ms(),
                );
                if cooled {
                    state
                        .metrics
                        .cooldown(&group.name, &deployment.id, deployment.provider());
                }
                tried.push(deployment.id.clone());
                error
            }
        };
        let allowed = match probe.num_retries {
            Some(n) if error.class.retriable() => n,
            _ => policy.retries_for(error.class),
        };
        if retries >= allowed {
            return Err(error);
        }
        retries += 1;
        // Another deployment needs no wait; the same one does.
        let now = now_ms();
        let fresh = group
            .deployments
            .iter()
            .any(|d| !tried.contains(&d.id) && d.health.cooldown_left(now).is_none());
        if !fresh {
            let pause = policy.backoff(retries, error.retry_after);
            if pause > runtime.limits.default_timeout {
                return Err(error);
            }
            tokio::time::sleep(pause).await;
            journal.waited += pause;
            tried.clear();
        }
    }
}

/// A deployment for the next attempt; when every one was tried, any of them
/// again (a retry on the same deployment).
fn select(
    runtime: &Runtime,
    group: &ModelGroup,
    tried: &[String],
) -> Result<Selected, AttemptError> {
    let strategy = runtime.strategy;
    let tried: Vec<&str> = tried.iter().map(String::as_str).collect();
    match group.select(strategy, &tried, now_ms()) {
        Ok(selected) => Ok(selected),
        Err(Unavailable::Exhausted) if !tried.is_empty() => group
            .select(strategy, &[], now_ms())
            .map_err(|reason| unavailable(group, reason)),
        Err(reason) => Err(unavailable(group, reason)),
    }
}

fn unavailable(group: &ModelGroup, reason: Unavailable) -> AttemptError {
    let (kind, message, wait) = match reason {
        Unavailable::CoolingDown(left) => (
            ErrorKind::Unavailable,
            format!(
                "every deployment of `{}` is cooling down after failures; retry in {} s",
                group.name,
                left.as_secs().max(1)
            ),
            left,
        ),
        Unavailable::AtCapacity(left) => (
            ErrorKind::RateLimited,
            format!(
                "every deployment of `{}` is at its rpm, tpm or parallel limit; retry in {} s",
                group.name,
                left.as_secs().max(1)
            ),
            left,
        ),
        Unavailable::Exhausted => (
            ErrorKind::Unavailable,
            format!("no deployment of `{}` is available", group.name),
            Duration::from_secs(1),
        ),
    };
    let seconds = wait.as_secs().max(1);
    let mut failure = Failure::new(kind, message);
    if let Ok(value) = http::HeaderValue::from_str(&seconds.to_string()) {
        failure.details = Some(Box::new(crate::failure::Details {
            retry_after: Some(value),
            body: None,
        }));
    }
    AttemptError {
        failure,
        class: FailureClass::ServerError,
        retry_after: Some(wait),
    }
}

/// An attempt that failed: the error, where, and after how long.
struct Failed {
    error: AttemptError,
    deployment: Arc<Deployment>,
    elapsed: Duration,
    span: AttemptSpan,
}

/// Failures are boxed: the success path should not move their bytes.
type Outcome = Result<Won, Box<Failed>>;

/// One attempt on `selected`, hedged with a second deployment when the
/// group's hedging is on and the first is slower than its percentile.
#[allow(clippy::too_many_arguments)]
async fn race(
    state: &AppState,
    runtime: &Runtime,
    request: &FrontRequest,
    probe: &Probe,
    route: &Route<'_>,
    selected: Selected,
    tried: &[String],
    journal: &mut Journal,
) -> Outcome {
    let group = route.group;
    let first_id = selected.deployment.id.clone();
    let hedge_after = runtime
        .hedging(&group.name)
        .and_then(|(percentile, samples)| group.latency.percentile(percentile, samples));
    let trace = journal.trace;
    let first = one(state, runtime, request, probe, route, selected, trace);
    let Some(after) = hedge_after else {
        return settle(first.await, group, journal, false);
    };
    tokio::pin!(first);
    tokio::select! {
        outcome = &mut first => return settle(outcome, group, journal, false),
        () = tokio::time::sleep(after) => {}
    }
    // The first attempt is slower than the group's percentile: start a
    // second one on another deployment.
    let mut excluded: Vec<&str> = tried.iter().map(String::as_str).collect();
    excluded.push(&first_id);
    let Ok(hedge) = group.select(runtime.strategy, &excluded, now_ms()) else {
        return settle(first.await, group, journal, false);
    };
    let second_id = hedge.deployment.id.clone();
    let second = one(state, runtime, request, probe, route, hedge, trace);
    tokio::pin!(second);
    tokio::select! {
        outcome = &mut first => finish_race(outcome, (second, &second_id), group, journal, false).await,
        outcome = &mut second => finish_race(outcome, (first, &first_id), group, journal, true).await,
    }
}

/// The first of two racing attempts has finished: a success wins (the
/// other is dropped, which cancels its upstream request); a failure leaves
/// the race to the other.
async fn finish_race(
    outcome: Outcome,
    (other, other_id): (
        std::pin::Pin<&mut impl std::future::Future<Output = Outcome>>,
        &str,
    ),
    group: &ModelGroup,
    journal: &mut Journal,
    hedge: bool,
) -> Outcome {
    match outcome {
        Ok(won) => {
            let won = settle(Ok(won), group, journal, hedge);
            let start_ms = millis(Instant::now().saturating_duration_since(journal.origin));
            journal.attempts.push(AttemptRecord {
                group: group.name.clone(),
                deployment: other_id.to_string(),
                status: 499,
                error: Some("cancelled: the other attempt answered first".into()),
                ms: 0.0,
                hedge: !hedge,
                start_ms,
                span_id: None,
            });
            won
        }
        Err(failed) => {
            let _ = settle(Err(failed), group, journal, hedge);
            settle(other.await, group, journal, !hedge)
        }
    }
}

/// Notes an attempt's end in the journal (and a success's latency in the
/// group's window).
fn settle(outcome: Outcome, group: &ModelGroup, journal: &mut Journal, hedge: bool) -> Outcome {
    let traced = journal.trace.is_some();
    let origin = journal.origin;
    let span_fields = |span: &AttemptSpan| {
        (
            millis(span.started.saturating_duration_since(origin)),
            traced.then(|| trace::hex(&span.id)),
        )
    };
    let record = match &outcome {
        Ok(won) => {
            group.latency.record(won.answer.first_byte);
            let (start_ms, span_id) = span_fields(&won.span);
            AttemptRecord {
                group: group.name.clone(),
                deployment: won.deployment.id.clone(),
                status: 200,
                error: None,
                ms: millis(won.answer.first_byte),
                hedge,
                start_ms,
                span_id,
            }
        }
        Err(failed) => {
            let (start_ms, span_id) = span_fields(&failed.span);
            AttemptRecord {
                group: group.name.clone(),
                deployment: failed.deployment.id.clone(),
                status: failed.error.failure.error.status,
                error: Some(failed.error.failure.error.message.clone()),
                ms: millis(failed.elapsed),
                hedge,
                start_ms,
                span_id,
            }
        }
    };
    journal.attempts.push(record);
    if let Err(failed) = &outcome {
        journal.waited += failed.elapsed;
    }
    outcome
}

/// One attempt on one selected deployment.
async fn one(
    state: &AppState,
    runtime: &Runtime,
    request: &FrontRequest,
    probe: &Probe,
    route: &Route<'_>,
    selected: Selected,
    trace: Option<TraceContext>,
) -> Outcome {
    let deployment = Arc::clone(&selected.deployment);
    let upstream_model = deployment.upstream_model_for(&route.captured).into_owned();
    let span = AttemptSpan {
        id: trace::new_span_id(),
        started: Instant::now(),
    };
    let sent = attempt(state, runtime, request, probe, &deployment, &upstream_model);
    // A traced attempt tells the upstream its span (W3C traceparent).
    let result = match trace {
        Some(trace) => {
            UPSTREAM_TRACEPARENT
                .scope(trace.header_for(span.id), sent)
                .await
        }
        None => sent.await,
    };
    match result {
        Ok(answer) => {
            deployment.health.succeeded(answer.first_byte, 0, now_ms());
            Ok(Won {
                answer,
                deployment,
                upstream_model,
                selected,
                span,
            })
        }
        Err(error) => Err(Box::new(Failed {
            error,
            deployment,
            elapsed: span.started.elapsed(),
            span,
        })),
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
