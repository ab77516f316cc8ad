//! The scheduler scripts of `deploy/` (Slurm job arrays, Kubernetes
//! Indexed Jobs) run the staged steps on a local stand-in for each
//! scheduler (`tests/support/schedulers/`: an `sbatch` and a `kubectl`
//! that run the tasks here, one index after another), and give what a
//! one-shot `dedup` gives, byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::staged::{corpus, tree};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// PATH with the stand-in schedulers first.
fn path_with_standins() -> String {
    let standins = root().join("tests/support/schedulers");
    format!(
        "{}:{}",
        standins.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// What `dedup -o OUT` writes for `input`: the cleaned folder and the
/// removed list.
fn one_shot(input: &Path, out: &Path) -> (Vec<(PathBuf, Vec<u8>)>, Vec<u8>) {
    let status = Command::new(assert_cmd::cargo::cargo_bin("textdup"))
        .args(["dedup", "-q", "-o"])
        .arg(out)
        .arg(input)
        .status()
        .unwrap();
    assert!(status.code() == Some(0) || status.code() == Some(2));
    (tree(out), std::fs::read(removed_list(out)).unwrap())
}

fn removed_list(out: &Path) -> PathBuf {
    let name = format!(
        "{}.removed.jsonl",
        out.file_name().unwrap().to_str().unwrap()
    );
    out.with_file_name(name)
}

fn run(script: &Path, envs: &[(&str, &Path)], shards: &str) {
    let out = Command::new("bash")
        .arg(script)
        .current_dir(root())
        .env("PATH", path_with_standins())
        .env("TEXTDUP", assert_cmd::cargo::cargo_bin("textdup"))
        .env("TEXTDUP_ARGS", "-q")
        .env("SHARDS", shards)
        .envs(envs.iter().map(|&(k, v)| (k, v.as_os_str())))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn slurm_job_arrays_give_the_one_shot_result() {
    let tmp = tempfile::tempdir().unwrap();
    let input = corpus(tmp.path(), 120);
    let (cleaned, removed) = one_shot(&input, &tmp.path().join("one-shot"));
    assert!(!removed.is_empty(), "the corpus has duplicates");
    let (work, clean) = (tmp.path().join("work"), tmp.path().join("clean"));
    run(
        &root().join("deploy/slurm/submit.sh"),
        &[("INPUT", &input), ("WORK", &work), ("OUTPUT", &clean)],
        "3",
    );
    // Three sketch tasks ran, one per shard.
    for i in 0..3 {
        assert!(work.join(format!("sketch-{i:04}-of-0003.bin")).exists());
    }
    assert!(tree(&clean) == cleaned, "another cleaned corpus");
    assert!(std::fs::read(removed_list(&clean)).unwrap() == removed);
}

#[test]
fn kubernetes_indexed_jobs_give_the_one_shot_result() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("volume");
    std::fs::create_dir_all(&data).unwrap();
    // The ConfigMap's paths: /data/input, /data/work, /data/clean.
    let made = corpus(tmp.path(), 120);
    std::fs::rename(&made, data.join("input")).unwrap();
    let (cleaned, removed) = one_shot(&data.join("input"), &tmp.path().join("one-shot"));
    let state = tmp.path().join("applied");
    run(
        &root().join("deploy/k8s/run.sh"),
        &[
            ("STANDIN_DATA", &data),
            ("STANDIN_STATE", &state),
            ("STANDIN_STAGE", &root().join("deploy/stage.sh")),
        ],
        "5",
    );
    // run.sh sized the Indexed Jobs to the shards.
    let applied: String = (0..4)
        .map(|n| std::fs::read_to_string(state.join(format!("applied-{n}.yaml"))).unwrap())
        .collect();
    assert_eq!(applied.matches("completions: 5").count(), 2, "{applied}");
    assert!(applied.contains("SHARDS: \"5\""));
    for i in 0..5 {
        assert!(data
            .join(format!("work/sketch-{i:04}-of-0005.bin"))
            .exists());
    }
    let clean = data.join("clean");
    assert!(tree(&clean) == cleaned, "another cleaned corpus");
    assert!(std::fs::read(removed_list(&clean)).unwrap() == removed);
}

#[test]
fn stage_sh_says_what_is_missing() {
    let out = Command::new("bash")
        .arg(root().join("deploy/stage.sh"))
        .arg("sketch")
        .env_remove("INPUT")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("set INPUT"));
    let out = Command::new("bash")
        .arg(root().join("deploy/stage.sh"))
        .arg("merge")
        .env("INPUT", "x")
        .env("WORK", "y")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown step 'merge'"));
}
