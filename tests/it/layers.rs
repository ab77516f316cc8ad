//! The library's layering: a module imports only from layers below its
//! own, so the pipeline's data flow can be read bottom-up and no stage
//! reaches back into the code that drives it. (The layers are listed in
//! `src/core/mod.rs` and ARCHITECTURE.md; this test keeps them true.)

use std::collections::BTreeSet;
use std::path::Path;

/// From the bottom up. A module may use modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    &["core", "error"],
    &["normalize", "shingle", "fsutil", "records", "runs"],
    &["minhash", "lsh", "cluster"],
    &["verify", "passage", "read"],
    &["progress", "config", "synth"],
    &["stagefile", "report"],
    &["pipeline", "write", "eval"],
    &["index"],
    // Facades: re-exports that choose the public API, over everything.
    &["output", "staged", "bench"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level modules a source file names as `crate::NAME`, outside
/// comments.
fn uses(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_import_only_lower_layers() {
    let src = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut all = Vec::new();
    files(src, &mut all);
    let mut checked = 0;
    let mut wrong = Vec::new();
    for path in all {
        let relative = path.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_str().unwrap().trim_end_matches(".rs");
        // The crate root, the binary and the fuzz entry points sit above
        // every layer.
        if ["lib", "main", "cli", "fuzz"].contains(&module) {
            continue;
        }
        let own = layer(module).unwrap_or_else(|| {
            panic!("{module}: a new module must be given a layer in tests/it/layers.rs")
        });
        let source = std::fs::read_to_string(&path).unwrap();
        for used in uses(&source) {
            if used == module {
                continue;
            }
            match layer(&used) {
                Some(l) if l < own => {}
                _ => wrong.push(format!("{} uses crate::{used}", relative.display())),
            }
        }
        checked += 1;
    }
    assert!(checked > 20, "only {checked} files checked");
    assert!(
        wrong.is_empty(),
        "imports that go up or sideways:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_sees_imports_and_not_comments() {
    let source = "use crate::read::{Files, Skip};\n/// see [`x`](crate::pipeline::run)\nlet x = crate::core::DocId(1); // crate::write";
    let found: Vec<String> = uses(source).into_iter().collect();
    assert_eq!(found, ["core", "read"]);
}
