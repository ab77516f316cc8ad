//! Commit: a run's outputs appear under their final names together, or
//! not at all.
//!
//! A run that writes a cleaned corpus and its removed list (and perhaps
//! clusters, annotations and an HTML page) must never leave one without
//! the others: a cleaned corpus whose removed list is missing cannot be
//! audited, and a rerun would refuse to replace it. So every output is
//! first written in full under a temporary name beside its final one
//! (`.NAME.textdup-tmp-PID`), and the set is then committed:
//!
//! 1. every temporary is complete and synced to disk;
//! 2. a journal listing each temporary and its final name is written
//!    beside the first output and linked to `.NAME.textdup-commit`: that
//!    link is the commit point. It fails if the journal exists, so of two
//!    runs committing to the same output one wins and the other stops
//!    with nothing renamed;
//! 3. each temporary is renamed to its final name; without permission to
//!    replace, with `RENAME_NOREPLACE`, so an output that appeared since
//!    the start check is never replaced;
//! 4. the journal is removed when the caller is done with the
//!    [`Receipt`] (after its summary is printed).
//!
//! A crash before step 2 leaves only temporaries, which the next run that
//! writes there removes (the writing process is gone). A crash after it
//! leaves a journal, which the next run finishes (rolls forward, see
//! [`recover`]) before it does anything else: every temporary it names was
//! complete. Either way the final names hold all of one run's outputs or
//! none of them. The journal carries the caller's label of the run (for
//! the CLI, a hash of the command line and its inputs), so that rerunning
//! the same command after a kill can tell that its outputs are now in
//! place. A commit of one output with no label needs no journal: one
//! rename is atomic.
//!
//! Outputs that are not regular files cannot be renamed over: `-` is
//! standard output, and an existing character device, FIFO or socket
//! (`/dev/null`, a named pipe, `/dev/stdout` when it is a pipe) is written
//! in place, as a stream; a folder of outputs cannot go to one. A
//! symbolic link is followed: its target is what gets replaced, in the
//! target's own folder, and the link stays.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

use super::is_stream;
use crate::error::{Error, OutputProblem, Result};

/// What to do when an output already exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Fail with [`Error::OutputExists`].
    Refuse,
    /// Replace it once the new output is complete.
    Replace,
}

/// Where the bytes of one output go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Standard output (the path `-`).
    Stdout,
    /// An existing file that is not a regular file (a device, a FIFO, a
    /// socket), written in place as a stream.
    Stream(PathBuf),
    /// A temporary file (or folder) to fill, renamed to its final name at
    /// the commit.
    Staged(PathBuf),
}

impl Destination {
    /// Opens the destination for writing. A staged file is created (it
    /// must not exist); a stream is opened without truncating or
    /// creating anything.
    pub fn create(&self) -> io::Result<OutputFile> {
        Ok(match self {
            Destination::Stdout => OutputFile::Stdout(BufWriter::new(io::stdout())),
            Destination::Stream(path) => {
                OutputFile::Stream(BufWriter::new(File::options().write(true).open(path)?))
            }
            Destination::Staged(path) => OutputFile::File(BufWriter::new(WrittenBack::new(
                File::options().write(true).create_new(true).open(path)?,
            ))),
        })
    }
}

/// An open output: buffered, and finished explicitly so that a failing
/// last write or sync (a full disk) is an error, not lost in a drop.
pub enum OutputFile {
    /// Standard output.
    Stdout(BufWriter<io::Stdout>),
    /// A device or FIFO.
    Stream(BufWriter<File>),
    /// A staged regular file, synced when finished.
    File(BufWriter<WrittenBack>),
}

/// A file whose pages are handed to the disk as they are written, so
/// that the sync at the end waits for the last few megabytes, not for
/// all of them: a gigabyte report was otherwise written to the page
/// cache, and only then, in the final sync, to the disk, four seconds
/// of a twenty-second run spent waiting with the CPU idle. The kernel
/// starts the writeback and returns (`sync_file_range` with
/// `SYNC_FILE_RANGE_WRITE` only); durability still comes from the sync.
pub struct WrittenBack {
    file: File,
    /// Bytes written so far.
    written: u64,
    /// Where the range not yet handed over starts.
    handed: u64,
}

impl WrittenBack {
    /// How much is written before it is handed over: large enough for
    /// the disk to take in big requests, small enough to start early.
    const EVERY: u64 = 16 << 20;

    fn new(file: File) -> Self {
        WrittenBack {
            file,
            written: 0,
            handed: 0,
        }
    }

    /// Syncs the whole file, data and size.
    fn sync_all(self) -> io::Result<()> {
        self.file.sync_all()
    }

    #[cfg(target_os = "linux")]
    fn hand_over(&mut self) {
        use std::os::fd::AsRawFd;
        let len = self.written - self.handed;
        // SAFETY: a plain system call on a descriptor this struct owns,
        // with no memory passed; its failure (a file system without
        // writeback) only leaves the work to the final sync, so it is
        // ignored.
        unsafe {
            libc::sync_file_range(
                self.file.as_raw_fd(),
                self.handed as libc::off64_t,
                len as libc::off64_t,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
        self.handed = self.written;
    }

    #[cfg(not(target_os = "linux"))]
    fn hand_over(&mut self) {
        self.handed = self.written;
    }
}

impl Write for WrittenBack {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.handed >= Self::EVERY {
            self.hand_over();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            OutputFile::Stdout(w) => w.write(buf),
            OutputFile::Stream(w) => w.write(buf),
            OutputFile::File(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            OutputFile::Stdout(w) => w.write_all(buf),
            OutputFile::Stream(w) => w.write_all(buf),
            OutputFile::File(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            OutputFile::Stdout(w) => w.flush(),
            OutputFile::Stream(w) => w.flush(),
            OutputFile::File(w) => w.flush(),
        }
    }
}

impl OutputFile {
    /// Flushes, and syncs a regular file to disk (a device or pipe has
    /// nothing to sync).
    pub fn finish(self) -> io::Result<()> {
        match self {
            OutputFile::Stdout(mut w) => w.flush(),
            OutputFile::Stream(w) => w.into_inner().map_err(|e| e.into_error()).map(drop),
            OutputFile::File(w) => w.into_inner().map_err(|e| e.into_error())?.sync_all(),
        }
    }
}

/// One staged output.
#[derive(Clone, Debug)]
struct Entry {
    /// The temporary, beside `target`.
    tmp: PathBuf,
    /// The final name (a symbolic link's target, resolved).
    target: PathBuf,
    /// The name the caller gave, for messages.
    named: PathBuf,
}

/// A set of outputs committed together. Dropping it uncommitted removes
/// every temporary it made.
#[derive(Debug)]
pub struct Commit {
    /// The journal's final name, beside the first output.
    journal: Option<PathBuf>,
    existing: Existing,
    entries: Vec<Entry>,
    /// Final names of every output added, resolved, to refuse doubles.
    claimed: Vec<PathBuf>,
    committed: bool,
    recovered: Vec<PathBuf>,
    label: String,
    /// Whether each output's folder is searched for a dead run's
    /// temporaries (not when the caller has done it for all of them).
    tidy: bool,
}

/// A committed set of outputs. Dropping it removes the commit's journal:
/// keep it until the run has nothing left to do.
#[derive(Debug)]
#[must_use = "dropping the receipt ends the commit"]
pub struct Receipt {
    journal: Option<PathBuf>,
}

impl Drop for Receipt {
    fn drop(&mut self) {
        if let Some(journal) = &self.journal {
            let _ = fs::remove_file(journal);
        }
    }
}

/// What [`recover`] finished of an interrupted run's commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovered {
    /// The interrupted run's label (see [`Commit::label`]).
    pub label: String,
    /// Its outputs, all now in place (those that were renamed before the
    /// interruption included).
    pub outputs: Vec<PathBuf>,
}

impl Commit {
    /// A commit of outputs that replaces existing ones only when
    /// `existing` allows it.
    pub fn new(existing: Existing) -> Commit {
        Commit {
            journal: None,
            existing,
            entries: Vec::new(),
            claimed: Vec::new(),
            committed: false,
            recovered: Vec::new(),
            label: String::new(),
            tidy: true,
        }
    }

    /// Leaves removing dead runs' temporaries to the caller, who has done
    /// it for the outputs' folders ([`remove_stale_temporaries_in`]): a
    /// commit per file of a large folder would read the folder each time.
    pub(crate) fn tidied(mut self) -> Commit {
        self.tidy = false;
        self
    }

    /// Names the run in the journal, so that [`recover`] can tell a
    /// rerun of the same run (one line of text, no newline).
    pub fn label(mut self, label: &str) -> Commit {
        self.label = label.replace('\n', " ");
        self
    }

    /// Outputs that an earlier, interrupted run had committed and that
    /// this one put in place before starting (see the module doc).
    pub fn recovered(&self) -> &[PathBuf] {
        &self.recovered
    }

    /// Adds the output file `path`, and says where to write it. Fails if
    /// it exists as a regular file and may not be replaced, or if another
    /// run is committing to it. Finishes or clears what an interrupted run
    /// left there first.
    pub fn file(&mut self, path: &Path) -> Result<Destination> {
        if path.as_os_str() == "-" {
            return Ok(Destination::Stdout);
        }
        // Asked of the kernel, which follows every link, before they are
        // followed by hand: the links of `/dev/fd/N` to a pipe or a socket
        // read `pipe:[…]`, which names no file, yet opening them works.
        if is_stream(path) {
            return Ok(Destination::Stream(path.to_path_buf()));
        }
        let target = resolve(path)?;
        let tmp = self.stage(path, target)?;
        Ok(Destination::Staged(tmp))
    }

    /// Adds the output folder `path` and returns the temporary folder to
    /// fill, created empty.
    pub fn folder(&mut self, path: &Path) -> Result<PathBuf> {
        if is_stream(path) {
            return Err(Error::Output {
                path: path.to_path_buf(),
                problem: OutputProblem::FolderToStdout,
            });
        }
        let target = resolve(path)?;
        let tmp = self.stage(path, target)?;
        fs::create_dir(&tmp).map_err(|e| Error::io(path, e))?;
        Ok(tmp)
    }

    /// Adds the output file `path` and writes it with `fill`.
    pub fn write(
        &mut self,
        path: &Path,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<()> {
        let destination = self.file(path)?;
        let mut out = destination.create().map_err(|e| Error::io(path, e))?;
        fill(&mut out)
            .and_then(|()| out.finish())
            .map_err(|e| Error::io(path, e))
    }

    fn stage(&mut self, named: &Path, target: PathBuf) -> Result<PathBuf> {
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(Error::Output {
                path: named.to_path_buf(),
                problem: OutputProblem::NoFolder(folder.to_path_buf()),
            });
        }
        if self.claimed.contains(&target) {
            return Err(Error::Output {
                path: named.to_path_buf(),
                problem: OutputProblem::NamedTwice,
            });
        }
        if self.journal.is_none() {
            if let Some(done) = recover(&target)? {
                self.recovered.extend(done.outputs);
            }
            self.journal = Some(sibling(&target, "commit", None)?);
        }
        if self.tidy {
            remove_stale_temporaries(&target);
        }
        if self.existing == Existing::Refuse && fs::symlink_metadata(&target).is_ok() {
            return Err(Error::OutputExists {
                path: named.to_path_buf(),
            });
        }
        let tmp = sibling(&target, "tmp", Some(std::process::id()))?;
        // Ours from an earlier commit of this process (a test): start clean.
        remove_path(&tmp);
        self.claimed.push(target.clone());
        self.entries.push(Entry {
            tmp: tmp.clone(),
            target,
            named: named.to_path_buf(),
        });
        Ok(tmp)
    }

    /// Puts every staged output under its final name, together (see the
    /// module doc). `check` runs last before the commit point: an error
    /// from it (an input that changed, a Ctrl-C) commits nothing.
    pub fn commit(mut self, check: impl FnOnce() -> Result<()>) -> Result<Receipt> {
        check()?;
        let Some(journal) = self.journal.clone() else {
            self.committed = true;
            return Ok(Receipt { journal: None }); // nothing staged: streams only
        };
        let journaled = self.entries.len() > 1 || !self.label.is_empty();
        for entry in &self.entries {
            // A fill that wrote nothing (a removed text file as the whole
            // corpus) still leaves an output: an empty one.
            if fs::symlink_metadata(&entry.tmp).is_err() {
                File::create(&entry.tmp).map_err(|e| Error::io(&entry.named, e))?;
            }
            if self.existing == Existing::Refuse && fs::symlink_metadata(&entry.target).is_ok() {
                return Err(Error::OutputExists {
                    path: entry.named.clone(),
                });
            }
        }
        if journaled {
            self.write_journal(&journal)?;
        }
        let mut placed = Vec::new();
        for entry in &self.entries {
            let result = match self.existing {
                Existing::Refuse => rename_noreplace(&entry.tmp, &entry.target),
                Existing::Replace => replace(&entry.tmp, &entry.target),
            };
            if let Err(e) = result {
                // Only an output that appeared behind the journal's back
                // (not a textdup run) gets here. Take back what was placed:
                // in refuse mode nothing stood there before.
                if self.existing == Existing::Refuse {
                    for done in placed {
                        remove_path(done);
                    }
                }
                if journaled {
                    let _ = fs::remove_file(&journal);
                }
                return Err(if e.kind() == io::ErrorKind::AlreadyExists {
                    Error::OutputExists {
                        path: entry.named.clone(),
                    }
                } else {
                    Error::io(&entry.named, e)
                });
            }
            placed.push(&entry.target);
        }
        for entry in &self.entries {
            sync_parent(&entry.target);
        }
        self.committed = true;
        Ok(Receipt {
            journal: journaled.then_some(journal),
        })
    }

    /// Writes the journal under a name of this process's, syncs it, and
    /// links it to its final name, which fails if another run holds it.
    fn write_journal(&self, journal: &Path) -> Result<()> {
        let mut text = format!(
            "textdup-commit 1\npid {}\nlabel {}\n",
            std::process::id(),
            self.label
        )
        .into_bytes();
        for entry in &self.entries {
            text.extend_from_slice(b"rename ");
            text.extend_from_slice(hex(entry.tmp.as_os_str().as_bytes()).as_bytes());
            text.push(b' ');
            text.extend_from_slice(hex(entry.target.as_os_str().as_bytes()).as_bytes());
            text.push(b'\n');
        }
        text.extend_from_slice(b"end\n");
        let mine = sibling(&self.entries[0].target, "journal", Some(std::process::id()))?;
        let written = File::create(&mine)
            .and_then(|mut f| f.write_all(&text).and_then(|()| f.sync_all()))
            .map_err(|e| Error::io(&mine, e));
        let linked = written.and_then(|()| match fs::hard_link(&mine, journal) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                Err(Error::Busy(self.entries[0].named.clone()))
            }
            Err(e) => Err(Error::io(journal, e)),
        });
        let _ = fs::remove_file(&mine);
        linked?;
        sync_parent(journal);
        Ok(())
    }
}

impl Drop for Commit {
    fn drop(&mut self) {
        if !self.committed {
            for entry in &self.entries {
                remove_path(&entry.tmp);
            }
        }
    }
}

/// Finishes the commit that an interrupted run left beside the output
/// `first` (the first output of its commit), if any: renames what is left
/// of it and removes its journal. A journal whose run is still alive means
/// that run is committing now: [`Error::Busy`].
pub fn recover(first: &Path) -> Result<Option<Recovered>> {
    if first.as_os_str() == "-" {
        return Ok(None);
    }
    let journal = &sibling(&resolve(first)?, "commit", None)?;
    let text = match fs::read(journal) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(journal, e)),
    };
    let bad = || Error::StageFile {
        path: journal.to_path_buf(),
        message: "not a textdup commit journal (remove it if no textdup run is writing here)"
            .to_string(),
    };
    let text = std::str::from_utf8(&text).map_err(|_| bad())?;
    let mut lines = text.lines();
    if lines.next() != Some("textdup-commit 1") || !text.ends_with("end\n") {
        return Err(bad());
    }
    let pid: u32 = lines
        .next()
        .and_then(|l| l.strip_prefix("pid "))
        .and_then(|p| p.parse().ok())
        .ok_or_else(bad)?;
    let label = lines
        .next()
        .and_then(|l| l.strip_prefix("label "))
        .ok_or_else(bad)?
        .to_string();
    let mut renames = Vec::new();
    for line in lines {
        if line == "end" {
            break;
        }
        let mut parts = line.strip_prefix("rename ").ok_or_else(bad)?.split(' ');
        let (Some(tmp), Some(target), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let path = |h: &str| unhex(h).map(|b| PathBuf::from(OsString::from_vec(b)));
        renames.push((path(tmp).ok_or_else(bad)?, path(target).ok_or_else(bad)?));
    }
    if pid != std::process::id() && alive(pid) {
        let named = renames
            .first()
            .map_or(journal.to_path_buf(), |r| r.1.clone());
        return Err(Error::Busy(named));
    }
    let mut outputs = Vec::new();
    for (tmp, target) in renames {
        if fs::symlink_metadata(&tmp).is_ok() {
            replace(&tmp, &target).map_err(|e| Error::io(&target, e))?;
            sync_parent(&target);
        }
        outputs.push(target);
    }
    fs::remove_file(journal).map_err(|e| Error::io(journal, e))?;
    Ok(Some(Recovered { label, outputs }))
}

/// Renames `tmp` to `target`, replacing it. A folder cannot be renamed
/// over a folder that holds anything, so an old one is moved aside first
/// and deleted after.
fn replace(tmp: &Path, target: &Path) -> io::Result<()> {
    let old_dir = fs::symlink_metadata(target).is_ok_and(|m| m.is_dir());
    if !old_dir {
        return fs::rename(tmp, target);
    }
    let old = sibling(target, "old", Some(std::process::id())).map_err(io::Error::other)?;
    fs::rename(target, &old)?;
    if let Err(e) = fs::rename(tmp, target) {
        let _ = fs::rename(&old, target);
        return Err(e);
    }
    remove_path(&old);
    Ok(())
}

/// Renames `from` to `to` unless `to` exists, as one step.
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        let c = |p: &Path| {
            CString::new(p.as_os_str().as_bytes())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a path"))
        };
        let (from_c, to_c) = (c(from)?, c(to)?);
        // SAFETY: both are valid NUL-terminated strings that outlive the call.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from_c.as_ptr(),
                libc::AT_FDCWD,
                to_c.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        // Filesystems without RENAME_NOREPLACE (some network ones) say
        // EINVAL: fall back to a check and a rename, which races only
        // with writers outside textdup (textdup runs hold the journal).
        if e.raw_os_error() != Some(libc::EINVAL) {
            return Err(e);
        }
    }
    if fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::from(io::ErrorKind::AlreadyExists));
    }
    fs::rename(from, to)
}

/// Whether process `pid` is running (or exists and is not ours to
/// signal).
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Syncs the folder holding `path`, so that a rename into it survives a
/// crash. Best effort: some filesystems cannot sync a folder.
fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
    }
}

/// Where writing to `path` ends up: `path` itself, or for a symbolic link
/// the file it points to (followed through every link). The last
/// component must be a plain name: `.`, `..` and `/` cannot be written
/// through a temporary sibling, and replacing them would delete the folder
/// the user is standing in.
pub(crate) fn resolve(path: &Path) -> Result<PathBuf> {
    plain_name(path)?;
    let mut target = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&target).map_err(|e| Error::io(path, e))?;
                target = match target.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
                plain_name(&target)?;
            }
            _ => return Ok(target),
        }
    }
    Err(Error::io(
        path,
        io::Error::other("too many levels of symbolic links"),
    ))
}

/// The last component of `path`, which must be a plain name.
pub(crate) fn plain_name(path: &Path) -> Result<&std::ffi::OsStr> {
    match path.components().next_back() {
        Some(Component::Normal(name)) => Ok(name),
        _ => Err(Error::Output {
            path: path.to_path_buf(),
            problem: OutputProblem::NotAName,
        }),
    }
}

/// `.NAME.textdup-TAG[-PID]` beside `path`.
pub(crate) fn sibling(path: &Path, tag: &str, pid: Option<u32>) -> Result<PathBuf> {
    let mut name = OsString::from(".");
    name.push(plain_name(path)?);
    name.push(format!(".textdup-{tag}"));
    if let Some(pid) = pid {
        name.push(format!("-{pid}"));
    }
    Ok(path.with_file_name(name))
}

/// Removes what a killed run of this program left beside `path`: its
/// temporary, old-output and journal-draft names, when the process that
/// made them is gone. Only names of that exact shape are touched.
pub fn remove_stale_temporaries(path: &Path) {
    let (Some(parent), Ok(name)) = (path.parent(), plain_name(path)) else {
        return;
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    remove_stale(parent, Some(name));
}

/// Removes what killed runs left in `dir` for any output there: one pass
/// over a folder that many outputs share, where
/// [`remove_stale_temporaries`] per output would read it once each.
pub fn remove_stale_temporaries_in(dir: &Path) {
    remove_stale(dir, None);
}

/// Removes the temporaries of dead runs in `dir`: those of the output
/// `name`, or of every output.
fn remove_stale(dir: &Path, name: Option<&std::ffi::OsStr>) {
    const MARK: &[u8] = b".textdup-";
    let prefix = name.map(|name| {
        let mut prefix = b".".to_vec();
        prefix.extend_from_slice(name.as_bytes());
        prefix.extend_from_slice(MARK);
        prefix
    });
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let bytes = file_name.as_bytes();
        let rest = match &prefix {
            Some(prefix) => bytes.strip_prefix(prefix.as_slice()),
            None if bytes.starts_with(b".") => bytes
                .windows(MARK.len())
                .rposition(|w| w == MARK)
                .map(|at| &bytes[at + MARK.len()..]),
            None => None,
        };
        let Some(rest) = rest else {
            continue;
        };
        let Some(pid) = ["tmp-", "old-", "journal-"]
            .iter()
            .find_map(|tag| rest.strip_prefix(tag.as_bytes()))
        else {
            continue;
        };
        let pid = std::str::from_utf8(pid)
            .ok()
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !alive(pid) {
                remove_path(&entry.path());
            }
        }
    }
}

/// Removes a file or folder of ours. Best effort: this only cleans up a
/// temporary or a replaced output.
pub(crate) fn remove_path(path: &Path) {
    let _ = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(_) => Ok(()),
    };
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Handing pages to the disk along the way changes nothing in the
    /// file: every byte lands, in order, and the ranges handed over are
    /// the whole file but its unhanded tail.
    #[test]
    fn written_back_files_hold_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut out = WrittenBack::new(File::create(&path).unwrap());
        let chunk: Vec<u8> = (0..=255u8).cycle().take(1_000_003).collect();
        let mut expected = Vec::new();
        for _ in 0..40 {
            out.write_all(&chunk).unwrap();
            expected.extend_from_slice(&chunk);
        }
        assert_eq!(out.written, expected.len() as u64);
        assert!(out.handed >= out.written - WrittenBack::EVERY && out.handed > 0);
        out.sync_all().unwrap();
        assert!(fs::read(&path).unwrap() == expected);
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn outputs_appear_together_and_temporaries_go() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
        let mut commit = Commit::new(Existing::Refuse);
        commit.write(&a, |out| out.write_all(b"a")).unwrap();
        commit.write(&b, |out| out.write_all(b"b")).unwrap();
        assert!(
            !a.exists() && !b.exists(),
            "nothing visible before the commit"
        );
        let receipt = commit.commit(|| Ok(())).unwrap();
        assert_eq!(
            names(dir.path()),
            [".a.jsonl.textdup-commit", "a.jsonl", "b.jsonl"]
        );
        drop(receipt);
        assert_eq!(names(dir.path()), ["a.jsonl", "b.jsonl"]);
        assert_eq!(fs::read(&b).unwrap(), b"b");
    }

    #[test]
    fn a_failed_check_or_a_drop_commits_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        fs::write(&a, "old").unwrap();
        let mut commit = Commit::new(Existing::Replace);
        commit.write(&a, |out| out.write_all(b"new")).unwrap();
        assert!(commit.commit(|| Err(Error::Interrupted)).is_err());
        assert_eq!(fs::read(&a).unwrap(), b"old");
        assert_eq!(names(dir.path()), ["a"], "no debris");
        let mut commit = Commit::new(Existing::Replace);
        commit.folder(&dir.path().join("f")).unwrap();
        drop(commit);
        assert_eq!(names(dir.path()), ["a"]);
    }

    #[test]
    fn refuses_an_existing_output_and_replaces_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("old.txt"), "old").unwrap();
        let mut commit = Commit::new(Existing::Refuse);
        assert!(matches!(
            commit.folder(&out),
            Err(Error::OutputExists { .. })
        ));
        let mut commit = Commit::new(Existing::Replace);
        let tmp = commit.folder(&out).unwrap();
        fs::write(tmp.join("new.txt"), "new").unwrap();
        drop(commit.commit(|| Ok(())).unwrap());
        assert_eq!(names(&out), ["new.txt"]);
        assert_eq!(names(dir.path()), ["out"]);
    }

    #[test]
    fn an_output_that_appears_meanwhile_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let mut commit = Commit::new(Existing::Refuse);
        commit.write(&a, |out| out.write_all(b"mine")).unwrap();
        commit.write(&b, |out| out.write_all(b"mine")).unwrap();
        fs::write(&b, "theirs").unwrap();
        assert!(matches!(
            commit.commit(|| Ok(())),
            Err(Error::OutputExists { .. })
        ));
        assert_eq!(fs::read(&b).unwrap(), b"theirs");
        assert_eq!(names(dir.path()), ["b"], "a taken back, temporaries gone");
    }

    #[test]
    fn devices_are_streamed_and_links_followed() {
        let dir = tempfile::tempdir().unwrap();
        let mut commit = Commit::new(Existing::Refuse);
        assert_eq!(
            commit.file(Path::new("/dev/null")).unwrap(),
            Destination::Stream(PathBuf::from("/dev/null"))
        );
        assert_eq!(commit.file(Path::new("-")).unwrap(), Destination::Stdout);
        let real = dir.path().join("real.txt");
        let link = dir.path().join("link.txt");
        fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink("real.txt", &link).unwrap();
        let mut commit = Commit::new(Existing::Replace);
        commit.write(&link, |out| out.write_all(b"new")).unwrap();
        drop(commit.commit(|| Ok(())).unwrap());
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new");
    }

    #[test]
    fn a_dead_runs_journal_is_rolled_forward() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        // What a run killed between its two renames leaves: `a` in place,
        // b's temporary, and the journal naming both.
        let dead = u32::MAX - 1;
        let (ta, tb) = (
            sibling(&a, "tmp", Some(dead)).unwrap(),
            sibling(&b, "tmp", Some(dead)).unwrap(),
        );
        fs::write(&a, "a").unwrap();
        fs::write(&tb, "b").unwrap();
        let journal = sibling(&a, "commit", None).unwrap();
        let line = |t: &Path, f: &Path| {
            format!(
                "rename {} {}\n",
                hex(t.as_os_str().as_bytes()),
                hex(f.as_os_str().as_bytes())
            )
        };
        fs::write(
            &journal,
            format!(
                "textdup-commit 1\npid {dead}\nlabel run 1\n{}{}end\n",
                line(&ta, &a),
                line(&tb, &b)
            ),
        )
        .unwrap();
        let recovered = recover(&a).unwrap().unwrap();
        assert_eq!(recovered.label, "run 1");
        assert_eq!(recovered.outputs, [a.clone(), b.clone()]);
        assert_eq!(recover(&a).unwrap(), None, "the journal is gone");
        assert_eq!(fs::read(&b).unwrap(), b"b");
        assert_eq!(names(dir.path()), ["a", "b"]);
    }

    #[test]
    fn stale_temporaries_of_dead_runs_go_and_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let dead = sibling(&out, "tmp", Some(u32::MAX - 1)).unwrap();
        let live = sibling(&out, "tmp", Some(1)).unwrap(); // init is alive
        let other = dir.path().join(".outer.textdup-tmp-5");
        for p in [&dead, &live, &other] {
            fs::write(p, "").unwrap();
        }
        remove_stale_temporaries(&out);
        assert!(!dead.exists());
        assert!(live.exists() && other.exists());
        // The whole folder at once: any output's dead temporaries go.
        let other_dead = dir.path().join(".outer.textdup-old-4294967294");
        let not_ours = dir.path().join(".outer.textdup-notes");
        fs::write(&other_dead, "").unwrap();
        fs::write(&not_ours, "").unwrap();
        remove_stale_temporaries_in(dir.path());
        assert!(!other_dead.exists());
        assert!(live.exists() && other.exists() && not_ours.exists());
    }

    #[test]
    fn paths_survive_the_journal_encoding() {
        let bytes = b"/tmp/a b\n\xff.jsonl";
        assert_eq!(unhex(&hex(bytes)).unwrap(), bytes);
        assert!(unhex("abc").is_none() && unhex("zz").is_none());
    }
}
