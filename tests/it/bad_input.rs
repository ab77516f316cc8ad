use std::fs;
use std::path::Path;

use crate::common::{json_lines, textdup};

const GOOD: &str =
    "the special monitoring mission reported a quiet night along the whole contact line";

/// Runs `scan --format json` on `dir`, expecting status 2, and returns the
/// summary and stderr.
fn scan_with_skips(dir: &Path) -> (serde_json::Value, String) {
    let out = textdup()
        .args(["scan", "--format", "json", "--progress", "never"])
        .arg(dir)
        .assert()
        .code(2);
    let output = out.get_output();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let summary = report["summary"].clone();
    // The invariant of every run.
    let n = |k: &str| summary[k].as_u64().unwrap();
    assert_eq!(
        n("read"),
        n("kept") + n("removed") + n("skipped"),
        "{summary}"
    );
    (
        summary,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn each_bad_file_is_skipped_with_one_warning_naming_it() {
    // (file name, contents, expected warning text)
    let cases: &[(&str, &[u8], &str)] = &[
        ("binary.txt", b"abc\x00def", "binary.txt: binary file"),
        (
            "latin1.txt",
            b"caf\xe9 au lait",
            "latin1.txt: invalid UTF-8 at byte 3",
        ),
        ("empty.txt", b"", "empty.txt: empty document"),
        ("blank.txt", b"  \n\t\n", "blank.txt: empty document"),
        (
            "corrupt.txt.gz",
            b"\x1f\x8b\x08\x00garbage-not-deflate",
            "corrupt.txt.gz: corrupt compressed data",
        ),
        (
            "corrupt.jsonl.zst",
            b"\x28\xb5\x2f\xfd\x00\x00garbage",
            "corrupt.jsonl.zst",
        ),
    ];
    for &(name, contents, warning) in cases {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("good.txt"), GOOD).unwrap();
        fs::write(dir.path().join(name), contents).unwrap();
        let (summary, stderr) = scan_with_skips(dir.path());
        assert_eq!(summary["skipped"], 1, "{name}: {summary}");
        assert_eq!(summary["kept"], 1, "{name}: the good file is still read");
        let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
        assert_eq!(warnings.len(), 1, "{name}: {stderr}");
        assert!(warnings[0].contains(warning), "{name}: {}", warnings[0]);
    }
}

#[test]
fn each_bad_json_line_is_skipped_with_its_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let good = serde_json::json!({"text": GOOD}).to_string();
    let lines = [
        good.as_str(),                  // 1
        r#"{"text": "unterminated"#,    // 2: malformed
        r#"{"body": "no text field"}"#, // 3: missing field
        r#"{"text": 42}"#,              // 4: not a string
        r#"{"text": ""}"#,              // 5: empty
        r#"["an", "array"]"#,           // 6: not an object
        "",                             // 7: blank, not a document
        good.as_str(),                  // 8
    ];
    let mut bytes = lines.join("\n").into_bytes();
    bytes.extend_from_slice(b"\n{\"text\": \"bad \xff byte\"}\n"); // 9: invalid UTF-8
    fs::write(dir.path().join("d.jsonl"), bytes).unwrap();

    let (summary, stderr) = scan_with_skips(dir.path());
    assert_eq!(summary["skipped"], 6, "{summary}");
    assert_eq!(summary["kept"], 1);
    assert_eq!(summary["removed"], 1, "lines 1 and 8 are duplicates");
    for expected in [
        "d.jsonl:2: malformed JSON",
        "d.jsonl:3: no field \"text\"",
        "d.jsonl:4: field \"text\" is a number, not a string",
        "d.jsonl:5: empty document",
        "d.jsonl:6: malformed JSON",
        "d.jsonl:9: invalid UTF-8 at byte 14",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in {stderr}"
        );
    }
    let skipped = &summary["skipped_by_reason"];
    assert_eq!(skipped["malformed-json"], 2);
    assert_eq!(skipped["missing-field"], 1);
    assert_eq!(skipped["not-a-string"], 1);
    assert_eq!(skipped["invalid-utf8"], 1);
}

#[test]
fn unreadable_inputs_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("good.txt"), GOOD).unwrap();
    // A dangling link cannot be opened, even by root (CI runs as root, so
    // permission bits would not do).
    std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("dangling.txt"))
        .unwrap();
    let (summary, stderr) = scan_with_skips(dir.path());
    assert_eq!(summary["skipped_by_reason"]["unreadable"], 1);
    assert!(stderr.contains("dangling.txt: cannot read"), "{stderr}");

    // A missing path on the command line, beside a good one.
    let out = textdup()
        .args(["scan", "-q"])
        .arg(dir.path().join("good.txt"))
        .arg(dir.path().join("missing.txt"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("missing.txt: cannot read"), "{stderr}");
}

#[test]
fn truncated_gzip_keeps_the_lines_before_the_damage() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..200 {
        writeln!(
            enc,
            "{}",
            serde_json::json!({"id": i, "text": format!("{GOOD} number {i}")})
        )
        .unwrap();
    }
    let full = enc.finish().unwrap();
    fs::write(dir.path().join("t.jsonl.gz"), &full[..full.len() - 20]).unwrap();
    let (summary, stderr) = scan_with_skips(dir.path());
    assert_eq!(summary["skipped_by_reason"]["corrupt"], 1, "{summary}");
    assert!(summary["read"].as_u64().unwrap() > 100, "{summary}");
    assert!(stderr.contains("t.jsonl.gz:"), "{stderr}");
}

#[test]
fn skipped_documents_do_not_make_clusters() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), GOOD).unwrap();
    fs::write(dir.path().join("b.txt"), format!("{GOOD}\x00")).unwrap();
    let out = textdup()
        .args(["scan", "-q", "--level", "document"])
        .arg(dir.path())
        .assert()
        .code(2);
    assert!(json_lines(&out.get_output().stdout).is_empty());
}

#[test]
fn links_to_folders_and_pipes_are_skipped_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    fs::write(input.join("good.txt"), GOOD).unwrap();
    // A link back up would loop forever if followed.
    std::os::unix::fs::symlink(&input, input.join("loop")).unwrap();
    let fifo = input.join("pipe.txt");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());

    let (summary, stderr) = scan_with_skips(&input);
    assert_eq!(summary["kept"], 1);
    assert_eq!(summary["skipped"], 2, "{summary}");
    assert!(
        stderr.contains("loop: cannot read: a link to a folder (not followed)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("pipe.txt: cannot read: not a regular file"),
        "{stderr}"
    );
}

#[test]
fn dedup_copies_what_it_can_and_warns_about_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    fs::write(input.join("a.txt"), GOOD).unwrap();
    fs::write(input.join("b.txt"), GOOD).unwrap();
    std::os::unix::fs::symlink(dir.path().join("nowhere"), input.join("dangling.txt")).unwrap();
    let out = dir.path().join("out");
    let run = textdup()
        .args(["dedup", "-q"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(stderr.contains("dangling.txt: cannot read"), "{stderr}");
    assert!(out.join("a.txt").exists());
    assert!(!out.join("b.txt").exists(), "b duplicates a");
    assert!(!out.join("dangling.txt").exists());
    let removed = json_lines(&fs::read(dir.path().join("out.removed.jsonl")).unwrap());
    assert_eq!(removed.len(), 1);
}
