//! The HTTP side of switchboard: front doors, the request phases behind them,
//! and health endpoints.
//!
//! A request runs through small named phases (DESIGN.md §1): the front door
//! decodes ([`front`]), [`auth`] names the caller, [`proxy`] routes, prepares
//! and sends, and [`relay`] streams the answer back while reading usage.

pub mod accounting;
pub mod admin;
pub mod auth;
pub mod callbacks;
pub mod context;
pub mod deployments;
pub mod failure;
pub mod front;
pub mod health;
pub mod metrics;
pub mod model_info;
pub mod pricing;
pub mod principals;
pub mod proxy;
pub mod relay;
pub mod runtime;
pub mod secrets;
pub mod state;
pub mod telemetry;

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
            .route(
                &format!("{prefix}/responses"),
                post(front::openai::responses),
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
    for path in ["/rerank", "/v1/rerank", "/v2/rerank"] {
        router = router.route(path, post(front::rerank::rerank));
    }
    router
        .route("/health/liveliness", get(health::liveness))
        .route("/health/liveness", get(health::liveness))
        .route("/health/readiness", get(health::readiness))
        .route("/metrics", get(health::metrics))
        .route("/model/info", get(model_info::model_info))
        .route("/v1/model/info", get(model_info::model_info))
        .route("/model_group/info", get(model_info::model_group_info))
        .route("/model/new", post(admin::models::new))
        .route("/model/update", post(admin::models::update))
        .route("/model/delete", post(admin::models::delete))
        .route("/v1/model_group/info", get(model_info::model_group_info))
        .route("/spend/logs", get(admin::spend::logs))
        .route("/logs", get(admin::logs::search))
        .route("/logs/stats", get(admin::logs::stats))
        .route("/logs/{request_id}", get(admin::logs::detail))
        .route("/audit/logs", get(admin::audit::logs))
        .route("/global/spend/report", get(admin::reports::global))
        .route("/spend/keys", get(admin::reports::keys))
        .route("/spend/tags", get(admin::reports::tags))
        .route("/key/generate", post(admin::keys::generate))
        .route("/key/info", get(admin::keys::info))
        .route("/key/list", get(admin::keys::list))
        .route("/key/update", post(admin::keys::update))
        .route("/key/delete", post(admin::keys::delete))
        .route("/key/block", post(admin::keys::block))
        .route("/key/unblock", post(admin::keys::unblock))
        .route("/key/regenerate", post(admin::keys::regenerate))
        .route("/key/{key}/regenerate", post(admin::keys::regenerate_path))
        .route("/team/new", post(admin::principals::team_new))
        .route("/team/update", post(admin::principals::team_update))
        .route("/team/delete", post(admin::principals::team_delete))
        .route("/team/info", get(admin::principals::team_info))
        .route("/team/list", get(admin::principals::team_list))
        .route("/team/block", post(admin::principals::team_block))
        .route("/team/unblock", post(admin::principals::team_unblock))
        .route("/team/member_add", post(admin::principals::team_member_add))
        .route(
            "/team/member_delete",
            post(admin::principals::team_member_delete),
        )
        .route("/user/new", post(admin::principals::user_new))
        .route("/user/update", post(admin::principals::user_update))
        .route("/user/delete", post(admin::principals::user_delete))
        .route("/user/info", get(admin::principals::user_info))
        .route("/user/list", get(admin::principals::user_list))
        .route("/customer/new", post(admin::principals::customer_new))
        .route("/customer/update", post(admin::principals::customer_update))
        .route("/customer/delete", post(admin::principals::customer_delete))
        .route("/customer/info", get(admin::principals::customer_info))
        .route("/customer/list", get(admin::principals::customer_list))
        .route("/customer/block", post(admin::principals::customer_block))
        .route(
            "/customer/unblock",
            post(admin::principals::customer_unblock),
        )
        .route(
            "/organization/new",
            post(admin::principals::organization_new),
        )
        .route(
            "/organization/update",
            post(admin::principals::organization_update),
        )
        .route(
            "/organization/delete",
            post(admin::principals::organization_delete),
        )
        .route(
            "/organization/info",
            get(admin::principals::organization_info),
        )
        .route(
            "/organization/list",
            get(admin::principals::organization_list),
        )
        .route("/budget/new", post(admin::principals::budget_new))
        .route("/budget/update", post(admin::principals::budget_update))
        .route("/budget/delete", post(admin::principals::budget_delete))
        .route("/budget/info", post(admin::principals::budget_info))
        .route("/budget/list", get(admin::principals::budget_list))
        // The web UI at /ui, and / redirecting there.
        .merge(switchboard_ui::router())
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
