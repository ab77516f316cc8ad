//! The README's examples, run as written: every command line of its `sh`
//! and `console` blocks runs in a scratch folder that holds the files the
//! examples name (`corpus/`, `articles/`, `crawl.jsonl.gz`, `data/`, …),
//! each block in a fresh copy, and must succeed. Where a `console` block
//! shows output, the output must be what the command prints (the timing
//! line aside).
//!
//! Left out, by their first word: the developer commands (`cargo`,
//! `scripts/`, `.ci/`, `benches/`, `pip`), which the CI runs itself, and
//! `/usr/bin/time`, whose example needs the ten-million-document corpus of
//! `benches/scale/run.sh`. A `console` block's `cargo run --release --` is
//! the `textdup` binary under test.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::seed_corpus;

const LEFT_OUT: &[&str] = &[
    "cargo",
    "scripts/",
    ".ci/",
    "benches/",
    "pip",
    "/usr/bin/time",
    // The scheduler scripts need Slurm or Kubernetes: tests/it/deploy.rs
    // runs them on stand-ins instead.
    "INPUT=",
    "SHARDS=",
];

/// One command line of a block, and the output a `console` block shows
/// for it (`None` for an `sh` block).
struct Example {
    line: String,
    output: Option<String>,
}

fn blocks(readme: &str) -> Vec<Vec<Example>> {
    let mut blocks = Vec::new();
    let mut rest = readme;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("```") else { break };
        let (kind, body) = after[..end].split_once('\n').unwrap_or(("", ""));
        rest = &after[end + 3..];
        match kind.trim() {
            "sh" => blocks.push(sh_block(body)),
            "console" => blocks.push(console_block(body)),
            _ => {}
        }
    }
    blocks
}

fn sh_block(body: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut pending = String::new();
    for line in body.lines() {
        // A trailing backslash continues the line; a `#` comment ends it.
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(line);
        let command = std::mem::take(&mut pending);
        let command = match command.find("  #") {
            Some(at) => command[..at].to_string(),
            None => command,
        };
        if !command.trim().is_empty() {
            examples.push(Example {
                line: command.trim().to_string(),
                output: None,
            });
        }
    }
    examples
}

fn console_block(body: &str) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    for line in body.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            let command = command.replace("cargo run --release --", "textdup");
            examples.push(Example {
                line: command,
                output: Some(String::new()),
            });
        } else if let Some(last) = examples.last_mut() {
            let output = last.output.get_or_insert_with(String::new);
            output.push_str(line);
            output.push('\n');
        }
    }
    examples
}

/// The files the examples name, made once: the seed corpus, a folder of
/// articles with an edited copy, a crawl in JSON Lines (plain, gzip,
/// zstd, in parts, and as C4 names its shards) and a data folder.
fn fixtures(dir: &Path) {
    let copy = |from: &Path, to: &Path| {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    };
    copy(seed_corpus(), &dir.join("corpus"));
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    fs::create_dir_all(dir.join("tests/data")).unwrap();
    fs::copy(
        data.join("devils-dictionary.txt"),
        dir.join("tests/data/devils-dictionary.txt"),
    )
    .unwrap();

    let articles = dir.join("articles");
    fs::create_dir(&articles).unwrap();
    for entry in fs::read_dir(seed_corpus()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "txt") {
            fs::copy(&path, articles.join(path.file_name().unwrap())).unwrap();
        }
    }
    let original = fs::read_to_string(seed_corpus().join("001_af054400539c3e20.txt")).unwrap();
    fs::write(
        articles.join("copy.txt"),
        original.replacen("Russia", "Moscow", 1) + "Subscribe to our newsletter.\n",
    )
    .unwrap();

    let synth = dir.join("synth");
    let made = Command::new(env!("CARGO_BIN_EXE_textdup"))
        .args(["synth", "--docs", "200", "--seed", "3", "--from"])
        .arg(data.join("devils-dictionary.txt"))
        .arg("-o")
        .arg(&synth)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let lines: Vec<String> = fs::read_to_string(synth.join("corpus.jsonl"))
        .unwrap()
        .lines()
        .map(|line| {
            let doc: serde_json::Value = serde_json::from_str(line).unwrap();
            serde_json::json!({
                "url": format!("https://example.org/{}", doc["id"].as_str().unwrap()),
                "text": doc["text"],
                "content": doc["text"],
            })
            .to_string()
        })
        .collect();
    fs::remove_dir_all(&synth).unwrap();
    let jsonl = |part: &[String]| part.join("\n") + "\n";
    let (first, second) = lines.split_at(lines.len() / 2);
    let gzip = |text: String| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap()
    };
    fs::write(dir.join("crawl.jsonl.gz"), gzip(jsonl(&lines))).unwrap();
    fs::write(
        dir.join("crawl.jsonl.zst"),
        zstd::encode_all(jsonl(&lines).as_bytes(), 3).unwrap(),
    )
    .unwrap();
    fs::write(dir.join("part-0.jsonl.gz"), gzip(jsonl(first))).unwrap();
    fs::write(dir.join("part-1.jsonl.gz"), gzip(jsonl(second))).unwrap();
    fs::create_dir_all(dir.join("c4/en")).unwrap();
    fs::write(
        dir.join("c4/en/c4-train.00000-of-00002.json.gz"),
        gzip(jsonl(first)),
    )
    .unwrap();
    fs::write(
        dir.join("c4/en/c4-train.00001-of-00002.json.gz"),
        gzip(jsonl(second)),
    )
    .unwrap();
    fs::create_dir(dir.join("data")).unwrap();
    fs::write(dir.join("data/a.jsonl"), jsonl(first)).unwrap();
    fs::write(dir.join("data/b.jsonl"), jsonl(second)).unwrap();
    // The index's examples: two months of a crawl, new data, benchmarks
    // and training data.
    for (folder, part) in [("crawl-2025", first), ("crawl-2026-01", second)] {
        fs::create_dir(dir.join(folder)).unwrap();
        fs::write(dir.join(folder).join("part.jsonl"), jsonl(part)).unwrap();
    }
    fs::write(dir.join("new.jsonl"), jsonl(&lines)).unwrap();
    fs::write(dir.join("mmlu.jsonl"), jsonl(&first[..3])).unwrap();
    fs::write(dir.join("gsm8k.jsonl"), jsonl(&second[..3])).unwrap();
    fs::create_dir(dir.join("train")).unwrap();
    fs::write(dir.join("train/part.jsonl"), jsonl(&lines)).unwrap();
    // A Hugging Face dataset's Parquet shards, and a Common Crawl WET file.
    fs::create_dir_all(dir.join("hf/data")).unwrap();
    for (i, part) in [first, second].iter().enumerate() {
        let path = dir.join(format!("hf/data/train-0000{i}-of-00002.parquet"));
        parquet_shard(&path, part);
    }
    let mut records = vec![crate::warc::record(
        "warcinfo",
        None,
        0,
        "software: test\r\n",
    )];
    for (i, line) in lines.iter().enumerate() {
        let doc: serde_json::Value = serde_json::from_str(line).unwrap();
        let (url, text) = (doc["url"].as_str(), doc["text"].as_str().unwrap());
        records.push(crate::warc::record("conversion", url, i + 1, text));
    }
    fs::write(
        dir.join("CC-MAIN-00000.warc.wet.gz"),
        crate::warc::gzip_members(&records),
    )
    .unwrap();
}

/// A Parquet file of `lines`' url and text fields.
fn parquet_shard(path: &Path, lines: &[String]) {
    use std::sync::Arc;
    let docs: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let column = |name: &str| -> arrow_array::ArrayRef {
        Arc::new(arrow_array::StringArray::from_iter_values(
            docs.iter().map(|d| d[name].as_str().unwrap().to_string()),
        ))
    };
    let batch =
        arrow_array::RecordBatch::try_from_iter([("url", column("url")), ("text", column("text"))])
            .unwrap();
    let file = fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// A fresh copy of the fixtures for one block.
fn scratch(template: &Path, block: usize) -> PathBuf {
    let dir = template.with_file_name(format!("block-{block}"));
    let status = Command::new("cp")
        .arg("-r")
        .arg(template)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

#[test]
fn every_readme_example_runs_as_written() {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let root = tempfile::tempdir().unwrap();
    let template = root.path().join("template");
    fs::create_dir(&template).unwrap();
    fixtures(&template);
    let bin = Path::new(env!("CARGO_BIN_EXE_textdup")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let mut ran = 0;
    for (n, block) in blocks(&readme).into_iter().enumerate() {
        let runnable: Vec<Example> = block
            .into_iter()
            .filter(|e| !LEFT_OUT.iter().any(|skip| e.line.starts_with(skip)))
            .collect();
        if runnable.is_empty() {
            continue;
        }
        let dir = scratch(&template, n);
        for example in runnable {
            let out = Command::new("bash")
                .args(["-o", "pipefail", "-c", &example.line])
                .current_dir(&dir)
                .env("PATH", &path)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "README example failed ({}): {}\n{stdout}{stderr}",
                out.status,
                example.line
            );
            if let Some(shown) = example.output.filter(|o| !o.is_empty()) {
                // What the console shows is what the command prints, on
                // stdout then stderr; timings differ from run to run.
                let printed = format!("{stdout}{stderr}");
                let keep = |text: &str| -> Vec<String> {
                    text.lines()
                        .filter(|l| {
                            let l = l.trim_start();
                            !l.starts_with("speed:") && !l.starts_with("stages:")
                        })
                        .map(str::to_string)
                        .collect()
                };
                assert_eq!(keep(&printed), keep(&shown), "output of {}", example.line);
            }
            ran += 1;
        }
    }
    assert!(ran >= 25, "only {ran} README examples ran");
}
