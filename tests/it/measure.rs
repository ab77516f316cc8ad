use std::fs;
use std::path::Path;

use crate::common::textdup;

fn devils_dictionary() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/devils-dictionary.txt"
    ))
}

fn synth(out: &Path, seed: &str) {
    textdup()
        .args([
            "synth", "--docs", "250", "--words", "30-120", "--share", "0.6", "--seed", seed,
            "--from",
        ])
        .arg(devils_dictionary())
        .arg("-o")
        .arg(out)
        .assert()
        .success();
}

#[test]
fn synth_is_deterministic_and_eval_scores_a_scan() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    synth(&a, "5");
    synth(&b, "5");
    synth(&c, "6");
    for file in ["corpus.jsonl", "truth.jsonl"] {
        assert_eq!(
            fs::read(a.join(file)).unwrap(),
            fs::read(b.join(file)).unwrap(),
            "{file}"
        );
        assert_ne!(
            fs::read(a.join(file)).unwrap(),
            fs::read(c.join(file)).unwrap(),
            "{file}"
        );
    }
    let corpus = fs::read_to_string(a.join("corpus.jsonl")).unwrap();
    assert_eq!(corpus.lines().count(), 250);
    // Every truth id is exact as a JSON number anywhere (below 2^53).
    let truth = fs::read_to_string(a.join("truth.jsonl")).unwrap();
    for line in truth.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(row["cluster"].as_u64().unwrap() < 1 << 53, "{line}");
    }

    let pred = dir.path().join("pred.jsonl");
    textdup()
        .args(["scan", "-q", "--clusters"])
        .arg(&pred)
        .arg(a.join("corpus.jsonl"))
        .assert()
        .success();
    let out = textdup()
        .args(["eval", "--json", "--truth"])
        .arg(a.join("truth.jsonl"))
        .arg("--pred")
        .arg(&pred)
        .assert()
        .success();
    let scores: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(scores["version"], 1);
    assert_eq!(scores["documents"], 250);
    assert!(scores["true_pairs"].as_u64().unwrap() > 50, "{scores}");
    // The truth follows the same threshold: textdup should be near perfect.
    assert!(scores["f1"].as_f64().unwrap() > 0.98, "{scores}");
    assert!(
        scores["breakdown"]["kind"].as_array().unwrap().len() >= 7,
        "{scores}"
    );

    // A whole `--format json` report is a prediction too, scored the same.
    let report = dir.path().join("run.json");
    let scan = textdup()
        .args(["scan", "-q", "--format", "json"])
        .arg(a.join("corpus.jsonl"))
        .assert()
        .success();
    fs::write(&report, &scan.get_output().stdout).unwrap();
    let out = textdup()
        .args(["eval", "--json", "--truth"])
        .arg(a.join("truth.jsonl"))
        .arg("--pred")
        .arg(&report)
        .assert()
        .success();
    let from_report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(from_report, scores);

    // The text form names every figure.
    let out = textdup()
        .args(["eval", "--truth"])
        .arg(a.join("truth.jsonl"))
        .arg("--pred")
        .arg(&pred)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for label in [
        "pairwise precision",
        "pairwise recall",
        "adjusted Rand index",
        "B-cubed recall",
        "recall by kind",
    ] {
        assert!(text.contains(label), "{label} missing: {text}");
    }
}

#[test]
fn eval_names_ids_that_do_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let truth = dir.path().join("truth.jsonl");
    let pred = dir.path().join("pred.jsonl");
    fs::write(
        &truth,
        "{\"id\":\"a\",\"cluster\":1}\n{\"id\":\"b\",\"cluster\":1}\n",
    )
    .unwrap();
    fs::write(
        &pred,
        "{\"id\":\"a\",\"cluster\":1}\n{\"id\":\"q\",\"cluster\":1}\n",
    )
    .unwrap();
    let out = textdup()
        .args(["eval", "--truth"])
        .arg(&truth)
        .arg("--pred")
        .arg(&pred)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("\"b\"") && stderr.contains("\"q\""),
        "{stderr}"
    );
}

#[test]
fn synth_refuses_to_run_dry() {
    let dir = tempfile::tempdir().unwrap();
    let out = textdup()
        .args(["synth", "--docs", "100000", "--from"])
        .arg(devils_dictionary())
        .arg("-o")
        .arg(dir.path().join("big"))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("ran out of text"), "{stderr}");
    assert!(
        stderr.contains("or recombine used paragraphs (--from, --docs, --recombine)"),
        "{stderr}"
    );
    assert!(!dir.path().join("big").exists(), "no partial output");

    // What gave no text is named; --recombine is not suggested when given.
    let input = dir.path().join("input");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(input.join("picture.png"), b"\x89PNG\x00\x00binary").unwrap();
    let out = textdup()
        .args(["synth", "--docs", "10", "--recombine", "--from"])
        .arg(&input)
        .arg("-o")
        .arg(dir.path().join("none"))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("none from picture.png [binary file"),
        "{stderr}"
    );
    assert!(!stderr.contains("recombine"), "{stderr}");
}

/// The passage benchmark end to end: `synth --passages` plants repeats
/// with their spans, `scan` finds them, `eval --passages` scores them.
/// Headlines printed twice, captions and boilerplate are all found, and
/// nothing unplanted is paired; edited copies of paragraphs, joined by
/// edit similarity or by the spans they share, nearly all.
#[test]
fn the_passage_benchmark_scores_a_scan_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("bench");
    textdup()
        .args(["synth", "--passages", "--docs", "250", "--from"])
        .arg(devils_dictionary())
        .arg("-o")
        .arg(&bench)
        .assert()
        .success();
    let clusters = dir.path().join("clusters.jsonl");
    textdup()
        .args(["scan", "-q", "--level", "passage", "--clusters"])
        .arg(&clusters)
        .arg(bench.join("corpus.jsonl"))
        .assert()
        .success();
    let out = textdup()
        .args(["eval", "--passages", "--json", "--truth"])
        .arg(bench.join("passages.jsonl"))
        .arg("--pred")
        .arg(&clusters)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scores: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(scores["precision"].as_f64().unwrap() >= 0.98, "{scores}");
    assert_eq!(scores["unplanted_members"], 0, "{scores}");
    let kinds = scores["kinds"].as_array().unwrap();
    let recall = |kind: &str| {
        let k = kinds
            .iter()
            .find(|k| k["kind"] == kind)
            .unwrap_or_else(|| panic!("{kind} planted"));
        k["recall"].as_f64().unwrap()
    };
    for kind in ["doubled", "caption", "doubled+caption", "boilerplate"] {
        assert_eq!(recall(kind), 1.0, "{kind}: {scores}");
    }
    // The target of #14: every kind at 0.98 or better (copies with a few
    // words changed were at 0.96 before word-pair sketches and span
    // matches at seven words in ten).
    assert!(recall("copy") >= 0.98, "{scores}");

    // --recombine would reuse paragraphs the truth does not know of.
    let refused = textdup()
        .args(["synth", "--passages", "--recombine", "--from"])
        .arg(devils_dictionary())
        .arg("-o")
        .arg(dir.path().join("no"))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--recombine does not apply"));
}

/// The JSON summary says where the time went: each stage the run went
/// through once, in order, and no more time in them than the run took.
#[test]
fn the_summary_times_each_stage() {
    let stages = |level: &str| {
        let out = textdup()
            .args(["scan", "-q", "--format", "json", "--level", level])
            .arg(crate::common::seed_corpus())
            .assert()
            .success();
        let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        let summary = &report["summary"];
        let stages = summary["stages"].as_array().unwrap().clone();
        let staged: f64 = stages.iter().map(|s| s["seconds"].as_f64().unwrap()).sum();
        assert!(staged <= summary["seconds"].as_f64().unwrap(), "{summary}");
        stages
            .iter()
            .map(|s| s["stage"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(stages("document"), ["sketching", "finding candidates"]);
    assert_eq!(
        stages("all"),
        [
            "sketching",
            "finding candidates",
            "sketching passages",
            "finding spans",
            "grouping passages",
            "collecting texts"
        ]
    );
}
