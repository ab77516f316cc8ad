//! textdup finds repeated and near-duplicate text at scale.
//!
//! A run streams a [`Corpus`] through these stages, one module each:
//!
//! | stage | module | takes → returns |
//! |---|---|---|
//! | read | [`read`] | paths → [`Document`]s (or [`Skip`]s) |
//! | normalize | [`normalize`](mod@normalize) | text → normalized text |
//! | shingle | [`shingle`](mod@shingle) | normalized text → shingle hashes |
//! | minhash | [`minhash`] | shingle hashes → [`Signature`] |
//! | lsh | [`lsh`] | signatures → [`CandidatePair`]s |
//! | verify | [`verify`](mod@verify) | candidate pairs → [`SimilarPair`]s |
//! | cluster | [`cluster`] | similar pairs → [`Cluster`]s |
//! | report | [`report`] | clusters → JSON Lines, summary |
//! | write | [`write`](mod@write) | corpus + clusters → cleaned corpus |
//!
//! Beside the pipeline, [`synth`] builds benchmark corpora with planted
//! near-duplicates from real text and [`eval`] scores a clustering against
//! labelled truth.
//!
//! [`pipeline::run`] runs them in order and is the only place that decides
//! what runs in parallel. The library never prints: progress and skipped
//! inputs reach the caller through the [`Progress`] trait.
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
//! assert_eq!(report.clusters.len(), 1);
//! let cluster = &report.clusters[0];
//! assert_eq!(report.id(cluster.kept()), "original");
//! assert!(cluster.members[1].similarity >= 0.7);
//! assert_eq!(report.summary.read, report.summary.kept + report.summary.removed + report.summary.skipped);
//! # Ok::<(), textdup::Error>(())
//! ```

#![warn(missing_docs)]

pub mod cluster;
pub mod config;
mod core;
mod error;
pub mod eval;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzz;
pub mod lsh;
pub mod minhash;
pub mod normalize;
pub mod passage;
pub mod pipeline;
mod progress;
pub mod read;
pub mod report;
pub mod shingle;
pub mod stagefile;
pub mod synth;
pub mod verify;
pub mod write;

pub use crate::core::Numbered;
pub use cluster::{Cluster, ClusterId, Keep, Member};
pub use config::{Config, Level, PassageConfig, Resources};
pub use error::{Error, OutputProblem, Result, StagedProblem};
pub use lsh::{Banding, CandidatePair};
pub use minhash::{MinHasher, Signature};
pub use normalize::{normalize, Normalization};
pub use pipeline::{run, run_with, NoProgress, Progress, Stage};
pub use read::{Corpus, DocId, Document, Files, Origin, ReadOptions, Record, Skip, SkipReason};
pub use report::{Report, Summary};
pub use shingle::{shingle, ShingleSet, Shingling, Unit};
pub use verify::{verify, ShingleSets, SimilarPair, Verification};

#[cfg(test)]
mod tests {
    /// Reports and configs cross thread boundaries in callers' code.
    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::Config>();
        assert_send_sync::<crate::Report>();
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
