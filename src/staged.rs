//! Staged runs: the document pipeline cut into three steps that run as
//! processes of their own, on one machine or many, and can be run again
//! after a kill.
//!
//! ```text
//! sketch_shard      one shard of the corpus        → a sketch file
//! cluster_sketches  every sketch file + the corpus → the Report of a one-shot run
//! removal_plan      the Report                     → the documents to remove,
//!                   written with write_plan        → a plan file
//! filter_shard      the plan + one shard           → that shard of the cleaned corpus
//! ```
//!
//! Together they give what [`run_with`](crate::run_with) and
//! [`write_corpus`](crate::write::write_corpus) give, byte for byte. The
//! file formats (versioned, refused when made with other settings or for
//! another corpus) are documented in `ARCHITECTURE.md`.
//!
//! ```
//! use textdup::staged::{cluster_sketches, sketch_shard, Shard};
//! use textdup::{Config, Files, NoProgress, ReadOptions, Resources};
//!
//! let dir = tempfile::tempdir()?;
//! let text = "one two three four five six seven eight nine ten eleven twelve";
//! for name in ["a.txt", "b.txt"] {
//!     std::fs::write(dir.path().join(name), text)?;
//! }
//! let files = Files::open(&[dir.path().to_path_buf()], ReadOptions::default(), None)?;
//! let config = Config::default();
//! let mut sketches = Vec::new();
//! for index in 0..2 {
//!     let shard = Shard::new(index, 2).expect("index below count");
//!     let path = dir.path().join(format!("sketch-{index}.bin"));
//!     sketch_shard(&files, shard, &config, &path, &NoProgress)?;
//!     sketches.push(path);
//! }
//! let report = cluster_sketches(&files, &sketches, &config, &Resources::default(), &NoProgress)?;
//! assert_eq!(report.summary().removed, 1);
//! // Where the time went, as a one-shot run tells it.
//! let stages: Vec<&str> = report.summary().stages.iter().map(|t| t.stage.name()).collect();
//! assert_eq!(stages[..2], ["reading sketches", "finding candidates"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::pipeline::{cluster_sketches, removal_plan, sketch_shard, ShardSketch};
pub use crate::read::Shard;
pub use crate::stagefile::{cluster_options, read_plan, write_plan, CorpusPrint, Plan};
pub use crate::write::filter_shard;
