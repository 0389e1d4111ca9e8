//! The data directory and the master key kept in it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// `--data-dir`, else `$XDG_DATA_HOME/switchboard`, else
/// `~/.local/share/switchboard`, else `./.switchboard`.
pub fn resolve(explicit: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir;
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("switchboard");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/switchboard");
    }
    PathBuf::from(".switchboard")
}

pub fn create(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The directory holds the master key and request logs.
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// Where a master key came from, for the startup message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Config,
    Environment(&'static str),
    Stored(PathBuf),
    Generated(PathBuf),
}

/// The master key: `general_settings.master_key`, else `SWITCHBOARD_MASTER_KEY`
/// or `LITELLM_MASTER_KEY`, else the one stored in the data directory, else
/// a new one, stored there (mode 0600).
pub fn master_key(
    configured: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    dir: &Path,
) -> anyhow::Result<(String, KeySource)> {
    if let Some(key) = configured.filter(|k| !k.is_empty()) {
        return Ok((key.to_string(), KeySource::Config));
    }
    for name in ["SWITCHBOARD_MASTER_KEY", "LITELLM_MASTER_KEY"] {
        if let Some(key) = env(name) {
            return Ok((key, KeySource::Environment(name)));
        }
    }
    let path = dir.join("master_key");
    if let Ok(text) = fs::read_to_string(&path) {
        let key = text.trim().to_string();
        if !key.is_empty() {
            return Ok((key, KeySource::Stored(path)));
        }
    }
    let key = generate_key()?;
    write_private(&path, &key)?;
    Ok((key, KeySource::Generated(path)))
}

/// `sk-` and 48 random alphanumerics (LiteLLM requires the `sk-` prefix),
/// from the operating system's randomness: the key is a secret.
fn generate_key() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut key = String::from("sk-");
    while key.len() < 51 {
        let mut bytes = [0u8; 64];
        getrandom::fill(&mut bytes)
            .map_err(|e| anyhow::anyhow!("the system has no randomness source: {e}"))?;
        // Rejection sampling keeps every character equally likely.
        for byte in bytes {
            if usize::from(byte) < 248 && key.len() < 51 {
                key.push(char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]));
            }
        }
    }
    Ok(key)
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn generates_once_then_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let (key, source) = master_key(None, &no_env, dir.path()).unwrap();
        assert!(key.starts_with("sk-") && key.len() == 51, "{key}");
        assert!(matches!(source, KeySource::Generated(_)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("master_key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, source) = master_key(None, &no_env, dir.path()).unwrap();
        assert_eq!(again, key);
        assert!(matches!(source, KeySource::Stored(_)));
    }

    #[test]
    fn precedence() {
        let dir = tempfile::tempdir().unwrap();
        let env = |name: &str| (name == "LITELLM_MASTER_KEY").then(|| "sk-env".to_string());
        assert_eq!(
            master_key(Some("sk-cfg"), &env, dir.path()).unwrap(),
            ("sk-cfg".to_string(), KeySource::Config)
        );
        assert_eq!(
            master_key(None, &env, dir.path()).unwrap(),
            (
                "sk-env".to_string(),
                KeySource::Environment("LITELLM_MASTER_KEY")
            )
        );
    }
}
