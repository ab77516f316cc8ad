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

/// The stderr lines of `output` that are warnings.
fn warnings(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("warning")).collect()
}

/// The ids of the members of the only document cluster in `stdout`.
fn cluster_ids(stdout: &[u8]) -> Vec<String> {
    let clusters = json_lines(stdout);
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    clusters[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_byte_order_mark_does_not_spoil_the_first_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let line = serde_json::json!({ "text": GOOD }).to_string();
    let with_bom = format!("\u{feff}{line}\n{line}\n");
    fs::write(dir.path().join("d.jsonl"), with_bom).unwrap();
    let out = textdup()
        .args(["scan", "--format", "json", "--progress", "never"])
        .arg(dir.path())
        .assert()
        .code(0);
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report["summary"]["skipped"], 0, "{}", report["summary"]);
    assert_eq!(report["summary"]["removed"], 1, "line 2 repeats line 1");
}

#[test]
fn a_nul_byte_costs_its_json_line_only() {
    let dir = tempfile::tempdir().unwrap();
    let good = |i: u32| serde_json::json!({ "text": format!("{GOOD} {i}") }).to_string();
    let lines = format!("{}\n{{\"text\": \"a\0b\"}}\n{}\n", good(1), good(2));
    fs::write(dir.path().join("d.jsonl"), lines).unwrap();
    let (summary, stderr) = scan_with_skips(dir.path());
    assert_eq!(summary["read"], 3, "{summary}");
    assert_eq!(
        summary["skipped_by_reason"]["malformed-json"], 1,
        "{summary}"
    );
    let warnings = warnings(&stderr);
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("d.jsonl:2: malformed JSON"),
        "{stderr}"
    );
}

#[test]
fn a_missing_input_is_fatal_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.jsonl");
    let output = dir.path().join("x.jsonl");
    let run = textdup()
        .args(["dedup", "-q"])
        .arg(&missing)
        .arg("-o")
        .arg(&output)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("error") && stderr.contains("nope.jsonl"),
        "{stderr}"
    );
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "outputs were made: {left:?}");

    // Beside a good input, too.
    fs::write(dir.path().join("good.txt"), GOOD).unwrap();
    let run = textdup()
        .args(["scan", "-q"])
        .arg(dir.path().join("good.txt"))
        .arg(&missing)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(stderr.contains("nope.jsonl"), "{stderr}");

    // Standard input is not a path.
    let line = serde_json::json!({ "text": GOOD }).to_string();
    textdup()
        .args(["scan", "-q", "-"])
        .write_stdin(format!("{line}\n{line}\n"))
        .assert()
        .code(0);
}

/// Object, array or bool ids used to fall back to FILE:LINE in silence.
/// They still do (the document is fine; its id field is not), with one
/// warning per file however many lines and passes read them.
#[test]
fn ids_that_cannot_name_a_document_warn_once_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let ids = [
        r#"{"url": "x"}"#, // 1: an object (the wrong --id-field, say)
        "[1, 2]",          // 2: an array
        "true",            // 3: a boolean
        "7",               // 4: numbers name documents
        r#""seven""#,      // 5: and so do strings
        "null",            // 6: no id: FILE:LINE
    ];
    let lines: String = ids
        .iter()
        .map(|id| format!("{{\"id\": {id}, \"text\": \"{GOOD}\"}}\n"))
        .collect();
    fs::write(dir.path().join("d.jsonl"), &lines).unwrap();
    fs::write(dir.path().join("e.jsonl"), &lines).unwrap();
    let out = textdup()
        .args(["scan", "--level", "all", "--progress", "never"])
        .arg(dir.path())
        .assert()
        .code(0);
    let output = out.get_output();
    let clusters = json_lines(&output.stdout);
    let members: Vec<&str> = clusters[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        &members[..6],
        [
            "d.jsonl:1",
            "d.jsonl:2",
            "d.jsonl:3",
            "7",
            "seven",
            "d.jsonl:6"
        ]
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warnings = warnings(&stderr);
    // One per file, and one for the ids both files give ("7", "seven").
    assert_eq!(warnings.len(), 3, "one per file, one for the run: {stderr}");
    assert!(
        warnings[0].ends_with(
            "d.jsonl: 3 lines with field \"id\" holding an object (first at line 1), not a string or a number; named FILE:LINE instead"
        ),
        "{stderr}"
    );
    assert!(warnings[1].contains("e.jsonl: 3 lines"), "{stderr}");
    assert!(
        warnings[2].contains("2 documents repeat an earlier document's id (the first: \"7\""),
        "{stderr}"
    );
}

#[test]
fn a_lone_surrogate_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let lines = format!(
        "{}\n{{\"text\": \"half an emoji \\ud83d here\"}}\n",
        serde_json::json!({ "text": GOOD })
    );
    fs::write(dir.path().join("d.jsonl"), lines).unwrap();
    let (summary, stderr) = scan_with_skips(dir.path());
    assert_eq!(
        summary["skipped_by_reason"]["malformed-json"], 1,
        "{summary}"
    );
    let want = r"d.jsonl:2: malformed JSON: invalid JSON string: lone surrogate \ud83d (not a character) at column 25";
    assert!(stderr.contains(want), "{stderr}");
}

#[test]
fn files_whose_names_differ_only_in_undecodable_bytes_keep_apart() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    for name in [&b"a\xfe.txt"[..], b"a\xff.txt"] {
        fs::write(dir.path().join(OsStr::from_bytes(name)), GOOD).unwrap();
    }
    let out = textdup()
        .args(["scan", "-q", "--level", "document"])
        .arg(dir.path())
        .assert()
        .code(0);
    assert_eq!(
        cluster_ids(&out.get_output().stdout),
        [r"a\xfe.txt", r"a\xff.txt"]
    );
}

#[test]
fn memory_sizes_are_parsed_exactly_or_refused_saying_why() {
    let refused = |size: &str| {
        let out = textdup()
            .args(["scan", "-q", &format!("--memory={size}")])
            .arg(crate::common::seed_corpus())
            .assert()
            .code(1);
        String::from_utf8_lossy(&out.get_output().stderr).into_owned()
    };
    let stderr = refused("4XB");
    for unit in [
        "K,", "KiB", "KB", "M,", "MiB", "MB", "G,", "GiB", "GB", "T,", "TiB", "TB",
    ] {
        assert!(
            stderr.contains(unit),
            "{unit} is accepted but not listed: {stderr}"
        );
    }
    assert!(refused("18446744073709551616").contains("too large"));
    for not_a_size in ["1e400G", ".", "1..2G", "-1G", "nan", "inf"] {
        let stderr = refused(not_a_size);
        assert!(stderr.contains("is not a size"), "{not_a_size}: {stderr}");
    }
    // Accepted units really are accepted.
    textdup()
        .args(["scan", "-q", "--memory", "1TiB"])
        .arg(crate::common::seed_corpus())
        .assert()
        .code(0);
}

/// A wrong `--text-field` makes every line of a file lack it: one warning
/// names the fields the line has, and one more counts the rest, instead
/// of a warning per line.
#[test]
fn a_missing_text_field_is_warned_about_once_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrong.jsonl");
    let lines: Vec<String> = (0..100)
        .map(|i| format!(r#"{{"id": {i}, "content": "document number {i}"}}"#))
        .collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = textdup()
        .args(["scan", "--level", "document"])
        .arg(&path)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(stderr.matches("no field \"text\"").count(), 2, "{stderr}");
    assert!(
        stderr.contains("wrong.jsonl:1: no field \"text\" (fields: content, id)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("wrong.jsonl: 99 more lines with no field \"text\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("100 read = 0 kept + 0 removed + 100 skipped"),
        "{stderr}"
    );
}

/// A crawl that fetched a URL twice gives two documents one id, and the
/// report, which names documents by id, cannot tell them apart: the run
/// says so once, naming the first repeat, and goes on (status 0).
#[test]
fn repeated_ids_are_named_in_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("crawl.jsonl");
    let line = |id: &str, text: &str| serde_json::json!({ "id": id, "text": text }).to_string();
    let lines = [
        line("https://a.example/1", GOOD),
        line("https://a.example/2", "a different story about the weather"),
        line("https://a.example/1", GOOD),
        line(
            "https://a.example/3",
            "nothing to do with the others at all",
        ),
        line("https://a.example/2", "a different story about the weather"),
    ];
    fs::write(&corpus, lines.join("\n") + "\n").unwrap();
    let run = textdup()
        .args(["scan", "-q", "--level", "document"])
        .arg(&corpus)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert_eq!(stderr.matches("warning").count(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "2 documents repeat an earlier document's id (the first: \"https://a.example/1\", document 3 of the input)"
        ),
        "{stderr}"
    );
    assert_eq!(
        json_lines(&run.get_output().stdout).len(),
        2,
        "two clusters of exact copies"
    );

    // Unique ids: nothing to say.
    fs::write(&corpus, lines[..2].join("\n") + "\n").unwrap();
    let run = textdup()
        .args(["scan", "-q"])
        .arg(&corpus)
        .assert()
        .success();
    assert!(run.get_output().stderr.is_empty());
}
