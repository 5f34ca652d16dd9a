//! Repository rules, checked by `cargo xtask tidy` and by `cargo test`:
//! - crates depend only on the layers below them (read from `cargo metadata`, so that
//!   `[dependencies.x]` tables and renamed packages count);
//! - every source file opens with a `//!` doc comment saying what it is;
//! - no library source file is longer than [`MAX_LINES`] lines (one concern a file);
//! - no file points outside the repository (a relative path climbing above the root).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The layers, lowest first. A crate may depend only on crates of a lower rank.
pub(crate) const LAYERS: [(&str, u8); 8] = [
    ("p2psim-kernel", 0),
    ("p2psim-net", 1),
    ("p2psim-services", 2),
    ("p2psim-disruption", 3),
    ("p2psim-analysis", 4),
    ("p2psim", 5),
    ("p2psim-cli", 6),
    ("p2psim-py", 7),
];

/// The most lines a library's source file may have: past this, a file holds more than one concern.
pub(crate) const MAX_LINES: usize = 600;

fn rank(name: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

/// `(package, internal dependency)` pairs of normal dependencies, from `cargo metadata`.
fn internal_edges(metadata: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in metadata["packages"].as_array().into_iter().flatten() {
        let name = p["name"].as_str().unwrap_or_default();
        for d in p["dependencies"].as_array().into_iter().flatten() {
            let normal = d["kind"].is_null();
            let dep = d["name"].as_str().unwrap_or_default();
            if normal && rank(dep).is_some() {
                out.push((name.to_owned(), dep.to_owned()));
            }
        }
    }
    out
}

/// Layering problems among the edges.
fn layering(edges: &[(String, String)]) -> Vec<String> {
    let chain = LAYERS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" <- ");
    edges
        .iter()
        .filter_map(|(from, to)| {
            let (a, b) = (rank(from)?, rank(to)?);
            (b >= a).then(|| format!("{from} depends on {to}, which is not below it ({chain})"))
        })
        .collect()
}

/// The Rust files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if !p.ends_with("target") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// A source file must open with `//!`.
fn lacks_module_doc(text: &str) -> bool {
    !text.trim_start().starts_with("//!")
}

/// Relative paths in `text` (of a file in `dir`) that climb above `root`, or name nothing inside
/// it. A path may be relative to the file's folder or to any folder above it up to the root (a
/// test's paths are relative to its crate).
fn escaping(text: &str, dir: &Path, root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("../") {
        let start = rest[..i].rfind(|c: char| !(c.is_alphanumeric() || "._-/".contains(c))).map_or(0, |s| s + 1);
        let end = i + rest[i..].find(|c: char| !(c.is_alphanumeric() || "._-/".contains(c))).unwrap_or(rest.len() - i);
        let token = &rest[start..end];
        rest = &rest[end..];
        if token.starts_with('/') {
            continue;
        }
        let names_something = dir.ancestors().take_while(|d| d.starts_with(root)).any(|base| {
            let mut resolved = base.to_path_buf();
            for part in token.split('/') {
                match part {
                    ".." => {
                        if !resolved.pop() || !resolved.starts_with(root) {
                            return false;
                        }
                    }
                    "." | "" => {}
                    other => resolved.push(other),
                }
            }
            resolved.exists()
        });
        if !names_something {
            out.push(token.to_owned());
        }
    }
    out
}

/// The files tidy reads for paths: everything tracked by git.
fn tracked(root: &Path) -> Result<Vec<PathBuf>> {
    let out = Command::new("git").arg("-C").arg(root).args(["ls-files", "-z"]).output().context("running git")?;
    Ok(out
        .stdout
        .split(|&b| b == 0)
        .filter(|b| !b.is_empty())
        .map(|b| root.join(String::from_utf8_lossy(b).as_ref()))
        .collect())
}

pub(crate) fn check(root: &Path) -> Result<()> {
    let mut problems = Vec::new();
    let metadata = Command::new(crate::cargo())
        .args(["metadata", "--format-version", "1", "--no-deps", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .output()
        .context("running cargo metadata")?;
    if !metadata.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&metadata.stderr));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).context("reading cargo metadata")?;
    problems.extend(layering(&internal_edges(&metadata)));
    for entry in std::fs::read_dir(root.join("crates"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if rank(&name).is_none() {
            problems.push(format!("crates/{name} is not one of the layers {:?}", LAYERS.map(|l| l.0)));
        }
    }
    let mut sources = Vec::new();
    for dir in ["crates", "xtask/src", "benches/src", "benches/benches", "examples/examples"] {
        rust_files(&root.join(dir), &mut sources);
    }
    sources.retain(|p| !p.components().any(|c| c.as_os_str() == "tests"));
    for p in &sources {
        let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        let rel = p.strip_prefix(root).unwrap_or(p);
        if lacks_module_doc(&text) {
            problems.push(format!("{} must open with a //! doc comment saying what it is and is not", rel.display()));
        }
        let library = rel.starts_with("crates") && rel.components().any(|c| c.as_os_str() == "src");
        let lines = text.lines().count();
        if library && lines > MAX_LINES {
            problems.push(format!(
                "{} has {lines} lines, more than {MAX_LINES}: split it by concern, a file each",
                rel.display()
            ));
        }
    }
    for p in tracked(root)? {
        let Ok(text) = std::fs::read_to_string(&p) else { continue };
        let dir = p.parent().unwrap_or(root);
        for token in escaping(&text, dir, root) {
            let rel = p.strip_prefix(root).unwrap_or(&p);
            problems.push(format!("{} points outside the repository: {token}", rel.display()));
        }
    }
    if !problems.is_empty() {
        bail!("tidy found problems:\n  {}", problems.join("\n  "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_keeps_its_rules() {
        check(&crate::project_root()).unwrap();
    }

    #[test]
    fn upward_edges_missing_docs_and_escaping_paths_are_found() {
        let metadata = serde_json::json!({"packages": [
            {"name": "p2psim-net", "dependencies": [
                {"name": "p2psim-services", "kind": null, "rename": "services"},
                {"name": "p2psim", "kind": "dev"},
                {"name": "rand", "kind": null},
            ]},
        ]});
        let edges = internal_edges(&metadata);
        assert_eq!(edges, vec![("p2psim-net".to_owned(), "p2psim-services".to_owned())], "dev-dependencies are free");
        assert_eq!(layering(&edges).len(), 1);
        assert!(lacks_module_doc("use x;\n") && !lacks_module_doc("\n//! What it is.\n"));
        let root = crate::project_root();
        let crate_dir = root.join("crates/p2psim");
        // Built at run time, so that this file itself points nowhere.
        let up = |n: usize, rest: &str| format!("{}{rest}", "../".repeat(n));
        assert_eq!(
            escaping(&format!("include_str!({:?})", up(2, "README.md")), &crate_dir, &root),
            Vec::<String>::new()
        );
        let outside = up(3, "elsewhere/NOTES.md");
        assert_eq!(escaping(&format!("see {outside}"), &crate_dir, &root), vec![outside.clone()]);
        let above = up(1, "elsewhere/x.md");
        assert_eq!(escaping(&format!("[a]({above})"), &root, &root), vec![above.clone()]);
        let nothing = up(1, "nothing/x.md");
        assert_eq!(
            escaping(&format!("see {nothing}"), &crate_dir, &root),
            vec![nothing.clone()],
            "inside, but nothing there"
        );
        // A path relative to the crate, in a file of its tests, is fine.
        let tests = root.join("crates/p2psim-cli/tests");
        assert_eq!(escaping(&up(2, "examples/experiments/gossip.ron"), &tests, &root), Vec::<String>::new());
    }
}
