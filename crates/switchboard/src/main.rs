//! The `switchboard` binary: reads the config, wires the gateway together and
//! runs it until SIGTERM or Ctrl-C.

mod cli;
mod data_dir;
mod logging;
mod reload;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use switchboard_config::{Config, Environment, Loaded};
use switchboard_providers::client::{ClientOptions, UpstreamClient};
use switchboard_router::HealthBook;
use switchboard_server::callbacks::Callbacks;
use switchboard_server::deployments::{BuildRuntime, Deployments};
use switchboard_server::metrics::Metrics;
use switchboard_server::principals::{self, SpendFlusher};
use switchboard_server::secrets::SecretBox;
use switchboard_server::state::Outputs;
use switchboard_server::telemetry::Telemetry;
use switchboard_server::{AppState, Runtime, RuntimeInputs, discovered_model_list};
use switchboard_store::{LogWriter, Store, WriterOptions};

use crate::cli::{Cli, Command};

/// mimalloc: the benchmark's profile showed glibc malloc/free at 13% of
/// the gateway's instructions; a gateway allocates many small, short-lived
/// buffers per request, which thread-local free lists serve best.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Check { ref file }) => check(file),
        Some(Command::Providers) => {
            for (name, about) in switchboard_providers::provider_names() {
                println!("{name:<20} {about}");
            }
            ExitCode::SUCCESS
        }
        None => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    eprintln!("switchboard: cannot start the async runtime: {error}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(serve(cli)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("switchboard: {error:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `switchboard check FILE`: parse, validate and build, without serving.
fn check(file: &Path) -> ExitCode {
    let env = Environment::process();
    let loaded = match switchboard_config::load_file(file, &env) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    let health = HealthBook::default();
    let inputs = RuntimeInputs {
        env: &env,
        health: &health,
        master_key: String::new(),
        mock_base_url: Some("http://127.0.0.1:1/v1"),
    };
    if let Err(error) = switchboard_server::admin::logs::retention(&loaded.config.general_settings)
    {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    match Runtime::build(&loaded.config, inputs) {
        Ok(runtime) => {
            let groups = runtime.routes.groups().count();
            println!("{}: OK ({groups} model groups)", file.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
    let env = Environment::process();
    let loaded = match &cli.config {
        Some(path) => switchboard_config::load_file(path, &env)?,
        None => Loaded {
            config: Config::default(),
            warnings: Vec::new(),
        },
    };
    let json_logs = cli.json_logs || loaded.config.litellm_settings.json_logs == Some(true);
    logging::init(json_logs);
    for warning in &loaded.warnings {
        tracing::warn!("config: {warning}");
    }

    let data_dir = data_dir::resolve(cli.data_dir.clone());
    data_dir::create(&data_dir)?;

    // The built-in mock provider runs in-process when `mock/` may be used:
    // at zero config, or when the config names it.
    let zero_config = cli.config.is_none();
    let uses_mock = zero_config
        || loaded
            .config
            .model_list
            .iter()
            .any(|e| e.litellm_params.model.starts_with("mock/"));
    let mock = if uses_mock {
        // Not recording: a long-running gateway must not keep every request.
        let config = switchboard_mock::MockConfig {
            record: false,
            ..Default::default()
        };
        let mock = switchboard_mock::spawn(config)
            .await
            .context("cannot start the built-in mock provider")?;
        Some(mock)
    } else {
        None
    };
    let mock_base_url = mock.as_ref().map(|m| m.base_url());

    let mut config = loaded.config;
    if zero_config {
        config.model_list = discovered_model_list(&env, true);
    }
    let lookup = |name: &str| env.get(name);
    let (master_key, key_source) = data_dir::master_key(
        config.general_settings.master_key.as_deref(),
        &lookup,
        &data_dir,
    )?;
    if !master_key.starts_with("sk-") {
        tracing::warn!(
            "the master key does not start with `sk-`; LiteLLM clients and tools expect it to"
        );
    }
    // Deployment health outlives config reloads.
    let health = Arc::new(HealthBook::default());
    // Every runtime, at startup, on reload and on a model API change, is
    // built by this one function from a whole config.
    let build: BuildRuntime = {
        let env = env.clone();
        let master = master_key.clone();
        let mock_base_url = mock_base_url.clone();
        let health = Arc::clone(&health);
        Box::new(move |config: &Config| {
            // A master key set in the file follows the file; otherwise the
            // key found at startup stays.
            let key = config
                .general_settings
                .master_key
                .clone()
                .unwrap_or_else(|| master.clone());
            Runtime::build(
                config,
                RuntimeInputs {
                    env: &env,
                    health: &health,
                    master_key: key,
                    mock_base_url: mock_base_url.as_deref(),
                },
            )
            .map_err(|e| e.to_string())
        })
    };
    let runtime = build(&config).map_err(anyhow::Error::msg)?;
    let groups: Vec<String> = runtime.routes.groups().map(|g| g.name.clone()).collect();

    let client = UpstreamClient::new(&ClientOptions::default())
        .context("cannot set up TLS for upstream connections")?;

    // The database: Postgres (or another SQLite file) when configured, else
    // SQLite in the data directory.
    let database_url = config
        .general_settings
        .database_url
        .clone()
        .or_else(|| env.get("DATABASE_URL"))
        .unwrap_or_else(|| Store::sqlite_url_in(&data_dir));
    let store = Store::open(&database_url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            switchboard_store::redact(&database_url)
        )
    })?;
    let logs = if config.general_settings.disable_spend_logs == Some(true) {
        None
    } else {
        let retention = switchboard_server::admin::logs::retention(&config.general_settings)
            .map_err(anyhow::Error::msg)?;
        // Spill files go to the data directory whichever database holds the
        // logs: a Postgres outage must not lose them either.
        Some(LogWriter::start_with(
            store.clone(),
            WriterOptions {
                data_dir: Some(data_dir.clone()),
                retention,
            },
        ))
    };
    // Keys, users, teams, ... live in memory; settled spend is written in
    // batches by the flusher.
    let registry = Arc::new(
        principals::load(&store)
            .await
            .context("cannot load keys, users and teams from the database")?,
    );
    let (spend_events, spend_queue) = tokio::sync::mpsc::unbounded_channel();
    registry.set_sink(spend_events);
    let flusher = SpendFlusher::start(store.clone(), spend_queue);
    let metrics = Arc::new(Metrics::new().context("cannot register the metrics")?);
    let (callbacks, callback_warnings) = Callbacks::start(&config, &env, Arc::clone(&metrics));
    let (telemetry, telemetry_warnings) = Telemetry::start(&config, &env);
    for warning in callback_warnings.into_iter().chain(telemetry_warnings) {
        tracing::warn!("config: {warning}");
    }
    let state = Arc::new(AppState::new(
        runtime,
        client,
        Some(store.clone()),
        logs.clone(),
        Arc::clone(&registry),
        metrics,
        Outputs {
            callbacks: callbacks.clone(),
            telemetry: telemetry.clone(),
        },
    ));

    // Deployments added through the admin API join the file's.
    let secrets = SecretBox::new(&SecretBox::material(|name| env.get(name), &master_key))
        .map_err(anyhow::Error::msg)?;
    state.set_deployments(Deployments::new(config, build, secrets, env.clone()));
    if let Some(deployments) = state.deployments() {
        match deployments.load(&store, &state).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "deployments added through the API loaded"),
            Err(error) => {
                tracing::error!(%error, "the deployments added through the API are not served")
            }
        }
    }

    // Cooling deployments are probed when general_settings asks for it.
    tokio::spawn(switchboard_server::proxy::health_check::run(Arc::clone(
        &state,
    )));

    if let Some(path) = cli.config.clone() {
        let env = env.clone();
        let load: reload::Load = Box::new(move |path: &Path| {
            let loaded = switchboard_config::load_file(path, &env).map_err(|e| e.to_string())?;
            for warning in &loaded.warnings {
                tracing::warn!("config: {warning}");
            }
            Ok(loaded.config)
        });
        reload::watch(path, Arc::clone(&state), load)?;
    }

    let address = format!("{}:{}", cli.host, cli.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let local = listener.local_addr()?;

    match &key_source {
        data_dir::KeySource::Generated(path) => {
            println!(
                "Generated a master key (saved to {}, shown only this once):",
                path.display()
            );
            println!("  {master_key}");
        }
        data_dir::KeySource::Stored(path) => {
            println!("Master key: stored in {}", path.display());
        }
        data_dir::KeySource::Config => println!("Master key: general_settings.master_key"),
        data_dir::KeySource::Environment(name) => println!("Master key: ${name}"),
    }
    println!("Model groups: {}", groups.join(", "));
    println!("Database: {}", switchboard_store::redact(&database_url));
    println!("switchboard listening on http://{local}");

    let router = switchboard_server::router(Arc::clone(&state));
    let drain_state = Arc::clone(&state);
    let grace_state = Arc::clone(&state);
    let result = switchboard_server::serve(
        listener,
        router,
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down: no new connections; draining in-flight requests");
            drain_state.start_draining();
        },
        move || grace_state.runtime().limits.grace_period,
    )
    .await;
    // Every request has finished: write the last spend and log records,
    // then close.
    flusher.shutdown().await;
    if let Some(logs) = logs {
        logs.shutdown().await;
    }
    callbacks.shutdown().await;
    telemetry.shutdown().await;
    store.close().await;
    if let Some(mock) = mock {
        mock.shutdown().await;
    }
    tracing::info!("stopped");
    result.map_err(Into::into)
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
