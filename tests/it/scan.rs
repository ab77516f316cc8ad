use std::fs;
use std::path::Path;

use crate::common::{json_lines, seed_corpus, textdup};

/// Runs `scan -q --level document` on `path` and returns its cluster lines.
fn scan_documents(path: &Path) -> Vec<serde_json::Value> {
    let out = textdup()
        .args(["scan", "-q", "--level", "document"])
        .arg(path)
        .assert()
        .success();
    json_lines(&out.get_output().stdout)
}

#[test]
fn seed_articles_are_not_near_duplicates_of_each_other() {
    let out = textdup()
        .args(["scan", "--level", "document", "--progress", "never"])
        .arg(seed_corpus())
        .assert()
        .success();
    let output = out.get_output();
    assert!(
        output.stdout.is_empty(),
        "no clusters expected: {:?}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("4 read = 4 kept + 0 removed + 0 skipped; 0 clusters"),
        "{stderr}"
    );
}

#[test]
fn an_edited_copy_with_boilerplate_joins_its_original() {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(seed_corpus()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "txt") {
            fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let original = fs::read_to_string(seed_corpus().join("001_af054400539c3e20.txt")).unwrap();
    let copy = original
        .replacen("Russia", "Moscow", 1)
        .replacen("security", "safety", 1)
        + "\nSubscribe to our newsletter for more news.\n";
    fs::write(dir.path().join("zz_copy.txt"), copy).unwrap();

    let clusters = scan_documents(dir.path());
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    let cluster = &clusters[0];
    assert_eq!(cluster["version"], 1);
    assert_eq!(cluster["level"], "document");
    assert_eq!(cluster["size"], 2);
    let members = cluster["members"].as_array().unwrap();
    assert_eq!(members[0]["id"], "001_af054400539c3e20.txt");
    assert_eq!(members[0]["kept"], true);
    assert_eq!(members[0]["similarity"], 1.0);
    assert_eq!(members[1]["id"], "zz_copy.txt");
    assert_eq!(members[1]["kept"], false);
    let similarity = members[1]["similarity"].as_f64().unwrap();
    assert!((0.8..1.0).contains(&similarity), "{similarity}");
}

#[test]
fn json_format_carries_summary_and_parameters() {
    let out = textdup()
        .args(["scan", "-q", "--format", "json"])
        .arg(seed_corpus())
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report["version"], 1);
    let summary = &report["summary"];
    assert_eq!(summary["read"], 4, "three articles and corpus/README.md");
    assert_eq!(summary["kept"], 4);
    let params = &summary["parameters"];
    assert_eq!(params["bands"], 18);
    assert_eq!(params["rows"], 6);
    assert_eq!(params["num_perm"], 128);
    assert_eq!(
        params["normalization"],
        "nfkc,lowercase,hyphens,punctuation,whitespace"
    );
    assert_eq!(params["candidate_probability"].as_array().unwrap().len(), 4);
    assert_eq!(report["clusters"].as_array().unwrap().len(), 0);
}

#[test]
fn jsonl_input_from_stdin_with_ids() {
    let base = "the monitoring mission reported shelling near the contact line on tuesday evening";
    let input = format!(
        "{}\n{}\n{}\n",
        serde_json::json!({"id": "a", "text": base}),
        serde_json::json!({"id": "b", "text": format!("{base}.")}),
        serde_json::json!({"text": "a completely unrelated sentence about football results"}),
    );
    let out = textdup()
        .args(["scan", "-q", "--level", "document", "-"])
        .write_stdin(input)
        .assert()
        .success();
    let clusters = json_lines(&out.get_output().stdout);
    assert_eq!(clusters.len(), 1);
    let ids: Vec<&str> = clusters[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn ids_default_to_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = "one two three four five six seven eight nine ten";
    fs::write(
        dir.path().join("d.jsonl"),
        format!(
            "{}\n\n{}\n",
            serde_json::json!({"text": text}),
            serde_json::json!({"text": text})
        ),
    )
    .unwrap();
    let clusters = scan_documents(dir.path());
    assert_eq!(clusters[0]["members"][0]["id"], "d.jsonl:1");
    assert_eq!(clusters[0]["members"][1]["id"], "d.jsonl:3");
}

#[test]
fn compressed_inputs_read_like_plain_ones() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let text = "alpha beta gamma delta epsilon zeta eta theta iota kappa";
    let line = format!("{}\n", serde_json::json!({"text": text}));
    // Two gzip members back to back: a multi-member stream.
    let mut gz = Vec::new();
    for _ in 0..2 {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(line.as_bytes()).unwrap();
        gz.extend(enc.finish().unwrap());
    }
    fs::write(dir.path().join("a.jsonl.gz"), gz).unwrap();
    fs::write(
        dir.path().join("b.txt.zst"),
        zstd::encode_all(text.as_bytes(), 3).unwrap(),
    )
    .unwrap();
    let clusters = scan_documents(dir.path());
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0]["size"], 3);
    assert_eq!(clusters[0]["members"][2]["id"], "b.txt.zst");
}

#[test]
fn help_explains_the_commands() {
    let out = textdup().arg("--help").assert().success();
    let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for word in ["scan", "dedup", "Exit status"] {
        assert!(help.contains(word), "{word} missing from --help");
    }
}

#[test]
fn bad_arguments_fail_with_status_1() {
    for (args, message) in [
        (
            &["--threshold", "1.5"][..],
            "threshold must be in (0, 1], got 1.5 (--threshold)",
        ),
        (
            &["--bands", "30", "--rows", "5"][..],
            "exceeds num_perm 128 (--bands, --rows)",
        ),
        (&["--min-span", "1"][..], "(--min-span)"),
        (
            &["--normalize", "lowercse"][..],
            "unknown normalization step",
        ),
    ] {
        let out = textdup()
            .arg("scan")
            .args(args)
            .arg(seed_corpus())
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

/// `--progress always` where stderr is not a terminal (a Slurm or nohup
/// log) prints plain progress lines, with whole rates, instead of nothing.
#[test]
fn progress_lines_when_stderr_is_not_a_terminal() {
    let out = textdup()
        .args([
            "scan",
            "--level",
            "document",
            "--progress",
            "always",
            "--progress-every",
            "0",
        ])
        .arg(seed_corpus())
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("textdup: sketching: "))
        .collect();
    assert!(!lines.is_empty(), "{stderr}");
    for line in lines {
        let rate = line
            .split('(')
            .nth(1)
            .and_then(|r| r.split("/s").next())
            .unwrap();
        assert!(
            rate.chars().all(|c| c.is_ascii_digit() || c == ','),
            "{line}"
        );
    }
    // Not asked for, none.
    let out = textdup()
        .args(["scan", "--level", "document"])
        .arg(seed_corpus())
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!stderr.contains("textdup: sketching"), "{stderr}");
}
