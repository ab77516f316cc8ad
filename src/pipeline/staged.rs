//! Staged runs: the document pipeline cut at its two natural seams, so
//! that each part runs as a process of its own (see [`crate::stagefile`]).
//!
//! ```text
//! sketch --shard I/N   pass 1 over one shard            → sketch file
//! cluster              every sketch file, in corpus order → the table of
//!                      a one-shot run; then the rest of it  → report, plan
//! filter --shard I/N   plan + one shard of the corpus   → cleaned files
//! ```
//!
//! Invariant: the staged run gives what the one-shot run gives, byte for
//! byte. Sketching is per document and does not depend on the batch it is
//! in; `cluster` rebuilds the one-shot table by reading the shards back in
//! corpus order (source by source: shards interleave by source), and then
//! runs the very same code as [`run_with`](super::run_with).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::config::{Config, Resources};
use crate::core::number;
use crate::error::{Error, Result, StagedProblem};
use crate::fsutil::{remove_stale_temporaries, write_file_atomically, Existing};
use crate::minhash::MinHasher;
use crate::read::{Files, Origin, Shard, ShardOf, SkipReason};
use crate::report::{Report, Summary};
use crate::stagefile::{CorpusPrint, SketchHeader, SketchReader, SketchRecord, SketchWriter};

use super::{finish, sketch_corpus, Sketched, Table, BATCH_DOCS};
use crate::progress::{Progress, Stage, Timed};

/// What sketching one shard did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShardSketch {
    /// Documents sketched.
    pub documents: u64,
    /// Inputs skipped.
    pub skipped: u64,
    /// Bytes of text read.
    pub bytes: u64,
}

/// `textdup sketch`: pass 1 over `shard` of `files`, written to a sketch
/// file at `path`. Returns `None`, doing nothing, when `path` exists: that
/// shard is done. A run killed before the end leaves only a temporary file
/// beside `path`, removed by the next attempt.
pub fn sketch_shard(
    files: &Files,
    shard: Shard,
    config: &Config,
    path: &Path,
    progress: &dyn Progress,
) -> Result<Option<ShardSketch>> {
    config.validate()?;
    staged_level(config)?;
    if path.exists() {
        return Ok(None);
    }
    remove_stale_temporaries(path);
    let header = SketchHeader::new(config, CorpusPrint::of(files)?, shard);
    let banding = config.banding();
    let hasher = MinHasher::new(config.num_perm, config.seed);
    let corpus = ShardOf { files, shard };
    let mut done = ShardSketch::default();
    write_file_atomically(path, Existing::Refuse, |tmp| {
        let mut out = SketchWriter::create(tmp, header)?;
        progress.begin(Stage::Sketch, None);
        // Sketch files hold no shingle sets: `cluster` reads them again.
        let no_sets = || false;
        sketch_corpus(
            &corpus,
            config,
            &hasher,
            banding,
            progress,
            &no_sets,
            |sketched| {
                match sketched {
                    Sketched::Skipped(skip) => {
                        done.skipped += 1;
                        out.skipped(skip.reason.kind())?;
                    }
                    Sketched::Batch(docs, sketches) => {
                        for (doc, sketch) in docs.iter().zip(&sketches) {
                            let keys = sketch.exact.map(|exact| (exact, &sketch.keys[..]));
                            let slots = sketch.slots.as_deref().unwrap_or(&[]);
                            let bytes = doc.text.len() as u64;
                            out.document(&doc.id, doc.origin, bytes, keys, slots)?;
                            done.documents += 1;
                            done.bytes += bytes;
                        }
                    }
                }
                Ok(())
            },
        )?;
        progress.end();
        for note in files.notes() {
            progress.note(&note);
        }
        out.finish()
    })?;
    Ok(Some(done))
}

/// `textdup cluster`: the sketch files of every shard of `files` (in any
/// order) to the report a one-shot run over `files` gives.
pub fn cluster_sketches(
    files: &Files,
    sketches: &[PathBuf],
    config: &Config,
    resources: &Resources,
    progress: &dyn Progress,
) -> Result<Report> {
    config.validate()?;
    resources.validate()?;
    staged_level(config)?;
    let started = Instant::now();
    let timed = Timed::new(progress);
    let progress = &timed;
    let banding = config.banding();
    let corpus = CorpusPrint::of(files)?;
    let mut readers = open_shards(sketches, config, corpus)?;
    let count = number(readers.len());

    let mut summary = Summary::default();
    let mut table = Table::new(config, banding, resources);
    let mut pending: Vec<Option<SketchRecord>> = vec![None; readers.len()];
    progress.begin(Stage::ReadSketches, Some(u64::from(corpus.sources)));
    // Shards interleave by source: reading source after source, each from
    // its shard's file, restores the one-shot run's document order.
    let mut since_room = 0;
    for source in 0..corpus.sources {
        let shard = (source % count) as usize;
        loop {
            let record = match pending[shard].take() {
                Some(record) => record,
                None => match readers[shard].next_record()? {
                    Some(record) => record,
                    None => break,
                },
            };
            match record {
                SketchRecord::Skipped(kind) => summary.skip(skip_kind(&kind, &readers[shard])?),
                SketchRecord::Document(doc) if doc.origin.source == source => {
                    if since_room == 0 {
                        super::check(progress)?;
                        table.make_room(BATCH_DOCS)?;
                    }
                    since_room = (since_room + 1) % BATCH_DOCS;
                    summary.bytes += doc.bytes;
                    let sketch = doc.sketch.as_ref().map(|(e, k)| (*e, &k[..]));
                    let slots = (!doc.slots.is_empty()).then_some(&doc.slots[..]);
                    table.push(&doc.id, doc.origin, doc.bytes, sketch, slots)?;
                }
                other => {
                    pending[shard] = Some(other);
                    break;
                }
            }
        }
        progress.advance(1);
    }
    for (reader, pending) in readers.iter_mut().zip(&mut pending) {
        let left = match pending.take() {
            Some(record) => Some(record),
            None => reader.next_record()?,
        };
        if let Some(record) = left {
            return Err(Error::StageFile {
                path: reader.path().to_path_buf(),
                message: format!("a record out of corpus order: {record:?}"),
            });
        }
    }
    progress.end();
    let mut report = finish(
        files, config, banding, resources, table, summary, started, progress,
    )?;
    report.summary.stages = timed.times();
    Ok(report)
}

/// Opens the sketch files of a staged run, one per shard, in shard order:
/// each made with `config` for the corpus printed `corpus`, every shard
/// there once.
fn open_shards(
    sketches: &[PathBuf],
    config: &Config,
    corpus: CorpusPrint,
) -> Result<Vec<SketchReader>> {
    let mut readers = sketches
        .iter()
        .map(|path| SketchReader::open(path))
        .collect::<Result<Vec<_>>>()?;
    let Some(first) = readers.first() else {
        return Err(Error::Staged(StagedProblem::NoSketches));
    };
    let count = first.header().shard.count();
    let first_shard = Shard::new(0, count).ok_or_else(|| Error::StageFile {
        path: first.path().to_path_buf(),
        message: "a sketch of no shards".to_string(),
    })?;
    let want = SketchHeader::new(config, corpus, first_shard);
    for reader in &readers {
        reader.header().check(&want, reader.path())?;
    }
    readers.sort_by_key(|r| r.header().shard.index());
    for pair in readers.windows(2) {
        if pair[0].header().shard.index() == pair[1].header().shard.index() {
            return Err(Error::Staged(StagedProblem::ShardTwice {
                index: pair[0].header().shard.index(),
                count,
                first: pair[0].path().to_path_buf(),
                second: pair[1].path().to_path_buf(),
            }));
        }
    }
    if let Some(missing) = (0..count).find(|&i| {
        readers
            .binary_search_by_key(&i, |r| r.header().shard.index())
            .is_err()
    }) {
        return Err(Error::Staged(StagedProblem::MissingShard {
            index: missing,
            count,
        }));
    }
    Ok(readers)
}

/// The documents `report` removes, by origin, ascending: what `filter`
/// leaves out.
pub fn removal_plan(report: &Report) -> Vec<Origin> {
    let mut removed: Vec<Origin> = report
        .removed()
        .map(|r| report.origins[r.doc.index()])
        .collect();
    removed.sort_unstable_by_key(|o| (o.source, o.line));
    removed
}

/// Staged runs are at the document grain: passages are found within and
/// across documents, which needs them all at once.
fn staged_level(config: &Config) -> Result<()> {
    if config.level.passages() {
        return Err(Error::Staged(StagedProblem::Passages));
    }
    Ok(())
}

/// The static name of a skip kind read from a sketch file.
fn skip_kind(kind: &str, reader: &SketchReader) -> Result<&'static str> {
    SkipReason::KINDS
        .iter()
        .find(|k| **k == kind)
        .copied()
        .ok_or_else(|| Error::StageFile {
            path: reader.path().to_path_buf(),
            message: format!("unknown skip kind {kind:?}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Sketcher;
    use crate::progress::NoProgress;
    use crate::read::ReadOptions;
    use crate::stagefile::SketchRecord;
    use crate::Config;

    /// A sketch made one text at a time (as bindings and distributed
    /// workers make them) is the record a sketch file holds.
    #[test]
    fn the_sketcher_gives_what_sketch_files_hold() {
        let dir = tempfile::tempdir().unwrap();
        let texts = [
            "The OSCE has addressed recent allegations made against its staff.",
            "!!! ...",
            "Russia has triggered a diplomatic crisis by deploying troops near the border.",
        ];
        for (i, text) in texts.iter().enumerate() {
            std::fs::write(dir.path().join(format!("{i}.txt")), text).unwrap();
        }
        let files = Files::open(&[dir.path().to_path_buf()], ReadOptions::default(), None).unwrap();
        let config = Config::default();
        let path = dir.path().join("sketch.bin");
        sketch_shard(&files, Shard::WHOLE, &config, &path, &NoProgress).unwrap();

        let sketcher = Sketcher::new(&config).unwrap();
        let mut reader = SketchReader::open(&path).unwrap();
        let mut seen = 0;
        while let Some(record) = reader.next_record().unwrap() {
            let SketchRecord::Document(doc) = record else {
                continue;
            };
            let text = texts[seen];
            let made = sketcher.sketch(text);
            let held = doc.sketch.map(|(exact, keys)| (Some(exact), keys));
            assert_eq!(
                held.unwrap_or((None, Vec::new())),
                (made.exact, made.band_keys),
                "{text:?}"
            );
            seen += 1;
        }
        assert_eq!(seen, texts.len());
    }
}
