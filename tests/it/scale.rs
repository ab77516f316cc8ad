use std::sync::atomic::{AtomicU64, Ordering};

use textdup::report::write_clusters;
use textdup::{run, run_with, Config, Document, Error, Progress, Report, Resources, Stage};

use crate::common::{planted_corpus, textdup, write_jsonl};

fn corpus() -> Vec<Document> {
    planted_corpus(11, 4000, 2, 0.3)
        .into_iter()
        .map(|(id, text)| Document::new(id, text))
        .collect()
}

fn clusters(report: &Report) -> Vec<u8> {
    let mut out = Vec::new();
    write_clusters(report, &mut out).unwrap();
    out
}

fn spilling(dir: &std::path::Path) -> Resources {
    Resources {
        tmp_dir: Some(dir.to_path_buf()),
        // Tiny: the index goes to disk every few batches.
        index_budget: Some(1),
        ..Resources::default()
    }
}

/// The same clusters whether the band index stays in memory or spills to
/// many runs on disk; and the runs are gone afterwards.
#[test]
fn a_spilled_run_finds_what_an_in_memory_run_finds() {
    let docs = corpus();
    let config = Config::default();
    let memory = run(&docs, &config, &textdup::NoProgress).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let disk = run_with(&docs, &config, &spilling(tmp.path()), &textdup::NoProgress).unwrap();
    assert!(
        disk.summary().spilled.runs >= 2,
        "{:?}",
        disk.summary().spilled
    );
    assert_eq!(memory.summary().spilled.runs, 0);
    assert!(
        memory.summary().clusters > 500,
        "{}",
        memory.summary().clusters
    );
    assert_eq!(clusters(&memory), clusters(&disk));
    assert_eq!(
        memory.summary().exact_duplicates,
        disk.summary().exact_duplicates
    );
    assert_eq!(
        memory.summary().candidate_pairs,
        disk.summary().candidate_pairs
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// Shingle sets kept from pass 1 (all, some, none) change nothing but time.
#[test]
fn kept_shingle_sets_change_nothing() {
    let docs = corpus();
    let config = Config::default();
    let run_with_cache = |bytes: usize| {
        let resources = Resources {
            set_cache: Some(bytes),
            ..Resources::default()
        };
        clusters(&run_with(&docs, &config, &resources, &textdup::NoProgress).unwrap())
    };
    let none = run_with_cache(0);
    assert!(none.len() > 10_000);
    assert_eq!(run_with_cache(300_000), none, "some sets kept");
    assert_eq!(run_with_cache(usize::MAX), none, "every set kept");
}

/// Asks to stop once the candidates stage begins: by then runs are on disk.
struct StopAtCandidates(AtomicU64);

impl Progress for StopAtCandidates {
    fn begin(&self, stage: Stage, _total: Option<u64>) {
        if stage == Stage::Candidates {
            self.0.store(1, Ordering::SeqCst);
        }
    }
    fn cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst) == 1
    }
}

#[test]
fn an_interrupted_run_removes_its_runs() {
    let docs = corpus();
    let tmp = tempfile::tempdir().unwrap();
    let result = run_with(
        &docs,
        &Config::default(),
        &spilling(tmp.path()),
        &StopAtCandidates(AtomicU64::new(0)),
    );
    assert!(matches!(result, Err(Error::Interrupted)), "{result:?}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn memory_limits_are_checked_and_keep_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    write_jsonl(&input, &planted_corpus(3, 100, 2, 0.3));
    let plain = textdup()
        .args(["scan", "-q"])
        .arg(&input)
        .assert()
        .success();
    let limited = textdup()
        .args(["scan", "-q", "--memory", "1GiB", "--tmp-dir"])
        .arg(dir.path())
        .arg(&input)
        .assert()
        .success();
    assert!(!plain.get_output().stdout.is_empty());
    assert_eq!(plain.get_output().stdout, limited.get_output().stdout);

    for (size, says) in [
        ("10M", "too small"),
        ("lots", "not a size"),
        ("4XB", "unknown size unit"),
    ] {
        let out = textdup()
            .args(["scan", "-q", "--memory", size])
            .arg(&input)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(stderr.contains(says), "{size}: {stderr}");
    }
}

/// Ctrl-C (SIGINT) stops the binary with status 130 and leaves nothing in
/// the temporary folder: here the copy of standard input it was making.
#[test]
fn ctrl_c_stops_and_cleans_up() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("textdup"))
        .args(["scan", "-q", "--memory", "1G", "--tmp-dir"])
        .arg(tmp.path())
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for (id, text) in planted_corpus(2, 50, 1, 0.2) {
        let line = serde_json::json!({ "id": id, "text": text }).to_string();
        writeln!(stdin, "{line}").unwrap();
    }
    stdin.flush().unwrap();
    // The copy of stdin is being made: wait until it shows.
    let started = std::time::Instant::now();
    while std::fs::read_dir(tmp.path()).unwrap().count() == 0 {
        assert!(started.elapsed().as_secs() < 30, "no spool file appeared");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // Let the handler run before the input ends.
    std::thread::sleep(std::time::Duration::from_millis(200));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// The passage grain's tables other than its span windows do not spill:
/// past what the limit leaves them, the run stops with the memory it would
/// need instead of passing the limit.
/// (`--memory 256MiB` on a million short documents used to peak at
/// 342 MiB.) A budget it fits in changes nothing.
#[test]
fn the_passage_grain_stops_at_its_budget() {
    let docs = corpus();
    let config = Config {
        level: textdup::Level::All,
        ..Config::default()
    };
    let limited = |budget: usize| {
        let resources = Resources {
            passage_budget: Some(budget),
            ..Resources::default()
        };
        run_with(&docs, &config, &resources, &textdup::NoProgress)
    };
    match limited(1 << 20) {
        Err(Error::MemoryLimit { needed, limit, .. }) => {
            assert!(needed > limit, "{needed} {limit}");
        }
        other => panic!("expected a memory limit error, got {other:?}"),
    }
    let unlimited = run(&docs, &config, &textdup::NoProgress).unwrap();
    let fits = limited(1 << 30).unwrap();
    assert!(unlimited.summary().passages > 10_000);
    assert_eq!(clusters(&fits), clusters(&unlimited));
}

/// Documents of sentences drawn from a shared pool: most of their words
/// are in repeated spans, while their paragraphs are all different, so
/// that the span detector's windows are the passage grain's largest table.
fn shared_sentences() -> Vec<Document> {
    let mut x = 5u64;
    let mut next = move |n: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % n
    };
    let pool: Vec<String> = (0..1500)
        .map(|_| {
            (0..15)
                .map(|_| format!("w{}", next(5000)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    (0..20_000)
        .map(|d| {
            let text: Vec<&str> = (0..6).map(|_| pool[next(1500) as usize].as_str()).collect();
            Document::new(format!("d{d}"), text.join(". "))
        })
        .collect()
}

/// Under budgets too small for its span windows, the passage grain spills
/// them to sorted runs and finds the same clusters as in memory; its
/// temporary folder goes at the end.
#[test]
fn the_passage_grain_spills_its_tables_with_the_same_result() {
    let docs = shared_sentences();
    let config = Config {
        level: textdup::Level::All,
        ..Config::default()
    };
    let unlimited = run(&docs, &config, &textdup::NoProgress).unwrap();
    let regions: usize = unlimited
        .span_clusters()
        .iter()
        .map(|c| c.members.len())
        .sum();
    assert!(regions > 50_000, "{regions}");
    let dir = tempfile::tempdir().unwrap();
    // Lowering the budget until the other tables no longer fit: the
    // windows spill before that.
    let (mut budget, mut spilled) = (64usize << 20, 0);
    while budget >= 1 << 20 {
        let resources = Resources {
            passage_budget: Some(budget),
            tmp_dir: Some(dir.path().to_path_buf()),
            ..Resources::default()
        };
        match run_with(&docs, &config, &resources, &textdup::NoProgress) {
            Ok(report) => {
                assert_eq!(clusters(&report), clusters(&unlimited), "{budget}");
                spilled = spilled.max(report.summary().spilled.runs);
            }
            Err(Error::MemoryLimit { .. }) => break,
            Err(e) => panic!("{budget}: {e}"),
        }
        budget /= 2;
    }
    assert!(
        spilled >= 2,
        "the windows never spilled (down to {budget} bytes)"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Peak memory of the binary under `--memory`, whether the run finishes
/// or stops at the limit: within the limit plus the documented fixed cost
/// of 80 bytes per document.
#[test]
fn peak_memory_stays_within_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    let docs = planted_corpus(5, 5000, 3, 0.3);
    write_jsonl(&input, &docs);
    let limit: u64 = 256 << 20;
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("textdup"))
        .args([
            "scan",
            "-q",
            "--level",
            "all",
            "--memory",
            "256MiB",
            "--tmp-dir",
        ])
        .arg(dir.path())
        .arg(&input)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (code, peak) = wait_with_peak_memory(child);
    assert!(code == 0 || code == 1, "exit {code}");
    let allowed = limit + 80 * docs.len() as u64;
    assert!(peak <= allowed, "peak {peak} bytes > {allowed}");
}

/// Waits for `child` and returns its exit status and peak resident memory
/// in bytes (from wait4, so other children of the test binary don't count).
pub fn wait_with_peak_memory(child: std::process::Child) -> (i32, u64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, not yet waited for; the pointers are valid.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid);
    std::mem::forget(child); // already reaped
    (libc::WEXITSTATUS(status), usage.ru_maxrss as u64 * 1024)
}
