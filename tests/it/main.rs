//! textdup's integration tests: one binary, one module per concern.

/// Generated corpora and helpers shared by the modules below.
mod common;

/// Bad inputs: each is skipped with one warning and the run goes on.
mod bad_input;
/// The HTML report in headless Chromium.
mod browser;
/// `textdup dedup`: output shapes, refusals, the removed list.
mod dedup;
/// The scheduler scripts of `deploy/` on stand-in schedulers.
#[cfg(unix)]
mod deploy;
/// Input formats and how a file's name and content choose one.
mod formats;
/// The committed fuzz corpora and crash inputs, through the fuzz entry points.
mod fuzz_replay;
/// The persistent index: one-shot equality, adds, compaction, a killed
/// writer, readers beside a writer, refused settings, damage.
#[cfg(unix)]
mod index;
/// The library's modules import only from layers below their own.
mod layers;
/// `textdup synth` and `textdup eval`: benchmark corpora and scores.
mod measure;
/// LSH + verify against a brute-force all-pairs oracle.
mod oracle;
/// Parquet in and out: rows as documents, every column kept.
mod parquet;
/// The passage grain: the seed corpus's repeats, cleaning, annotations.
mod passage;
/// Invariants under random input (proptest).
mod properties;
/// The README's examples, run as written.
mod readme;
/// One test per data-loss or wrong-exit path that was found and closed.
mod regression;
/// Runs under a memory limit: the spilled band index, interruption.
mod scale;
/// `textdup scan` on the seed corpus and its output formats.
mod scan;
/// Staged runs (sketch, cluster, filter) against the one-shot run.
mod staged;
/// Output is the same whatever the thread count.
mod threads;
/// WARC and WET in and out: text records as documents, the rest kept.
mod warc;
