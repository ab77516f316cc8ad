//! Query: a new corpus against an index, decided as one run over the
//! indexed documents followed by the new ones would decide it.
//!
//! ```text
//! pass 1   read ─► sketch every new document; shingle sets to a spool file
//! exact    each new document's exact-text hash looked up in the index,
//!          then joined to an earlier new copy
//! buckets  per band, the new documents' keys grouped; each bucket looked up
//!          in the index (two binary searches per segment) and paired by the
//!          rule of a run whose bucket holds the indexed members first
//! verify   exact Jaccard of each pair: sets from the spool and the segments
//! cluster  union-find over new documents and the indexed ones they meet
//! ```
//!
//! The rule: a new document is removed when its cluster (of verified pairs
//! and exact copies, among the new documents and the indexed ones) holds an
//! indexed document, or an earlier new one that is kept. That is what a
//! one-shot `dedup --keep first` over the indexed documents followed by
//! the new ones removes of the new ones, pair for pair, since the bucket
//! rule is applied to the same buckets in the same order. Indexed
//! documents are never removed: a cluster that holds any keeps one of
//! them. Among new documents alone, `keep` chooses as a run does.
//!
//! Memory: per new document its id, size, origin, band keys and exact
//! hash (about 200 bytes); shingle sets wait in the spool on disk. The
//! index is memory-mapped and only the pages a lookup touches are read.

use std::io::{BufWriter, Write};
use std::ops::Range;
use std::time::{Duration, Instant};

use memmap2::Mmap;
use rayon::prelude::*;

use crate::cluster::{components, Keep};
use crate::config::{Config, Level, Resources};
use crate::core::{number, push_lean, DocId, Ids, Span};
use crate::error::{Error, Result};
use crate::index::segment::Segment;
use crate::index::{Index, IndexDoc};
use crate::lsh::{bucket_pairs, BandKey, CandidatePair, BUCKET_ALL_PAIRS};
use crate::minhash::MinHasher;
use crate::passage::spans::windows;
use crate::pipeline::{sketch_corpus, Sketched};
use crate::progress::{check, Progress, Stage, StageTime, Timed};
use crate::read::{Corpus, Origin};
use crate::report::Report;
use crate::shingle::ShingleSet;

/// What kept a removed new document out: an indexed document, or another
/// document of the same new corpus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kept {
    /// A document of the index, by its id.
    Indexed(String),
    /// A document of the new corpus.
    Input(DocId),
}

/// A removed new document.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// The new document.
    pub doc: DocId,
    /// The document kept in its place.
    pub kept: Kept,
    /// Exact Jaccard similarity of its shingles to the kept document's.
    pub similarity: f64,
}

/// A new document that shares a span window with an indexed document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanMatch {
    /// The new document.
    pub doc: DocId,
    /// Its first window found in the index, as bytes of its original text.
    pub span: Span,
    /// That window's original text.
    pub text: String,
    /// The id of the first indexed document that holds the window.
    pub indexed: String,
}

/// Counts of a query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MatchSummary {
    /// Documents read from the new corpus.
    pub documents: u64,
    /// Inputs skipped (unreadable, malformed, empty...).
    pub skipped: u64,
    /// Skipped inputs by kind.
    pub skipped_by_reason: std::collections::BTreeMap<&'static str, u64>,
    /// Text bytes read.
    pub bytes: u64,
    /// New documents removed because the index holds them (or a near-duplicate).
    pub removed_by_index: u64,
    /// New documents removed as near-duplicates of earlier new documents.
    pub removed_within: u64,
    /// New documents kept.
    pub kept: u64,
    /// Candidate pairs verified.
    pub candidate_pairs: u64,
    /// Documents in the index.
    pub indexed: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Wall time of each stage, in the order they first ran; what is
    /// left of `elapsed` went between stages.
    pub stages: Vec<StageTime>,
}

impl MatchSummary {
    /// Counts a skipped input of kind `kind`.
    pub(crate) fn skip(&mut self, kind: &'static str) {
        self.skipped += 1;
        *self.skipped_by_reason.entry(kind).or_default() += 1;
    }
}

/// The result of matching a corpus against an index.
pub struct Matches {
    pub(crate) ids: Ids,
    pub(crate) bytes: Vec<u64>,
    pub(crate) origins: Vec<Origin>,
    pub(crate) matches: Vec<Match>,
    pub(crate) spans: Vec<SpanMatch>,
    pub(crate) summary: MatchSummary,
}

impl Matches {
    /// Every new document removed as a duplicate, in input order (a
    /// document-level query).
    pub fn matches(&self) -> &[Match] {
        &self.matches
    }

    /// Every new document that shares a span window with the index, in
    /// input order (a span query).
    pub fn spans(&self) -> &[SpanMatch] {
        &self.spans
    }

    /// Counts.
    pub fn summary(&self) -> &MatchSummary {
        &self.summary
    }

    /// How many new documents were read.
    pub fn documents(&self) -> usize {
        self.ids.len()
    }

    /// The id of a new document.
    ///
    /// # Panics
    /// If `doc` is not one of the new documents.
    pub fn id(&self, doc: DocId) -> &str {
        self.ids.get(doc)
    }

    /// Where a new document was read from.
    ///
    /// # Panics
    /// If `doc` is not one of the new documents.
    pub fn origin(&self, doc: DocId) -> Origin {
        self.origins[doc.index()]
    }

    /// The removed documents, sorted: what cleaning takes out.
    pub fn removed(&self) -> Vec<DocId> {
        let mut docs: Vec<DocId> = self
            .matches
            .iter()
            .map(|m| m.doc)
            .chain(self.spans.iter().map(|s| s.doc))
            .collect();
        docs.sort_unstable();
        docs.dedup();
        docs
    }

    /// A report of the new documents, without clusters: what
    /// [`write_corpus`](crate::write::write_corpus) takes, with a
    /// [`Cleaning`](crate::write::Cleaning) of [`Matches::removed`], to
    /// write the new corpus without its duplicates.
    pub fn report(&self) -> Report {
        Report::of_documents(self.ids.clone(), self.bytes.clone(), self.origins.clone())
    }
}

/// Everything a query knows of the new documents: what `add` writes to a
/// new segment comes from here.
pub(crate) struct Queried {
    pub matches: Matches,
    /// Per slot (a new document with words): its document.
    pub docs: Vec<DocId>,
    pub exact: Vec<u128>,
    /// `bands` keys per slot.
    pub keys: Vec<BandKey>,
    pub spool: Spool,
    /// Per slot: its span windows, when the index holds them.
    pub windows: Option<Spool>,
    /// Per slot: the slot of its first exact copy among the new documents
    /// (itself if none), or `None` when the index holds a copy.
    pub first: Vec<Option<u32>>,
    /// Per slot: removed.
    pub removed: Vec<bool>,
}

/// Per-slot records of the new documents (shingle sets, span windows):
/// the first ones in memory, up to a budget, the rest in an unnamed
/// temporary file, mapped once written. A corpus whose sets fit is never
/// written out; a larger one costs memory for their offsets only.
pub(crate) struct Spool {
    head: Vec<u8>,
    tail: Option<Mmap>,
    /// Slot s's record is bytes `at[s]..at[s + 1]` of head then tail.
    at: Vec<u64>,
}

impl Spool {
    fn bytes(&self, slot: u32) -> &[u8] {
        let (start, end) = (
            self.at[slot as usize] as usize,
            self.at[slot as usize + 1] as usize,
        );
        let split = self.head.len();
        if end <= split {
            &self.head[start..end]
        } else {
            self.tail
                .as_ref()
                .map_or(&[][..], |m| &m[start - split..end - split])
        }
    }

    /// Slot `slot`'s record as stored: for a shingle set, sorted
    /// little-endian u32s.
    pub fn raw(&self, slot: u32) -> &[u8] {
        self.bytes(slot)
    }

    /// Slot `slot`'s shingle set.
    pub fn set(&self, slot: u32) -> ShingleSet {
        ShingleSet::from_sorted(self.hashes(slot))
    }

    /// Slot `slot`'s record as u32s: its sorted shingle hashes.
    pub fn hashes(&self, slot: u32) -> Vec<u32> {
        self.bytes(slot)
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    /// Slot `slot`'s record as u64s: its span windows' hashes.
    pub fn u64s(&self, slot: u32) -> Vec<u64> {
        self.bytes(slot)
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
            .collect()
    }
}

/// Writes a [`Spool`], record by record, in slot order.
struct SpoolWriter {
    head: Vec<u8>,
    budget: usize,
    /// Made at the first record past the budget; every later one goes there.
    out: Option<BufWriter<std::fs::File>>,
    at: Vec<u64>,
    dir: std::path::PathBuf,
}

impl SpoolWriter {
    /// A spool that keeps `budget` bytes of records in memory and writes
    /// the rest to a temporary file in `dir`.
    fn new(dir: &std::path::Path, budget: usize) -> SpoolWriter {
        SpoolWriter {
            head: Vec::new(),
            budget,
            out: None,
            at: vec![0],
            dir: dir.to_path_buf(),
        }
    }

    /// Appends the next slot's record.
    fn push(&mut self, record: &[u8]) -> Result<()> {
        if self.out.is_none() && self.head.len() + record.len() <= self.budget {
            self.head.extend_from_slice(record);
        } else {
            if self.out.is_none() {
                let file = tempfile::tempfile_in(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
                self.out = Some(BufWriter::with_capacity(1 << 20, file));
            }
            if let Some(out) = &mut self.out {
                out.write_all(record).map_err(|e| Error::io(&self.dir, e))?;
            }
        }
        let end = self.at[self.at.len() - 1] + record.len() as u64;
        push_lean(&mut self.at, end);
        Ok(())
    }

    fn finish(self) -> Result<Spool> {
        let dir = self.dir;
        let tail = match self.out {
            None => None,
            Some(out) => {
                let file = out
                    .into_inner()
                    .map_err(|e| Error::io(&dir, e.into_error()))?;
                // SAFETY: an unnamed temporary file of this process,
                // written to the end before it is mapped and never again.
                Some(unsafe { Mmap::map(&file) }.map_err(|e| Error::io(&dir, e))?)
            }
        };
        Ok(Spool {
            head: self.head,
            tail,
            at: self.at,
        })
    }
}

/// Bytes of records a query keeps in memory before it spools them to
/// disk, unless `Resources::set_cache` says otherwise: what a run's set
/// cache holds.
const SPOOL_IN_MEMORY: usize = 256 << 20;

/// The hashes of every `k`-word window of `text` once normalized, sorted,
/// without repeats, as little-endian bytes: what a span index holds.
fn window_record(text: &str, config: &Config, k: usize) -> Vec<u8> {
    let (mut normalized, mut words) = (String::new(), Vec::new());
    crate::normalize::words(text, &config.normalization, &mut normalized, &mut words);
    let mut hashes = Vec::new();
    windows(&normalized, &words, k, config.seed, |_, h| hashes.push(h));
    hashes.sort_unstable();
    hashes.dedup();
    hashes.iter().flat_map(|h| h.to_le_bytes()).collect()
}

/// Runs a query of `corpus` against `index` with `config` (the index's
/// settings, checked by the caller).
pub(crate) fn query(
    index: &Index,
    corpus: &dyn Corpus,
    config: &Config,
    resources: &Resources,
    windows_too: bool,
    progress: &dyn Progress,
) -> Result<Queried> {
    let started = Instant::now();
    let timed = Timed::new(progress);
    let progress = &timed;
    // Whole documents only: the passage grain has no index (yet).
    let config = &Config {
        level: Level::Document,
        ..config.clone()
    };
    let banding = config.banding();
    let bands = banding.bands;
    let hasher = MinHasher::new(config.num_perm, config.seed);
    let mut summary = MatchSummary {
        indexed: index.documents(),
        ..MatchSummary::default()
    };

    // Pass 1: sketches in memory, sets (and windows) to spools.
    let parent = resources.tmp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let budget = resources.set_cache.unwrap_or(SPOOL_IN_MEMORY);
    let mut spool = SpoolWriter::new(&parent, budget);
    let span = index
        .settings()
        .spans
        .map(|k| k as usize)
        .filter(|_| windows_too);
    let mut window_spool = span.map(|_| SpoolWriter::new(&parent, budget));
    let mut ids = Ids::default();
    let mut sizes: Vec<u64> = Vec::new();
    let mut origins: Vec<Origin> = Vec::new();
    let mut docs: Vec<DocId> = Vec::new();
    let mut exact: Vec<u128> = Vec::new();
    let mut keys: Vec<BandKey> = Vec::new();
    progress.begin(Stage::Sketch, None);
    let keep_sets = || true;
    sketch_corpus(
        corpus,
        config,
        &hasher,
        banding,
        progress,
        &keep_sets,
        |sketched| {
            match sketched {
                Sketched::Skipped(skip) => summary.skip(skip.reason.kind()),
                Sketched::Batch(batch, mut sketches) => {
                    sketches.par_iter_mut().for_each(|s| {
                        if let Some(set) = &mut s.set {
                            set.sort_unstable();
                            set.dedup();
                        }
                    });
                    let windows: Vec<Vec<u8>> = match span {
                        Some(k) => batch
                            .par_iter()
                            .zip(&sketches)
                            .map(|(doc, sketch)| match sketch.exact {
                                Some(_) => window_record(&doc.text, config, k),
                                None => Vec::new(),
                            })
                            .collect(),
                        None => Vec::new(),
                    };
                    let mut record = Vec::new();
                    for (i, (doc, sketch)) in batch.iter().zip(sketches).enumerate() {
                        let id =
                            DocId(u32::try_from(ids.len()).map_err(|_| Error::TooManyDocuments)?);
                        ids.push(&doc.id);
                        push_lean(&mut sizes, doc.text.len() as u64);
                        push_lean(&mut origins, doc.origin);
                        summary.bytes += doc.text.len() as u64;
                        let (Some(hash), Some(set)) = (sketch.exact, sketch.set) else {
                            continue;
                        };
                        push_lean(&mut docs, id);
                        push_lean(&mut exact, hash);
                        keys.extend_from_slice(&sketch.keys);
                        record.clear();
                        record.extend(set.iter().flat_map(|h| h.to_le_bytes()));
                        spool.push(&record)?;
                        if let Some(w) = &mut window_spool {
                            w.push(&windows[i])?;
                        }
                    }
                }
            }
            Ok(())
        },
    )?;
    progress.end();
    for note in corpus.notes() {
        progress.note(&note);
    }
    let spool = spool.finish()?;
    let window_spool = window_spool.map(SpoolWriter::finish).transpose()?;
    summary.documents = ids.len() as u64;
    let slots = docs.len();

    // Exact copies: in the index first, then among the new documents.
    check(progress)?;
    let mut by_hash: Vec<(u128, u32)> = exact
        .iter()
        .enumerate()
        .map(|(slot, &h)| (h, number(slot)))
        .collect();
    by_hash.par_sort_unstable();
    let distinct: Vec<u128> = by_hash
        .chunk_by(|a, b| a.0 == b.0)
        .map(|run| run[0].0)
        .collect();
    let found = index.exact_sorted(&distinct)?;
    let mut in_index: Vec<Option<IndexDoc>> = vec![None; slots];
    let mut first: Vec<Option<u32>> = (0..number(slots)).map(Some).collect();
    for (run, found) in by_hash.chunk_by(|a, b| a.0 == b.0).zip(found) {
        for &(_, slot) in run {
            first[slot as usize] = if found.is_some() {
                None
            } else {
                Some(run[0].1)
            };
            in_index[slot as usize] = found;
        }
    }
    drop(by_hash);

    // Candidates, band by band.
    progress.begin(Stage::Candidates, Some(bands as u64));
    let per_band: Vec<BandFound> = (0..bands)
        .into_par_iter()
        .map(|band| {
            check(progress)?;
            let found = band_candidates(index, band, bands, &keys, &first);
            progress.advance(1);
            found
        })
        .collect::<Result<_>>()?;
    progress.end();
    let mut new_pairs: Vec<CandidatePair<u32>> = Vec::new();
    let mut indexed_pairs: Vec<(IndexDoc, u32)> = Vec::new();
    for (a, b) in per_band {
        new_pairs.extend(a);
        indexed_pairs.extend(b);
    }
    new_pairs.par_sort_unstable();
    new_pairs.dedup();
    indexed_pairs.par_sort_unstable();
    indexed_pairs.dedup();
    summary.candidate_pairs = (new_pairs.len() + indexed_pairs.len()) as u64;

    // Verify.
    progress.begin(Stage::Verify, Some(summary.candidate_pairs));
    let threshold = config.threshold;
    let similar_new: Vec<(u32, u32)> = new_pairs
        .par_chunks(4096)
        .flat_map_iter(|chunk| {
            progress.advance(chunk.len() as u64);
            chunk.iter().filter_map(|p| {
                let s = spool.set(p.first).jaccard(&spool.set(p.second));
                (s >= threshold).then_some((p.first, p.second))
            })
        })
        .collect();
    let similar_indexed: Vec<(IndexDoc, u32)> = indexed_pairs
        .par_chunk_by(|a, b| a.0 == b.0)
        .map(|group| -> Result<Vec<(IndexDoc, u32)>> {
            check(progress)?;
            let stored = index.doc_set(group[0].0)?;
            progress.advance(group.len() as u64);
            Ok(group
                .iter()
                .filter(|&&(_, slot)| spool.set(slot).jaccard(&stored) >= threshold)
                .copied()
                .collect())
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    progress.end();
    drop(new_pairs);
    drop(indexed_pairs);

    // Clusters: new documents are nodes 0..slots, indexed ones follow.
    let mut met: Vec<IndexDoc> = similar_indexed
        .iter()
        .map(|&(d, _)| d)
        .chain(in_index.iter().flatten().copied())
        .collect();
    met.par_sort_unstable();
    met.dedup();
    let node = |d: IndexDoc| number(slots + met.binary_search(&d).unwrap_or(0));
    let mut edges: Vec<(DocId, DocId)> = Vec::new();
    for (slot, f) in first.iter().enumerate() {
        match (f, in_index[slot]) {
            (_, Some(d)) => edges.push((DocId(number(slot)), DocId(node(d)))),
            (Some(f), None) if *f as usize != slot => edges.push((DocId(number(slot)), DocId(*f))),
            _ => {}
        }
    }
    edges.extend(similar_new.iter().map(|&(a, b)| (DocId(a), DocId(b))));
    edges.extend(
        similar_indexed
            .iter()
            .map(|&(d, s)| (DocId(s), DocId(node(d)))),
    );
    let groups = components(slots + met.len(), edges);

    let mut removed = vec![false; slots];
    let mut matches: Vec<Match> = Vec::new();
    for group in groups {
        let (new, old): (Vec<DocId>, Vec<DocId>) =
            group.into_iter().partition(|d| d.index() < slots);
        if old.is_empty() {
            let kept = config.keep.choose(&new, |d| sizes[docs[d.index()].index()]);
            let kept_set = spool.set(kept.0);
            for &d in new.iter().filter(|&&d| d != kept) {
                removed[d.index()] = true;
                summary.removed_within += 1;
                matches.push(Match {
                    doc: docs[d.index()],
                    kept: Kept::Input(docs[kept.index()]),
                    similarity: spool.set(d.0).jaccard(&kept_set),
                });
            }
        } else {
            let old: Vec<IndexDoc> = old.iter().map(|d| met[d.index() - slots]).collect();
            let kept = choose_indexed(index, config.keep, &old)?;
            let stored = index.doc(kept)?;
            let kept_set = ShingleSet::from_sorted(stored.set());
            for &d in &new {
                removed[d.index()] = true;
                summary.removed_by_index += 1;
                matches.push(Match {
                    doc: docs[d.index()],
                    kept: Kept::Indexed(stored.id.to_string()),
                    similarity: spool.set(d.0).jaccard(&kept_set),
                });
            }
        }
    }
    matches.sort_by_key(|m| m.doc);
    summary.kept = summary.documents - matches.len() as u64;
    summary.elapsed = started.elapsed();
    summary.stages = timed.times();
    Ok(Queried {
        matches: Matches {
            ids,
            bytes: sizes,
            origins,
            matches,
            spans: Vec::new(),
            summary,
        },
        docs,
        exact,
        keys,
        spool,
        windows: window_spool,
        first,
        removed,
    })
}

/// The indexed document `keep` keeps among `docs` (ascending): the first,
/// or the longest or shortest text, ties to the first.
fn choose_indexed(index: &Index, keep: Keep, docs: &[IndexDoc]) -> Result<IndexDoc> {
    if keep == Keep::First || docs.len() == 1 {
        return Ok(docs[0]);
    }
    let sizes: Vec<u64> = docs
        .iter()
        .map(|&d| Ok(index.doc(d)?.bytes))
        .collect::<Result<_>>()?;
    let ids: Vec<DocId> = (0..number(docs.len())).map(DocId).collect();
    let chosen = keep.choose(&ids, |d| sizes[d.index()]);
    Ok(docs[chosen.index()])
}

/// One band's candidates: pairs of new documents (by slot), and pairs of
/// an indexed document and a new one.
type BandFound = (Vec<CandidatePair<u32>>, Vec<(IndexDoc, u32)>);

/// The candidate pairs band `band` gives: among new documents, and
/// between indexed and new ones. Each bucket is paired as
/// [`bucket_pairs`] pairs the bucket of a one-shot run in which the
/// indexed members come first: a new member at position p of the joint
/// bucket meets every earlier member while p < [`BUCKET_ALL_PAIRS`], and
/// past that the joint bucket's first members and its neighbour.
fn band_candidates(
    index: &Index,
    band: usize,
    bands: usize,
    keys: &[BandKey],
    first: &[Option<u32>],
) -> Result<BandFound> {
    let mut table: Vec<(BandKey, u32)> = first
        .iter()
        .enumerate()
        .filter(|&(slot, f)| *f == Some(number(slot)))
        .map(|(slot, _)| (keys[slot * bands + band], number(slot)))
        .collect();
    table.sort_unstable();
    let mut new_pairs = Vec::new();
    let mut indexed_pairs = Vec::new();
    let mut members: Vec<u32> = Vec::new();
    let mut cursors = vec![0usize; index.segments.len()];
    for run in table.chunk_by(|a, b| a.0 == b.0) {
        members.clear();
        members.extend(run.iter().map(|&(_, slot)| slot));
        let bucket = index.bucket(band, run[0].0, &mut cursors)?;
        let n = bucket.len();
        if n == 0 {
            bucket_pairs(&members, &mut new_pairs);
            continue;
        }
        let heads = bucket.heads(index, BUCKET_ALL_PAIRS.min(n))?;
        let last = bucket.last(index)?;
        pair_joint_bucket(
            n,
            &heads,
            last,
            &members,
            &mut new_pairs,
            &mut indexed_pairs,
        );
    }
    Ok((new_pairs, indexed_pairs))
}

/// Pairs one joint bucket: `n` indexed members, whose first
/// min(n, [`BUCKET_ALL_PAIRS`]) are `heads` and whose last is `last`,
/// followed by the new `members` (ascending). Gives exactly the pairs
/// [`bucket_pairs`] gives on the joint bucket that have a new member,
/// without reading the indexed members between the heads and the last.
fn pair_joint_bucket<I: Copy>(
    n: usize,
    heads: &[I],
    last: I,
    members: &[u32],
    new_pairs: &mut Vec<CandidatePair<u32>>,
    indexed_pairs: &mut Vec<(I, u32)>,
) {
    debug_assert_eq!(heads.len(), BUCKET_ALL_PAIRS.min(n));
    let limit = BUCKET_ALL_PAIRS.min(n + members.len());
    // New members among the joint bucket's heads.
    let new_heads = limit.saturating_sub(n);
    for (j, &slot) in members.iter().enumerate() {
        let p = n + j;
        // Every indexed head: below the limit, all indexed members are heads.
        indexed_pairs.extend(heads.iter().map(|&d| (d, slot)));
        let earlier_new = if p < limit { j } else { new_heads };
        new_pairs.extend(members[..earlier_new].iter().map(|&a| CandidatePair {
            first: a,
            second: slot,
        }));
        if p > limit {
            // The neighbour, which is past the heads.
            if j == 0 {
                indexed_pairs.push((last, slot));
            } else {
                new_pairs.push(CandidatePair {
                    first: members[j - 1],
                    second: slot,
                });
            }
        }
    }
}

/// The indexed members of one bucket: a range of each segment's table.
pub(crate) struct Bucket {
    band: usize,
    ranges: Vec<(u32, Range<usize>)>,
}

impl Bucket {
    pub fn new(band: usize, ranges: Vec<(u32, Range<usize>)>) -> Bucket {
        Bucket { band, ranges }
    }

    pub fn len(&self) -> usize {
        self.ranges.iter().map(|(_, r)| r.len()).sum()
    }

    /// The first `k` members, in index order.
    fn heads(&self, index: &Index, k: usize) -> Result<Vec<IndexDoc>> {
        let mut out = Vec::with_capacity(k);
        for (segment, range) in &self.ranges {
            let seg: &Segment = index.segment(*segment);
            for i in range.clone() {
                if out.len() == k {
                    return Ok(out);
                }
                out.push(IndexDoc {
                    segment: *segment,
                    local: seg.band_doc(self.band, i)?,
                });
            }
        }
        Ok(out)
    }

    /// The last member.
    fn last(&self, index: &Index) -> Result<IndexDoc> {
        let (segment, range) = self
            .ranges
            .iter()
            .rev()
            .find(|(_, r)| !r.is_empty())
            .cloned()
            .unwrap_or((0, 0..0));
        let seg = index.segment(segment);
        Ok(IndexDoc {
            segment,
            local: seg.band_doc(self.band, range.end.saturating_sub(1))?,
        })
    }
}

#[derive(serde::Serialize)]
struct MatchOut<'a> {
    version: u32,
    level: &'static str,
    id: &'a str,
    kept: &'a str,
    kept_in: &'static str,
    similarity: f64,
}

#[derive(serde::Serialize)]
struct SpanOut<'a> {
    version: u32,
    level: &'static str,
    id: &'a str,
    start: usize,
    end: usize,
    text: &'a str,
    indexed: &'a str,
}

/// Writes every match as one JSON line: what `scan --against` prints and
/// the removed list of `dedup --against` holds. A document match is
/// `{"version", "level": "document", "id", "kept", "kept_in", "similarity"}`,
/// where `kept_in` is `index` when the kept document is an indexed one and
/// `input` when it is a new one; a span match is
/// `{"version", "level": "span", "id", "start", "end", "text", "indexed"}`,
/// the first shared window's bytes in the new document and the indexed
/// document that holds it.
pub fn write_matches(matches: &Matches, out: &mut dyn Write) -> std::io::Result<()> {
    for m in &matches.spans {
        serde_json::to_writer(
            &mut *out,
            &SpanOut {
                version: crate::report::FORMAT_VERSION,
                level: "span",
                id: matches.id(m.doc),
                start: m.span.start,
                end: m.span.end,
                text: &m.text,
                indexed: &m.indexed,
            },
        )?;
        out.write_all(b"\n")?;
    }
    for m in &matches.matches {
        let (kept, kept_in) = match &m.kept {
            Kept::Indexed(id) => (id.as_str(), "index"),
            Kept::Input(doc) => (matches.id(*doc), "input"),
        };
        serde_json::to_writer(
            &mut *out,
            &MatchOut {
                version: crate::report::FORMAT_VERSION,
                level: "document",
                id: matches.id(m.doc),
                kept,
                kept_in,
                similarity: crate::report::round(m.similarity),
            },
        )?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `pair_joint_bucket` gives, as pairs of joint positions.
    fn joint(n: usize, m: usize) -> Vec<(usize, usize)> {
        let heads: Vec<usize> = (0..BUCKET_ALL_PAIRS.min(n)).collect();
        let members: Vec<u32> = (0..m as u32).collect();
        let (mut new_pairs, mut indexed_pairs) = (Vec::new(), Vec::new());
        pair_joint_bucket(
            n,
            &heads,
            n.saturating_sub(1),
            &members,
            &mut new_pairs,
            &mut indexed_pairs,
        );
        let mut out: Vec<(usize, usize)> = new_pairs
            .iter()
            .map(|p| (n + p.first as usize, n + p.second as usize))
            .chain(indexed_pairs.iter().map(|&(d, s)| (d, n + s as usize)))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// What a one-shot run pairs in the same bucket, new members involved.
    fn one_shot(n: usize, m: usize) -> Vec<(usize, usize)> {
        let bucket: Vec<usize> = (0..n + m).collect();
        let mut pairs = Vec::new();
        bucket_pairs(&bucket, &mut pairs);
        let mut out: Vec<(usize, usize)> = pairs
            .iter()
            .filter(|p| p.second >= n)
            .map(|p| (p.first, p.second))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn joint_buckets_pair_as_one_shot_buckets_around_the_heads() {
        for n in [0, 1, 2, 63, 64, 65, 66, 130] {
            for m in [0, 1, 2, 3, 62, 63, 64, 65, 66, 100] {
                assert_eq!(joint(n, m), one_shot(n, m), "{n} indexed, {m} new");
            }
        }
    }

    proptest! {
        #[test]
        fn joint_buckets_pair_as_one_shot_buckets(n in 0usize..200, m in 0usize..200) {
            prop_assert_eq!(joint(n, m), one_shot(n, m));
        }
    }
}
