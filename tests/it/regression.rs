//! One test per data-loss or wrong-exit path found by hostile testing
//! (issue 10), each reproducing the path first: none of these may come back.

use std::fs;

use crate::common::{json_lines, seed_corpus, textdup};

/// `dedup --level all` used to count removed copies toward the passage
/// grain, so the kept copy's own passages were cut as "repeated" and it
/// was written at 14 bytes of its 4,273.
#[test]
fn level_all_never_cuts_a_kept_document_for_its_removed_copies() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a");
    fs::create_dir(&input).unwrap();
    let original = fs::read(seed_corpus().join("001_af054400539c3e20.txt")).unwrap();
    for i in 1..=3 {
        fs::write(input.join(format!("c{i}.txt")), &original).unwrap();
    }
    let out = dir.path().join("out");
    textdup()
        .args(["dedup", "-q", "--level", "all"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(fs::read(out.join("c1.txt")).unwrap(), original);
    assert!(!out.join("c2.txt").exists() && !out.join("c3.txt").exists());
    let removed = json_lines(&fs::read(dir.path().join("out.removed.jsonl")).unwrap());
    assert_eq!(removed.len(), 2, "two documents, no passages: {removed:?}");
    assert!(removed.iter().all(|r| r["level"] == "document"));
}

/// On a corpus where most documents are made of paragraphs found in
/// others, passage cleaning used to leave documents gutted. By default no
/// document loses more than half of its text; `--max-cut 1` lets it.
#[test]
fn level_all_keeps_mostly_repeated_documents_whole() {
    let dir = tempfile::tempdir().unwrap();
    let synth = dir.path().join("synth");
    textdup()
        .args(["synth", "--docs", "400", "--recombine", "--from"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"))
        .arg("-o")
        .arg(&synth)
        .assert()
        .success();
    let input = synth.join("corpus.jsonl");
    let texts = |path: &std::path::Path| -> std::collections::HashMap<String, String> {
        json_lines(&fs::read(path).unwrap())
            .into_iter()
            .map(|d| {
                (
                    d["id"].as_str().unwrap().to_string(),
                    d["text"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let before = texts(&input);
    // The share of its text each kept document lost, and the notes printed.
    let cleaned = |max_cut: &str| {
        let out = dir.path().join(format!("out-{max_cut}.jsonl"));
        let run = textdup()
            .args(["dedup", "--level", "all", "--max-cut", max_cut])
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
        let lost: Vec<f64> = texts(&out)
            .iter()
            .map(|(id, text)| 1.0 - text.len() as f64 / before[id].len() as f64)
            .collect();
        (lost, stderr)
    };

    let (lost, stderr) = cleaned("0.5");
    assert!(lost.len() > 200, "most documents are kept: {}", lost.len());
    // Spans are measured without their line endings: a little slack.
    let worst = lost.iter().cloned().fold(0.0, f64::max);
    assert!(worst < 0.55, "a document lost {worst:.2} of its text");
    assert!(lost.iter().any(|&l| l > 0.0), "some passages are still cut");
    assert!(stderr.contains("kept whole"), "{stderr}");

    let (lost, _) = cleaned("1");
    let gutted = lost.iter().filter(|&&l| l > 0.55).count();
    assert!(gutted > 0, "--max-cut 1 cuts regardless");
}
