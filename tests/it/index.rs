//! The persistent index, through the binary: equality with one-shot runs,
//! adds and compaction, a killed writer, readers beside a writer, refused
//! settings, damage.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};

use crate::common::{json_lines, planted_corpus, textdup, write_jsonl};

/// Planted documents, split in order into `parts` JSON Lines files under
/// `root` (named part-0.jsonl, ...), and one file of them all.
fn parts(root: &Path, seed: u64, bases: usize, parts: usize) -> (Vec<PathBuf>, PathBuf) {
    let docs = planted_corpus(seed, bases, 3, 0.3);
    let per = docs.len().div_ceil(parts);
    let paths: Vec<PathBuf> = docs
        .chunks(per)
        .enumerate()
        .map(|(i, chunk)| {
            let path = root.join(format!("part-{i}.jsonl"));
            write_jsonl(&path, chunk);
            path
        })
        .collect();
    let all = root.join("all.jsonl");
    write_jsonl(&all, &docs);
    (paths, all)
}

/// Ids of a JSON Lines file.
fn ids(path: &Path) -> BTreeSet<String> {
    json_lines(&std::fs::read(path).unwrap())
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

/// Runs textdup and returns its stdout, asserting success.
fn ok(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<u8> {
    let out = textdup().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        args.iter()
            .map(|a| a.as_ref().to_owned())
            .collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs textdup, asserting failure (status 1), and returns its stderr.
fn fails(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let out = textdup().args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).unwrap()
}

/// The ids a one-shot `dedup` of `inputs` (read in that order) removes.
fn one_shot_removed(root: &Path, inputs: &[&Path], tag: &str) -> BTreeSet<String> {
    let joined = root.join(format!("joined-{tag}.jsonl"));
    let mut text = Vec::new();
    for input in inputs {
        text.extend(std::fs::read(input).unwrap());
    }
    std::fs::write(&joined, text).unwrap();
    let out = root.join(format!("one-shot-{tag}.jsonl"));
    let removed = root.join(format!("one-shot-{tag}.removed.jsonl"));
    ok(&[
        &"dedup",
        &joined,
        &"-o",
        &out,
        &"--removed",
        &removed,
        &"-q",
    ]);
    ids(&removed)
}

/// The ids `scan --against index` reports for `input`.
fn scanned(index: &Path, input: &Path) -> BTreeSet<String> {
    json_lines(&ok(&[&"scan", &"--against", &index, &input, &"-q"]))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

fn documents(index: &Path) -> u64 {
    let stats: serde_json::Value =
        serde_json::from_slice(&ok(&[&"index", &"stats", &index, &"--json"])).unwrap();
    stats["documents"].as_u64().unwrap()
}

/// `build --all A` then `dedup --against` over B removes of B exactly
/// what a one-shot run over A then B removes of B; without --all, what a
/// one-shot run over A's cleaned corpus then B removes. The cleaned
/// outputs are byte for byte those of the one-shot run.
#[test]
fn an_index_removes_what_a_one_shot_run_removes() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let (parts, _) = parts(root, 21, 700, 2);
    let (a, b) = (&parts[0], &parts[1]);
    let in_b = ids(b);

    let all = root.join("all.tdx");
    ok(&[&"index", &"build", &all, a, &"--all", &"-q"]);
    let expected: BTreeSet<String> = one_shot_removed(root, &[a, b], "all")
        .intersection(&in_b)
        .cloned()
        .collect();
    assert!(
        expected.len() > 100,
        "the corpus plants copies across the split"
    );
    let (clean, removed) = (root.join("b-clean.jsonl"), root.join("b-removed.jsonl"));
    ok(&[
        &"dedup",
        &"--against",
        &all,
        b,
        &"-o",
        &clean,
        &"--removed",
        &removed,
        &"-q",
    ]);
    assert_eq!(ids(&removed), expected);
    let kept_in: BTreeSet<String> = json_lines(&std::fs::read(&removed).unwrap())
        .iter()
        .map(|v| v["kept_in"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kept_in.len(),
        2,
        "some removed for the index, some for earlier new ones"
    );
    assert_eq!(ids(&clean), in_b.difference(&expected).cloned().collect());

    // Default: only what A's own deduplication keeps is indexed.
    let kept = root.join("kept.tdx");
    ok(&[&"index", &"build", &kept, a, &"-q"]);
    let a_clean = root.join("a-clean.jsonl");
    ok(&[&"dedup", a, &"-o", &a_clean, &"-q"]);
    assert_eq!(documents(&kept), ids(&a_clean).len() as u64);
    let expected: BTreeSet<String> = one_shot_removed(root, &[&a_clean, b], "kept")
        .intersection(&in_b)
        .cloned()
        .collect();
    let clean = root.join("b-clean-2.jsonl");
    ok(&[&"dedup", &"--against", &kept, b, &"-o", &clean, &"-q"]);
    assert_eq!(ids(&clean), in_b.difference(&expected).cloned().collect());
    let one_shot_clean: Vec<u8> = std::fs::read(root.join("one-shot-kept.jsonl"))
        .unwrap()
        .split_inclusive(|&c| c == b'\n')
        .filter(|line| {
            let id = serde_json::from_slice::<serde_json::Value>(line).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string();
            in_b.contains(&id)
        })
        .flatten()
        .copied()
        .collect();
    assert_eq!(std::fs::read(&clean).unwrap(), one_shot_clean);
}

/// Several adds, then compaction: the answers stay those of one-shot runs.
#[test]
fn adds_and_compaction_keep_the_answers() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let (parts, _) = parts(root, 22, 600, 4);
    let index = root.join("x.tdx");
    ok(&[&"index", &"build", &index, &parts[0], &"--all", &"-q"]);
    ok(&[&"index", &"add", &index, &parts[1], &"--all", &"-q"]);
    ok(&[&"index", &"add", &index, &parts[2], &"--all", &"-q"]);
    let last = &parts[3];
    let expected: BTreeSet<String> =
        one_shot_removed(root, &[&parts[0], &parts[1], &parts[2], last], "adds")
            .intersection(&ids(last))
            .cloned()
            .collect();
    assert_eq!(scanned(&index, last), expected);

    let before = documents(&index);
    let stats = String::from_utf8(ok(&[&"index", &"stats", &index])).unwrap();
    assert!(stats.contains("segments:    3"), "{stats}");
    ok(&[&"index", &"compact", &index, &"-q"]);
    let stats = String::from_utf8(ok(&[&"index", &"stats", &index])).unwrap();
    assert!(stats.contains("segments:    1"), "{stats}");
    assert_eq!(documents(&index), before);
    assert_eq!(scanned(&index, last), expected);
    ok(&[&"index", &"verify", &index, &"-q"]);
    let files: Vec<String> = std::fs::read_dir(&index)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("seg-"))
        .collect();
    assert_eq!(files.len(), 1, "old segments are removed: {files:?}");
}

/// `index add INDEX -`, fed `lines` of its standard input, which stays
/// open: the writer holds the lock until it is closed.
fn waiting_writer(index: &Path, lines: &[u8]) -> Child {
    let mut child = Process::new(assert_cmd::cargo::cargo_bin("textdup"))
        .args(["index", "add"])
        .arg(index)
        .args(["-", "-q"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.as_mut().unwrap().write_all(lines).unwrap();
    // Until it has taken the lock, a second writer would not be refused.
    let lock = index.join("writer.lock");
    let pid = child.id().to_string();
    for _ in 0..500 {
        if std::fs::read_to_string(&lock).is_ok_and(|t| t.trim() == pid) {
            return child;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the writer never took the lock");
}

/// While a writer adds: readers see the index as it was, a second writer
/// is refused by name; after it, readers see the new documents.
#[test]
fn readers_run_beside_a_writer_and_a_second_writer_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let (parts, _) = parts(root, 23, 400, 2);
    let (a, b) = (&parts[0], &parts[1]);
    let index = root.join("x.tdx");
    ok(&[&"index", &"build", &index, a, &"-q"]);
    let before = scanned(&index, b);
    let indexed = documents(&index);

    let mut writer = waiting_writer(&index, &std::fs::read(b).unwrap());
    let err = fails(&[&"index", &"add", &index, a]);
    assert!(
        err.contains(&format!("is being written by process {}", writer.id())),
        "{err}"
    );
    assert!(fails(&[&"index", &"compact", &index]).contains("is being written"));
    assert_eq!(
        scanned(&index, b),
        before,
        "a reader sees the index as it was"
    );
    assert_eq!(documents(&index), indexed);

    drop(writer.stdin.take());
    let status = writer.wait().unwrap();
    assert!(status.success());
    assert!(documents(&index) > indexed);
    // Now every document of B is in the index, or a duplicate of one there.
    assert_eq!(scanned(&index, b), ids(b));
}

/// A writer killed at any moment leaves the index as it was before, or
/// with the whole add: never a part of it, never damaged, never locked.
#[test]
fn a_killed_add_leaves_the_index_as_it_was() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let (parts, _) = parts(root, 24, 1500, 2);
    let (a, b) = (&parts[0], &parts[1]);
    let index = root.join("x.tdx");
    ok(&[&"index", &"build", &index, a, &"-q"]);
    let before = documents(&index);
    let answers = scanned(&index, b);

    // Killed while it reads: deterministic.
    let mut writer = waiting_writer(&index, &std::fs::read(b).unwrap()[..1000]);
    writer.kill().unwrap();
    writer.wait().unwrap();
    assert_eq!(documents(&index), before);
    assert_eq!(scanned(&index, b), answers);

    // Killed at moments spread over an add: sketching, writing the
    // segment, publishing.
    let full = {
        let copy = root.join("copy.tdx");
        ok(&[&"index", &"build", &copy, a, &"-q"]);
        ok(&[&"index", &"add", &copy, b, &"-q"]);
        documents(&copy)
    };
    for ms in [2, 5, 10, 20, 40, 80, 160] {
        let mut child = Process::new(assert_cmd::cargo::cargo_bin("textdup"))
            .args(["index", "add"])
            .arg(&index)
            .arg(b)
            .arg("-q")
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(ms));
        let _ = child.kill();
        let _ = child.wait();
        ok(&[&"index", &"verify", &index, &"-q"]);
        let now = documents(&index);
        assert!(now == before || now == full, "{ms} ms: {now} documents");
        if now == full {
            break;
        }
    }
    // After the kills, an add runs (no lock is left behind) and completes.
    if documents(&index) == before {
        ok(&[&"index", &"add", &index, b, &"-q"]);
    }
    assert_eq!(documents(&index), full);
    let leftovers: Vec<String> = std::fs::read_dir(&index)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A run against an index takes its settings; one that sets others is
/// refused with the difference named.
#[test]
fn runs_take_the_index_settings_and_other_settings_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let (parts, _) = parts(root, 25, 200, 2);
    let (a, b) = (&parts[0], &parts[1]);
    let index = root.join("x.tdx");
    ok(&[
        &"index",
        &"build",
        &index,
        a,
        &"--threshold",
        &"0.9",
        &"--ngram",
        &"4",
        &"-q",
    ]);

    // Left out, the options are the index's.
    scanned(&index, b);
    ok(&[
        &"scan",
        &"--against",
        &index,
        b,
        &"--threshold",
        &"0.9",
        &"-q",
    ]);
    let err = fails(&[&"scan", &"--against", &index, b, &"--threshold", &"0.8"]);
    assert!(
        err.contains("threshold: the index has 0.9, this run 0.8"),
        "{err}"
    );
    let err = fails(&[
        &"dedup",
        &"--against",
        &index,
        b,
        &"-o",
        &root.join("o.jsonl"),
        &"--ngram",
        &"5",
    ]);
    assert!(
        err.contains("shingles: the index has word 4-grams, this run word 5-grams"),
        "{err}"
    );
    let err = fails(&[&"scan", &"--against", &index, b, &"--seed", &"7"]);
    assert!(err.contains("seed: the index has 1, this run 7"), "{err}");
    let err = fails(&[&"scan", &"--against", &index, b, &"--verify", &"estimate"]);
    assert!(err.contains("verifies exactly"), "{err}");
    let err = fails(&[&"scan", &"--against", &index, b, &"--level", &"all"]);
    assert!(err.contains("--level document"), "{err}");
    assert!(!root.join("o.jsonl").exists());

    let err = fails(&[&"scan", &"--against", &root.join("nothing.tdx"), b]);
    assert!(err.contains("does not exist"), "{err}");
    let err = fails(&[&"index", &"add", &root, b]);
    assert!(err.contains("is not a textdup index"), "{err}");
    let err = fails(&[&"index", &"build", &index, b]);
    assert!(err.contains("already exists"), "{err}");
    let stats: serde_json::Value =
        serde_json::from_slice(&ok(&[&"index", &"stats", &index, &"--json"])).unwrap();
    assert_eq!(stats["settings"]["threshold"], 0.9);
    assert_eq!(stats["settings"]["ngram"], 4);
    assert_eq!(stats["segments"].as_array().unwrap().len(), 1);
}

/// The (offset, length) of section `i` of a segment file: 0 records,
/// 1 offsets, 2 exact, 3 + b band b (see the format in src/index/segment.rs).
fn section(bytes: &[u8], i: usize) -> (usize, usize) {
    let n = bytes.len();
    let footer_len = u32::from_le_bytes(bytes[n - 12..n - 8].try_into().unwrap()) as usize;
    let footer = &bytes[n - 12 - footer_len..n - 12];
    let at = |k: usize| u64::from_le_bytes(footer[k * 8..k * 8 + 8].try_into().unwrap()) as usize;
    (at(2 * i), at(2 * i + 1))
}

/// A damaged segment is an error naming it, found by `verify` wherever
/// the damage is and by a query wherever it reads.
#[test]
fn damage_is_reported_never_answered() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let (parts, _) = parts(root, 26, 300, 2);
    let (a, b) = (&parts[0], &parts[1]);
    let index = root.join("x.tdx");
    ok(&[&"index", &"build", &index, a, &"-q"]);
    let segment = index.join("seg-000001.tds");
    let clean = std::fs::read(&segment).unwrap();

    // The middle of band 0's table: every lookup's binary search reads it.
    let (at, len) = section(&clean, 3);
    let mut bytes = clean.clone();
    bytes[at + len / 24 * 12 + 3] ^= 0x10;
    std::fs::write(&segment, &bytes).unwrap();
    let err = fails(&[&"scan", &"--against", &index, b]);
    assert!(
        err.contains("seg-000001.tds") && err.contains("damaged"),
        "{err}"
    );
    let err = fails(&[&"index", &"verify", &index]);
    assert!(err.contains("fails its checksum"), "{err}");

    // A record: verify finds it.
    let (at, len) = section(&clean, 0);
    let mut bytes = clean.clone();
    bytes[at + len / 2] ^= 0x01;
    std::fs::write(&segment, &bytes).unwrap();
    assert!(fails(&[&"index", &"verify", &index]).contains("seg-000001.tds"));

    // Cut short: refused at open.
    std::fs::write(&segment, &clean[..clean.len() / 2]).unwrap();
    assert!(fails(&[&"index", &"stats", &index]).contains("bytes long"));
    assert!(fails(&[&"scan", &"--against", &index, b]).contains("bytes long"));

    // A manifest that is not one.
    std::fs::write(&segment, &clean).unwrap();
    ok(&[&"index", &"verify", &index, &"-q"]);
    std::fs::write(index.join("manifest.json"), "{ not json").unwrap();
    assert!(
        fails(&[&"scan", &"--against", &index, b]).contains("cannot be read as an index manifest")
    );
}

/// The decontamination recipe: an index of evaluation items built with
/// `--spans 13`, and training documents that quote 13 words of an item
/// (in other case and punctuation) flagged and removed; 12 words are not
/// enough. Compaction keeps the windows.
#[test]
fn thirteen_word_decontamination() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let words = |text: &str| -> Vec<String> { text.split(' ').map(str::to_string).collect() };
    let items = planted_corpus(31, 40, 0, 0.0);
    let (first, second) = items.split_at(20);
    let (eval_a, eval_b) = (root.join("eval-a.jsonl"), root.join("eval-b.jsonl"));
    write_jsonl(&eval_a, first);
    write_jsonl(&eval_b, second);

    let mut train = planted_corpus(32, 200, 0, 0.0);
    let mut planted = BTreeSet::new();
    for (i, (eval_id, text)) in items.iter().enumerate().step_by(4) {
        let w = words(text);
        let take = if i % 8 == 0 { 13 } else { 12 };
        let quote = w[5..5 + take].join(" ").to_uppercase().replace(' ', ", ");
        let id = format!("quotes-{take}-{eval_id}");
        let host = &train[i].1;
        train.push((
            id.clone(),
            format!("{host} As the exam put it: {quote}. {host}"),
        ));
        if take == 13 {
            planted.insert((id, eval_id.clone()));
        }
    }
    assert!(planted.len() >= 4);
    let train_path = root.join("train.jsonl");
    write_jsonl(&train_path, &train);

    let index = root.join("bench.tdx");
    ok(&[
        &"index", &"build", &index, &eval_a, &"--all", &"--spans", &"13", &"-q",
    ]);
    ok(&[&"index", &"add", &index, &eval_b, &"--all", &"-q"]);
    let flagged = |index: &Path| -> BTreeSet<(String, String)> {
        json_lines(&ok(&[
            &"scan",
            &"--level",
            &"span",
            &"--against",
            &index,
            &train_path,
            &"-q",
        ]))
        .iter()
        .map(|v| {
            assert_eq!(v["level"], "span");
            let text = v["text"].as_str().unwrap();
            assert_eq!(
                text.split(", ").count(),
                13,
                "the window's own words: {text}"
            );
            (
                v["id"].as_str().unwrap().to_string(),
                v["indexed"].as_str().unwrap().to_string(),
            )
        })
        .collect()
    };
    assert_eq!(flagged(&index), planted);

    let clean = root.join("clean.jsonl");
    ok(&[
        &"dedup",
        &"--level",
        &"span",
        &"--against",
        &index,
        &train_path,
        &"-o",
        &clean,
        &"-q",
    ]);
    let kept = ids(&clean);
    assert_eq!(kept.len(), train.len() - planted.len());
    assert!(planted.iter().all(|(id, _)| !kept.contains(id)));

    ok(&[&"index", &"compact", &index, &"-q"]);
    assert_eq!(flagged(&index), planted);

    // Windows of another length cannot be matched; a document-level index has none.
    let err = fails(&[
        &"scan",
        &"--level",
        &"span",
        &"--min-span",
        &"10",
        &"--against",
        &index,
        &train_path,
    ]);
    assert!(err.contains("13-word windows"), "{err}");
    let plain = root.join("plain.tdx");
    ok(&[&"index", &"build", &plain, &eval_a, &"-q"]);
    let err = fails(&[
        &"scan",
        &"--level",
        &"span",
        &"--against",
        &plain,
        &train_path,
    ]);
    assert!(err.contains("holds no span windows"), "{err}");
}
