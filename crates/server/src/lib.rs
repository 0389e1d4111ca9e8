//! The HTTP side of switchboard: front doors, the request phases behind them,
//! and health endpoints.
//!
//! A request runs through small named phases (DESIGN.md §1): the front door
//! decodes ([`front`]), [`auth`] names the caller, [`proxy`] routes, prepares
//! and sends, and [`relay`] streams the answer back while reading usage.

pub mod accounting;
pub mod admin;
pub mod auth;
pub mod context;
pub mod failure;
pub mod front;
pub mod health;
pub mod proxy;
pub mod relay;
pub mod runtime;
pub mod state;
pub mod timefmt;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;

pub use runtime::{Runtime, RuntimeError, RuntimeInputs, discovered_model_list};
pub use state::AppState;

/// The gateway's routes. The OpenAI routes answer with and without `/v1` and
/// under `/openai/v1`, as LiteLLM's do.
pub fn router(state: Arc<AppState>) -> Router {
    let mut router = Router::new();
    for prefix in ["", "/v1", "/openai/v1"] {
        router = router
            .route(
                &format!("{prefix}/chat/completions"),
                post(front::openai::chat_completions),
            )
            .route(
                &format!("{prefix}/completions"),
                post(front::openai::completions),
            )
            .route(
                &format!("{prefix}/embeddings"),
                post(front::openai::embeddings),
            )
            .route(&format!("{prefix}/models"), get(front::openai::list_models))
            .route(
                &format!("{prefix}/models/{{*model}}"),
                get(front::openai::get_model),
            );
    }
    for prefix in ["", "/anthropic"] {
        router = router
            .route(
                &format!("{prefix}/v1/messages"),
                post(front::anthropic::messages),
            )
            .route(
                &format!("{prefix}/v1/messages/count_tokens"),
                post(front::anthropic::count_tokens),
            );
    }
    for prefix in ["", "/gemini"] {
        router = router.route(
            &format!("{prefix}/v1beta/models/{{*target}}"),
            post(front::gemini::model_action),
        );
    }
    router
        .route("/health/liveliness", get(health::liveness))
        .route("/health/liveness", get(health::liveness))
        .route("/health/readiness", get(health::readiness))
        .route("/spend/logs", get(admin::spend::logs))
        .fallback(front::openai::not_found)
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops
/// accepting and gives in-flight requests and streams `grace` to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: impl Fn() -> Duration + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;

    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let listener = listener.tap_io(|tcp| {
        // Small SSE events must not wait for Nagle's algorithm.
        let _ = tcp.set_nodelay(true);
    });
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = signalled_tx.send(());
    });
    let server = server.into_future();
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return result,
        _ = signalled_rx => {}
    }
    // Draining: the server finishes once every connection is done; past the
    // grace period the remaining ones are abandoned.
    let grace = grace();
    match tokio::time::timeout(grace, &mut server).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(
                grace_seconds = grace.as_secs_f64(),
                "in-flight requests did not finish within the grace period; exiting anyway"
            );
            Ok(())
        }
    }
}
