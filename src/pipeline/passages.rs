//! The passage grain's flow: three streams over the corpus.
//!
//! ```text
//! pass A  every document: words → split → each passage's run of words →      (parallel per batch)
//!         exact hash, MinHash band keys (none for a passage that can
//!         match only its exact copies); every k-word window into the
//!         seen-twice bitmaps;
//!         short passages (3 to k−1 words) indexed by their first words
//!         exact copies joined; lsh over first copies                          (parallel per band)
//! pass B  every document: passage texts for verification, span occurrences,   (parallel per batch)
//!         and its passages' word windows probed for short passages inside them
//!         verify pairs (outlines rule most out; then exact, containment,
//!         near); join passages by the spans they share; cluster; group spans
//! pass C  documents in any cluster: the byte span and original text of every
//!         member, and the comparison data of the members grouping could
//!         not measure against their cluster's first (see [`Unmeasured`])
//! ```
//!
//! Memory: pass A keeps a bit per passage (whether it is its own first
//! exact copy; which first copy a copy has goes to a sorted table) and per
//! document its first passage (passes B and C find spans again in the
//! text), its exact hashes and band keys in a [`BandIndex`], and per short
//! passage its anchor; texts are dropped batch by batch. The candidate
//! pairs are kept until verified, and pass B marks their passages with a
//! bit each. Pass B keeps the texts of candidate passages, the windows the
//! bitmaps cannot rule out, and of those the ones wholly inside a
//! first-copy passage by passage (for the span joins), with those
//! passages' lengths. Clustering runs a union-find over the first copies
//! that pairs and joins touch only, and sorts every member by cluster; it
//! writes the clusters' members to [`Records`], and every member, passage
//! or span region, goes to a table sorted by document, which pass C reads
//! beside the corpus to find each member's span and text; the spans,
//! sorted by member, are then written over the members' records.
//!
//! Under a memory limit the band index, the copies, the two tables of
//! windows, the windows each pair of passages shares, the members by
//! cluster, the members wanted and the spans found spill to sorted runs
//! (see [`Sorter`]); the candidate pairs (band by band), the candidates'
//! texts, the clusters' members, pass C's texts and their entries go to
//! mapped files (see [`Records`] and [`MemberTextsBuilder`]); the rest is
//! checked against the limit ([`Budget`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_128_with_seed;

use super::Scratch;
use crate::cluster::SharedUnionFind;
use crate::config::Config;
use crate::core::{number, prefetch, trim_heap, DocId, Ids, Numbered};
use crate::core::{u32_at, Record};
use crate::error::{Error, Result};
use crate::lsh::{BandIndex, BandKey, Banding, CandidatePair, Spilled};
use crate::minhash::MinHasher;
use crate::normalize::{normalize, words, Word};
use crate::passage::outline::{may_match, Outline};
use crate::passage::spans::{self, Occurrence, Occurrences, SeenTwice, SpanClusters, SpanMember};
use crate::passage::{
    compare, passage_matches_only_exactly, split, word_edit_similarity, ClustersWriter, MatchKind,
    PassageCluster, PassageClusters, PassageMember, PassageText, PassageUnit, Span,
    MEDIUM_PASSAGE_WORDS, SHORT_PASSAGE_WORDS,
};
use crate::progress::{check, Progress, Stage};
use crate::read::stream::documents_overlapped;
use crate::read::{Corpus, Document};
use crate::records::{Blobs, BlobsWriter, Records};
use crate::report::{MemberTexts, MemberTextsBuilder};
use crate::runs::{Sorted, Sorter};
use crate::shingle::Shingling;

/// The index of a passage among all passages of a run, in corpus order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct PassageId(u32);

impl Numbered for PassageId {
    fn from_number(n: u32) -> Self {
        PassageId(n)
    }
    fn number(self) -> u32 {
        self.0
    }
}

/// What the passage grain found.
#[derive(Debug, Default)]
pub(crate) struct PassageFindings {
    pub passages: u64,
    pub passage_clusters: PassageClusters,
    pub span_clusters: SpanClusters,
    /// Original text of every cluster member, by document and span.
    pub texts: MemberTexts,
    /// What its tables wrote to disk, under a memory limit.
    pub spilled: Spilled,
}

/// Pass A's record of every passage. Passages are numbered in corpus
/// order, so a document's are a run: its first passage is kept per
/// document rather than the document per passage. Their spans are not
/// kept: passes B and C find them again in the text (see
/// [`Grain::passage_spans`]), as they read it anyway.
#[derive(Default)]
struct PassageTable {
    /// Per document pushed, its first passage; then the passage count.
    starts: Vec<PassageId>,
    /// The number of passages.
    passages: usize,
    /// Number of words per document, to size the span bitmaps.
    words: u64,
}

impl PassageTable {
    /// The number of passages.
    fn len(&self) -> usize {
        self.passages
    }

    /// Starts the passages of `doc`, which follows every document pushed
    /// so far.
    fn push_document(&mut self, doc: DocId) {
        let next = PassageId(number(self.len()));
        self.starts.resize(doc.index() + 1, next);
    }

    /// Adds a passage of the last document pushed; `None` if its offsets
    /// do not fit 32 bits (a document over 4 GiB), as the members that
    /// pass C locates must.
    fn push(&mut self, span: Span) -> Result<Option<PassageId>> {
        let id = PassageId(u32::try_from(self.len()).map_err(|_| Error::TooManyDocuments)?);
        if u32::try_from(span.end).is_err() {
            return Ok(None);
        }
        self.passages += 1;
        Ok(Some(id))
    }

    /// The passages of `doc`.
    fn passages_of(&self, doc: DocId) -> std::ops::Range<usize> {
        let at = |d: usize| self.starts.get(d).map_or(self.len(), |s| s.0 as usize);
        at(doc.index())..at(doc.index() + 1)
    }

    /// The document of passage `id`.
    fn doc(&self, id: PassageId) -> DocId {
        // The last document whose first passage is at or before `id`:
        // documents without passages share their successor's start.
        DocId::at(self.starts.partition_point(|&s| s <= id) - 1)
    }

    /// The document of passage `id`, and the passage's index among its
    /// document's.
    fn place(&self, id: PassageId) -> (DocId, u32) {
        let doc = self.doc(id);
        (doc, id.0 - self.starts[doc.index()].0)
    }

    /// Bytes held, spare capacity included.
    fn memory(&self) -> usize {
        self.starts.capacity() * size_of::<PassageId>()
    }
}

/// A bit per passage: the passage grain's tables over every passage
/// (a hundred million per ten gigabytes of web-like text) take no more.
struct PassageBits {
    words: Vec<u64>,
}

impl PassageBits {
    /// `passages` bits, none set.
    fn none(passages: usize) -> Self {
        PassageBits {
            words: vec![0; passages.div_ceil(64)],
        }
    }

    fn set(&mut self, id: PassageId) {
        self.words[id.0 as usize / 64] |= 1 << (id.0 % 64);
    }

    fn get(&self, id: PassageId) -> bool {
        self.words[id.0 as usize / 64] & 1 << (id.0 % 64) != 0
    }

    /// The passages in `range` whose bits are set, ascending.
    fn ones(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = PassageId> + '_ {
        range
            .map(|i| PassageId(number(i)))
            .filter(|&id| self.get(id))
    }

    fn memory(&self) -> usize {
        self.words.capacity() * size_of::<u64>()
    }
}

/// Which passages are their own first exact copy (the earliest with the
/// same normalized text): a bit each, which is all that passes A and B
/// ask. Which first copy a copy has only clustering needs; it reads that
/// from [`Copied`] records sorted by first copy.
struct FirstCopies {
    /// Set for a copy.
    copy: PassageBits,
}

impl FirstCopies {
    /// `passages` passages, none a copy yet.
    fn none(passages: usize) -> Self {
        FirstCopies {
            copy: PassageBits::none(passages),
        }
    }

    fn mark_copy(&mut self, id: PassageId) {
        self.copy.set(id);
    }

    fn is_first(&self, id: PassageId) -> bool {
        !self.copy.get(id)
    }

    fn memory(&self) -> usize {
        self.copy.memory()
    }
}

/// An exact copy and its first copy. Sorted by first copy, they are the
/// sets of exact copies, one after another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Copied {
    first: PassageId,
    copy: PassageId,
}

impl Record for Copied {
    const SIZE: usize = 8;
    fn put(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.first.0.to_le_bytes());
        out[4..8].copy_from_slice(&self.copy.0.to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Self {
        Copied {
            first: PassageId(u32_at(bytes, 0)),
            copy: PassageId(u32_at(bytes, 4)),
        }
    }
}

/// A passage in a cluster, found while clustering: the cluster's first
/// passage, the passage, and its first exact copy. Sorted, the clusters
/// in corpus order of their first passages, each member in corpus order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct InCluster {
    root: PassageId,
    id: PassageId,
    first: PassageId,
}

impl Record for InCluster {
    const SIZE: usize = 12;
    fn put(&self, out: &mut [u8]) {
        for (at, field) in [self.root, self.id, self.first].into_iter().enumerate() {
            out[4 * at..4 * at + 4].copy_from_slice(&field.0.to_le_bytes());
        }
    }
    fn get(bytes: &[u8]) -> Self {
        InCluster {
            root: PassageId(u32_at(bytes, 0)),
            id: PassageId(u32_at(bytes, 4)),
            first: PassageId(u32_at(bytes, 8)),
        }
    }
}

/// The candidate pairs, held from the end of pass A until they are
/// verified after pass B: in memory, or under a memory limit in a mapped
/// file (8 bytes a pair, 142 MiB at three million documents).
enum Pairs {
    Memory(Vec<CandidatePair<PassageId>>),
    Stored(Records<CandidatePair<PassageId>>),
}

impl Pairs {
    fn len(&self) -> usize {
        match self {
            Pairs::Memory(pairs) => pairs.len(),
            Pairs::Stored(pairs) => pairs.len(),
        }
    }

    /// Pair `i`, in sorted order.
    fn get(&self, i: usize) -> CandidatePair<PassageId> {
        match self {
            Pairs::Memory(pairs) => pairs[i],
            Pairs::Stored(pairs) => pairs.get(i),
        }
    }

    /// Every pair, in sorted order.
    fn iter(&self) -> impl Iterator<Item = CandidatePair<PassageId>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Bytes held in memory.
    fn memory(&self) -> usize {
        match self {
            Pairs::Memory(pairs) => pairs.capacity() * size_of::<CandidatePair<PassageId>>(),
            Pairs::Stored(pairs) => pairs.memory(),
        }
    }

    /// Lets the pages of stored pairs read so far go (see
    /// [`Records::release`]).
    fn release(&self) {
        if let Pairs::Stored(pairs) = self {
            pairs.release();
        }
    }
}

/// What pass B loads of one document (see [`Loads`]).
struct Loaded {
    passages: Vec<(PassageId, PassageText)>,
    occurrences: Vec<Occurrence>,
    windows: Vec<PassageWindow>,
    lengths: Vec<(PassageId, u32)>,
    inside: Vec<SpanJoin>,
}

/// What pass B gathers over the corpus.
struct Loads {
    /// The texts of passages in candidate pairs.
    texts: Texts,
    /// Which passages are in candidate pairs: a bit each.
    in_pairs: PassageBits,
    /// Windows that may repeat.
    occurrences: Occurrences,
    /// Those of them wholly inside a first-copy passage, by passage.
    windows: Sorter<PassageWindow>,
    /// The words of each passage in `windows`.
    lengths: Vec<(PassageId, u32)>,
    /// Short passages found inside longer ones.
    contained: Vec<SpanJoin>,
}

/// A passage's words among its document's: `[first, end)` indices into
/// what [`words`] gives for the whole document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct WordRange {
    doc: DocId,
    first: u32,
    end: u32,
    id: PassageId,
}

/// A window that may repeat, wholly inside a first-copy passage: its hash,
/// the passage, and the window's first word within it. What span joins
/// are made of, found in pass B while the document's passages are at
/// hand: looked up later from the hash-sorted occurrences, every window
/// was a cache miss, a fifth of the passage grain's time on 100k long
/// documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct PassageWindow {
    hash: u64,
    passage: PassageId,
    start: u32,
}

impl Record for PassageWindow {
    const SIZE: usize = 16;
    fn put(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.hash.to_le_bytes());
        out[8..12].copy_from_slice(&self.passage.0.to_le_bytes());
        out[12..16].copy_from_slice(&self.start.to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Self {
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        PassageWindow {
            hash: u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")),
            passage: PassageId(u32_at(8)),
            start: u32_at(12),
        }
    }
}

/// A window two first copies share: `a < b`, and where it starts in each.
/// Sorted by pair, what [`span_joins`] measures each pair's cover from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SharedWindow {
    a: PassageId,
    b: PassageId,
    in_a: u32,
    in_b: u32,
}

impl Record for SharedWindow {
    const SIZE: usize = 16;
    fn put(&self, out: &mut [u8]) {
        let fields = [self.a.0, self.b.0, self.in_a, self.in_b];
        for (at, field) in fields.into_iter().enumerate() {
            out[4 * at..4 * at + 4].copy_from_slice(&field.to_le_bytes());
        }
    }
    fn get(bytes: &[u8]) -> Self {
        SharedWindow {
            a: PassageId(u32_at(bytes, 0)),
            b: PassageId(u32_at(bytes, 4)),
            in_a: u32_at(bytes, 8),
            in_b: u32_at(bytes, 12),
        }
    }
}

/// A cluster member that pass C locates and reads, by document: a
/// passage, by its index among its document's passages, or a span
/// region, by its words. Both fit 32 bits: passages are numbered so, and
/// word indices too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Wanted {
    doc: DocId,
    /// A passage's index among its document's (`to` the same), or a
    /// region's words `[from, to)`.
    from: u32,
    to: u32,
    /// Whether it is a span region rather than a passage.
    region: bool,
    /// Its index among the members of every passage cluster, or of every
    /// span cluster: where its byte span goes once found.
    member: u32,
}

impl Record for Wanted {
    const SIZE: usize = 17;
    fn put(&self, out: &mut [u8]) {
        let fields = [self.doc.number(), self.from, self.to, self.member];
        for (at, field) in fields.into_iter().enumerate() {
            out[4 * at..4 * at + 4].copy_from_slice(&field.to_le_bytes());
        }
        out[16] = u8::from(self.region);
    }
    fn get(bytes: &[u8]) -> Self {
        Wanted {
            doc: DocId::from_number(u32_at(bytes, 0)),
            from: u32_at(bytes, 4),
            to: u32_at(bytes, 8),
            member: u32_at(bytes, 12),
            region: bytes[16] != 0,
        }
    }
}

/// A member's byte span, found in pass C: what is written over its
/// record in the clusters (see [`Records::update`]). Sorted by member, so
/// that the clusters' file is written front to back.
///
/// [`Records::update`]: crate::records::Records::update
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Located {
    member: u32,
    start: u32,
    end: u32,
}

impl Located {
    fn new(member: u32, span: Span) -> Self {
        // Spans fit 32 bits: pass A refuses documents whose do not.
        Located {
            member,
            start: number(span.start),
            end: number(span.end),
        }
    }

    fn span(self) -> Span {
        Span {
            start: self.start as usize,
            end: self.end as usize,
        }
    }
}

impl Record for Located {
    const SIZE: usize = 12;
    fn put(&self, out: &mut [u8]) {
        for (at, field) in [self.member, self.start, self.end].into_iter().enumerate() {
            out[4 * at..4 * at + 4].copy_from_slice(&field.to_le_bytes());
        }
    }
    fn get(bytes: &[u8]) -> Self {
        Located {
            member: u32_at(bytes, 0),
            start: u32_at(bytes, 4),
            end: u32_at(bytes, 8),
        }
    }
}

/// What pass A gives.
struct Sketched {
    table: PassageTable,
    firsts: FirstCopies,
    /// Every exact copy with its first copy.
    copied: Sorter<Copied>,
    /// Candidate pairs among first copies, sorted, without repeats.
    pairs: Pairs,
    anchors: Anchors,
    /// What the band index wrote to disk.
    spilled: Spilled,
}

struct SketchedPassage {
    span: Span,
    exact: u128,
    /// Its band keys; none when it can match only its exact copies, or
    /// when it was taken for a copy and not sketched (see [`Cut`]).
    keys: Vec<BandKey>,
    /// Whether it can match more than its exact copies, and so has keys
    /// unless it copies an earlier passage.
    keyed: bool,
    /// Where its normalized text is in its document's [`Cut::texts`], when
    /// it was taken for a copy and not sketched.
    text: Option<(u32, u32)>,
    /// For a passage of [`ANCHOR_WORDS`] words up to `--min-span`: its
    /// anchor (see [`Anchors`]) and word count.
    anchor: Option<(u64, u32)>,
}

/// One document's passages, cut and sketched in pass A. Most passages
/// with band keys can be copies, and a copy's keys are never used, so a
/// passage whose exact hash [`Copies`] already holds is not sketched: only
/// its normalized text is kept, for the rare passage the fold finds is
/// not a copy after all (the set forgot its hash under a memory limit).
struct Cut {
    passages: Vec<SketchedPassage>,
    /// The normalized texts of the passages not sketched, end to end.
    texts: String,
    /// The document's words.
    words: u64,
}

/// The exact hashes of the passages with band keys seen so far in pass A,
/// to keep the keys of their copies out of the band index. Most keyed
/// passages can be copies (84% of them on 100,000 documents whose
/// paragraphs recur, as on the web), and a copy is never a candidate. A
/// set that forgets only lets some copies' keys in, which the index then
/// passes over, so under a memory limit it is emptied whenever it would
/// outgrow its share.
struct Copies {
    seen: std::collections::HashSet<u128, ahash::RandomState>,
    /// Bytes it may take; `None` for no bound.
    within: Option<usize>,
}

impl Copies {
    /// Bytes per slot of the set: a key and a control byte.
    const SLOT: usize = size_of::<u128>() + 1;

    fn within(within: Option<usize>) -> Self {
        Copies {
            seen: Default::default(),
            within,
        }
    }

    /// True when a passage with band keys (`keyed`) and hash `exact` is
    /// known to copy an earlier one; remembers it otherwise.
    fn seen_before(&mut self, exact: u128, keyed: bool) -> bool {
        if !keyed {
            return false;
        }
        if let Some(within) = self.within {
            // Full, the set would double its slots on the next insert.
            let full = self.seen.len() == self.seen.capacity();
            if full && 2 * self.seen.capacity().max(4) * Self::SLOT > within {
                self.seen.clear();
            }
        }
        !self.seen.insert(exact)
    }

    /// Whether a passage with hash `exact` was seen, without remembering
    /// it.
    fn holds(&self, exact: u128) -> bool {
        self.seen.contains(&exact)
    }

    fn memory(&self) -> usize {
        self.seen.capacity() * Self::SLOT
    }
}

/// Words in the anchor of a short passage: its first three, hashed.
const ANCHOR_WORDS: usize = 3;

/// A short passage (fewer words than `--min-span`, at least
/// [`ANCHOR_WORDS`]) by the hash of its first words: what a longer
/// passage probes with each of its own word windows, to find the short
/// passages it contains. Longer ones are found inside others by the
/// repeated spans they share; these are too short for a span.
#[derive(Default)]
struct Anchors {
    /// Anchor hash → (passage, word count, exact hash of its normalized
    /// text).
    by_hash: HashMap<u64, Vec<(PassageId, u32, u128)>, ahash::RandomState>,
    /// The most words of a short passage held: a passage twice as long
    /// or more cannot be more than half short passage, so [`probe`]
    /// passes over it (most paragraphs) without hashing its windows.
    longest: u32,
}

impl Anchors {
    /// Holds short passage `id`, of `words` words, first words hashed to
    /// `anchor` and whole text to `exact`.
    fn push(&mut self, anchor: u64, id: PassageId, words: u32, exact: u128) {
        self.by_hash
            .entry(anchor)
            .or_default()
            .push((id, words, exact));
        self.longest = self.longest.max(words);
    }

    /// Keeps the passages `keep` says to, and lets go of the room the
    /// others took.
    fn retain(&mut self, keep: impl Fn(PassageId) -> bool) {
        self.by_hash.retain(|_, short| {
            short.retain(|&(id, _, _)| keep(id));
            short.shrink_to_fit();
            !short.is_empty()
        });
        self.by_hash.shrink_to_fit();
        self.longest = self
            .by_hash
            .values()
            .flatten()
            .map(|&(_, words, _)| words)
            .max()
            .unwrap_or(0);
    }

    fn memory(&self) -> usize {
        self.by_hash.capacity() * 40
            + self
                .by_hash
                .values()
                .map(|v| v.capacity() * 24)
                .sum::<usize>()
    }
}

/// The words of a normalized passage.
fn passage_words(normalized: &str) -> usize {
    // What `split(' ').count()` gives, without a search per word.
    normalized.bytes().filter(|&b| b == b' ').count() + 1
}

/// The hash of `normalized[range]` as an anchor.
fn anchor_hash(text: &str, seed: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(text.as_bytes(), seed)
}

/// What the passage grain runs over, as pass 1 found it.
pub(crate) struct Scope<'a> {
    /// Every document's id.
    pub ids: &'a Ids,
    /// Documents to leave out, as if they were not in the corpus (indexed
    /// by [`DocId`]; shorter means not removed): those the document grain
    /// removes.
    pub removed: &'a [bool],
    /// Bytes of text in the corpus.
    pub text_bytes: u64,
    /// The run's memory limit, if any, and the bytes the rest of the run
    /// holds meanwhile: the passage grain's tables may take the difference.
    pub memory: Option<(u64, u64)>,
    /// Where tables that spill put their runs, under a memory limit.
    pub tmp_dir: std::path::PathBuf,
}

/// The passage grain's memory under a limit. The band index and the
/// windows of the span detector and the span joins, its largest tables,
/// spill to runs on disk, and the members' texts to a file; the other
/// tables do not (yet): past the budget the run stops with
/// [`Error::MemoryLimit`], saying how much the whole stage would need,
/// rather than pass the limit.
struct Budget {
    memory: Option<(u64, u64)>,
    documents: usize,
}

impl Budget {
    /// The bytes left to the passage grain when it holds `held`; `None`
    /// without a limit.
    fn left(&self, held: usize) -> Option<usize> {
        self.memory.map(|(limit, elsewhere)| {
            let left = limit.saturating_sub(elsewhere + held as u64);
            usize::try_from(left).unwrap_or(usize::MAX)
        })
    }

    /// Fails if `fixed` and `growing` bytes are past the limit, projecting
    /// from the `done` documents seen so far what the run would need in
    /// all. Only `growing` (what grows with the documents read) is
    /// projected: `fixed` (what the pass took before it read any) is
    /// needed once, and scaling it from the first small batch made the
    /// figure tens of times too large.
    fn check(&self, fixed: usize, growing: usize, done: usize) -> Result<()> {
        let Some((limit, elsewhere)) = self.memory else {
            return Ok(());
        };
        let (fixed, growing) = (fixed as u64, growing as u64);
        if elsewhere + fixed + growing <= limit {
            return Ok(());
        }
        let projected = growing as f64 * self.documents as f64 / done.max(1) as f64;
        Err(Error::MemoryLimit {
            stage: "the passage grain",
            limit,
            needed: elsewhere + fixed + (projected as u64).max(growing),
        })
    }
}

/// Runs the passage grain over `corpus` (see [`Scope`]).
pub(crate) fn run(
    corpus: &dyn Corpus,
    config: &Config,
    scope: &Scope,
    progress: &dyn Progress,
) -> Result<PassageFindings> {
    let grain = Grain::new(corpus, config, scope, progress);
    let seen = SeenTwice::with_bits(seen_bits(scope.text_bytes, grain.budget.left(0)));
    grain.budget.check(seen.memory(), 0, scope.ids.len())?;
    let Sketched {
        table,
        firsts,
        copied,
        pairs,
        anchors,
        spilled: index_spilled,
    } = grain.sketch(&seen)?;
    // Pass A's band index and copies are gone: their pages go back
    // before pass B fills its own tables.
    trim_heap();
    let Loads {
        texts,
        in_pairs,
        mut occurrences,
        mut windows,
        lengths,
        contained,
    } = grain.load(&table, &firsts, &pairs, &seen, &anchors, copied.memory())?;
    windows.finish()?;
    occurrences.finish()?;
    let mut spilled = index_spilled;
    spilled += windows.spilled();
    spilled += occurrences.spilled();
    drop((seen, anchors));
    trim_heap();
    let p = &config.passage;
    // Steps with no count of their own: joins, passage clusters, spans.
    progress.begin(Stage::Grouping, Some(3));
    // Under a limit, the pairs that share windows spill past half of what
    // the tables kept for clustering leave.
    let held = windows.memory()
        + occurrences.memory()
        + table.memory()
        + firsts.memory()
        + copied.memory()
        + pairs.memory()
        + texts.memory()
        + in_pairs.memory()
        + size_of_val(&lengths[..])
        + contained.capacity() * size_of::<SpanJoin>();
    let spill = grain
        .budget
        .left(held)
        .map(|left| (grain.tmp_dir, left / 2));
    let (mut joined, joins_spilled) =
        span_joins(windows, &lengths, p.min_span, p.threshold, spill)?;
    spilled += joins_spilled;
    joined.extend(widely_contained_left_out(contained));
    joined.sort_unstable_by_key(|j| (j.a, j.b));
    joined.dedup_by_key(|j| (j.a, j.b));
    drop(lengths);
    progress.advance(1);
    drop(firsts);
    let (passage_clusters, cluster_spilled) =
        grain.cluster(&table, copied, (pairs, in_pairs), &texts, joined)?;
    spilled += cluster_spilled;
    progress.advance(1);
    let passages = table.len() as u64;
    drop((texts, table));
    trim_heap();
    check(progress)?;
    // Under a limit, sorting the regions by cluster may take half of
    // what is left; the union-find over them takes some of the rest.
    let spill =
        (grain.budget.left(passage_clusters.0.memory())).map(|left| (grain.tmp_dir, left / 2));
    let mut span_clusters =
        spans::cluster_within(occurrences, p.min_span, p.boilerplate_min_docs, spill)?;
    progress.advance(1);
    progress.end();
    let mut passage_clusters = passage_clusters;
    let (wanted, unmeasured) = grain.wanted(&passage_clusters, &span_clusters)?;
    let mut measure: Vec<u32> = unmeasured
        .iter()
        .flat_map(|u| [u.member, u.first])
        .collect();
    measure.sort_unstable();
    measure.dedup();
    let held = passage_clusters.0.memory()
        + span_clusters.0.memory()
        + unmeasured.capacity() * size_of::<Unmeasured>()
        + measure.capacity() * size_of::<u32>();
    let read = grain.member_texts(wanted, &measure, held)?;
    spilled += read.spilled;
    // Every member's span, found: written over its placeholder.
    passage_clusters
        .0
        .update(by_member(&read.passages)?, |m, span| m.span = span)?;
    // And every member grouping could not measure, measured.
    let measured = unmeasured.iter().map(|u| {
        let text = |member| {
            read.compared
                .get(&member)
                .expect("pass C reads every member it is asked to measure")
        };
        let label = label(text(u.first), text(u.member), None, p.threshold);
        Ok((u.member as usize, label))
    });
    passage_clusters
        .0
        .update(measured, |m, (kind, similarity, removable)| {
            m.kind = kind;
            m.similarity = similarity;
            m.removable = removable;
        })?;
    span_clusters
        .0
        .update(by_member(&read.regions)?, |m, span| m.span = span)?;
    trim_heap();
    Ok(PassageFindings {
        passages,
        passage_clusters,
        span_clusters,
        texts: read.texts,
        spilled,
    })
}

/// The spans pass C found, by member.
fn by_member(sorted: &Sorted<Located>) -> Result<impl Iterator<Item = Result<(usize, Span)>> + '_> {
    Ok(sorted
        .iter()?
        .map(|l| l.map(|l| (l.member as usize, l.span()))))
}

/// The size of each span bitmap: 1 to 2 bits per byte of text (power-of-two
/// rounding), 5.5 to 11 per English word, so that unique windows pass the
/// filter a few percent of the time, which costs less than bigger bitmaps
/// would. Under a memory limit, the two bitmaps take at most a quarter of
/// what is `left`: more windows then pass, to be told apart by the exact
/// count, which spills.
fn seen_bits(text_bytes: u64, left: Option<usize>) -> u64 {
    let mut bits = text_bytes.max(1 << 16).next_power_of_two();
    if let Some(left) = left {
        // Two bitmaps of `bits` bits are `bits / 4` bytes.
        while bits > 1 << 16 && bits / 4 > left as u64 / 4 {
            bits /= 2;
        }
    }
    bits
}

/// The passage texts pass B loads for verification, by passage: in a
/// map, or under a memory limit encoded in a file (see [`Blobs`]) beside
/// their passages, which come in corpus order, for a binary search.
enum Texts {
    Memory(HashMap<PassageId, PassageText, ahash::RandomState>),
    Stored { ids: Vec<PassageId>, blobs: Blobs },
}

impl Texts {
    /// The text of passage `id`, if loaded; decoded when stored.
    fn get(&self, id: PassageId) -> Option<Cow<'_, PassageText>> {
        match self {
            Texts::Memory(texts) => texts.get(&id).map(Cow::Borrowed),
            Texts::Stored { ids, blobs } => {
                let at = ids.binary_search(&id).ok()?;
                Some(Cow::Owned(PassageText::decode(blobs.get(at))))
            }
        }
    }

    /// Bytes held in memory.
    fn memory(&self) -> usize {
        match self {
            Texts::Memory(texts) => texts_memory(texts),
            Texts::Stored { ids, blobs } => {
                ids.capacity() * size_of::<PassageId>() + blobs.memory()
            }
        }
    }
}

/// Candidate pairs of passages verified per task: the outlines of a
/// block's pairs (64 bytes each, two a pair) are fetched together, and
/// fit in the second-level cache.
const VERIFY_BLOCK: usize = 1024;

/// The [`Outline`] of every passage in a candidate pair, found by the
/// passage's rank among them: a bit per passage and a count per 64 of
/// them, which stay in cache where a map's buckets would not, then one
/// cache line per outline.
struct Outlines {
    /// Which passages are in a pair.
    bits: PassageBits,
    /// Per word of `bits`, the bits set in the words before it.
    before: Vec<u32>,
    /// By rank; [`Outline::NONE`] for a passage whose text pass B did not
    /// load.
    outlines: Vec<Outline>,
}

impl Outlines {
    /// The bytes [`Outlines::new`] would take for `passages` passages, of
    /// which `in_pairs` are in pairs.
    fn memory_for(passages: usize, in_pairs: usize) -> usize {
        let words = passages.div_ceil(64);
        words * (size_of::<u64>() + size_of::<u32>()) + in_pairs * size_of::<Outline>()
    }

    /// The outlines of the passages in `bits` (those in pairs), from their
    /// loaded `texts`.
    fn new(bits: PassageBits, passages: usize, texts: &Texts) -> Self {
        let mut before = Vec::with_capacity(bits.words.len());
        let mut count = 0u32;
        for word in &bits.words {
            before.push(count);
            count += word.count_ones();
        }
        let mut outlines = Outlines {
            bits,
            before,
            outlines: vec![Outline::NONE; count as usize],
        };
        match texts {
            // Read in the map's order, which is its memory's, and placed
            // by rank: looking each passage up would miss the cache.
            Texts::Memory(texts) => {
                let placed: Vec<(u32, Outline)> = texts
                    .par_iter()
                    .filter_map(|(&id, text)| Some((outlines.rank(id)?, Outline::of(text))))
                    .collect();
                for (rank, outline) in placed {
                    outlines.outlines[rank as usize] = outline;
                }
            }
            Texts::Stored { .. } => {
                let ids: Vec<PassageId> = outlines.bits.ones(0..passages).collect();
                outlines.outlines = ids
                    .par_iter()
                    .map(|&id| {
                        texts
                            .get(id)
                            .map_or(Outline::NONE, |text| Outline::of(&text))
                    })
                    .collect();
            }
        }
        outlines
    }

    /// The rank of passage `id` among those in pairs, if it is one.
    fn rank(&self, id: PassageId) -> Option<u32> {
        let (word, bit) = (id.0 as usize / 64, id.0 % 64);
        let bits = *self.bits.words.get(word)?;
        (bits & 1 << bit != 0).then(|| self.before[word] + (bits & ((1 << bit) - 1)).count_ones())
    }

    /// The outline of passage `id`, if it is in a pair and was loaded.
    fn get(&self, id: PassageId) -> Option<&Outline> {
        Some(&self.outlines[self.rank(id)? as usize])
    }

    /// Calls `keep` with each pair of `pairs` whose outlines may match at
    /// `threshold`, in order. The outlines of a pair's second passages lie
    /// anywhere in a table larger than the caches: all of them are fetched
    /// ahead, so that their misses overlap, before any is read.
    fn sift(
        &self,
        pairs: impl Iterator<Item = CandidatePair<PassageId>>,
        threshold: f64,
        mut keep: impl FnMut(CandidatePair<PassageId>),
    ) {
        let found: Vec<_> = pairs
            .filter_map(|pair| {
                let (a, b) = (self.get(pair.first)?, self.get(pair.second)?);
                prefetch(a);
                prefetch(b);
                Some((pair, a, b))
            })
            .collect();
        for (pair, a, b) in found {
            // A passage pass B did not load fails as its text would.
            if !a.is_none() && !b.is_none() && may_match(a, b, threshold) {
                keep(pair);
            }
        }
    }
}

/// Writes [`Texts`], in corpus order of their passages.
enum TextsWriter {
    /// The texts, and the bytes their shingles and words hold.
    Memory(HashMap<PassageId, PassageText, ahash::RandomState>, usize),
    Stored {
        ids: Vec<PassageId>,
        blobs: BlobsWriter,
        encoded: Vec<u8>,
    },
}

impl TextsWriter {
    /// Texts in a map, or, given a folder, encoded in a file there.
    fn new(dir: Option<&std::path::Path>) -> Result<Self> {
        Ok(match dir {
            None => TextsWriter::Memory(HashMap::default(), 0),
            Some(dir) => TextsWriter::Stored {
                ids: Vec::new(),
                blobs: BlobsWriter::on_disk(dir)?,
                encoded: Vec::new(),
            },
        })
    }

    /// Adds the text of passage `id`, which follows those added so far.
    fn push(&mut self, id: PassageId, text: PassageText) -> Result<()> {
        match self {
            TextsWriter::Memory(texts, held) => {
                *held += text.memory();
                texts.insert(id, text);
            }
            TextsWriter::Stored {
                ids,
                blobs,
                encoded,
            } => {
                debug_assert!(ids.last() < Some(&id), "passages come in order");
                encoded.clear();
                text.encode(encoded);
                blobs.push(encoded)?;
                ids.push(id);
            }
        }
        Ok(())
    }

    /// Bytes held in memory.
    fn memory(&self) -> usize {
        match self {
            TextsWriter::Memory(texts, held) => {
                held + texts.capacity() * (size_of::<(PassageId, PassageText)>() + 1)
            }
            TextsWriter::Stored { ids, blobs, .. } => {
                ids.capacity() * size_of::<PassageId>() + blobs.memory()
            }
        }
    }

    fn finish(self) -> Result<Texts> {
        Ok(match self {
            TextsWriter::Memory(texts, _) => Texts::Memory(texts),
            TextsWriter::Stored { ids, blobs, .. } => Texts::Stored {
                ids,
                blobs: blobs.finish()?,
            },
        })
    }
}

/// What the passes of the passage grain share.
struct Grain<'a> {
    corpus: &'a dyn Corpus,
    config: &'a Config,
    ids: &'a Ids,
    removed: &'a [bool],
    progress: &'a dyn Progress,
    budget: Budget,
    tmp_dir: &'a std::path::Path,
    banding: Banding,
    hasher: MinHasher,
    /// Shingles of long passages: word n-grams.
    shingling: Shingling,
    /// Shingles of short ones: their words (see [`Grain::sketch_passages`]).
    unigrams: Shingling,
    /// Shingles of middling ones: word pairs.
    bigrams: Shingling,
}

impl<'a> Grain<'a> {
    fn new(
        corpus: &'a dyn Corpus,
        config: &'a Config,
        scope: &'a Scope<'a>,
        progress: &'a dyn Progress,
    ) -> Self {
        let p = &config.passage;
        let banding = Banding::optimal(p.threshold, p.num_perm);
        Grain {
            corpus,
            config,
            ids: scope.ids,
            removed: scope.removed,
            progress,
            budget: Budget {
                memory: scope.memory,
                documents: scope.ids.len(),
            },
            tmp_dir: &scope.tmp_dir,
            // Passage signatures serve the bands only (verification is
            // exact), so only the slots the bands use are computed, rounded
            // up to the MinHash kernel's block: 48 of 64 at the defaults.
            // They are a full signature's first slots, so the band keys
            // are the same.
            hasher: MinHasher::new(
                banding
                    .slots()
                    .next_multiple_of(crate::minhash::BLOCK)
                    .min(p.num_perm),
                config.seed,
            ),
            banding,
            shingling: Shingling {
                n: p.ngram,
                ..Shingling::default()
            },
            unigrams: Shingling {
                n: 1,
                ..Shingling::default()
            },
            bigrams: Shingling {
                n: 2,
                ..Shingling::default()
            },
        }
    }

    /// Whether `doc` is left out (the document grain removes it).
    fn gone(&self, doc: DocId) -> bool {
        self.removed.get(doc.index()).copied().unwrap_or(false)
    }

    /// Pass A: every passage's document, span and first exact copy, and
    /// the candidate pairs LSH proposes among first copies; every window of
    /// words goes into `seen`. Exact hashes and band keys go to a
    /// [`BandIndex`], which spills under a memory limit as the document
    /// grain's does.
    fn sketch(&self, seen: &SeenTwice) -> Result<Sketched> {
        let (config, progress) = (self.config, self.progress);
        progress.begin(Stage::Passages, Some(self.ids.len() as u64));
        let bands = self.banding.bands;
        let mut index = match self.budget.left(0) {
            None => BandIndex::in_memory(bands),
            Some(left) => BandIndex::spilling(bands, left, self.tmp_dir),
        };
        let mut table = PassageTable::default();
        let mut anchors = Anchors::default();
        // The fold fills the set while the workers cut the next batch:
        // they only ask it, and never wait for it (see [`Cut`]).
        let copies =
            std::sync::RwLock::new(Copies::within(self.budget.left(0).map(|left| left / 8)));
        let mut scratch = Scratch::new(&self.hasher);
        let mut done = 0;
        let sketch_batch = |batch: &mut Vec<(DocId, Document)>| {
            check(progress)?;
            let read = batch.len();
            batch.retain(|(doc, _)| !self.gone(*doc));
            let cuts: Vec<Cut> = batch
                .par_iter()
                .map_init(
                    || {
                        (
                            Scratch::new(&self.hasher),
                            String::new(),
                            Vec::new(),
                            Vec::new(),
                        )
                    },
                    |(scratch, normalized, found, windows), (_, doc)| {
                        words(&doc.text, &config.normalization, normalized, found);
                        let cut = {
                            let known = copies.try_read().ok();
                            let known = |exact| known.as_ref().is_some_and(|c| c.holds(exact));
                            self.sketch_passages(&doc.text, normalized, found, &known, scratch)
                        };
                        let min_span = config.passage.min_span;
                        spans::window_hashes(normalized, found, min_span, config.seed, windows);
                        seen.insert_all(windows);
                        cut
                    },
                )
                .collect();
            Ok((read, cuts))
        };
        let add_batch = |batch: Vec<(DocId, Document)>, (read, cuts): (usize, Vec<Cut>)| {
            let count = cuts.iter().map(|c| c.passages.len()).sum();
            // Which passages copy an earlier one, told in corpus order.
            let (copy, copies_memory) = {
                let mut copies = copies.write().expect("no panic while held");
                let copy: Vec<bool> = cuts
                    .iter()
                    .flat_map(|c| &c.passages)
                    .map(|p| copies.seen_before(p.exact, p.keyed))
                    .collect();
                (copy, copies.memory())
            };
            let mut copy = copy.into_iter();
            let held = seen.memory() + table.memory() + anchors.memory() + copies_memory;
            index.make_room(count, held)?;
            for ((doc, document), cut) in batch.iter().zip(cuts) {
                table.words += cut.words;
                table.push_document(*doc);
                for mut passage in cut.passages {
                    let Some(id) = table.push(passage.span)? else {
                        return Err(Error::DocumentTooLarge {
                            id: self.ids.get(*doc).to_string(),
                            bytes: document.text.len() as u64,
                        });
                    };
                    let copy = copy.next().expect("a decision per passage");
                    // A copy is never a candidate: its keys would only
                    // fill the index.
                    if copy {
                        passage.keys.clear();
                    } else if let Some((start, end)) = passage.text {
                        let text = &cut.texts[start as usize..end as usize];
                        scratch.text.clear();
                        scratch.text.push_str(text);
                        passage.keys = self.band_keys(&mut scratch, passage_words(text));
                    }
                    index.push(id, passage.exact, &passage.keys);
                    // Kept for every short passage not known to be a copy
                    // until the first copies are known, then for first
                    // copies only.
                    if let Some((hash, words)) = passage.anchor.filter(|_| !copy) {
                        anchors.push(hash, id, words, passage.exact);
                    }
                }
            }
            progress.advance(read as u64);
            done += read;
            let growing = table.memory() + anchors.memory() + copies_memory + index.memory();
            self.budget.check(seen.memory(), growing, done)
        };
        documents_overlapped(self.corpus, self.ids, sketch_batch, add_batch)?;
        progress.end();
        // Its work is done: its room goes to the sorting ahead.
        drop(copies);

        let (firsts, copied) = self.first_copies(&mut index, &table, seen, &anchors)?;
        // Held through pass B: first copies only, without the copies' room.
        anchors.retain(|id| firsts.is_first(id));
        let is_first = |id| firsts.is_first(id);
        let (each_band, stop) = (|| check(progress), || progress.cancelled());
        let (pairs, written) = match self.budget.memory {
            None => (
                Pairs::Memory(index.candidates(&is_first, &each_band, &stop)?),
                Spilled::default(),
            ),
            // Held until every pair is verified, after pass B: to a file,
            // band by band.
            Some(_) => {
                let (pairs, written) =
                    index.candidates_on_disk(&is_first, &each_band, &stop, self.tmp_dir)?;
                (Pairs::Stored(pairs), written)
            }
        };
        let mut spilled = index.spilled();
        spilled += written;
        Ok(Sketched {
            spilled,
            table,
            firsts,
            copied,
            pairs,
            anchors,
        })
    }

    /// Which passages are first copies, and every exact copy with its
    /// first copy, from the exact hashes in `index`; under a memory limit
    /// the copies spill past what the tables held meanwhile leave.
    fn first_copies(
        &self,
        index: &mut BandIndex<PassageId>,
        table: &PassageTable,
        seen: &SeenTwice,
        anchors: &Anchors,
    ) -> Result<(FirstCopies, Sorter<Copied>)> {
        let mut firsts = FirstCopies::none(table.len());
        let mut copied = match self.budget.memory {
            None => Sorter::in_memory("copies"),
            Some(_) => Sorter::spilling("copies", self.tmp_dir),
        };
        let held = seen.memory() + table.memory() + anchors.memory() + index.memory();
        let mut more: Vec<Copied> = Vec::new();
        let add = |more: &mut Vec<Copied>, copied: &mut Sorter<Copied>, firsts: &FirstCopies| {
            if let Some(left) = self.budget.left(held + firsts.memory()) {
                if copied.memory_with(more.len()) > left {
                    copied.spill()?;
                }
            }
            copied.extend_from_slice(more);
            more.clear();
            Ok::<_, Error>(())
        };
        index.exact_copies(&|| check(self.progress), &mut |same| {
            for &copy in &same[1..] {
                firsts.mark_copy(copy);
                more.push(Copied {
                    first: same[0],
                    copy,
                });
            }
            if more.len() >= 1 << 16 {
                add(&mut more, &mut copied, &firsts)?;
            }
            Ok(())
        })?;
        add(&mut more, &mut copied, &firsts)?;
        Ok((firsts, copied))
    }

    /// The spans of `text`'s passages that are not blank, in order: the
    /// passages pass A numbers (by the same rule as
    /// [`Grain::sketch_passages`]), found again by passes B and C, which
    /// keep no span per passage. `normalized` and `found` are the
    /// document's words (see [`words`]); `scratch` is room for a passage's
    /// normalized text.
    fn passage_spans(
        &self,
        text: &str,
        normalized: &str,
        found: &[Word],
        scratch: &mut String,
    ) -> Vec<Span> {
        let mut spans = split(text, self.config.passage.unit);
        let mut cursor = WordCursor::default();
        spans.retain(|&span| {
            self.normalize_passage(text, span, (normalized, found), &mut cursor, scratch);
            !scratch.is_empty()
        });
        spans
    }

    /// [`Grain::passage_spans`] of document `doc`, which must be the
    /// passages pass A numbered there.
    fn spans_of(
        &self,
        table: &PassageTable,
        doc: DocId,
        text: &str,
        (normalized, found): (&str, &[Word]),
        scratch: &mut String,
    ) -> Result<Vec<Span>> {
        let spans = self.passage_spans(text, normalized, found, scratch);
        if spans.len() != table.passages_of(doc).len() {
            return Err(self.changed(doc));
        }
        Ok(spans)
    }

    /// The error for document `doc` read again with other text.
    fn changed(&self, doc: DocId) -> Error {
        Error::DocumentChanged {
            id: self.ids.get(doc).to_string(),
        }
    }

    /// The passages of one document's `text`, each with its exact hash
    /// and band keys, but those `known` as copies (see [`Cut`]); blank ones
    /// (whose normalized text is empty) are left out. `normalized` and
    /// `found` are the document's words (see [`words`]).
    fn sketch_passages(
        &self,
        text: &str,
        normalized: &str,
        found: &[Word],
        known: &impl Fn(u128) -> bool,
        scratch: &mut Scratch,
    ) -> Cut {
        let config = self.config;
        let p = &config.passage;
        let mut cut = Cut {
            passages: Vec::new(),
            texts: String::new(),
            words: found.len() as u64,
        };
        let mut cursor = WordCursor::default();
        for span in split(text, p.unit) {
            let words = (normalized, found);
            self.normalize_passage(text, span, words, &mut cursor, &mut scratch.text);
            if scratch.text.is_empty() {
                continue;
            }
            let words = passage_words(&scratch.text);
            let anchor = (ANCHOR_WORDS..p.min_span).contains(&words).then(|| {
                let end = nth_word_end(&scratch.text, ANCHOR_WORDS);
                (
                    anchor_hash(&scratch.text[..end], config.seed),
                    number(words),
                )
            });
            let exact = xxh3_128_with_seed(scratch.text.as_bytes(), config.seed);
            // No band keys for a passage that can match only its exact
            // copies: it stays out of LSH.
            let keyed = !passage_matches_only_exactly(words, p.ngram, p.threshold);
            let (mut keys, mut kept) = (Vec::new(), None);
            if keyed && known(exact) {
                let start = cut.texts.len();
                cut.texts.push_str(&scratch.text);
                kept = Some((number(start), number(cut.texts.len())));
            } else if keyed {
                keys = self.band_keys(scratch, words);
            }
            cut.passages.push(SketchedPassage {
                span,
                exact,
                keys,
                keyed,
                text: kept,
                anchor,
            });
        }
        cut
    }

    /// The band keys of the normalized passage of `words` words in
    /// `scratch.text`.
    fn band_keys(&self, scratch: &mut Scratch, words: usize) -> Vec<BandKey> {
        // Short passages are sketched by their words, and middling ones by
        // word pairs: one changed word in a headline keeps most of its
        // words, one in a 20-word sentence most of its pairs, where it
        // would cost too many of their trigrams for LSH to propose the
        // pair (see SHORT_PASSAGE_WORDS).
        let unit = if words < SHORT_PASSAGE_WORDS {
            &self.unigrams
        } else if words < MEDIUM_PASSAGE_WORDS {
            &self.bigrams
        } else {
            &self.shingling
        };
        scratch.sketch(unit, self.config.seed, &self.hasher);
        let mut keys = Vec::with_capacity(self.banding.bands);
        self.banding.keys(&scratch.slots, &mut keys);
        keys
    }

    /// Writes the normalized text of the passage at `span` of `text` to
    /// `out`. Lines and paragraphs end at white space, which no token
    /// crosses and which normalization folds, so their normalized text is
    /// a run of the document's normalized words (see [`words`]), copied
    /// rather than normalized again: a second normalization of every
    /// passage was a quarter of the passage grain's time. Sentences can
    /// end inside a token ("end.Next"), and without white-space folding
    /// the words are not the text: those are normalized on their own.
    /// `cursor` walks the words of passages taken in order.
    fn normalize_passage(
        &self,
        text: &str,
        span: Span,
        (normalized, found): (&str, &[Word]),
        cursor: &mut WordCursor,
        out: &mut String,
    ) {
        let options = &self.config.normalization;
        if self.config.passage.unit == PassageUnit::Sentence || !options.whitespace {
            normalize(span.of(text), options, out);
            return;
        }
        out.clear();
        out.push_str(words_within(cursor.bounds(span, found), normalized, found));
    }

    /// Pass B: the texts of every passage in a candidate pair, and every
    /// window of words that `seen` cannot rule out as repeated. `waiting`
    /// is what tables kept for later passes (the copies) hold meanwhile.
    fn load(
        &self,
        table: &PassageTable,
        firsts: &FirstCopies,
        pairs: &Pairs,
        seen: &SeenTwice,
        anchors: &Anchors,
        waiting: usize,
    ) -> Result<Loads> {
        let (config, progress) = (self.config, self.progress);
        let in_pairs = passages_in_pairs(table.len(), pairs);
        let mut windows: Sorter<PassageWindow> = Sorter::in_memory("joins");
        let mut lengths: Vec<(PassageId, u32)> = Vec::new();
        let mut contained: Vec<SpanJoin> = Vec::new();
        let mut texts = TextsWriter::new(self.budget.memory.map(|_| self.tmp_dir))?;
        let mut occurrences = Occurrences::default();
        if self.budget.memory.is_some() {
            occurrences = Occurrences::spilling(self.tmp_dir);
            windows = Sorter::spilling("joins", self.tmp_dir);
        }
        let held_before = seen.memory() + table.memory() + firsts.memory() + anchors.memory()
                + pairs.memory()
                + waiting
                // An entry and its vector of one or two passages.
                + in_pairs.memory();
        let mut done = 0;
        progress.begin(Stage::Spans, Some(self.ids.len() as u64));
        let load_batch = |batch: &mut Vec<(DocId, Document)>| {
            check(progress)?;
            let read = batch.len();
            batch.retain(|(doc, _)| !self.gone(*doc));
            let loaded: Vec<Loaded> = batch
                .par_iter()
                .map_init(
                    || (String::new(), Vec::<Word>::new(), String::new(), Vec::new()),
                    |(normalized, found, passage, windows), (doc, document)| {
                        let text = &document.text;
                        words(text, &config.normalization, normalized, found);
                        let mut occurrences = Vec::new();
                        let min_span = config.passage.min_span;
                        spans::window_hashes(normalized, found, min_span, config.seed, windows);
                        seen.maybe_repeated_all(windows, |i, hash| {
                            occurrences.push(Occurrence {
                                hash,
                                doc: *doc,
                                word: number(i),
                            });
                        });
                        let own = table.passages_of(*doc);
                        let compared: Vec<PassageId> = in_pairs.ones(own.clone()).collect();
                        let probed = !(occurrences.is_empty() && anchors.by_hash.is_empty());
                        let spans = if !compared.is_empty() || probed {
                            let words = (normalized.as_str(), found.as_slice());
                            self.spans_of(table, *doc, text, words, passage)?
                        } else {
                            Vec::new()
                        };
                        let first = own.start;
                        let mut cursor = WordCursor::default();
                        let passages = compared
                            .into_iter()
                            .map(|id| {
                                let span = spans[id.0 as usize - first];
                                let words = (normalized.as_str(), found.as_slice());
                                self.normalize_passage(text, span, words, &mut cursor, passage);
                                let compared =
                                    PassageText::new(passage, &self.shingling, config.seed);
                                (id, compared)
                            })
                            .collect();
                        let ranges = if probed {
                            word_ranges(first, *doc, &spans, found)
                        } else {
                            Vec::new()
                        };
                        let inside =
                            probe(firsts, anchors, &ranges, normalized, found, config.seed);
                        let (windows, lengths) = passage_windows(
                            &occurrences,
                            &ranges,
                            |id| firsts.is_first(id),
                            min_span,
                        );
                        Ok(Loaded {
                            passages,
                            occurrences,
                            windows,
                            lengths,
                            inside,
                        })
                    },
                )
                .collect::<Result<_>>()?;
            Ok((read, loaded))
        };
        let add_batch = |_, (read, loaded): (usize, Vec<Loaded>)| {
            let others = |texts: &TextsWriter, lengths: &Vec<_>| {
                held_before + texts.memory() + lengths.capacity() * size_of::<(PassageId, u32)>()
            };
            let (mut more_occurrences, mut more_windows) = (Vec::new(), Vec::new());
            // The batch's texts, copied in below; meanwhile the workers make
            // the next batch's.
            let texts_in: usize = loaded
                .iter()
                .flat_map(|one| &one.passages)
                .map(|(_, text)| size_of::<(PassageId, PassageText)>() + text.memory())
                .sum();
            for one in loaded {
                for (id, text) in one.passages {
                    texts.push(id, text)?;
                }
                lengths.extend(one.lengths);
                contained.extend(one.inside);
                more_occurrences.push(one.occurrences);
                more_windows.push(one.windows);
            }
            // Under a limit, the span windows take what the other tables
            // leave, and spill past it.
            if let Some(left) = self.budget.left(others(&texts, &lengths)) {
                let occurrences_in = more_occurrences.iter().map(Vec::len).sum();
                let windows_in = more_windows.iter().map(Vec::len).sum();
                // The batch's own vectors live until they are copied in,
                // and meanwhile the workers make the next batch's.
                let batch = occurrences_in * size_of::<Occurrence>()
                    + windows_in * size_of::<PassageWindow>()
                    + texts_in;
                let grown = occurrences.memory_with(occurrences_in)
                    + windows.memory_with(windows_in)
                    + 2 * batch;
                if grown > left {
                    occurrences.spill()?;
                    windows.spill()?;
                }
            }
            for more in more_occurrences {
                occurrences.extend(&more);
            }
            for more in more_windows {
                windows.extend_from_slice(&more);
            }
            progress.advance(read as u64);
            done += read;
            if self.budget.memory.is_some() {
                // A batch's documents, words and windows are freed on other
                // threads than made them, and glibc keeps the pages in each
                // thread's arena: at ten gigabytes, 60 to 130 MB past what
                // the tables count. Giving them back keeps the limit.
                trim_heap();
            }
            let held = others(&texts, &lengths) + occurrences.memory() + windows.memory();
            self.budget.check(held_before, held - held_before, done)
        };
        documents_overlapped(self.corpus, self.ids, load_batch, add_batch)?;
        progress.end();
        Ok(Loads {
            texts: texts.finish()?,
            in_pairs,
            occurrences,
            windows,
            lengths,
            contained,
        })
    }

    /// Verifies the candidate pairs and groups passages into clusters:
    /// first copies joined by verified pairs and shared spans, each with
    /// its exact copies (`copied`). Each member is scored against its
    /// cluster's first passage. The union-find runs only over the first
    /// copies that a pair or a join touches; every member then goes to a
    /// table sorted by cluster, read back a block of clusters at a time.
    /// Under a memory limit that table and `copied` spill, and the
    /// clusters are written to a file as they are made. Also gives what
    /// the tables wrote to disk. The pairs come with pass B's bit for each
    /// passage in one (see [`Loads::in_pairs`]), which finds their
    /// outlines.
    fn cluster(
        &self,
        table: &PassageTable,
        mut copied: Sorter<Copied>,
        (pairs, in_pairs): (Pairs, PassageBits),
        texts: &Texts,
        joined: Vec<SpanJoin>,
    ) -> Result<(PassageClusters, Spilled)> {
        let p = &self.config.passage;
        // Most pairs fail, and their outlines show it without the texts'
        // cache misses; under a memory limit without room for them, every
        // pair is compared, which gives the same pairs.
        let loaded = in_pairs.words.iter().map(|w| w.count_ones() as usize).sum();
        let held = table.memory() + copied.memory() + texts.memory() + pairs.memory();
        let room = self.budget.left(held).map_or(true, |left| {
            Outlines::memory_for(table.len(), loaded) <= left / 2
        });
        let outlines = room.then(|| Outlines::new(in_pairs, table.len(), texts));
        let verify = |pair: CandidatePair<PassageId>| {
            let (a, b) = (texts.get(pair.first)?, texts.get(pair.second)?);
            compare(&a, &b, p.threshold).map(|_| (pair.first, pair.second))
        };
        let verified: Vec<(PassageId, PassageId)> = (0..pairs.len().div_ceil(VERIFY_BLOCK))
            .into_par_iter()
            .flat_map_iter(|block| {
                let from = block * VERIFY_BLOCK;
                let to = pairs.len().min(from + VERIFY_BLOCK);
                let block = (from..to).map(|i| pairs.get(i));
                let mut verified = Vec::new();
                match &outlines {
                    Some(outlines) => outlines.sift(block, p.threshold, |pair| {
                        verified.extend(verify(pair));
                    }),
                    None => verified.extend(block.filter_map(verify)),
                }
                verified
            })
            .collect();
        // The pairs' and outlines' room goes to the union-find.
        drop(pairs);
        drop(outlines);
        // Every one a first copy: candidates are, and so are the passages
        // span joins and probes take (see `passage_windows` and `probe`).
        let edges = || {
            verified
                .iter()
                .copied()
                .chain(joined.iter().map(|j| (j.a, j.b)))
        };
        // The first copies edges touch, ascending: gathered as a bit per
        // passage, which takes less room than a list of both ends of every
        // edge would before its repeats went.
        let touched: Vec<PassageId> = {
            let mut marked = PassageBits::none(table.len());
            for id in edges().flat_map(|(a, b)| [a, b]) {
                marked.set(id);
            }
            marked.ones(0..table.len()).collect()
        };
        let at = |id: PassageId| {
            let at = touched
                .binary_search(&id)
                .expect("each end of an edge is touched");
            number(at)
        };
        // Each touched first copy's cluster, by the cluster's first passage:
        // a set's representative is its smallest member.
        let sets = SharedUnionFind::new(touched.len());
        for (a, b) in edges() {
            sets.union(at(a), at(b));
        }
        drop(verified);
        let root: Vec<PassageId> = (0..number(touched.len()))
            .map(|i| touched[sets.find(i) as usize])
            .collect();
        drop(sets);
        // How each passage joined by shared spans matches: its best join.
        let mut spanned: Spanned = HashMap::default();
        for j in &joined {
            for (id, kind, similarity, removable) in j.matches(p.threshold) {
                let best = spanned.entry(id).or_insert((kind, similarity, removable));
                if similarity > best.1 {
                    *best = (kind, similarity, removable);
                }
            }
        }
        // Unions made and matches kept: the joins' room (32 bytes each,
        // twelve million at ten gigabytes) goes to the members' table.
        drop(joined);
        let mut members = match self.budget.memory {
            None => Sorter::in_memory("clusters"),
            Some(_) => Sorter::spilling("clusters", self.tmp_dir),
        };
        // What the copies did not spill stays in memory until read.
        copied.finish()?;
        let held = table.memory()
            + copied.memory()
            + texts.memory()
            + (touched.capacity() + root.capacity()) * size_of::<PassageId>()
            + spanned.capacity() * (size_of::<(PassageId, (MatchKind, f64, bool))>() + 1);
        let mut entries = 0;
        let mut add = |more: &mut Vec<InCluster>, members: &mut Sorter<InCluster>| -> Result<()> {
            if let Some(left) = self
                .budget
                .left(held + more.capacity() * size_of::<InCluster>())
            {
                if members.memory_with(more.len()) > left {
                    members.spill()?;
                }
            }
            entries += more.len();
            members.extend_from_slice(more);
            more.clear();
            Ok(())
        };
        let mut more = Vec::new();
        for (&id, &root) in touched.iter().zip(&root) {
            more.push(InCluster {
                root,
                id,
                first: id,
            });
            // A block at a time: the first copies touched can be tens of
            // millions, and a second list of them all would pass the limit.
            if more.len() >= 1 << 16 {
                add(&mut more, &mut members)?;
            }
        }
        add(&mut more, &mut members)?;
        let mut spilled = copied.spilled();
        let copied = copied.into_sorted()?;
        let mut last = None;
        for copy in copied.iter()? {
            let Copied { first, copy } = copy?;
            let touched_at = touched.binary_search(&first);
            let root = touched_at.map_or(first, |i| root[i]);
            // A first copy in no pair or join enters with its copied.
            if last != Some(first) && touched_at.is_err() {
                more.push(InCluster {
                    root,
                    id: first,
                    first,
                });
            }
            last = Some(first);
            more.push(InCluster {
                root,
                id: copy,
                first,
            });
            if more.len() >= 1 << 16 {
                check(self.progress)?;
                add(&mut more, &mut members)?;
            }
        }
        add(&mut more, &mut members)?;
        drop(copied);
        drop((touched, root));
        members.finish()?;
        spilled += members.spilled();
        let members = members.into_sorted()?;
        let mut out = ClustersWriter::new(self.budget.memory.map(|_| self.tmp_dir))?;
        // Every entry but a few (a passage joined only to itself) is a
        // member: room for them, exactly, rather than doubling.
        out.reserve(0, entries);
        // A block of clusters made at a time, in parallel.
        const BLOCK: usize = 1 << 14;
        // Or fewer, when they have more members than this.
        const BLOCK_MEMBERS: usize = 1 << 20;
        let mut block: Vec<InCluster> = Vec::new();
        let mut complete = 0;
        for member in members.iter()? {
            let member = member?;
            if block.last().is_some_and(|last| last.root != member.root) {
                complete += 1;
                if complete == BLOCK || block.len() >= BLOCK_MEMBERS {
                    check(self.progress)?;
                    self.make_clusters(&block, table, texts, &spanned, &mut out)?;
                    block.clear();
                    complete = 0;
                }
            }
            block.push(member);
        }
        self.make_clusters(&block, table, texts, &spanned, &mut out)?;
        Ok((PassageClusters(out.finish()?), spilled))
    }

    /// The clusters of `block` (members sorted by cluster), made in
    /// parallel and written to `out` in order.
    fn make_clusters(
        &self,
        block: &[InCluster],
        table: &PassageTable,
        texts: &Texts,
        spanned: &Spanned,
        out: &mut ClustersWriter<PassageMember>,
    ) -> Result<()> {
        let p = &self.config.passage;
        let groups: Vec<&[InCluster]> = block.chunk_by(|a, b| a.root == b.root).collect();
        // Clusters of ordinary size are made in parallel, a run of them at
        // a time; a large one (boilerplate) is made and written a part at a
        // time, in order.
        for run in groups.chunk_by(|a, b| a.len() <= LARGE_CLUSTER && b.len() <= LARGE_CLUSTER) {
            if run[0].len() > LARGE_CLUSTER {
                for group in run {
                    self.make_large_cluster(group, table, texts, spanned, out)?;
                }
                continue;
            }
            let made: Vec<PassageCluster> = run
                .par_iter()
                .filter(|group| group.len() >= 2)
                .map(|group| {
                    // The first passage is the earliest, so a first copy.
                    let first_copy = group[0].first;
                    let first_text = texts.get(first_copy);
                    let first = (first_copy, first_text.as_deref());
                    let members = group
                        .iter()
                        .map(|m| member(table, texts, spanned, first, m, p.threshold))
                        .collect();
                    let mut cluster = PassageCluster {
                        id: 0,
                        members,
                        boilerplate: false,
                    };
                    cluster.boilerplate = cluster.documents() >= p.boilerplate_min_docs;
                    cluster
                })
                .collect();
            for cluster in made {
                out.push(&cluster.members, cluster.boilerplate)?;
            }
        }
        Ok(())
    }

    /// One cluster of more than [`LARGE_CLUSTER`] members, made and
    /// written a part at a time. Its members come by passage, so by
    /// document: its documents are counted as they change.
    fn make_large_cluster(
        &self,
        group: &[InCluster],
        table: &PassageTable,
        texts: &Texts,
        spanned: &Spanned,
        out: &mut ClustersWriter<PassageMember>,
    ) -> Result<()> {
        let p = &self.config.passage;
        let first_copy = group[0].first;
        let first_text = texts.get(first_copy);
        let first = (first_copy, first_text.as_deref());
        let (mut documents, mut last) = (0, None);
        for part in group.chunks(LARGE_CLUSTER) {
            check(self.progress)?;
            let members: Vec<PassageMember> = part
                .par_iter()
                .map(|m| member(table, texts, spanned, first, m, p.threshold))
                .collect();
            for m in &members {
                if last != Some(m.doc) {
                    documents += 1;
                    last = Some(m.doc);
                }
            }
            out.extend(&members)?;
        }
        out.end(documents >= p.boilerplate_min_docs);
        Ok(())
    }

    /// Every member of `passages` and `spans`, by document: what pass C
    /// locates and reads. Under a memory limit they spill past what it
    /// leaves. Also the passages grouping could not measure, in order.
    fn wanted(
        &self,
        passages: &PassageClusters,
        spans: &SpanClusters,
    ) -> Result<(Sorter<Wanted>, Vec<Unmeasured>)> {
        let mut wanted = match self.budget.memory {
            None => Sorter::in_memory("members"),
            Some(_) => Sorter::spilling("members", self.tmp_dir),
        };
        let held = passages.0.memory() + spans.0.memory();
        wanted.reserve(passages.0.members() + spans.0.members());
        let mut more = Vec::new();
        let add = |more: &mut Vec<Wanted>, wanted: &mut Sorter<Wanted>| -> Result<()> {
            if let Some(left) = self.budget.left(held) {
                if wanted.memory_with(more.len()) > left {
                    wanted.spill()?;
                }
            }
            wanted.extend_from_slice(more);
            more.clear();
            Ok(())
        };
        // Members are numbered across clusters, in order.
        let mut member = 0;
        let mut unmeasured = Vec::new();
        for cluster in 0..passages.len() {
            let first = number(member);
            for passage in passages.0.members_of(cluster) {
                // Until pass C, a passage's span is its index (see `member`).
                let ordinal = number(passage.span.start);
                more.push(Wanted {
                    doc: passage.doc,
                    from: ordinal,
                    to: ordinal,
                    region: false,
                    member: number(member),
                });
                if passage.similarity.is_nan() {
                    unmeasured.push(Unmeasured {
                        member: number(member),
                        first,
                    });
                }
                member += 1;
                if more.len() >= 1 << 16 {
                    add(&mut more, &mut wanted)?;
                    // Read once: mapped, they need not stay resident.
                    passages.release();
                }
            }
        }
        for (member, region) in spans.0.every_member().enumerate() {
            more.push(Wanted {
                doc: region.doc,
                from: region.words.0,
                to: region.words.1,
                region: true,
                member: number(member),
            });
            if more.len() >= 1 << 16 {
                add(&mut more, &mut wanted)?;
                spans.release();
            }
        }
        add(&mut more, &mut wanted)?;
        Ok((wanted, unmeasured))
    }

    /// Pass C: the byte span and the original text of every member of a
    /// passage or span cluster (`wanted`, by document). Passages are found
    /// again by their index, span regions by their words. Documents are
    /// read in parallel; a text repeated across members (boilerplate,
    /// exact copies) is held once. `held` is what the clusters hold in
    /// memory meanwhile.
    fn member_texts(
        &self,
        mut wanted: Sorter<Wanted>,
        measure: &[u32],
        held: usize,
    ) -> Result<Read> {
        let mut member_texts = MemberTextsBuilder::default();
        let mut compared = HashMap::default();
        let sorter = |name| match self.budget.memory {
            None => Sorter::<Located>::in_memory(name),
            Some(_) => Sorter::spilling(name, self.tmp_dir),
        };
        let (mut passages, mut regions) = (sorter("passage-spans"), sorter("region-spans"));
        if wanted.is_empty() {
            return Ok(Read {
                texts: member_texts.finish()?,
                passages: passages.into_sorted()?,
                regions: regions.into_sorted()?,
                compared,
                spilled: Spilled::default(),
            });
        }
        wanted.finish()?;
        let mut spilled = wanted.spilled();
        // What this pass holds besides the texts and the spans found: the
        // members wanted, unless they are on disk.
        let held = held + wanted.memory();
        let wanted = wanted.into_sorted()?;
        let stream = std::sync::Mutex::new(wanted.iter()?.peekable());
        // Under a limit the texts go to a file, which the report reads
        // through the page cache.
        if let Some(left) = self.budget.left(held) {
            member_texts.spill(self.tmp_dir, left / 4)?;
        }
        let mut done = 0usize;
        let locate_batch = |batch: &mut Vec<(DocId, Document)>| {
            check(self.progress)?;
            // The members of this batch's documents: batches come in
            // corpus order, as the members do.
            let last = batch.last().map(|(doc, _)| *doc);
            let mut mine: Vec<Wanted> = Vec::new();
            {
                let mut stream = stream.lock().expect("no panic while held");
                let this_batch =
                    |w: &Result<Wanted>| w.as_ref().map_or(true, |w| Some(w.doc) <= last);
                while let Some(next) = stream.next_if(this_batch) {
                    mine.push(next?);
                }
            }
            let found: Vec<Found> = batch
                .par_iter()
                .map_init(
                    || (String::new(), Vec::new(), String::new()),
                    |(normalized, found, scratch), (doc, document)| {
                        let from = mine.partition_point(|w| w.doc < *doc);
                        let to = mine.partition_point(|w| w.doc <= *doc);
                        self.locate(
                            *doc,
                            &document.text,
                            (&mine[from..to], measure),
                            (normalized, found),
                            scratch,
                        )
                    },
                )
                .collect::<Result<_>>()?;
            Ok(found)
        };
        let add_batch = |batch: Vec<(DocId, Document)>, found: Vec<Found>| {
            done += batch.len();
            self.progress.advance(batch.len() as u64);
            let (mut more_passages, mut more_regions) = (0, 0);
            for found in &found {
                more_passages += found.passages.len();
                more_regions += found.regions.len();
            }
            let growing = |texts: &MemberTextsBuilder, p: &Sorter<Located>, r: &Sorter<Located>| {
                texts.memory() + p.memory() + r.memory()
            };
            if let Some(left) = self.budget.left(held + member_texts.memory()) {
                if passages.memory_with(more_passages) + regions.memory_with(more_regions)
                    > left / 2
                {
                    passages.spill()?;
                    regions.spill()?;
                }
            }
            for ((doc, document), found) in batch.iter().zip(found) {
                passages.extend_from_slice(&found.passages);
                regions.extend_from_slice(&found.regions);
                for (span, hash) in found.texts {
                    member_texts.push(*doc, span, span.of(&document.text), hash)?;
                }
                compared.extend(found.compared);
            }
            let growing = growing(&member_texts, &passages, &regions) + texts_memory(&compared);
            self.budget.check(held, growing, done)
        };
        self.progress
            .begin(Stage::Texts, Some(self.ids.len() as u64));
        documents_overlapped(self.corpus, self.ids, locate_batch, add_batch)?;
        self.progress.end();
        drop(stream);
        drop(wanted);
        passages.finish()?;
        regions.finish()?;
        spilled += passages.spilled();
        spilled += regions.spilled();
        Ok(Read {
            texts: member_texts.finish()?,
            passages: passages.into_sorted()?,
            regions: regions.into_sorted()?,
            compared,
            spilled,
        })
    }

    /// The byte spans of the members of document `doc` (`members`, of
    /// `text`), and its members' spans, ascending, each once, with their
    /// texts' hashes; and the comparison data of its passage members that
    /// are in `measure` (member numbers, ascending).
    fn locate(
        &self,
        doc: DocId,
        text: &str,
        (members, measure): (&[Wanted], &[u32]),
        (normalized, found): (&mut String, &mut Vec<Word>),
        scratch: &mut String,
    ) -> Result<Found> {
        let mut out = Found::default();
        if members.is_empty() {
            return Ok(out);
        }
        words(text, &self.config.normalization, normalized, found);
        let passages = if members.iter().any(|w| !w.region) {
            self.passage_spans(text, normalized, found, scratch)
        } else {
            Vec::new()
        };
        let mut spans = Vec::with_capacity(members.len());
        let mut cursor = WordCursor::default();
        for w in members {
            let span = if w.region {
                let mut region = SpanMember {
                    doc,
                    words: (w.from, w.to),
                    span: Span { start: 0, end: 0 },
                };
                region.locate(found);
                out.regions.push(Located::new(w.member, region.span));
                region.span
            } else {
                let span = *passages
                    .get(w.from as usize)
                    .ok_or_else(|| self.changed(doc))?;
                out.passages.push(Located::new(w.member, span));
                if measure.binary_search(&w.member).is_ok() {
                    let words = (normalized.as_str(), found.as_slice());
                    self.normalize_passage(text, span, words, &mut cursor, scratch);
                    let compared = PassageText::new(scratch, &self.shingling, self.config.seed);
                    out.compared.push((w.member, compared));
                }
                span
            };
            spans.push(span);
        }
        spans.sort_unstable();
        spans.dedup();
        out.texts = spans
            .into_iter()
            .map(|span| (span, xxh3_128_with_seed(span.of(text).as_bytes(), 0)))
            .collect();
        Ok(out)
    }
}

/// What pass C finds in one document (see [`Grain::locate`]).
#[derive(Default)]
struct Found {
    passages: Vec<Located>,
    regions: Vec<Located>,
    texts: Vec<(Span, u128)>,
    compared: Vec<(u32, PassageText)>,
}

/// What pass C gives: the members' texts, and their spans by member.
struct Read {
    texts: MemberTexts,
    passages: Sorted<Located>,
    regions: Sorted<Located>,
    /// The comparison data of the members measured in pass C, by member.
    compared: HashMap<u32, PassageText, ahash::RandomState>,
    spilled: Spilled,
}

/// A passage member that grouping could not measure against its
/// cluster's first passage, for want of one of their texts (pass B loads
/// only the texts of passages in candidate pairs), and that no shared
/// span joined to it: pass C reads both. Numbered among the members of
/// every passage cluster.
#[derive(Clone, Copy, Debug)]
struct Unmeasured {
    member: u32,
    /// The cluster's first member.
    first: u32,
}

/// Bytes `texts` holds.
fn texts_memory<K>(texts: &HashMap<K, PassageText, ahash::RandomState>) -> usize {
    texts.values().map(PassageText::memory).sum::<usize>()
        + texts.capacity() * (size_of::<(K, PassageText)>() + 1)
}

/// The passages in candidate pairs, among `passages`: a bit each, which
/// pass B reads over each document's passages.
fn passages_in_pairs(passages: usize, pairs: &Pairs) -> PassageBits {
    let mut wanted = PassageBits::none(passages);
    for pair in pairs.iter() {
        wanted.set(pair.first);
        wanted.set(pair.second);
    }
    pairs.release();
    wanted
}

/// How passages joined by shared spans match: kind, similarity, and
/// whether cleaning may cut them.
type Spanned = HashMap<PassageId, (MatchKind, f64, bool), ahash::RandomState>;

/// Passage `m.id` as a member of the cluster whose first passage's first
/// copy is `first` (with its text, if loaded): how it matches that
/// passage, how closely, and whether cleaning may cut it.
fn member(
    table: &PassageTable,
    texts: &Texts,
    spanned: &Spanned,
    (first_copy, first_text): (PassageId, Option<&PassageText>),
    m: &InCluster,
    threshold: f64,
) -> PassageMember {
    let (id, copy) = (m.id, m.first);
    // Joined by shared spans rather than by its text's similarity.
    // (Joins are between first copies: see [`span_joins`].)
    let spanned = spanned.get(&copy).copied();
    let (kind, similarity, removable) = if copy == first_copy {
        (MatchKind::Exact, 1.0, true)
    } else {
        match (first_text, texts.get(copy), spanned) {
            (Some(a), Some(b), _) => label(a, &b, spanned, threshold),
            (_, _, Some(spanned)) => spanned,
            // Joined through a chain of others, and one of the two texts
            // not loaded: pass C reads both and measures it (see
            // [`Unmeasured`]).
            (_, _, None) => (MatchKind::Near, f64::NAN, false),
        }
    };
    let (doc, ordinal) = table.place(id);
    PassageMember {
        doc,
        // Pass C finds the span: until then, the passage's index among
        // its document's (see [`Wanted`]).
        span: Span {
            start: ordinal as usize,
            end: ordinal as usize,
        },
        similarity,
        kind,
        removable,
    }
}

/// How `member` matches its cluster's `first` passage, and whether
/// cleaning may cut it: as [`compare`] finds, or else as the shared spans
/// that joined it do (`spanned`), or else near at their similarity (a
/// member joined through a chain can be below the threshold to the first
/// one).
fn label(
    first: &PassageText,
    member: &PassageText,
    spanned: Option<(MatchKind, f64, bool)>,
    threshold: f64,
) -> (MatchKind, f64, bool) {
    match compare(first, member, threshold) {
        Some((kind, similarity)) => (kind, similarity, removable(kind, first, member)),
        None => spanned.unwrap_or((MatchKind::Near, similarity(first, member), false)),
    }
}

/// Jaccard, or for two short passages the better of Jaccard and edit
/// similarity: the figure `compare` would have judged by.
fn similarity(a: &PassageText, b: &PassageText) -> f64 {
    let jaccard = a.shingles.jaccard(&b.shingles);
    match (&a.short, &b.short) {
        (Some(x), Some(y)) => jaccard.max(word_edit_similarity(x, y)),
        _ => jaccard,
    }
}

/// Whether cleaning may cut `member` for repeating `first`: not when it
/// contains `first` with as much again besides, since those other words
/// are in no other passage. ("Caption: " + a headline goes; a paragraph
/// that quotes the headline stays.)
fn removable(kind: MatchKind, first: &PassageText, member: &PassageText) -> bool {
    kind != MatchKind::Containment
        || member.words <= first.words
        || first.shingles.jaccard(&member.shingles) >= 0.5
}

/// The run of a document's normalized words (`normalized`, `found`: see
/// [`words`]) `[first, end)`.
fn words_within<'a>((first, end): (usize, usize), normalized: &'a str, found: &[Word]) -> &'a str {
    if first < end {
        &normalized[found[first].normalized.0..found[end - 1].normalized.1]
    } else {
        ""
    }
}

/// `[first, end)`: the indices into a document's words (`found`) of
/// those whose tokens start inside `span` of its text.
fn word_bounds(span: Span, found: &[Word]) -> (usize, usize) {
    (
        found.partition_point(|w| w.original.0 < span.start),
        found.partition_point(|w| w.original.0 < span.end),
    )
}

/// [`word_bounds`] of a document's passages taken in order, each a walk
/// on from the last one's end rather than two searches of the whole
/// document's words. A passage before the last is searched for afresh.
#[derive(Default)]
struct WordCursor {
    /// Every word before it starts before the last passage's end.
    at: usize,
}

impl WordCursor {
    fn bounds(&mut self, span: Span, found: &[Word]) -> (usize, usize) {
        let starts_before = |at: usize| move |w: &&Word| w.original.0 < at;
        let (first, end) = if self.at > 0 && found[self.at - 1].original.0 >= span.start {
            word_bounds(span, found)
        } else {
            let first = self.at
                + found[self.at..]
                    .iter()
                    .take_while(starts_before(span.start))
                    .count();
            let end = first
                + found[first..]
                    .iter()
                    .take_while(starts_before(span.end))
                    .count();
            (first, end)
        };
        self.at = end;
        (first, end)
    }
}

/// The word ranges of the passages of `doc`, from its passages' `spans`
/// (the first numbered `first`) and its words.
fn word_ranges(first: usize, doc: DocId, spans: &[Span], found: &[Word]) -> Vec<WordRange> {
    let mut cursor = WordCursor::default();
    spans
        .iter()
        .enumerate()
        .map(|(i, &span)| {
            let (start, end) = cursor.bounds(span, found);
            WordRange {
                doc,
                first: number(start),
                end: number(end),
                id: PassageId(number(first + i)),
            }
        })
        .collect()
}

/// `contained` without the short passages found inside more than
/// [`MAX_JOIN_COPIES`] longer ones: a three-word line inside that many
/// others is a common phrase ("all rights reserved", a name), and joining
/// them all through it would make one cluster of unrelated passages.
fn widely_contained_left_out(mut contained: Vec<SpanJoin>) -> Vec<SpanJoin> {
    let mut hosts: HashMap<PassageId, usize, ahash::RandomState> = HashMap::default();
    for join in &contained {
        *hosts.entry(join.a).or_default() += 1;
    }
    contained.retain(|join| hosts[&join.a] <= MAX_JOIN_COPIES);
    contained
}

/// The end of the first `n` words of normalized (single-spaced) `text`.
fn nth_word_end(text: &str, n: usize) -> usize {
    text.match_indices(' ')
        .nth(n - 1)
        .map_or(text.len(), |(at, _)| at)
}

/// The short passages (see [`Anchors`]) that the first-copy passages of
/// one document contain and make up more than half of: every window of
/// each passage's words that starts like a short passage is compared with
/// it whole, by the exact hash of its normalized words. `normalized` and
/// `found` are the document's words, as [`words`] gives them.
fn probe(
    firsts: &FirstCopies,
    anchors: &Anchors,
    ranges: &[WordRange],
    normalized: &str,
    found: &[Word],
    seed: u64,
) -> Vec<SpanJoin> {
    let mut joins = Vec::new();
    if anchors.by_hash.is_empty() {
        return joins;
    }
    let text_of = |first: usize, last: usize| -> &str {
        normalized
            .get(found[first].normalized.0..found[last].normalized.1)
            .unwrap_or_default()
    };
    for range in ranges {
        if !firsts.is_first(range.id) {
            continue;
        }
        let (first, end) = (range.first as usize, (range.end as usize).min(found.len()));
        let length = end.saturating_sub(first);
        if length <= ANCHOR_WORDS || length >= 2 * anchors.longest as usize {
            continue;
        }
        for at in first..=end - ANCHOR_WORDS {
            let anchor = anchor_hash(text_of(at, at + ANCHOR_WORDS - 1), seed);
            let Some(short) = anchors.by_hash.get(&anchor) else {
                continue;
            };
            for &(id, words, exact) in short {
                let words = words as usize;
                // More than half of the longer passage: a headline in its
                // caption, a line in a slightly longer one. A short phrase
                // inside a long line is left alone: through it, lines that
                // share one phrase each would chain into one cluster (on
                // the 100k compare corpus, one of 63,602 passages).
                if id == range.id || 2 * words <= length || at + words > end {
                    continue;
                }
                let window = text_of(at, at + words - 1);
                if xxh3_128_with_seed(window.as_bytes(), seed) == exact {
                    joins.push(SpanJoin {
                        a: id,
                        b: range.id,
                        cover_a: 1.0,
                        cover_b: words as f64 / length as f64,
                        a_shorter: true,
                    });
                }
            }
        }
    }
    joins
}

/// Two passages joined because repeated spans they share cover most of
/// both, or most of the shorter one.
#[derive(Clone, Copy, Debug, PartialEq)]
struct SpanJoin {
    a: PassageId,
    b: PassageId,
    /// The share of each one's words the shared spans cover.
    cover_a: f64,
    cover_b: f64,
    /// Which is the shorter, in words (`a` on a tie).
    a_shorter: bool,
}

impl SpanJoin {
    /// How each passage matches the other: `(id, kind, similarity,
    /// removable)`. Covered both ways ([`span_cover`]), a `span` match;
    /// covered only in the shorter, a `containment` whose longer side may
    /// be cut only when most of its words repeat (as [`removable`] rules
    /// for containment found by trigrams).
    fn matches(&self, threshold: f64) -> [(PassageId, MatchKind, f64, bool); 2] {
        let both = self.cover_a.min(self.cover_b);
        let whole = if self.a_shorter {
            self.cover_a
        } else {
            self.cover_b
        };
        // A shorter passage there whole, in a longer one: containment, as
        // the trigram comparison names it ("Caption: " + a headline).
        let inside = whole >= 1.0 && self.cover_a != self.cover_b;
        if both >= span_cover(threshold) && !inside {
            return [
                (self.a, MatchKind::Span, both, true),
                (self.b, MatchKind::Span, both, true),
            ];
        }
        let (short, long, cover_short, cover_long) = if self.a_shorter {
            (self.a, self.b, self.cover_a, self.cover_b)
        } else {
            (self.b, self.a, self.cover_b, self.cover_a)
        };
        // The longer side may be cut only when more than half of it
        // repeats: its other words are in no other passage.
        [
            (short, MatchKind::Containment, cover_short, true),
            (long, MatchKind::Containment, cover_short, cover_long > 0.5),
        ]
    }
}

/// Past this many members, a passage cluster is made and written a part
/// at a time (see `Grain::make_large_cluster`).
#[cfg(not(test))]
const LARGE_CLUSTER: usize = 1 << 16;
/// Small, so that unit tests make clusters of a few members in parts too.
#[cfg(test)]
const LARGE_CLUSTER: usize = 2;

/// A window shared by more passages than this is left out of span joins:
/// a line repeated that widely is boilerplate, found as exact passages,
/// and its pairs would grow with the square of its copies. So is a short
/// passage found inside more longer ones than this (see
/// [`widely_contained_left_out`]).
const MAX_JOIN_COPIES: usize = 64;

/// The share of both passages' words that shared spans must cover for a
/// `span` match: most of both, seven words in ten (or the threshold, if
/// lower). Not the threshold itself: a changed word within `--min-span`
/// words of either end leaves those words uncovered, so a 14-word line
/// with its third word changed is covered 11/14 = 0.79, yet is plainly a
/// copy. The planted copies of `textdup synth --passages` (three seeds,
/// 298 pairs) were found alike at 0.5, 0.6 and 0.7, all above 0.8's.
fn span_cover(threshold: f64) -> f64 {
    threshold.min(0.7)
}

/// Passages joined by shared spans: a paragraph copied with a few words
/// changed falls below the passage threshold by trigram Jaccard (each
/// changed word costs three trigrams), yet the `k`-word windows it shares
/// with its source cover nearly all of both; and a passage of `k` words
/// or more inside a longer one (a sentence quoted in a paragraph, an
/// 11-word headline in its 12-word caption) is covered whole, whatever
/// the two passages' lengths, where their sketches need not meet. Two
/// passages are joined when the words covered by the windows they share
/// (windows wholly inside both) reach [`span_cover`] of both (a `span`
/// match), or `threshold` of the shorter one's (`containment`).
///
/// Exact copies are already joined, so only first copies take part (see
/// [`passage_windows`]): a paragraph printed on a thousand pages counts
/// once, and the pairs of a window stay few. `lengths` gives the words of
/// each passage in `windows`, sorted by passage.
///
/// With `spill` (a folder and a number of bytes), every pair's shared
/// windows go to a table that spills to that folder past those bytes, and
/// are read back pair by pair; the joins are the same. Also gives what
/// that table wrote.
fn span_joins(
    windows: Sorter<PassageWindow>,
    lengths: &[(PassageId, u32)],
    k: usize,
    threshold: f64,
    spill: Option<(&Path, usize)>,
) -> Result<(Vec<SpanJoin>, Spilled)> {
    let k = number(k.max(1));
    let windows = windows.into_sorted()?;
    let shared = match spill {
        None => {
            let (mut shared, _) = windows.fold_groups(
                |a, b| a.hash == b.hash,
                || (Vec::new(), Vec::new()),
                |(mut out, mut held): (Vec<SharedWindow>, Vec<(PassageId, u32)>), group| {
                    pairs_sharing(group, &mut held, &mut out);
                    (out, held)
                },
                |(mut a, held), (mut b, _)| {
                    a.append(&mut b);
                    (a, held)
                },
            )?;
            shared.par_sort_unstable();
            Sorted::Memory(shared)
        }
        // The pairs of a window can outnumber its passages many times
        // over: they go to a table that spills past `room`, read back by
        // pair.
        Some((tmp_dir, room)) => {
            let mut shared = Sorter::spilling("shared-windows", tmp_dir);
            let (mut group, mut held, mut more) = (Vec::new(), Vec::new(), Vec::new());
            let add = |more: &mut Vec<SharedWindow>, shared: &mut Sorter<_>| -> Result<()> {
                if shared.memory_with(more.len()) > room {
                    shared.spill()?;
                }
                shared.extend_from_slice(more);
                more.clear();
                Ok(())
            };
            for window in windows.iter()? {
                let window: PassageWindow = window?;
                if group
                    .last()
                    .is_some_and(|last: &PassageWindow| last.hash != window.hash)
                {
                    pairs_sharing(&group, &mut held, &mut more);
                    group.clear();
                    add(&mut more, &mut shared)?;
                }
                group.push(window);
            }
            pairs_sharing(&group, &mut held, &mut more);
            add(&mut more, &mut shared)?;
            drop(windows);
            shared.finish()?;
            let spilled = shared.spilled();
            let sorted = shared.into_sorted()?;
            return joins_of_pairs(&sorted, lengths, k, threshold).map(|j| (j, spilled));
        }
    };
    drop(windows);
    joins_of_pairs(&shared, lengths, k, threshold).map(|j| (j, Spilled::default()))
}

/// Adds to `out` every pair of distinct first copies that share the
/// window of `group` (every occurrence of one hash, sorted by passage and
/// start), unless so many share it that it is boilerplate. `held` is
/// scratch.
fn pairs_sharing(
    group: &[PassageWindow],
    held: &mut Vec<(PassageId, u32)>,
    out: &mut Vec<SharedWindow>,
) {
    if group.len() < 2 {
        return;
    }
    held.clear();
    held.extend(group.iter().map(|w| (w.passage, w.start)));
    held.dedup();
    // Counted in distinct first copies: exact copies do not make a line
    // boilerplate here, other versions of it do.
    if held.chunk_by(|a, b| a.0 == b.0).count() > MAX_JOIN_COPIES {
        return;
    }
    for (i, &(a, in_a)) in held.iter().enumerate() {
        for &(b, in_b) in &held[i + 1..] {
            if a != b {
                out.push(SharedWindow { a, b, in_a, in_b });
            }
        }
    }
}

/// The joins of the pairs in `shared` (sorted by pair): each pair's
/// shared windows, as a share of each passage's words (`lengths`, sorted
/// by passage), against the rules of [`span_joins`].
fn joins_of_pairs(
    shared: &Sorted<SharedWindow>,
    lengths: &[(PassageId, u32)],
    k: u32,
    threshold: f64,
) -> Result<Vec<SpanJoin>> {
    debug_assert!(lengths.windows(2).all(|w| w[0].0 < w[1].0));
    let words_of = |id: PassageId| {
        let at = lengths.binary_search_by_key(&id, |&(id, _)| id).ok()?;
        Some(lengths[at].1)
    };
    // The share of a passage of `words` words that windows starting at
    // `starts` (sorted) cover.
    let covered = |starts: &[u32], words: u32| -> f64 {
        let (mut covered, mut until) = (0u32, 0u32);
        for &s in starts {
            let from = s.max(until);
            let to = s + k;
            if to > from {
                covered += to - from;
                until = to;
            }
        }
        f64::from(covered) / f64::from(words.max(1))
    };
    let join = |starts: &[SharedWindow]| -> Option<SpanJoin> {
        let (a, b) = (starts[0].a, starts[0].b);
        // Sorted by start in `a` already; dedup keeps it so.
        let mut in_a: Vec<u32> = starts.iter().map(|s| s.in_a).collect();
        in_a.dedup();
        let mut in_b: Vec<u32> = starts.iter().map(|s| s.in_b).collect();
        in_b.sort_unstable();
        in_b.dedup();
        let (words_a, words_b) = (words_of(a)?, words_of(b)?);
        let cover_a = covered(&in_a, words_a);
        let cover_b = covered(&in_b, words_b);
        let a_shorter = words_a <= words_b;
        let shorter = if a_shorter { cover_a } else { cover_b };
        let both = cover_a.min(cover_b);
        (shorter >= threshold || both >= span_cover(threshold)).then_some(SpanJoin {
            a,
            b,
            cover_a,
            cover_b,
            a_shorter,
        })
    };
    let mut joins = shared.fold_groups(
        |x, y| (x.a, x.b) == (y.a, y.b),
        Vec::new,
        |mut joins, starts| {
            joins.extend(join(starts));
            joins
        },
        |mut a, mut b| {
            a.append(&mut b);
            a
        },
    )?;
    joins.sort_unstable_by_key(|j| (j.a, j.b));
    Ok(joins)
}

/// The windows of one document that [`span_joins`] works on: those of
/// `occurrences` (the document's windows that may repeat, by first word)
/// wholly inside one of its passages (`ranges`, the document's passages'
/// words, in order) that is its own first copy (`is_first`), with the
/// words of each such passage. An exact copy's windows
/// are left out: its first copy, in a document pass B also reads, has the
/// same windows at the same places.
fn passage_windows(
    occurrences: &[Occurrence],
    ranges: &[WordRange],
    is_first: impl Fn(PassageId) -> bool,
    k: usize,
) -> (Vec<PassageWindow>, Vec<(PassageId, u32)>) {
    let k = number(k.max(1));
    let (mut windows, mut lengths) = (Vec::new(), Vec::new());
    let mut at = 0;
    for o in occurrences {
        // The last passage starting at or before the window.
        while ranges.get(at + 1).is_some_and(|r| r.first <= o.word) {
            at += 1;
        }
        let Some(&r) = ranges.get(at).filter(|r| r.first <= o.word) else {
            continue;
        };
        if o.word + k > r.end || !is_first(r.id) {
            continue;
        }
        if lengths.last().map(|&(id, _)| id) != Some(r.id) {
            lengths.push((r.id, r.end - r.first));
        }
        windows.push(PassageWindow {
            hash: o.hash,
            passage: r.id,
            start: o.word - r.first,
        });
    }
    (windows, lengths)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past the limit, what was held before the pass counts once and only
    /// what grows with the documents is projected to the whole corpus.
    #[test]
    fn a_budget_projects_only_what_grows() {
        let budget = Budget {
            memory: Some((1000, 100)),
            documents: 100,
        };
        assert!(budget.check(500, 400, 10).is_ok());
        match budget.check(800, 200, 10) {
            Err(Error::MemoryLimit { limit, needed, .. }) => {
                assert_eq!(limit, 1000);
                // Elsewhere, fixed, and ten times the growing part.
                assert_eq!(needed, 100 + 800 + 2000);
            }
            other => panic!("{other:?}"),
        }
        // Never less than what is held now.
        match budget.check(1000, 50, 100) {
            Err(Error::MemoryLimit { needed, .. }) => assert_eq!(needed, 1150),
            other => panic!("{other:?}"),
        }
        let unlimited = Budget {
            memory: None,
            documents: 100,
        };
        assert!(unlimited.check(usize::MAX, usize::MAX, 1).is_ok());
    }

    proptest::proptest! {
        /// Pass A copies a line's or paragraph's normalized text out of
        /// its document's words instead of normalizing it again: the two
        /// must agree, whatever the text (accents, ligatures, CJK, stray
        /// punctuation and marks, several kinds of white space).
        #[test]
        fn a_passage_normalizes_to_its_run_of_document_words(
            text in "([a-zA-Z0-9]{1,6}|[ÉéßŒœﬁ²Ⅻ]|[欧洲安全]|[.,;:!?'’\\-]|\u{0301}|\u{00A8}|[ \t]|\r?\n|\n\n){0,40}",
        ) {
            let options = crate::normalize::Normalization::ALL;
            let (mut normalized, mut found) = (String::new(), Vec::new());
            words(&text, &options, &mut normalized, &mut found);
            for unit in [PassageUnit::Line, PassageUnit::Paragraph] {
                let mut cursor = WordCursor::default();
                for span in split(&text, unit) {
                    let mut alone = String::new();
                    normalize(span.of(&text), &options, &mut alone);
                    let bounds = cursor.bounds(span, &found);
                    proptest::prop_assert_eq!(bounds, word_bounds(span, &found));
                    proptest::prop_assert_eq!(
                        words_within(bounds, &normalized, &found),
                        alone.as_str(),
                        "{:?} in {:?}",
                        span,
                        text
                    );
                }
            }
        }
    }

    /// A passage before the last is found as a search finds it.
    #[test]
    fn a_word_cursor_finds_passages_in_any_order() {
        let text = "one two\nthree four five\n\nsix\nseven eight";
        let options = crate::normalize::Normalization::ALL;
        let (mut normalized, mut found) = (String::new(), Vec::new());
        words(text, &options, &mut normalized, &mut found);
        let spans = split(text, PassageUnit::Line);
        assert_eq!(spans.len(), 4);
        let mut cursor = WordCursor::default();
        for order in [[0, 1, 2, 3], [3, 0, 2, 1], [1, 1, 0, 3]] {
            for i in order {
                let bounds = cursor.bounds(spans[i], &found);
                assert_eq!(bounds, word_bounds(spans[i], &found), "{order:?}");
            }
        }
        assert_eq!(
            passage_words("one two  three"),
            "one two  three".split(' ').count()
        );
        assert_eq!(passage_words(""), 1);
    }

    /// Passages `0..n`, each its own first copy.
    fn identity(n: u32) -> Vec<PassageId> {
        (0..n).map(PassageId).collect()
    }

    /// [`span_joins`] over windows that pass B would find, document by
    /// document, in `occurrences` and `ranges` (both in corpus order).
    fn span_joins_of(
        occurrences: &[Occurrence],
        ranges: &[WordRange],
        first_copy: &[PassageId],
        k: usize,
        threshold: f64,
    ) -> Vec<SpanJoin> {
        let (mut windows, mut all, mut lengths) =
            (Sorter::in_memory("joins"), Vec::new(), Vec::new());
        for doc in occurrences.chunk_by(|a, b| a.doc == b.doc) {
            let own: Vec<WordRange> = ranges
                .iter()
                .filter(|r| r.doc == doc[0].doc)
                .copied()
                .collect();
            let is_first = |id: PassageId| first_copy.get(id.0 as usize) == Some(&id);
            let (w, l) = passage_windows(doc, &own, is_first, k);
            all.extend_from_slice(&w);
            lengths.extend(l);
        }
        let spilling = {
            let mut copy = Sorter::in_memory("joins");
            copy.extend_from_slice(&all);
            copy
        };
        windows.extend_from_slice(&all);
        let in_memory = span_joins(windows, &lengths, k, threshold, None).unwrap();
        // Spilled after every few pairs, the same joins.
        let dir = tempfile::tempdir().unwrap();
        let spilled = span_joins(spilling, &lengths, k, threshold, Some((dir.path(), 0))).unwrap();
        assert_eq!(in_memory.0, spilled.0);
        in_memory.0
    }

    /// The windows of `words` (word indices) in document `doc`, as pass
    /// B finds them: each window hashed by its words.
    fn windows(doc: u32, words: &[&str], k: usize) -> Vec<Occurrence> {
        words
            .windows(k)
            .enumerate()
            .map(|(i, w)| Occurrence {
                hash: xxhash_rust::xxh3::xxh3_64(w.join(" ").as_bytes()),
                doc: DocId(doc),
                word: number(i),
            })
            .collect()
    }

    #[test]
    fn passages_past_4_gib_are_refused_and_others_are_placed_in_their_document() {
        let below = Span {
            start: 7,
            end: u32::MAX as usize,
        };
        let past = Span {
            start: 7,
            end: u32::MAX as usize + 1,
        };
        let mut table = PassageTable::default();
        table.push_document(DocId(0));
        assert_eq!(table.push(below).unwrap(), Some(PassageId(0)));
        assert_eq!(table.push(past).unwrap(), None);
        table.push_document(DocId(1));
        // Document 2 has no passages; 3 has two.
        table.push_document(DocId(3));
        assert_eq!(table.push(below).unwrap(), Some(PassageId(1)));
        assert_eq!(table.push(below).unwrap(), Some(PassageId(2)));
        assert_eq!(table.len(), 3);
        assert_eq!(table.place(PassageId(0)), (DocId(0), 0));
        assert_eq!(table.place(PassageId(1)), (DocId(3), 0));
        assert_eq!(table.place(PassageId(2)), (DocId(3), 1));
        assert_eq!(table.passages_of(DocId(2)), 1..1);
        assert_eq!(table.passages_of(DocId(3)), 1..3);
    }

    #[test]
    fn first_copies_are_a_bit_per_passage() {
        let mut firsts = FirstCopies::none(130);
        for id in [1, 64, 129] {
            firsts.mark_copy(PassageId(id));
        }
        let copies: Vec<u32> = (0..130)
            .filter(|&i| !firsts.is_first(PassageId(i)))
            .collect();
        assert_eq!(copies, [1, 64, 129]);
        assert_eq!(firsts.memory(), 3 * 8);
    }

    /// A passage taken for a copy is not sketched, but keeps the text its
    /// keys are made from if the fold finds it is not a copy after all:
    /// the same keys as when it is sketched at once.
    #[test]
    fn a_passage_taken_for_a_copy_keeps_what_its_keys_need() {
        let text = "A headline of a few words\n\nA line long enough for word pairs, \
                    and one with Unicode: caf\u{e9}, na\u{ef}ve.\nok\n \n\
                    A paragraph long enough to be sketched by its word trigrams, \
                    since it has many more words than the middling passages have.";
        let config = Config::default();
        let mut ids = Ids::default();
        ids.push("doc");
        let scope = Scope {
            ids: &ids,
            removed: &[],
            text_bytes: text.len() as u64,
            memory: None,
            tmp_dir: std::env::temp_dir(),
        };
        let corpus: Vec<Document> = Vec::new();
        let grain = Grain::new(&corpus, &config, &scope, &crate::progress::NoProgress);
        let (mut normalized, mut found) = (String::new(), Vec::new());
        words(text, &config.normalization, &mut normalized, &mut found);
        let mut scratch = Scratch::new(&grain.hasher);
        let sketched = grain.sketch_passages(text, &normalized, &found, &|_| false, &mut scratch);
        let taken = grain.sketch_passages(text, &normalized, &found, &|_| true, &mut scratch);
        assert_eq!(sketched.passages.len(), 4, "blank lines are no passages");
        assert!(sketched.texts.is_empty());
        let keyed = sketched.passages.iter().filter(|p| p.keyed).count();
        assert_eq!(keyed, 3, "all but the one-word line");
        for (at_once, deferred) in sketched.passages.iter().zip(&taken.passages) {
            assert_eq!(at_once.exact, deferred.exact);
            assert_eq!(at_once.anchor, deferred.anchor);
            assert_eq!(at_once.keys.is_empty(), !at_once.keyed);
            assert!(deferred.keys.is_empty());
            let Some((start, end)) = deferred.text else {
                assert!(!deferred.keyed);
                continue;
            };
            let kept = &taken.texts[start as usize..end as usize];
            scratch.text.clear();
            scratch.text.push_str(kept);
            let keys = grain.band_keys(&mut scratch, passage_words(kept));
            assert_eq!(keys, at_once.keys);
        }
    }

    #[test]
    fn the_copies_filter_names_only_true_copies_and_stays_within_its_share() {
        let mut unbounded = Copies::within(None);
        let within = 4096;
        let mut bounded = Copies::within(Some(within));
        let (mut near, mut far, mut peak) = (0, 0, 0);
        // Each hash twice in a row, then all of them again.
        for round in 0..2 {
            for exact in 0..10_000u128 {
                assert!(!unbounded.seen_before(exact, false), "no keys, no copy");
                for again in 0..2 - round {
                    let copy = round == 1 || again == 1;
                    assert_eq!(unbounded.seen_before(exact, true), copy);
                    let found = bounded.seen_before(exact, true);
                    assert!(!found || copy, "a first occurrence is never a copy");
                    if found && round == 0 {
                        near += 1;
                    } else if found {
                        far += 1;
                    }
                    peak = peak.max(bounded.memory());
                }
            }
        }
        assert!(peak <= within, "{peak}");
        // It forgets old hashes, not recent ones.
        assert!(near > 9_900, "{near}");
        assert!(far < 1_000, "{far}");
    }

    #[test]
    fn a_paragraph_copied_with_a_changed_word_is_joined_by_its_spans() {
        let k = 4;
        let source: Vec<String> = (0..30).map(|i| format!("w{i}")).collect();
        let source: Vec<&str> = source.iter().map(String::as_str).collect();
        let mut copy = source.clone();
        copy[15] = "changed";
        // Document 0: the source paragraph (words 0..30) and another one
        // (30..60); document 1: a line (0..5), then the copy (5..35).
        let other: Vec<String> = (0..30).map(|i| format!("x{i}")).collect();
        let doc0: Vec<&str> = source
            .iter()
            .copied()
            .chain(other.iter().map(String::as_str))
            .collect();
        let doc1: Vec<&str> = ["a", "b", "c", "d", "e"]
            .into_iter()
            .chain(copy.iter().copied())
            .collect();
        let mut occurrences = windows(0, &doc0, k);
        occurrences.extend(windows(1, &doc1, k));
        let range = |doc, first, end, id| WordRange {
            doc: DocId(doc),
            first,
            end,
            id: PassageId(id),
        };
        let ranges = [
            range(0, 0, 30, 0),
            range(0, 30, 60, 1),
            range(1, 0, 5, 2),
            range(1, 5, 35, 3),
        ];
        let joins = span_joins_of(&occurrences, &ranges, &identity(4), k, 0.8);
        assert_eq!(joins.len(), 1, "{joins:?}");
        assert_eq!((joins[0].a, joins[0].b), (PassageId(0), PassageId(3)));
        // Every word but the changed one is covered.
        let [(_, kind, similarity, removable), _] = joins[0].matches(0.8);
        assert_eq!((kind, removable), (MatchKind::Span, true));
        assert!((similarity - 29.0 / 30.0).abs() < 1e-9, "{joins:?}");

        // Half the paragraph copied is not most of it.
        let half: Vec<&str> = source[..15]
            .iter()
            .copied()
            .chain(other[..15].iter().map(String::as_str))
            .collect();
        let mut occurrences = windows(0, &source, k);
        occurrences.extend(windows(1, &half, k));
        let ranges = [range(0, 0, 30, 0), range(1, 0, 30, 1)];
        assert!(span_joins_of(&occurrences, &ranges, &identity(4), k, 0.8).is_empty());

        // A sentence inside a paragraph: contained, whatever the lengths;
        // the paragraph, mostly other words, is not to be cut.
        let mut occurrences = windows(0, &source, k);
        occurrences.extend(windows(1, &source[10..16], k));
        let ranges = [range(0, 0, 30, 0), range(1, 0, 6, 1)];
        let joins = span_joins_of(&occurrences, &ranges, &identity(4), k, 0.8);
        assert_eq!(joins.len(), 1, "{joins:?}");
        let matches = joins[0].matches(0.8);
        assert_eq!(
            matches[0],
            (PassageId(1), MatchKind::Containment, 1.0, true)
        );
        assert_eq!(
            matches[1],
            (PassageId(0), MatchKind::Containment, 1.0, false)
        );
    }
}
