//! Repository rules, checked by `cargo xtask tidy` and by `cargo test`.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// The layers, lowest first. A crate may depend only on crates before it in this list.
pub(crate) const LAYERS: [&str; 6] =
    ["p2psim-kernel", "p2psim-net", "p2psim-services", "p2psim-disruption", "p2psim-analysis", "p2psim"];

/// Internal dependencies named in a manifest's `[dependencies]` table (not dev-dependencies).
fn internal_deps(manifest: &str) -> Vec<String> {
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && let Some((name, _)) = line.split_once(['.', '=']) {
            let name = name.trim();
            if LAYERS.contains(&name) {
                out.push(name.to_owned());
            }
        }
    }
    out
}

pub(crate) fn check(root: &Path) -> Result<()> {
    let mut problems = Vec::new();
    for (rank, name) in LAYERS.iter().enumerate() {
        let dir = root.join("crates").join(name);
        if !dir.exists() {
            continue;
        }
        let manifest =
            std::fs::read_to_string(dir.join("Cargo.toml")).with_context(|| format!("reading {name}'s manifest"))?;
        for dep in internal_deps(&manifest) {
            let dep_rank = LAYERS.iter().position(|l| *l == dep).expect("filtered to layers");
            if dep_rank >= rank {
                problems.push(format!("{name} depends on {dep}, which is not below it ({})", LAYERS.join(" <- ")));
            }
        }
        let lib =
            std::fs::read_to_string(dir.join("src/lib.rs")).with_context(|| format!("reading {name}'s lib.rs"))?;
        if !lib.trim_start().starts_with("//!") {
            problems.push(format!(
                "{name}/src/lib.rs must open with a //! doc comment saying what the crate is and is not"
            ));
        }
    }
    for entry in std::fs::read_dir(root.join("crates"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !LAYERS.contains(&name.as_str()) {
            problems.push(format!("crates/{name} is not one of the layers {LAYERS:?}"));
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
    fn layering_and_crate_docs_hold() {
        check(&crate::project_root()).unwrap();
    }

    #[test]
    fn an_upward_edge_is_found() {
        let manifest = "[package]\nname = \"x\"\n[dependencies]\np2psim-services.workspace = true\nrand = \"1\"\n[dev-dependencies]\np2psim = { path = \"..\" }\n";
        assert_eq!(internal_deps(manifest), vec!["p2psim-services".to_owned()]);
    }
}
