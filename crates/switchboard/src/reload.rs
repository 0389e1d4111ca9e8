//! Hot reload: when the config file changes, parse and validate it, build
//! the new runtime (with the deployments added through the API), then swap
//! it in; an invalid file keeps the running config.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use switchboard_config::Config;
use switchboard_server::AppState;
use tokio::sync::mpsc;

/// Reads and validates the file's current contents, or says why not.
pub type Load = Box<dyn Fn(&Path) -> Result<Config, String> + Send + Sync>;

/// Editors write files in bursts (truncate, write, rename): wait this long
/// after the last event before reading.
const SETTLE: Duration = Duration::from_millis(250);

/// Watches `path` until the process ends. The watcher observes the parent
/// directory, because editors and `kubectl` replace the file rather than
/// writing into it.
pub fn watch(path: PathBuf, state: Arc<AppState>, load: Load) -> anyhow::Result<()> {
    let (events_tx, mut events_rx) = mpsc::unbounded_channel::<()>();
    let file_name = path.file_name().map(|n| n.to_os_string());
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let touches_file = event
            .paths
            .iter()
            .any(|p| p.file_name().map(|n| n.to_os_string()) == file_name);
        if touches_file && !event.kind.is_access() {
            let _ = events_tx.send(());
        }
    })?;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    watcher.watch(&parent, RecursiveMode::NonRecursive)?;

    tokio::spawn(async move {
        // The watcher stops when dropped; this task owns it.
        let _watcher = watcher;
        while events_rx.recv().await.is_some() {
            // Coalesce the burst.
            loop {
                match tokio::time::timeout(SETTLE, events_rx.recv()).await {
                    Ok(Some(())) => continue,
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            let rebuilt = match (load(&path), state.deployments()) {
                (Ok(config), Some(deployments)) => deployments.replace_config(config, &state).await,
                (Ok(_), None) => Err("model sources not set up".to_string()),
                (Err(error), _) => Err(error),
            };
            match rebuilt {
                Ok(groups) => {
                    tracing::info!(path = %path.display(), model_groups = groups, "config reloaded");
                }
                Err(error) => {
                    tracing::error!(path = %path.display(), %error, "config change rejected; keeping the running config");
                }
            }
        }
    });
    Ok(())
}
