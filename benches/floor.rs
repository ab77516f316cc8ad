//! The hashing floor: what reading the corpus and hashing every shingle
//! once costs, with nothing else (issue #5). textdup's end-to-end
//! throughput is judged as a fraction of this.
//!
//! The floor reads the JSON Lines file with serde_json, lowercases, splits
//! on white space, hashes every word 5-gram with XXH3, and sorts and
//! dedups each document's hashes, on one thread, and in parallel over the
//! file read whole (the floor at N threads); `textdup` runs the whole
//! document pipeline on the same file, on one thread and on two, with the
//! shingle sets of pass 1 kept for verification (the default up to 256 MiB
//! of them) and with none kept (a corpus far larger, or a run under a
//! memory limit: verification reads the candidates again).
//!
//! The corpus is the generated one of `tests/support/planted.rs` (seed 11,
//! 7,500 documents) written to a temporary JSON Lines file.
//!
//! Run: `cargo bench --bench floor`.

use std::io::{BufRead, BufReader};

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use xxhash_rust::xxh3::xxh3_64;

use textdup::{run, run_with, Config, Files, NoProgress, ReadOptions, Resources};

#[path = "../tests/support/planted.rs"]
mod planted;

/// The floor: parse, lowercase, split, hash 5-grams, sort and dedup.
fn floor(path: &std::path::Path) -> u64 {
    let file =
        BufReader::with_capacity(256 * 1024, std::fs::File::open(path).expect("bench corpus"));
    let mut hashes = Vec::new();
    file.lines()
        .map(|line| floor_line(&line.expect("bench corpus is UTF-8"), &mut hashes))
        .sum()
}

/// The floor on all threads of the current pool: the file read whole, its
/// lines hashed in parallel chunks. What "the floor at N threads" means.
fn floor_parallel(path: &std::path::Path) -> u64 {
    use rayon::prelude::*;
    let text = std::fs::read_to_string(path).expect("bench corpus is UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    lines
        .par_chunks(256)
        .map_init(Vec::new, |hashes, chunk| {
            chunk
                .iter()
                .map(|line| floor_line(line, hashes))
                .sum::<u64>()
        })
        .sum()
}

/// One JSON line's distinct 5-gram hashes, counted.
fn floor_line(line: &str, hashes: &mut Vec<u64>) -> u64 {
    let doc: serde_json::Value = serde_json::from_str(line).expect("bench corpus is JSON");
    let text = doc["text"].as_str().expect("text field").to_lowercase();
    let words: Vec<&str> = text.split_whitespace().collect();
    hashes.clear();
    for window in words.windows(5) {
        hashes.push(xxh3_64(window.join(" ").as_bytes()));
    }
    hashes.sort_unstable();
    hashes.dedup();
    hashes.len() as u64
}

fn bench_floor(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("corpus.jsonl");
    let mut out = String::new();
    for (id, text) in planted::planted_corpus(11, 1500, 4, 0.08) {
        out += &serde_json::json!({ "id": id, "text": text }).to_string();
        out.push('\n');
    }
    std::fs::write(&path, &out).expect("temporary folder is writable");
    let bytes = out.len() as u64;
    assert!(floor(&path) > 500_000, "every document hashed");
    assert_eq!(floor(&path), floor_parallel(&path));

    let files = Files::open(std::slice::from_ref(&path), ReadOptions::default(), None)
        .expect("bench corpus");
    let config = Config::default();
    let report = run(&files, &config, &NoProgress).expect("bench corpus");
    assert_eq!(report.summary().read, 7500);

    let mut group = c.benchmark_group("floor");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("read + hash 5-grams, 1 thread", |b| {
        b.iter(|| black_box(floor(&path)))
    });
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        group.bench_function(
            format!("read + hash 5-grams, {threads} threads, in memory"),
            |b| b.iter(|| pool.install(|| black_box(floor_parallel(&path)))),
        );
        group.bench_function(format!("textdup document run, {threads} threads"), |b| {
            b.iter(|| pool.install(|| run(&files, &config, &NoProgress).expect("bench corpus")))
        });
        // No shingle sets kept from pass 1: what a corpus far past the set
        // cache gets, as verification reads the candidates again.
        let unkept = Resources {
            set_cache: Some(0),
            ..Resources::default()
        };
        group.bench_function(
            format!("textdup document run, {threads} threads, no sets kept"),
            |b| {
                b.iter(|| {
                    pool.install(|| {
                        run_with(&files, &config, &unkept, &NoProgress).expect("bench corpus")
                    })
                })
            },
        );
    }
    group.finish();
}

criterion_group!(floor_group, bench_floor);
criterion_main!(floor_group);
