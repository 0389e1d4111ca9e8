//! Generates the table of embedded assets: every file under `assets/`, with
//! its content type and an ETag computed here, so serving one is a lookup
//! and adding a file needs no code change.

use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("assets");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files)?;
    let mut entries: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(&root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            (name, path)
        })
        .collect();
    // Sorted, so the server finds an asset by binary search.
    entries.sort();

    let mut table = String::from("static ASSETS: &[Asset] = &[\n");
    for (name, path) in &entries {
        let body = fs::read(path)?;
        let content_type = content_type(name)
            .ok_or_else(|| format!("assets/{name}: no content type for this file ending"))?;
        writeln!(
            table,
            "    Asset {{ path: {name:?}, body: include_bytes!({path:?}), content_type: {content_type:?}, etag: \"\\\"{:016x}\\\"\" }},",
            fnv1a(&body),
        )?;
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("assets.rs");
    fs::write(out, table)?;
    Ok(())
}

/// Every file below `dir`; directories are watched too, so a new file
/// triggers a rebuild.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), Box<dyn Error>> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, files)?;
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
            files.push(path);
        }
    }
    Ok(())
}

fn content_type(name: &str) -> Option<&'static str> {
    let ending = name.rsplit('.').next()?;
    Some(match ending {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// FNV-1a: stable across builds and toolchains (unlike `DefaultHasher`), and
/// enough to tell two versions of a file apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
