use std::path::Path;

use assert_cmd::Command;

/// The `textdup` binary under test.
pub fn textdup() -> Command {
    Command::cargo_bin("textdup").expect("the binary is built by cargo test")
}

/// The project's seed corpus.
pub fn seed_corpus() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"))
}

#[path = "../support/planted.rs"]
mod planted;
pub use planted::planted_corpus;

/// Writes `docs` as JSON Lines to `path`.
pub fn write_jsonl(path: &Path, docs: &[(String, String)]) {
    let mut out = String::new();
    for (id, text) in docs {
        out += &serde_json::json!({ "id": id, "text": text }).to_string();
        out.push('\n');
    }
    std::fs::write(path, out).expect("temporary folder is writable");
}

/// Parses JSON Lines output.
pub fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    std::str::from_utf8(bytes)
        .expect("output is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}
