//! Benchmarks of each stage and of a whole run, on a generated corpus with
//! planted near-duplicates (tests/support/planted.rs: random made-up words,
//! seed 11, 1,500 base documents with 4 edited copies each).
//!
//! Every benchmark first checks that its stage gives the expected answer on
//! this corpus, so a speed-up that breaks the result cannot go unnoticed.
//!
//! Run: `cargo bench --bench stages`; one stage: `cargo bench --bench stages -- minhash`.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use textdup::bench::candidates;
use textdup::bench::components;
use textdup::bench::{spans, Occurrence, SeenTwice};
use textdup::bench::{words, Word};
use textdup::{
    normalize, run, shingle, Banding, Config, DocId, Document, Level, MinHasher, NoProgress,
    Normalization, ShingleSet, Shingling,
};

#[path = "../tests/support/planted.rs"]
mod planted;

/// The corpus every benchmark uses, and its expected dedup result (pinned:
/// the generator and the pipeline are deterministic).
fn corpus() -> Vec<Document> {
    planted::planted_corpus(11, 1500, 4, 0.08)
        .into_iter()
        .map(|(id, text)| Document::new(id, text))
        .collect()
}
const EXPECTED_DOCS: usize = 7500;
const EXPECTED_REMOVED: u64 = 2080;

fn total_bytes(docs: &[Document]) -> u64 {
    docs.iter().map(|d| d.text.len() as u64).sum()
}

fn normalized(docs: &[Document]) -> Vec<String> {
    docs.iter()
        .map(|d| {
            let mut out = String::new();
            normalize(&d.text, &Normalization::ALL, &mut out);
            out
        })
        .collect()
}

fn bench_normalize(c: &mut Criterion) {
    let docs = corpus();
    let mut out = String::new();
    normalize("The Co-operation’s AIM!", &Normalization::ALL, &mut out);
    assert_eq!(out, "the cooperations aim");

    let mut group = c.benchmark_group("normalize");
    group.throughput(Throughput::Bytes(total_bytes(&docs)));
    group.bench_function("all steps", |b| {
        b.iter(|| {
            for doc in &docs {
                normalize(&doc.text, &Normalization::ALL, &mut out);
                black_box(&out);
            }
        })
    });
    // Words with the places they came from, as the passage grain cuts
    // every document in each of its passes: on real prose (punctuation
    // around words, capitals, lines), as the planted corpus has little.
    let prose = include_str!("../tests/data/devils-dictionary.txt");
    let (mut text, mut found) = (String::new(), Vec::<Word>::new());
    words(
        "Co-operation, (U.S.A.) end.",
        &Normalization::ALL,
        &mut text,
        &mut found,
    );
    assert_eq!(text, "cooperation u s a end");
    assert_eq!(found.len(), 5);
    group.throughput(Throughput::Bytes(prose.len() as u64));
    group.bench_function("words and their places, prose", |b| {
        b.iter(|| {
            words(prose, &Normalization::ALL, &mut text, &mut found);
            black_box((&text, &found));
        })
    });
    group.finish();
}

fn bench_shingle(c: &mut Criterion) {
    let texts = normalized(&corpus());
    let words = Shingling::default();
    let mut count = 0usize;
    shingle("a b c d e f", &words, 1, |_| count += 1);
    assert_eq!(count, 2);

    let mut group = c.benchmark_group("shingle");
    group.throughput(Throughput::Bytes(
        texts.iter().map(|t| t.len() as u64).sum(),
    ));
    group.bench_function("word 5-grams, xxh3", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for text in &texts {
                shingle(text, &words, 1, |h| acc ^= h);
            }
            black_box(acc)
        })
    });
    group.finish();
}

fn bench_minhash(c: &mut Criterion) {
    let texts = normalized(&corpus());
    let words = Shingling::default();
    let hashes: Vec<Vec<u64>> = texts
        .iter()
        .map(|t| {
            let mut h = Vec::new();
            shingle(t, &words, 1, |x| h.push(x));
            h
        })
        .collect();
    let hasher = MinHasher::new(128, 1);
    let a = hasher.sketch(hashes[0].iter().copied());
    assert_eq!(
        a.similarity(&hasher.sketch(hashes[0].iter().rev().copied())),
        1.0
    );

    let mut group = c.benchmark_group("minhash");
    group.throughput(Throughput::Bytes(
        texts.iter().map(|t| t.len() as u64).sum(),
    ));
    group.bench_function("128 permutations", |b| {
        let mut slots = hasher.empty();
        b.iter(|| {
            for doc in &hashes {
                slots.fill(u32::MAX);
                hasher.sketch_into(doc, &mut slots);
                black_box(&slots);
            }
        })
    });
    group.finish();
}

fn bench_lsh(c: &mut Criterion) {
    let texts = normalized(&corpus());
    let config = Config::default();
    let banding: Banding = config.banding();
    let hasher = MinHasher::new(config.num_perm, config.seed);
    let mut keys = Vec::new();
    for text in &texts {
        let mut slots = hasher.empty();
        shingle(text, &config.shingling, config.seed, |h| {
            hasher.update(&mut slots, h)
        });
        banding.keys(&slots, &mut keys);
    }
    let docs: Vec<DocId> = (0..texts.len() as u32).map(DocId).collect();
    let pairs = candidates(&docs, &keys, banding.bands);
    assert!(
        pairs.len() > 3000,
        "planted copies make candidates: {}",
        pairs.len()
    );

    let mut group = c.benchmark_group("lsh");
    group.throughput(Throughput::Elements(docs.len() as u64));
    group.bench_function("candidates", |b| {
        b.iter(|| black_box(candidates(&docs, &keys, banding.bands)))
    });
    group.finish();
}

fn bench_verify(c: &mut Criterion) {
    let texts = normalized(&corpus());
    let words = Shingling::default();
    let sets: Vec<ShingleSet> = texts
        .iter()
        .map(|t| ShingleSet::new(t, &words, 1))
        .collect();
    assert_eq!(sets[0].jaccard(&sets[0]), 1.0);

    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(sets.len() as u64 - 1));
    group.bench_function("exact jaccard", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for pair in sets.windows(2) {
                sum += pair[0].jaccard(&pair[1]);
            }
            black_box(sum)
        })
    });
    group.finish();
}

fn bench_cluster(c: &mut Criterion) {
    let n = 100_000u32;
    let edges: Vec<(DocId, DocId)> = (0..n - 1)
        .filter(|i| i % 3 != 0)
        .map(|i| (DocId(i), DocId(i + 1)))
        .collect();
    assert_eq!(components(n as usize, edges.iter().copied()).len(), 33_333);

    let mut group = c.benchmark_group("cluster");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("union-find components", |b| {
        b.iter(|| black_box(components(n as usize, edges.iter().copied())))
    });
    group.finish();
}

fn bench_end_to_end(c: &mut Criterion) {
    let docs = corpus();
    assert_eq!(docs.len(), EXPECTED_DOCS);
    let config = Config::default();
    let report = run(&docs, &config, &NoProgress).expect("in-memory corpus");
    assert_eq!(report.summary().removed, EXPECTED_REMOVED);

    let mut group = c.benchmark_group("end to end");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(total_bytes(&docs)));
    group.bench_function("run, exact verification", |b| {
        b.iter_batched(
            || (),
            |()| run(&docs, &config, &NoProgress),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn bench_passages(c: &mut Criterion) {
    // Documents of three lines each, where every third repeats a line of
    // another: passage clusters to find.
    let docs: Vec<Document> = corpus()
        .chunks(3)
        .enumerate()
        .map(|(i, trio)| {
            let lines: Vec<&str> = trio
                .iter()
                .map(|d| &d.text[..d.text.len().min(300)])
                .collect();
            Document::new(format!("p{i}"), lines.join("\n"))
        })
        .collect();
    let config = Config {
        level: Level::Passage,
        ..Config::default()
    };
    let report = run(&docs, &config, &NoProgress).expect("in-memory corpus");
    assert!(
        report.summary().passages > 7000,
        "{}",
        report.summary().passages
    );
    assert!(
        report.summary().passage_clusters > 500,
        "{}",
        report.summary().passage_clusters
    );

    let mut group = c.benchmark_group("passages");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(total_bytes(&docs)));
    group.bench_function("passage level run", |b| {
        b.iter(|| run(&docs, &config, &NoProgress))
    });
    group.finish();
}

fn bench_spans(c: &mut Criterion) {
    let docs = corpus();
    let k = 10;
    let prepared: Vec<(String, Vec<Word>)> = docs
        .iter()
        .map(|d| {
            let (mut text, mut found) = (String::new(), Vec::new());
            words(&d.text, &Normalization::ALL, &mut text, &mut found);
            (text, found)
        })
        .collect();
    let detect = || {
        let seen = SeenTwice::with_bits(total_bytes(&docs));
        for (text, found) in &prepared {
            spans::windows(text, found, k, 1, |_, h| seen.insert(h));
        }
        let mut occurrences = Vec::new();
        for (d, (text, found)) in prepared.iter().enumerate() {
            spans::windows(text, found, k, 1, |i, hash| {
                if seen.maybe_repeated(hash) {
                    occurrences.push(Occurrence {
                        hash,
                        doc: DocId(d as u32),
                        word: i as u32,
                    });
                }
            });
        }
        let mut all = spans::Occurrences::default();
        all.extend(&occurrences);
        spans::cluster(all, k, 3).expect("few regions")
    };
    // Every planted copy shares spans with its original.
    assert!(detect().len() > 1000, "{}", detect().len());

    let mut group = c.benchmark_group("spans");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(total_bytes(&docs)));
    group.bench_function("detect, 10-word spans", |b| b.iter(|| black_box(detect())));
    group.finish();
}

criterion_group!(
    stages,
    bench_passages,
    bench_spans,
    bench_normalize,
    bench_shingle,
    bench_minhash,
    bench_lsh,
    bench_verify,
    bench_cluster,
    bench_end_to_end
);
criterion_main!(stages);
