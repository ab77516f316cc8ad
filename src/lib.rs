//! textdup finds repeated and near-duplicate text at scale.
//!
//! A run streams a [`Corpus`] through these stages, one private module
//! each (`cargo doc --document-private-items` shows them, and
//! `ARCHITECTURE.md` maps them):
//!
//! | stage | takes → returns | public face |
//! |---|---|---|
//! | read | paths → [`Document`]s (or [`Skip`]s) | [`Files`], [`ReadOptions`] |
//! | normalize | text → normalized text | [`normalize()`], [`Normalization`] |
//! | shingle | normalized text → shingle hashes | [`shingle()`], [`Shingling`] |
//! | minhash | shingle hashes → [`Signature`] | [`MinHasher`] |
//! | lsh | signatures → [`CandidatePair`]s | [`Banding`] |
//! | verify | candidate pairs → [`SimilarPair`]s | [`verify()`], [`Verification`] |
//! | cluster | similar pairs → [`Cluster`]s | [`Keep`] |
//! | passage | documents → [`PassageCluster`]s, [`SpanCluster`]s | [`PassageConfig`] |
//! | report | clusters → JSON Lines, summary, HTML | [`Report`], [`report`] |
//! | write | corpus + clusters → cleaned corpus | [`write`](mod@write) |
//!
//! [`run`] and [`run_with`] run them in order, and are the only place that
//! decides what runs in parallel. The library never prints: progress and
//! skipped inputs reach the caller through the [`Progress`] trait.
//!
//! Beside the pipeline: [`staged`] cuts a run into processes (sketch,
//! cluster, filter), [`output`] is how every output reaches the disk whole,
//! [`synth`] builds benchmark corpora with planted near-duplicates from real
//! text, and [`eval`] scores a clustering against labelled truth.
//!
//! ```
//! use textdup::{run, Config, Document, NoProgress};
//!
//! let article = "The Organization for Security and Co-operation in Europe \
//!                has addressed recent allegations made against its staff.";
//! let docs = vec![
//!     Document::new("original", article),
//!     Document::new("copy", format!("{article} Share this article.")),
//!     Document::new("other", "Russia has triggered a diplomatic crisis by deploying troops."),
//! ];
//! let config = Config { threshold: 0.7, ..Config::default() };
//! let report = run(&docs, &config, &NoProgress)?;
//!
//! assert_eq!(report.clusters().len(), 1);
//! let cluster = &report.clusters()[0];
//! assert_eq!(report.id(cluster.kept()), "original");
//! assert!(cluster.members[1].similarity >= 0.7);
//! assert_eq!(report.summary().read, report.summary().kept + report.summary().removed + report.summary().skipped);
//! # Ok::<(), textdup::Error>(())
//! ```

#![deny(missing_docs)]
#![warn(unnameable_types)]

mod cluster;
mod config;
mod core;
mod error;
pub mod eval;
mod fsutil;
pub mod index;
mod lsh;
mod minhash;
mod normalize;
pub mod output;
mod passage;
mod pipeline;
mod progress;
mod read;
mod records;
pub mod report;
mod runs;
mod shingle;
pub mod staged;
mod stagefile;
pub mod synth;
mod verify;
pub mod write;

#[doc(hidden)]
pub mod bench;
#[doc(hidden)]
pub mod fuzz;

pub use crate::core::{DocId, Numbered, Span};
pub use cluster::{components, Cluster, ClusterId, Keep, Member};
pub use config::{parse_size, Config, Level, PassageConfig, Resources};
pub use error::{
    ColumnProblem, Error, IndexProblem, OutputProblem, Result, Setting, StagedProblem,
};
pub use lsh::{bucket_pairs, BandKey, Banding, CandidatePair, Spilled, BUCKET_ALL_PAIRS};
pub use minhash::{MinHasher, Signature, HASH_SCHEME};
pub use normalize::{normalize, Normalization};
pub use passage::spans::{SpanCluster, SpanClusters, SpanMember};
pub use passage::{MatchKind, PassageCluster, PassageClusters, PassageMember, PassageUnit};
pub use pipeline::{run, run_with, NoProgress, Progress, Sketcher, Stage, StageTime, TextSketch};
pub use read::{
    Corpus, Document, Files, Format, InputFormat, Origin, ReadOptions, Record, Skip, SkipReason,
    Source,
};
pub use report::{Report, Summary};
pub use shingle::{shingle, ShingleSet, Shingling, Unit};
pub use verify::{verify, Evidence, ShingleSets, SimilarPair, Verification};

#[cfg(test)]
mod tests {
    /// Reports and configs cross thread boundaries in callers' code.
    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::Config>();
        assert_send_sync::<crate::Report>();
        assert_send_sync::<crate::PassageClusters>();
        assert_send_sync::<crate::SpanClusters>();
        assert_send_sync::<crate::Document>();
        assert_send_sync::<crate::Files>();
        assert_send_sync::<crate::MinHasher>();
        assert_send_sync::<crate::Error>();
        assert_send_sync::<crate::Summary>();
        assert_send_sync::<crate::Cluster>();
        assert_send_sync::<crate::Signature>();
        assert_send_sync::<crate::ShingleSet>();
        assert_send_sync::<crate::ShingleSets>();
        assert_send_sync::<crate::Banding>();
        assert_send_sync::<crate::Skip>();
        assert_send_sync::<crate::eval::Clustering>();
        assert_send_sync::<crate::eval::Scores>();
        assert_send_sync::<crate::synth::SynthOptions>();
        assert_send_sync::<crate::write::Written>();
    }
}
