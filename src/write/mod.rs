//! Write: the cleaned corpus, in the shape of the input.
//!
//! Takes the corpus on disk ([`Files`]) and a run's [`Report`], and writes
//! the corpus without its removed documents:
//! - one input file (or standard input) → one output file of the same
//!   format and compression;
//! - folders or several files → an output folder that mirrors the inputs'
//!   relative paths.
//!
//! Text files are copied byte for byte; JSON Lines files are copied line by
//! line, each kept line exactly as it was (every field, key order and
//! spacing kept), and files with nothing removed are copied whole. Inputs
//! that were skipped (malformed lines, binary files) are not duplicates, so
//! they are carried over too: the cleaned corpus is the input minus the
//! removed documents. Hidden entries of input folders are neither read nor
//! copied. A source that cannot be copied (unreadable, or damaged past the
//! point where the reader stopped) is reported in [`Written::problems`] and
//! the rest is written.
//!
//! Invariants: every output goes through a [`Commit`]: written in full
//! under a temporary name, and put in place together with the run's other
//! outputs only when all are complete and every input is as it was when
//! the run began; an existing output is replaced only when asked; an
//! output that overlaps an input (or a file inside one) is refused, so an
//! input is never overwritten or deleted.

mod json_array;
mod json_field;
mod parquet;
mod plan;
mod removed;
mod warc;

pub(crate) use json_array::LinesAsArray;
use json_field::rewrite_text_field;
pub use plan::{Cleaning, Cut, PassageRemoval, Spared};
pub use removed::write_removed;

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use crate::core::number;
use crate::error::{Error, Result};
use crate::progress::{Progress, Stage};
use crate::read::{Compression, Files, Format, Origin, Shard, Skip, SkipReason, Source};

use crate::fsutil::{
    absolute, check_output, is_stream, remove_stale_temporaries_in, Commit, Destination, Existing,
    OutputFile,
};
use crate::report::Report;

/// Counts of a write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Files written.
    pub files: u64,
    /// Documents removed from them.
    pub removed: u64,
    /// Documents with passages cut out.
    pub edited: u64,
    /// Documents that cleaning left empty (written empty, not dropped),
    /// by source name and line.
    pub emptied: Vec<String>,
    /// Every passage cut, in source order.
    pub cuts: Vec<Cut>,
    /// Sources that could not be copied, or not completely.
    pub problems: Vec<Skip>,
    /// Outputs an earlier attempt had already written, left as they were
    /// ([`filter_shard`] only).
    pub already: u64,
}

/// Writes `files` minus what `cleaning` takes out to `out`, as part of
/// `commit`: nothing is visible under `out` until the commit.
///
/// Each source is checked against its stamp before and after it is copied
/// ([`Files::check_source`]); `progress` is asked between sources and
/// every few thousand lines whether to stop.
pub fn write_corpus(
    files: &Files,
    report: &Report,
    cleaning: &Cleaning,
    out: &Path,
    commit: &mut Commit,
    progress: &dyn Progress,
) -> Result<Written> {
    check_output(files.roots(), out, Existing::Replace)?;
    check_output_name(files, out)?;
    // A link inside an input folder may point into the output: replacing
    // the output must not delete what it points to.
    let out_abs = absolute(out);
    for source in files.sources().iter().filter(|s| !s.temporary) {
        let real = absolute(&source.path);
        if real.starts_with(&out_abs) {
            return Err(Error::OutputOverlapsInput {
                output: out.to_path_buf(),
                input: source.path.clone(),
            });
        }
    }
    let plans = SourcePlans::new(report, cleaning);
    let text_field = files.options().text_field.as_str();
    let stop = || progress.cancelled();

    progress.begin(Stage::Write, Some(files.sources().len() as u64));
    let mut written = Written::default();
    let single = writes_one_file(files);
    let mut copy = |i: usize, destination: &Destination| -> Result<()> {
        let source = &files.sources()[i];
        if progress.cancelled() {
            return Err(Error::Interrupted);
        }
        files.check_source(i)?;
        let outcome = copy_source(SourceCopy {
            source,
            plan: plans.of(i),
            cleaning,
            text_field,
            destination,
            stop: &stop,
            read_before: files.text_hash(i),
            compression: single.then(|| compression_named(out)).flatten(),
        })?;
        files.check_source(i)?;
        written.add(source, outcome);
        progress.advance(1);
        Ok(())
    };
    if single {
        let destination = commit.file(out)?;
        copy(0, &destination)?;
        if let Destination::Staged(tmp) = &destination {
            if fs::symlink_metadata(tmp).is_err() {
                // Nothing to copy: the output is an empty corpus.
                File::create(tmp).map_err(|e| Error::io(out, e))?;
            }
        }
    } else {
        let tmp = commit.folder(out)?;
        let mut seen = HashSet::new();
        for (i, source) in files.sources().iter().enumerate() {
            if !seen.insert(&source.relative) {
                return Err(Error::OutputCollision {
                    path: source.relative.clone(),
                });
            }
            let target = tmp.join(&source.relative);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            copy(i, &Destination::Staged(target))?;
        }
    }
    progress.end();
    Ok(written)
}

impl Written {
    /// Folds in what copying `source` did.
    fn add(&mut self, source: &Source, outcome: Outcome) {
        match outcome {
            Outcome::Copied {
                removed,
                file,
                edited,
                emptied,
                cuts,
            } => {
                self.removed += removed;
                self.files += u64::from(file);
                self.edited += edited;
                self.emptied.extend(emptied);
                self.cuts.extend(cuts);
            }
            Outcome::Problem(reason) => self.problems.push(Skip {
                source: source.name.clone(),
                line: None,
                reason,
            }),
        }
    }
}

/// Whether the cleaned corpus is one file (one input file, or standard
/// input) rather than a folder mirroring the inputs.
/// Refuses, before any work, one output file whose name says another
/// format than the one it would be written in: the cleaned corpus keeps
/// its input's format (only its compression follows the name). Folder
/// outputs mirror their inputs' names, so they cannot contradict them.
///
/// # Errors
/// [`Error::Output`] with [`OutputProblem::WrongFormat`](crate::OutputProblem::WrongFormat).
pub fn check_output_name(files: &Files, out: &Path) -> Result<()> {
    if !writes_one_file(files) || out.as_os_str() == "-" {
        return Ok(());
    }
    let Some(source) = files.sources().first() else {
        return Ok(());
    };
    let name = out
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .to_ascii_lowercase();
    let stem = [".gz", ".zst", ".zstd"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(&name);
    let named = if stem.ends_with(".parquet") {
        "Parquet"
    } else if stem.ends_with(".warc") || stem.ends_with(".wet") {
        "WARC"
    } else if [".jsonl", ".ndjson", ".json"]
        .iter()
        .any(|s| stem.ends_with(s))
    {
        "JSON Lines"
    } else if stem.ends_with(".txt") {
        "text"
    } else {
        return Ok(());
    };
    let writes = match source.format {
        // `.json` names JSON Lines too: Dolma and C4 shards are so named.
        Format::Json | Format::Jsonl if stem.ends_with(".json") => return Ok(()),
        Format::Json => "JSON",
        Format::Jsonl => "JSON Lines",
        Format::Text => "text",
        Format::Parquet => "Parquet",
        Format::Warc => "WARC",
    };
    // Parquet compresses inside the file, by column.
    let named = if named == "Parquet" && stem.len() < name.len() {
        "compressed Parquet"
    } else {
        named
    };
    if named == writes {
        return Ok(());
    }
    Err(Error::Output {
        path: out.to_path_buf(),
        problem: crate::error::OutputProblem::WrongFormat { named, writes },
    })
}

/// The compression one output file's name asks for: gzip for `.gz`,
/// Zstandard for `.zst`, none for any other name; `None` (keep the
/// source's) for standard output and for an existing device or FIFO,
/// which have no name to follow.
fn compression_named(out: &Path) -> Option<Compression> {
    if is_stream(out) {
        return None;
    }
    let name = out.file_name()?.to_string_lossy().to_ascii_lowercase();
    Some(if name.ends_with(".gz") {
        Compression::Gzip
    } else if name.ends_with(".zst") || name.ends_with(".zstd") {
        Compression::Zstd
    } else {
        Compression::None
    })
}

fn writes_one_file(files: &Files) -> bool {
    let named_inputs =
        files.roots().len() + usize::from(files.sources().iter().any(|s| s.temporary));
    named_inputs == 1
        && files.sources().len() == 1
        && files.roots().iter().all(|root| !root.is_dir())
}

/// `textdup filter`: writes the sources of `shard` minus the `removed`
/// documents (ascending origins, from a plan) into `out`, the way
/// [`write_corpus`] writes them, one file at a time: each committed on its
/// own when complete, and skipped when it already exists, so a killed
/// filter is finished by running it again. The shards of one plan share
/// `out`; together they write what one-shot `dedup` writes.
pub fn filter_shard(
    files: &Files,
    removed: &[Origin],
    shard: Shard,
    out: &Path,
    progress: &dyn Progress,
) -> Result<Written> {
    check_output(files.roots(), out, Existing::Replace)?;
    check_output_name(files, out)?;
    let plans = SourcePlans::removing(removed.iter().copied().filter(|o| shard.holds(o.source)));
    let cleaning = Cleaning::default();
    let text_field = files.options().text_field.as_str();
    let single_file = writes_one_file(files);
    if !single_file {
        fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    }
    let stop = || progress.cancelled();
    let mut written = Written::default();
    let held: Vec<(usize, &Source)> = files
        .sources()
        .iter()
        .enumerate()
        .filter(|&(i, _)| shard.holds(number(i)))
        .collect();
    progress.begin(Stage::Write, Some(held.len() as u64));
    // Each output folder is searched once for what killed attempts left.
    let mut tidied: HashSet<PathBuf> = HashSet::new();
    for (i, source) in held {
        if progress.cancelled() {
            return Err(Error::Interrupted);
        }
        let target = if single_file {
            out.to_path_buf()
        } else {
            out.join(&source.relative)
        };
        progress.advance(1);
        let plan = plans.of(i);
        if fs::symlink_metadata(&target).is_ok() {
            written.already += 1; // written by an earlier attempt
            continue;
        }
        if let Some(parent) = target.parent() {
            if tidied.insert(parent.to_path_buf()) {
                fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                remove_stale_temporaries_in(parent);
            }
        }
        let mut commit = Commit::new(Existing::Refuse).tidied();
        let destination = commit.file(&target)?;
        files.check_source(i)?;
        let outcome = copy_source(SourceCopy {
            source,
            plan,
            cleaning: &cleaning,
            text_field,
            destination: &destination,
            stop: &stop,
            read_before: files.text_hash(i),
            compression: single_file.then(|| compression_named(out)).flatten(),
        })?;
        if let (Destination::Staged(tmp), true) = (&destination, single_file) {
            if fs::symlink_metadata(tmp).is_err() {
                // Everything removed: the output is an empty corpus.
                File::create(tmp).map_err(|e| Error::io(out, e))?;
            }
        }
        if matches!(&destination, Destination::Staged(tmp) if fs::symlink_metadata(tmp).is_ok()) {
            drop(commit.commit(|| files.check_source(i))?);
        } else {
            // A removed text file leaves nothing to commit.
            drop(commit);
        }
        written.add(source, outcome);
    }
    progress.end();
    Ok(written)
}

/// Every source's plan, from a report and its cleaning.
struct SourcePlans<'a> {
    plans: HashMap<u32, SourcePlan<'a>>,
    empty: SourcePlan<'a>,
}

impl<'a> SourcePlans<'a> {
    fn new(report: &Report, cleaning: &'a Cleaning) -> SourcePlans<'a> {
        let removed = cleaning
            .documents
            .iter()
            .map(|doc| report.origins[doc.index()]);
        let mut plans = SourcePlans::removing(removed);
        for removals in cleaning.passages.chunk_by(|a, b| a.doc == b.doc) {
            let origin = report.origins[removals[0].doc.index()];
            let plan = plans.plans.entry(origin.source).or_default();
            plan.edits.insert(origin.line, removals);
        }
        plans
    }

    /// Plans that only remove documents: by line (JSON Lines) or whole (a
    /// text file's line 0).
    fn removing(removed: impl Iterator<Item = Origin>) -> SourcePlans<'a> {
        let mut plans: HashMap<u32, SourcePlan> = HashMap::new();
        for origin in removed {
            plans
                .entry(origin.source)
                .or_default()
                .removed
                .push(origin.line);
        }
        for plan in plans.values_mut() {
            plan.removed.sort_unstable();
        }
        SourcePlans {
            plans,
            empty: SourcePlan::default(),
        }
    }

    fn of(&self, source: usize) -> &SourcePlan<'a> {
        self.plans.get(&number(source)).unwrap_or(&self.empty)
    }
}

/// What one source loses: removed lines (0 for a whole file), and the
/// passage removals of edited lines (0 for a whole file).
#[derive(Default)]
struct SourcePlan<'a> {
    removed: Vec<u64>,
    edits: HashMap<u64, &'a [PassageRemoval]>,
}

/// What copying one source did.
enum Outcome {
    /// Copied, leaving out `removed` documents and editing `edited`; `file`
    /// is false when the whole source was removed and nothing was written.
    Copied {
        removed: u64,
        file: bool,
        edited: u64,
        emptied: Vec<String>,
        cuts: Vec<Cut>,
    },
    /// The source could not be read (completely): a problem to report,
    /// not a reason to stop.
    Problem(SkipReason),
}

/// What a copy by records (Parquet rows, WARC records) did: records left
/// out, records edited, the ones cleaning left empty and the cuts made.
#[derive(Default)]
struct Filtered {
    left_out: u64,
    edited: u64,
    emptied: Vec<String>,
    cuts: Vec<Cut>,
}

/// Copies one source to `target` as `plan` says. Failing to write the
/// output is an error; failing to read the source is an
/// [`Outcome::Problem`].
fn copy_source(copy: SourceCopy<'_>) -> Result<Outcome> {
    let (source, plan) = (copy.source, copy.plan);
    let recoded = source.format != Format::Parquet
        && copy.compression.is_some_and(|wanted| {
            crate::read::compression_of(&source.path).is_ok_and(|has| has != wanted)
        });
    if plan.removed.is_empty() && plan.edits.is_empty() && !recoded {
        return copy.whole();
    }
    if source.format == Format::Text && plan.removed == [0] {
        return Ok(Outcome::Copied {
            removed: 1,
            file: false,
            edited: 0,
            emptied: Vec::new(),
            cuts: Vec::new(),
        });
    }
    copy.filtered()
}

/// One source on its way to the output: what [`copy_source`] was given.
struct SourceCopy<'a> {
    source: &'a Source,
    plan: &'a SourcePlan<'a>,
    cleaning: &'a Cleaning,
    text_field: &'a str,
    destination: &'a Destination,
    stop: &'a dyn Fn() -> bool,
    /// The hash of the text file's bytes as the run first read them.
    read_before: Option<u64>,
    /// The output's compression when its name decides it (one output file
    /// named `.gz`, `.zst` or neither); `None` keeps the source's.
    compression: Option<Compression>,
}

impl SourceCopy<'_> {
    /// The output's name, for errors.
    fn target(&self) -> &Path {
        match self.destination {
            Destination::Stdout => Path::new("<stdout>"),
            Destination::Stream(path) | Destination::Staged(path) => path,
        }
    }

    /// Whether bytes hashing to `hash` are what the run first read. A text
    /// file read whole before must still be the same bytes: its size and
    /// times alone can survive a rewrite.
    fn same(&self, hash: u64) -> bool {
        self.read_before
            .map_or(true, |before| before == hash.max(1))
    }

    /// What a failure of the copy means: a source that cannot be read (or
    /// not to its end) is a problem to report; anything else stops the run.
    fn failed(&self, failure: Failure) -> Result<Outcome> {
        match failure {
            Failure::Read(e) => Ok(Outcome::Problem(SkipReason::Corrupt(format!(
                "data, copied up to the damage only: {e}"
            )))),
            Failure::Write(e) => Err(Error::io(self.target(), e)),
            Failure::Stopped => Err(Error::Interrupted),
            Failure::Changed => Err(Error::InputModified {
                path: self.source.path.clone(),
            }),
        }
    }

    /// Copies the source byte for byte (nothing is removed from it).
    fn whole(&self) -> Result<Outcome> {
        let unreadable = |e: io::Error| Outcome::Problem(SkipReason::Unreadable(e.to_string()));
        let mut input = match File::open(&self.source.path) {
            Ok(file) => file,
            Err(e) => return Ok(unreadable(e)),
        };
        let mut output = self
            .destination
            .create()
            .map_err(|e| Error::io(self.target(), e))?;
        let copied = copy_bytes(&mut input, &mut output, self.stop)
            .and_then(|hash| output.finish().map_err(Failure::Write).map(|()| hash));
        match copied {
            Ok(hash) if self.source.format == Format::Text && !self.same(hash) => {
                self.failed(Failure::Changed)
            }
            Ok(_) => Ok(Outcome::Copied {
                removed: 0,
                file: true,
                edited: 0,
                emptied: Vec::new(),
                cuts: Vec::new(),
            }),
            Err(Failure::Read(e)) => Ok(unreadable(e)),
            Err(other) => self.failed(other),
        }
    }

    /// Copies the source decoded, leaving out removed lines and cutting
    /// passages, and encodes it as it was.
    fn filtered(&self) -> Result<Outcome> {
        if self.source.format == Format::Parquet {
            return self.filtered_parquet();
        }
        let (compression, mut reader) = match crate::read::open_decoded(&self.source.path) {
            Ok(opened) => opened,
            Err(e) => return Ok(Outcome::Problem(SkipReason::Unreadable(e.to_string()))),
        };
        let compression = self.compression.unwrap_or(compression);
        let out = self
            .destination
            .create()
            .map_err(|e| Error::io(self.target(), e))?;
        if self.source.format == Format::Warc {
            return self.outcome(warc::filter_warc(self, &mut reader, out, compression));
        }
        let (mut emptied, mut cuts) = (Vec::new(), Vec::new());
        let mut rewrite = |line: u64, bytes: &[u8], out: &mut dyn Write| {
            self.rewrite(line, bytes, out, &mut emptied, &mut cuts)
        };
        let (format, plan, stop) = (self.source.format, self.plan, self.stop);
        // Concrete encoders, finished explicitly: an error in the last block
        // (a full disk) must fail the copy, not vanish in a drop.
        let result = match compression {
            Compression::None => {
                filter_into(&mut reader, out, format, plan, &mut rewrite, stop, Ok)
            }
            Compression::Gzip => {
                let encoder = flate2::write::GzEncoder::new(out, flate2::Compression::default());
                let finish = |e: flate2::write::GzEncoder<OutputFile>| e.finish();
                filter_into(
                    &mut reader,
                    encoder,
                    format,
                    plan,
                    &mut rewrite,
                    stop,
                    finish,
                )
            }
            Compression::Zstd => {
                let encoder = zstd::stream::write::Encoder::new(out, 0)
                    .map_err(|e| Error::io(self.target(), e))?;
                let finish = |e: zstd::stream::write::Encoder<'_, OutputFile>| e.finish();
                filter_into(
                    &mut reader,
                    encoder,
                    format,
                    plan,
                    &mut rewrite,
                    stop,
                    finish,
                )
            }
        };
        match result {
            Ok((left_out, edited)) => Ok(Outcome::Copied {
                removed: left_out,
                file: true,
                edited,
                emptied,
                cuts,
            }),
            Err(failure) => self.failed(failure),
        }
    }

    /// Copies a Parquet source without its removed rows, its edited rows'
    /// text cut: see [`parquet`].
    fn filtered_parquet(&self) -> Result<Outcome> {
        let out = self
            .destination
            .create()
            .map_err(|e| Error::io(self.target(), e))?;
        self.outcome(parquet::filter_parquet(self, out))
    }

    /// What a copy by records (Parquet rows, WARC records) comes to.
    fn outcome(&self, filtered: Result<Filtered, Failure>) -> Result<Outcome> {
        match filtered {
            Ok(done) => Ok(Outcome::Copied {
                removed: done.left_out,
                file: true,
                edited: done.edited,
                emptied: done.emptied,
                cuts: done.cuts,
            }),
            Err(failure) => self.failed(failure),
        }
    }

    /// Writes kept line `line` (or the whole text file, line 0): as it is,
    /// or with its passages cut, noting each cut and a line left empty.
    fn rewrite(
        &self,
        line: u64,
        bytes: &[u8],
        out: &mut dyn Write,
        emptied: &mut Vec<String>,
        cuts: &mut Vec<Cut>,
    ) -> Result<Edit, Failure> {
        let Some(removals) = self.plan.edits.get(&line) else {
            out.write_all(bytes).map_err(Failure::Write)?;
            return Ok(Edit::Copied);
        };
        let (new, empty) = match self.source.format {
            Format::Text => {
                if !self.same(xxhash_rust::xxh3::xxh3_64(bytes)) {
                    return Err(Failure::Changed);
                }
                let text = String::from_utf8_lossy(bytes);
                let cleaned = self.cleaning.apply(&text, removals, cuts);
                let empty = cleaned.trim().is_empty();
                (cleaned.into_bytes(), empty)
            }
            Format::Jsonl | Format::Json => {
                let edit = |t: &str| self.cleaning.apply(t, removals, cuts);
                rewrite_text_field(bytes, self.text_field, edit).unwrap_or((bytes.to_vec(), false))
            }
            // Rows and records are not lines: `filtered_parquet` and
            // `warc::filter_warc` write them.
            Format::Parquet | Format::Warc => (bytes.to_vec(), false),
        };
        if empty {
            emptied.push(if line == 0 {
                self.source.name.clone()
            } else {
                format!("{}:{line}", self.source.name)
            });
        }
        out.write_all(&new).map_err(Failure::Write)?;
        Ok(Edit::Edited)
    }
}

/// Writes one kept line (or whole text file), numbered as the reader
/// numbers them, to the output: as it is, or with passages cut.
type Rewrite<'a> = dyn FnMut(u64, &[u8], &mut dyn Write) -> Result<Edit, Failure> + 'a;

/// What happened to one line (or file) on its way to the output.
enum Edit {
    Copied,
    Edited,
}

/// Copies all bytes, telling read failures from write failures.
/// Returns the XXH3-64 of the bytes.
fn copy_bytes(
    input: &mut File,
    output: &mut OutputFile,
    stop: &dyn Fn() -> bool,
) -> Result<u64, Failure> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    loop {
        if stop() {
            return Err(Failure::Stopped);
        }
        let n = match io::Read::read(input, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Read(e)),
        };
        hash.update(&buf[..n]);
        output.write_all(&buf[..n]).map_err(Failure::Write)?;
    }
    Ok(hash.digest())
}

enum Failure {
    Read(io::Error),
    Write(io::Error),
    /// The caller asked to stop.
    Stopped,
    /// The source is not what was read before.
    Changed,
}

/// Filters into `writer`, finishes it with `finish`, and finishes the
/// output under it (syncing a file). Returns the documents left out and
/// the documents edited.
#[allow(clippy::too_many_arguments)]
fn filter_into<W: Write>(
    reader: &mut dyn BufRead,
    mut writer: W,
    format: Format,
    plan: &SourcePlan,
    rewrite: &mut Rewrite,
    stop: &dyn Fn() -> bool,
    finish: impl FnOnce(W) -> io::Result<OutputFile>,
) -> Result<(u64, u64), Failure> {
    let counts = match format {
        Format::Json => {
            let array = crate::read::json_array::is_array(reader);
            let mut lines = io::BufReader::new(crate::read::json_array::ArrayLines::new(reader));
            let mut out = json_array::LinesAsArray::new(&mut writer, array);
            let counts = filter_lines(&mut lines, &mut out, plan, rewrite, stop)?;
            out.finish().map_err(Failure::Write)?;
            counts
        }
        // Parquet and WARC are written by `filtered_parquet` and
        // `warc::filter_warc`; never by lines.
        Format::Jsonl | Format::Parquet | Format::Warc => {
            filter_lines(reader, &mut writer, plan, rewrite, stop)?
        }
        Format::Text => {
            // One document: the whole file, line 0.
            let mut text = Vec::new();
            reader.read_to_end(&mut text).map_err(Failure::Read)?;
            match rewrite(0, &text, &mut writer)? {
                Edit::Copied => (0, 0),
                Edit::Edited => (0, 1),
            }
        }
    };
    finish(writer)
        .and_then(OutputFile::finish)
        .map_err(Failure::Write)?;
    Ok(counts)
}

/// Copies lines from `reader` to `writer` as `plan` says: its removed
/// lines (sorted, 1-based) left out, its edited ones passed through
/// `rewrite`, and every other line copied byte for byte as it streams by,
/// so that a line of any length (one skipped as too large) costs no
/// memory. Returns how many lines were left out and how many edited.
fn filter_lines(
    reader: &mut dyn BufRead,
    writer: &mut dyn Write,
    plan: &SourcePlan,
    rewrite: &mut Rewrite,
    stop: &dyn Fn() -> bool,
) -> Result<(u64, u64), Failure> {
    // A stop request is seen within a few thousand lines, not at the end
    // of a file that may hold millions.
    const CHECK_EVERY: u64 = 4096;
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut next_removed = plan.removed.iter().copied().peekable();
    let (mut left_out, mut edited) = (0, 0);
    loop {
        let n = number + 1;
        if n % CHECK_EVERY == 0 && stop() {
            return Err(Failure::Stopped);
        }
        let removed = next_removed.peek() == Some(&n);
        let more = if removed {
            stream_line(reader, None)?
        } else if plan.edits.contains_key(&n) {
            line.clear();
            let more = reader.read_until(b'\n', &mut line).map_err(Failure::Read)? > 0;
            if more {
                if let Edit::Edited = rewrite(n, &line, writer)? {
                    edited += 1;
                }
            }
            more
        } else {
            stream_line(reader, Some(writer))?
        };
        if !more {
            break;
        }
        number = n;
        if removed {
            next_removed.next();
            left_out += 1;
        }
    }
    writer.flush().map_err(Failure::Write)?;
    Ok((left_out, edited))
}

/// Copies the next line, terminator included, to `out` (or passes over
/// it), a buffer at a time. `false` at the end of the input.
fn stream_line(reader: &mut dyn BufRead, mut out: Option<&mut dyn Write>) -> Result<bool, Failure> {
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Read(e)),
        };
        if available.is_empty() {
            return Ok(any);
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if let Some(out) = out.as_mut() {
            out.write_all(&available[..take]).map_err(Failure::Write)?;
        }
        reader.consume(take);
        if done {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::DocId;
    use crate::passage::Span;

    #[test]
    fn filter_lines_keeps_bytes_exactly() {
        let mut input = io::Cursor::new(b"{\"a\":1}\r\n{\"b\": 2}\n\n{\"c\":3}".to_vec());
        let mut out = Vec::new();
        let mut copy = |_: u64, bytes: &[u8], out: &mut dyn Write| {
            out.write_all(bytes)
                .map_err(Failure::Write)
                .map(|()| Edit::Copied)
        };
        let plan = SourcePlan {
            removed: vec![2],
            ..SourcePlan::default()
        };
        let (left_out, edited) = filter_lines(&mut input, &mut out, &plan, &mut copy, &|| false)
            .ok()
            .unwrap();
        assert_eq!((left_out, edited), (1, 0));
        assert_eq!(out, b"{\"a\":1}\r\n\n{\"c\":3}");
        // A buffer smaller than a line: lines stream through in pieces.
        let mut input =
            io::BufReader::with_capacity(3, io::Cursor::new(b"abcdefgh\nij\nkl".to_vec()));
        let mut out = Vec::new();
        let plan = SourcePlan {
            removed: vec![2],
            ..SourcePlan::default()
        };
        let (left_out, _) = filter_lines(&mut input, &mut out, &plan, &mut copy, &|| false)
            .ok()
            .unwrap();
        assert_eq!(left_out, 1);
        assert_eq!(out, b"abcdefgh\nkl");
    }

    #[test]
    fn a_text_file_that_is_not_what_was_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        fs::write(&path, "what the run read").unwrap();
        let source = Source {
            path: path.clone(),
            relative: "a.txt".into(),
            name: "a.txt".into(),
            format: Format::Text,
            temporary: false,
        };
        let copy = |read_before: Option<u64>, plan: &SourcePlan| {
            let target = dir.path().join(".out");
            let _ = fs::remove_file(&target);
            let destination = Destination::Staged(target);
            let cleaning = Cleaning::default();
            copy_source(SourceCopy {
                source: &source,
                plan,
                cleaning: &cleaning,
                text_field: "text",
                destination: &destination,
                stop: &|| false,
                read_before,
                compression: None,
            })
        };
        let read = xxhash_rust::xxh3::xxh3_64(b"what the run read");
        let whole = SourcePlan::default();
        assert!(copy(Some(read), &whole).is_ok());
        assert!(copy(None, &whole).is_ok());
        assert!(matches!(
            copy(Some(read ^ 1), &whole),
            Err(Error::InputModified { .. })
        ));
        // Read whole to be edited: checked too.
        let removal = PassageRemoval {
            doc: DocId(0),
            span: Span { start: 0, end: 4 },
            cluster: 0,
            boilerplate: false,
        };
        let edited = SourcePlan {
            removed: Vec::new(),
            edits: HashMap::from([(0, std::slice::from_ref(&removal))]),
        };
        assert!(copy(Some(read), &edited).is_ok());
        assert!(matches!(
            copy(Some(read ^ 1), &edited),
            Err(Error::InputModified { .. })
        ));
    }
}
