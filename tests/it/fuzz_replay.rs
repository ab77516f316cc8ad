//! Replays the committed fuzz inputs on stable Rust: every file under
//! `fuzz/corpus/<target>/` (the minimized corpus) and
//! `fuzz/regressions/<target>/` (inputs that once crashed, each fixed)
//! goes through the same `textdup::fuzz` entry point its fuzz target
//! calls, so a regression fails `cargo test` without nightly or
//! cargo-fuzz. Fuzzing itself: `cargo +nightly fuzz run <target>` (see
//! the README).

use std::fs;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files in `dir`, sorted; none if it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable folder").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every committed input of `target` through `entry`, naming the
/// file of the first that fails.
fn replay(target: &str, entry: fn(&[u8])) {
    let corpus = inputs(&fuzz_dir().join("corpus").join(target));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target}/ is empty: a replay of nothing passes"
    );
    let regressions = inputs(&fuzz_dir().join("regressions").join(target));
    for path in corpus.iter().chain(&regressions) {
        let data = fs::read(path).expect("a readable input");
        // The entry point's own message says what broke; this says where.
        let outcome = std::panic::catch_unwind(|| entry(&data));
        assert!(outcome.is_ok(), "{} fails", path.display());
    }
}

#[test]
fn jsonl() {
    replay("jsonl", textdup::fuzz::jsonl);
}

#[test]
fn decode() {
    replay("decode", textdup::fuzz::decode);
}

#[test]
fn normalize() {
    replay("normalize", textdup::fuzz::normalize);
}

#[test]
fn passages() {
    replay("passages", textdup::fuzz::passages);
}

#[test]
fn stage_file() {
    replay("stage_file", textdup::fuzz::stage_file);
}

#[test]
fn size() {
    replay("size", textdup::fuzz::size);
}

#[test]
fn warc() {
    replay("warc", textdup::fuzz::warc);
}

#[test]
fn json_array() {
    replay("json_array", textdup::fuzz::json_array);
}

/// A fuzz target added without a replay above would be fuzzed once and
/// never checked again.
#[test]
fn every_fuzz_target_is_replayed() {
    let mut targets: Vec<String> = inputs(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
        .collect();
    targets.sort();
    let replayed = [
        "decode",
        "json_array",
        "jsonl",
        "normalize",
        "passages",
        "size",
        "stage_file",
        "warc",
    ];
    assert_eq!(targets, replayed);
}
