use std::fs;
use std::io::Read;

use crate::common::{json_lines, planted_corpus, seed_corpus, textdup, write_jsonl};

const BASE: &str = "the european union member states wrote to moscow on wednesday to invite the russian government to take its security concerns to the organisation";

#[test]
fn jsonl_in_jsonl_out_with_every_field_and_byte_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let lines = [
        format!(r#"{{"id": "a", "text": "{BASE}", "url": "http://x/a", "meta": {{"n": 1}}}}"#),
        format!(r#"{{"text":"{BASE} today","id":"b","url":"http://x/b"}}"#),
        r#"{"id": "c", "text": "an unrelated article about the weather in spring"}"#.to_string(),
        r#"not json at all"#.to_string(),
    ];
    fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("out.jsonl");

    textdup()
        .args(["dedup", "-q"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);

    let cleaned = fs::read_to_string(&out).unwrap();
    // b is removed; the skipped line is carried over: only duplicates go.
    assert_eq!(
        cleaned,
        format!("{}\n{}\n{}\n", lines[0], lines[2], lines[3])
    );
    let removed = json_lines(&fs::read(dir.path().join("out.jsonl.removed.jsonl")).unwrap());
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["id"], "b");
    assert_eq!(removed[0]["kept"], "a");
    assert!(removed[0]["similarity"].as_f64().unwrap() >= 0.8);
    // The input is untouched.
    assert_eq!(fs::read_to_string(&input).unwrap(), lines.join("\n") + "\n");
}

#[test]
fn folder_in_mirrored_folder_out() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir_all(input.join("sub")).unwrap();
    fs::write(input.join("a.txt"), BASE).unwrap();
    fs::write(input.join("sub/b.txt"), format!("{BASE}!\n")).unwrap();
    fs::write(
        input.join("sub/c.txt"),
        "something else entirely, about football",
    )
    .unwrap();
    let out = dir.path().join("out");
    let clusters = dir.path().join("clusters.jsonl");

    textdup()
        .args(["dedup", "-q", "--keep", "longest", "--clusters"])
        .arg(&clusters)
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();

    assert!(
        !out.join("a.txt").exists(),
        "the shorter copy is removed with --keep longest"
    );
    assert_eq!(
        fs::read_to_string(out.join("sub/b.txt")).unwrap(),
        format!("{BASE}!\n")
    );
    assert!(out.join("sub/c.txt").exists());
    let clusters = json_lines(&fs::read(&clusters).unwrap());
    assert_eq!(clusters[0]["members"][1]["id"], "sub/b.txt");
    assert_eq!(clusters[0]["members"][1]["kept"], true);
}

#[test]
fn compressed_jsonl_keeps_its_compression() {
    let dir = tempfile::tempdir().unwrap();
    let docs = planted_corpus(7, 20, 2, 0.05);
    let plain = dir.path().join("p.jsonl");
    write_jsonl(&plain, &docs);
    let zst = dir.path().join("c.jsonl.zst");
    fs::write(
        &zst,
        zstd::encode_all(&fs::read(&plain).unwrap()[..], 3).unwrap(),
    )
    .unwrap();

    let out_plain = dir.path().join("out.jsonl");
    let out_zst = dir.path().join("out.jsonl.zst");
    textdup()
        .args(["dedup", "-q"])
        .arg(&plain)
        .arg("-o")
        .arg(&out_plain)
        .assert()
        .success();
    textdup()
        .args(["dedup", "-q"])
        .arg(&zst)
        .arg("-o")
        .arg(&out_zst)
        .assert()
        .success();

    let mut decoded = String::new();
    zstd::stream::read::Decoder::new(fs::File::open(&out_zst).unwrap())
        .unwrap()
        .read_to_string(&mut decoded)
        .unwrap();
    let plain_out = fs::read_to_string(&out_plain).unwrap();
    assert_eq!(decoded, plain_out);
    assert!(
        plain_out.lines().count() < docs.len(),
        "some copies were removed"
    );
}

#[test]
fn outputs_are_never_clobbered() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("keep-me"), "precious").unwrap();

    let refused = textdup()
        .args(["dedup", "-q"])
        .arg(seed_corpus())
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(out.join("keep-me")).unwrap(), "precious");

    // An output inside the input, or equal to it, is refused even with --force.
    for bad in [seed_corpus().join("out"), seed_corpus().to_path_buf()] {
        let refused = textdup()
            .args(["dedup", "-q", "--force"])
            .arg(seed_corpus())
            .arg("-o")
            .arg(&bad)
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
        assert!(stderr.contains("overlaps the input"), "{stderr}");
    }
    assert!(!seed_corpus().join("out").exists());

    textdup()
        .args(["dedup", "-q", "--force"])
        .arg(seed_corpus())
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert!(
        !out.join("keep-me").exists(),
        "--force replaces the old output"
    );
    assert_eq!(
        fs::read_dir(&out).unwrap().count(),
        4,
        "three articles and corpus/README.md"
    );
    // No temporary debris beside the output.
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains("textdup-tmp")),
        "{names:?}"
    );
}

#[test]
fn exact_duplicates_are_removed_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let docs: Vec<(String, String)> = (0..5)
        .map(|i| {
            (
                format!("d{i}"),
                if i % 2 == 0 {
                    BASE.to_string()
                } else {
                    BASE.to_uppercase()
                },
            )
        })
        .collect();
    let input = dir.path().join("in.jsonl");
    write_jsonl(&input, &docs);
    let out = textdup()
        .args(["dedup", "--format", "json", "--progress", "never"])
        .arg(&input)
        .arg("-o")
        .arg(dir.path().join("out.jsonl"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("5 read = 1 kept + 4 removed + 0 skipped; 1 cluster\n"),
        "{stderr}"
    );
    assert!(stderr.contains("4 exact duplicates"), "{stderr}");
    assert_eq!(
        fs::read_to_string(dir.path().join("out.jsonl"))
            .unwrap()
            .lines()
            .count(),
        1
    );
}
