//! How textdup's outputs reach the disk, for callers that write their own
//! alongside a run's (the binary, bindings).
//!
//! Every output appears whole or not at all, and never replaces a file by
//! accident: a [`Commit`] stages a run's outputs under temporary names next
//! to their destinations and puts them all in place in one step, refusing
//! to replace what appeared meanwhile unless asked ([`Existing`]). An
//! existing device or FIFO is written as a stream; a symlink is followed.
//! If a process dies mid-commit, [`recover`] finishes it on the next run.
//! [`check_output`] and [`check_distinct`] refuse, before a run spends its
//! time, outputs that would overwrite an input or each other.
//!
//! ```
//! use std::io::Write;
//! use textdup::output::{Commit, Existing};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("clusters.jsonl");
//! let mut commit = Commit::new(Existing::Refuse);
//! commit.write(&path, |out| out.write_all(b"{}\n"))?;
//! drop(commit.commit(|| Ok(()))?);
//! assert_eq!(std::fs::read(&path)?, b"{}\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::fsutil::{
    check_distinct, check_output, is_stream, recover, Commit, Destination, Existing, OutputFile,
    Receipt, Recovered, WrittenBack,
};
