use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{planted_corpus, textdup, write_jsonl};

/// A folder corpus: JSON Lines files, a JSON array, a Parquet file, a
/// WET file, text files (two equal), an empty file (skipped), so shards
/// differ in size and kind.
pub(crate) fn corpus(root: &Path, docs_per_file: usize) -> PathBuf {
    let dir = root.join("data");
    std::fs::create_dir_all(dir.join("texts")).unwrap();
    let docs = planted_corpus(5, docs_per_file * 5 / 4, 3, 0.3);
    for (i, chunk) in docs.chunks(docs_per_file).enumerate() {
        write_jsonl(&dir.join(format!("part-{i}.jsonl")), chunk);
    }
    let seed =
        std::fs::read_to_string(crate::common::seed_corpus().join("000_8bf7a08f72736e5e.txt"))
            .unwrap();
    std::fs::write(dir.join("texts/a.txt"), &seed).unwrap();
    std::fs::write(dir.join("texts/b.txt"), &seed).unwrap();
    std::fs::write(dir.join("texts/empty.txt"), "").unwrap();
    crate::parquet::write_parquet(
        &dir.join("rows.parquet"),
        &crate::parquet::planted_rows(docs_per_file / 2),
        40,
    );
    let array: Vec<serde_json::Value> = planted_corpus(11, docs_per_file / 2, 3, 0.3)
        .into_iter()
        .map(|(id, text)| serde_json::json!({ "id": id, "text": text }))
        .collect();
    let array = serde_json::to_string_pretty(&array).unwrap();
    std::fs::write(dir.join("records.json"), array).unwrap();
    let wet = crate::warc::wet_records(8, docs_per_file / 2);
    std::fs::write(
        dir.join("crawl.warc.wet.gz"),
        crate::warc::gzip_members(&wet),
    )
    .unwrap();
    dir
}

fn run(args: &[&str], paths: &[&Path]) -> Output {
    let mut cmd = textdup();
    cmd.args(args);
    for p in paths {
        cmd.arg(p);
    }
    let out = cmd.output().unwrap();
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(2),
        "{args:?}: {code:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every file under `dir`, relative, with its bytes.
pub(crate) fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path.strip_prefix(dir).unwrap().to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}

/// A run's clusters, cleaned corpus and removed list.
type Outputs = (Vec<u8>, Vec<(PathBuf, Vec<u8>)>, Vec<u8>);

fn one_shot(root: &Path, data: &Path) -> Outputs {
    let out = root.join("one-shot");
    let clusters = root.join("one-shot-clusters.jsonl");
    let o = out.to_str().unwrap();
    let c = clusters.to_str().unwrap();
    run(&["dedup", "-q", "-o", o, "--clusters", c], &[data]);
    (
        std::fs::read(&clusters).unwrap(),
        tree(&out),
        std::fs::read(root.join("one-shot.removed.jsonl")).unwrap(),
    )
}

fn staged(root: &Path, data: &Path, shards: u32, tag: &str) -> Outputs {
    let work = root.join(format!("work-{tag}"));
    let out = root.join(format!("out-{tag}"));
    let (w, o) = (work.to_str().unwrap(), out.to_str().unwrap());
    for i in 0..shards {
        let shard = format!("{i}/{shards}");
        run(&["sketch", "-q", "--shard", &shard, "--work", w], &[data]);
    }
    run(&["cluster", "-q", "--work", w], &[data]);
    // Filter shards in reverse: order must not matter.
    for i in (0..shards).rev() {
        let shard = format!("{i}/{shards}");
        run(
            &["filter", "-q", "--shard", &shard, "--work", w, "-o", o],
            &[data],
        );
    }
    (
        std::fs::read(work.join("clusters.jsonl")).unwrap(),
        tree(&out),
        std::fs::read(root.join(format!("out-{tag}.removed.jsonl"))).unwrap(),
    )
}

/// One to four shard processes give the one-shot run's clusters and
/// cleaned corpus, byte for byte.
#[test]
fn staged_runs_match_the_one_shot_run() {
    let root = tempfile::tempdir().unwrap();
    let data = corpus(root.path(), 150);
    let (clusters, cleaned, removed) = one_shot(root.path(), &data);
    assert!(clusters.len() > 1000, "the corpus has clusters");
    assert!(!removed.is_empty());
    assert!(
        cleaned.len() >= 7,
        "every file is carried over: {}",
        cleaned.len()
    );
    for shards in 1..=4 {
        let (c, t, r) = staged(root.path(), &data, shards, &shards.to_string());
        assert!(c == clusters, "{shards} shards: other clusters");
        assert!(t == cleaned, "{shards} shards: another cleaned corpus");
        assert!(r == removed, "{shards} shards: another removed list");
    }
}

/// Runs textdup with `args` on `data` and kills it (SIGKILL: no clean-up of
/// any kind) after `ms` milliseconds, or lets it be if it ended sooner.
fn kill_after(args: &[&str], data: &Path, ms: u64) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("textdup"))
        .args(args)
        .arg(data)
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(ms));
    let _ = child.kill();
    let _ = child.wait();
}

/// A step killed part-way and run again finishes with the same result;
/// a finished step is not redone.
#[test]
fn a_killed_step_run_again_gives_the_same_result() {
    let root = tempfile::tempdir().unwrap();
    let data = corpus(root.path(), 2000);
    let (clusters, cleaned, removed) = one_shot(root.path(), &data);
    let work = root.path().join("work");
    let out = root.path().join("out");
    let (w, o) = (work.to_str().unwrap(), out.to_str().unwrap());
    for delay in [5u64, 40, 150] {
        for args in [
            vec!["sketch", "-q", "--shard", "0/2", "--work", w],
            vec!["sketch", "-q", "--shard", "1/2", "--work", w],
        ] {
            kill_after(&args, &data, delay);
        }
    }
    for i in 0..2 {
        let shard = format!("{i}/2");
        run(&["sketch", "-q", "--shard", &shard, "--work", w], &[&data]);
    }
    let sketched = std::fs::read(work.join("sketch-0000-of-0002.bin")).unwrap();
    // Done is done: a re-run leaves the file alone.
    let again = run(&["sketch", "--shard", "0/2", "--work", w], &[&data]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already sketched"));
    assert_eq!(
        std::fs::read(work.join("sketch-0000-of-0002.bin")).unwrap(),
        sketched
    );

    kill_after(&["cluster", "-q", "--work", w], &data, 50);
    run(&["cluster", "-q", "--work", w], &[&data]);
    assert_eq!(
        std::fs::read(work.join("clusters.jsonl")).unwrap(),
        clusters
    );

    kill_after(
        &["filter", "-q", "--shard", "0/2", "--work", w, "-o", o],
        &data,
        30,
    );
    for i in 0..2 {
        let shard = format!("{i}/2");
        run(
            &["filter", "-q", "--shard", &shard, "--work", w, "-o", o],
            &[&data],
        );
    }
    assert!(tree(&out) == cleaned, "another cleaned corpus");
    assert!(std::fs::read(root.path().join("out.removed.jsonl")).unwrap() == removed);
    // Done is done, and says so.
    let again = run(
        &["filter", "--shard", "1/2", "--work", w, "-o", o],
        &[&data],
    );
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("already done"), "{said}");
    let leftovers: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn mismatched_or_missing_sketches_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let data = corpus(root.path(), 40);
    let work = root.path().join("work");
    let w = work.to_str().unwrap();
    run(&["sketch", "-q", "--shard", "0/2", "--work", w], &[&data]);

    let fails = |args: &[&str], says: &str| {
        let out = textdup().args(args).arg(&data).assert().failure();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        if stderr.starts_with("textdup:") {
            assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        }
    };
    fails(&["cluster", "-q", "--work", w], "shard 1/2 is missing");
    run(&["sketch", "-q", "--shard", "1/2", "--work", w], &[&data]);
    fails(
        &["cluster", "-q", "--ngram", "4", "--work", w],
        "made with matching normalize=",
    );
    fails(
        &["cluster", "-q", "--seed", "9", "--work", w],
        "seed 1, but this run has 9",
    );
    fails(
        &["cluster", "-q", "--threshold", "0.5", "--work", w],
        "banding",
    );
    fails(
        &["filter", "-q", "--work", w, "-o", "x"],
        "run `textdup cluster` first",
    );
    fails(
        &["sketch", "-q", "--shard", "2/2", "--work", w],
        "not a shard",
    );
    fails(
        &["cluster", "-q", "--work", w, "--level", "all"],
        "unexpected argument",
    );

    std::fs::write(work.join("sketch-0001-of-0002.bin"), b"not a sketch at all").unwrap();
    fails(&["cluster", "-q", "--work", w], "not a textdup sketch file");

    // A corpus that changed after sketching.
    std::fs::remove_file(work.join("sketch-0001-of-0002.bin")).unwrap();
    run(&["sketch", "-q", "--shard", "1/2", "--work", w], &[&data]);
    run(&["cluster", "-q", "--work", w], &[&data]);
    std::fs::write(data.join("texts/c.txt"), "a new file").unwrap();
    fails(&["cluster", "-q", "--work", w], "another corpus");
}

/// `cluster` over a finished step used to say "already clustered" whatever
/// the options. Only the same options are a no-op; others are refused,
/// naming what differs.
#[test]
fn a_finished_cluster_step_is_redone_only_with_the_same_options() {
    let root = tempfile::tempdir().unwrap();
    let data = corpus(root.path(), 40);
    let work = root.path().join("work");
    let w = work.to_str().unwrap();
    run(&["sketch", "-q", "--work", w], &[&data]);
    run(&["cluster", "-q", "--work", w], &[&data]);
    let again = run(&["cluster", "--work", w], &[&data]);
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("already clustered"), "{said}");
    let other = textdup()
        .args(["cluster", "-q", "--threshold", "0.7", "--work", w])
        .arg(&data)
        .assert()
        .code(1);
    let said = String::from_utf8_lossy(&other.get_output().stderr).into_owned();
    assert!(
        said.contains("threshold 0.8 then, threshold 0.7 now"),
        "{said}"
    );
}
