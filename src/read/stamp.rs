//! Stamps: what each input file looked like when the run began.
//!
//! A run reads its inputs more than once (pass 2, the passage passes, the
//! writer), and the writer copies kept lines by line number. An input
//! that changes in between (truncated, appended to, replaced) would give a
//! cleaned corpus that does not match the report. So each file's size,
//! modification and status-change times and inode are taken when the
//! corpus is listed, and
//! compared again before each file is copied and before any output is
//! committed: a difference is fatal, never garbage.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::SystemTime;

/// What a file looked like: enough to notice a change without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    device: u64,
    inode: u64,
    /// Status change time: moves on any write, and cannot be set back.
    changed: (i64, i64),
}

impl Stamp {
    /// The file's stamp now; `None` if it cannot be read (it is then
    /// reported as a skip when read, and must stay unreadable).
    pub(crate) fn of(path: &Path) -> Option<Stamp> {
        let meta = fs::metadata(path).ok()?;
        Some(Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            device: meta.dev(),
            inode: meta.ino(),
            changed: (meta.ctime(), meta.ctime_nsec()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_changes_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        fs::write(&path, "one\ntwo\n").unwrap();
        let before = Stamp::of(&path);
        assert!(before.is_some());
        assert_eq!(Stamp::of(&path), before);
        fs::write(&path, "one\n").unwrap();
        assert_ne!(Stamp::of(&path), before);
        assert_eq!(Stamp::of(&dir.path().join("missing")), None);
    }
}
