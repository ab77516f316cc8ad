//! Spans: runs of at least `k` normalized words that occur more than once
//! anywhere in the corpus, within one document or across documents: the
//! ExactSubstr idea of Lee et al. (2021) at the word level.
//!
//! The detector works in two streaming passes and one sort, never holding
//! the corpus or comparing documents pairwise:
//!
//! 1. Every k-word window's hash goes into [`SeenTwice`], two bitmaps that
//!    record "seen" and "seen again". A window whose hash is not in the
//!    second bitmap occurred once: it cannot be part of a repeat.
//! 2. The windows that may repeat ([`Occurrence`]s: hash, document, word)
//!    are collected in [`Occurrences`] and sorted by hash; groups of one
//!    (bitmap collisions) are passed over.
//! 3. [`cluster`] reads the sorted windows twice. The first reading marks
//!    where repeated windows start, one bit per word of the corpus; each
//!    document's overlapping repeated windows are merged, in corpus order,
//!    into maximal regions. The second reading joins regions that share a
//!    window into clusters. [`SpanMember::locate`] turns a region's words
//!    into bytes of the original text.
//!
//! Memory: the bitmaps (`2 × bits / 8` bytes; the pipeline gives each 1 to
//! 2 bits per byte of text), then 16 bytes per window that may repeat
//! (every truly repeated window, and the 5 to 15% of unique ones whose bits
//! collide), sorted in place, or, under a memory limit, in sorted runs on
//! disk read back by a merge; then two bits per word of the corpus, and
//! per repeated region 4 bytes of union-find, 12 of region and 20 to sort
//! it by cluster (under a limit the two bits per word are mapped files,
//! the regions and the clusters go to files and the sort spills).
//!
//! Invariant: in memory or spilled, in any thread count, the clusters are
//! the same: regions come from the marked bits in corpus order, and
//! clusters are the sets of a union-find, numbered by their first region.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::cluster::SharedUnionFind;
use crate::core::{number, prefetch, DocId, Numbered};
use crate::core::{u32_at, u64_at, Record};
use crate::error::{Error, Result};
use crate::normalize::Word;
use crate::passage::{Clusters, ClustersWriter, Span};
use crate::records::{Records, RecordsWriter, Words};
use crate::runs::{Sorter, Spilled};

/// Two bitmaps over window hashes: seen at least once, seen at least twice.
/// Safe to fill from many threads; the result does not depend on order.
///
/// The bitmaps are far larger than the caches and every window lands on a
/// random word of them, so a lookup is a cache miss: the two bitmaps are
/// interleaved word by word (a hash's "once" and "twice" bits share a cache
/// line), and [`SeenTwice::insert_all`] and
/// [`SeenTwice::maybe_repeated_all`] prefetch the words of hashes a few
/// places ahead, so that the misses overlap rather than follow one another.
#[derive(Debug)]
pub struct SeenTwice {
    /// Word `2i` of "seen", then word `2i + 1` of "seen twice".
    words: Vec<AtomicU64>,
    mask: u64,
}

/// How many hashes ahead the batch operations prefetch: enough misses in
/// flight to cover memory latency, few enough that lines are not evicted
/// before use.
const PREFETCH_AHEAD: usize = 16;

impl SeenTwice {
    /// Bitmaps of at least `bits` bits each (rounded up to a power of two,
    /// at least 2¹⁶). About eight bits per window keeps false "seen twice"
    /// answers rare.
    pub fn with_bits(bits: u64) -> Self {
        let bits = bits.max(1 << 16).next_power_of_two();
        let words = 2 * (bits / 64) as usize;
        SeenTwice {
            words: (0..words).map(|_| AtomicU64::new(0)).collect(),
            mask: bits - 1,
        }
    }

    /// Bytes held by the two bitmaps.
    pub fn memory(&self) -> usize {
        self.words.len() * size_of::<AtomicU64>()
    }

    /// The index of `hash`'s "seen" word (its "seen twice" word follows),
    /// and its bit in them.
    fn slot(&self, hash: u64) -> (usize, u64) {
        let bit = hash & self.mask;
        (2 * (bit / 64) as usize, 1u64 << (bit % 64))
    }

    /// Asks the processor to bring `hash`'s words into the cache.
    #[inline]
    fn prefetch(&self, hash: u64) {
        let (word, _) = self.slot(hash);
        prefetch(&self.words[word]);
    }

    /// Records one occurrence of `hash`.
    pub fn insert(&self, hash: u64) {
        let (word, bit) = self.slot(hash);
        // A locked read-modify-write costs several times a plain load, and
        // on text that repeats most windows find their bits set already:
        // they are looked at first. The bitmaps end the same either way,
        // as a bit is only ever set: a "twice" bit for any slot inserted
        // into more than once, whichever insert comes second.
        let twice = &self.words[word + 1];
        if twice.load(Ordering::Relaxed) & bit != 0 {
            return;
        }
        let seen = &self.words[word];
        if seen.load(Ordering::Relaxed) & bit != 0
            || seen.fetch_or(bit, Ordering::Relaxed) & bit != 0
        {
            twice.fetch_or(bit, Ordering::Relaxed);
        }
    }

    /// Records one occurrence of each of `hashes`.
    pub fn insert_all(&self, hashes: &[u64]) {
        for (i, &hash) in hashes.iter().enumerate() {
            if let Some(&ahead) = hashes.get(i + PREFETCH_AHEAD) {
                self.prefetch(ahead);
            }
            self.insert(hash);
        }
    }

    /// False when `hash` was inserted at most once; true when it was
    /// inserted twice or more (or, rarely, shares its bit with others).
    pub fn maybe_repeated(&self, hash: u64) -> bool {
        let (word, bit) = self.slot(hash);
        self.words[word + 1].load(Ordering::Relaxed) & bit != 0
    }

    /// Calls `found(i, hash)` for each of `hashes` that
    /// [`SeenTwice::maybe_repeated`] says may repeat, in order.
    pub fn maybe_repeated_all(&self, hashes: &[u64], mut found: impl FnMut(usize, u64)) {
        for (i, &hash) in hashes.iter().enumerate() {
            if let Some(&ahead) = hashes.get(i + PREFETCH_AHEAD) {
                self.prefetch(ahead);
            }
            if self.maybe_repeated(hash) {
                found(i, hash);
            }
        }
    }
}

/// The hash of every window of `k` consecutive words, in order (none when
/// there are fewer than `k` words).
pub fn windows(
    normalized: &str,
    words: &[Word],
    k: usize,
    seed: u64,
    mut emit: impl FnMut(usize, u64),
) {
    if k == 0 || words.len() < k {
        return;
    }
    for (i, window) in words.windows(k).enumerate() {
        let from = window[0].normalized.0;
        let to = window[k - 1].normalized.1;
        emit(i, xxh3_64_with_seed(&normalized.as_bytes()[from..to], seed));
    }
}

/// The hashes of [`windows`], in order, into `out` (cleared first): what
/// [`SeenTwice::insert_all`] and [`SeenTwice::maybe_repeated_all`] take.
pub fn window_hashes(normalized: &str, words: &[Word], k: usize, seed: u64, out: &mut Vec<u64>) {
    out.clear();
    windows(normalized, words, k, seed, |_, hash| out.push(hash));
}

/// A window that may repeat: its hash and where it starts. 16 bytes, as
/// there can be one per word of the corpus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence {
    /// Hash of the window's normalized words.
    pub hash: u64,
    /// The document.
    pub doc: DocId,
    /// Index of the window's first word in the document.
    pub word: u32,
}

/// A repeated region: a maximal run of repeated windows in one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SpanMember {
    /// The document.
    pub doc: DocId,
    /// The region's words, `[first, end)` word indices.
    pub words: (u32, u32),
    /// The region's byte range in the original text (set by
    /// [`SpanMember::locate`]).
    pub span: Span,
}

impl SpanMember {
    /// Sets `span` from the document's words (as [`words`](crate::normalize::words) gives them).
    pub fn locate(&mut self, words: &[Word]) {
        let (first, end) = (self.words.0 as usize, self.words.1 as usize);
        if let (Some(a), Some(b)) = (words.get(first), words.get(end.saturating_sub(1))) {
            self.span = Span {
                start: a.original.0,
                end: b.original.1,
            };
        }
    }
}

/// Regions of repeated words that share at least one window, in corpus
/// order.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanCluster {
    /// Its number among the run's span clusters.
    pub id: u32,
    /// The regions, in corpus order.
    pub members: Vec<SpanMember>,
    /// True when the regions are in at least `boilerplate_min_docs` documents.
    pub boilerplate: bool,
}

impl SpanCluster {
    /// The number of distinct documents the regions are in.
    pub fn documents(&self) -> usize {
        let mut docs: Vec<DocId> = self.members.iter().map(|m| m.doc).collect();
        docs.dedup(); // members are sorted by document
        docs.len()
    }
}

impl Record for SpanMember {
    const SIZE: usize = 28;
    fn put(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.doc.number().to_le_bytes());
        out[4..8].copy_from_slice(&self.words.0.to_le_bytes());
        out[8..12].copy_from_slice(&self.words.1.to_le_bytes());
        out[12..20].copy_from_slice(&(self.span.start as u64).to_le_bytes());
        out[20..28].copy_from_slice(&(self.span.end as u64).to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Self {
        SpanMember {
            doc: DocId::from_number(u32_at(bytes, 0)),
            words: (u32_at(bytes, 4), u32_at(bytes, 8)),
            span: Span {
                start: u64_at(bytes, 12) as usize,
                end: u64_at(bytes, 20) as usize,
            },
        }
    }
}

/// The span clusters of a run, in corpus order of their first members,
/// read one at a time (see [`PassageClusters`](crate::PassageClusters)).
#[derive(Clone, Default)]
pub struct SpanClusters(pub(crate) Clusters<SpanMember>);

impl SpanClusters {
    /// The number of clusters.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Cluster `i`, read.
    ///
    /// # Panics
    /// If `i` is not below [`SpanClusters::len`].
    pub fn get(&self, i: usize) -> SpanCluster {
        let (members, boilerplate) = self.0.get(i);
        SpanCluster {
            id: number(i),
            members,
            boilerplate,
        }
    }

    /// The number of members of cluster `i`, without reading them.
    ///
    /// # Panics
    /// If `i` is not below [`SpanClusters::len`].
    pub fn size(&self, i: usize) -> usize {
        self.0.size(i)
    }

    /// Whether cluster `i` is boilerplate, without reading its members.
    ///
    /// # Panics
    /// If `i` is not below [`SpanClusters::len`].
    pub fn is_boilerplate(&self, i: usize) -> bool {
        self.0.is_boilerplate(i)
    }

    /// Every cluster, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = SpanCluster> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Lets go of mapped pages read so far.
    pub(crate) fn release(&self) {
        self.0.release();
    }
}

impl<'a> IntoIterator for &'a SpanClusters {
    type Item = SpanCluster;
    type IntoIter = Box<dyn ExactSizeIterator<Item = SpanCluster> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl std::fmt::Debug for SpanClusters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for SpanClusters {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// Groups `occurrences` into span clusters of two or more regions. `k` is
/// the window length in words.
///
/// One sort by hash, then two scans of the sorted windows (from memory or
/// merged from runs on disk): the first marks, one bit per word of the
/// corpus, where the windows seen twice or more start (the bitmaps let
/// some singles by); regions are read off those bits in corpus order; the
/// second scan joins the regions of windows that share a hash.
pub fn cluster(
    occurrences: Occurrences,
    k: usize,
    boilerplate_min_docs: usize,
) -> Result<SpanClusters> {
    cluster_within(occurrences, k, boilerplate_min_docs, None)
}

/// [`cluster`], and under a memory limit (`spill`: a folder for
/// temporary files, and the bytes the clusters' sorting may hold) the
/// regions and the clusters go to files there, and the sorting spills.
pub(crate) fn cluster_within(
    occurrences: Occurrences,
    k: usize,
    boilerplate_min_docs: usize,
    spill: Option<(&Path, usize)>,
) -> Result<SpanClusters> {
    let positions = Positions::new(&occurrences.extent);
    let sorted = occurrences.table.into_sorted()?;
    // A group is a window's occurrences; one of one occurred once (its
    // bits collided in the bitmaps) and is passed over.
    let same_window = |a: &Occurrence, b: &Occurrence| a.hash == b.hash;
    // Under a limit, both bitmaps over the corpus's words go to mapped
    // files.
    let dir = spill.map(|(dir, _)| dir);
    let mut repeated = Bits::new(positions.total(), dir)?;
    let marks = repeated.words.atomic();
    sorted.fold_groups(
        same_window,
        || (),
        |(), group| {
            if group.len() < 2 {
                return;
            }
            for o in group {
                let at = positions.of(o);
                let (word, bit) = (&marks[(at / 64) as usize], 1 << (at % 64));
                // Most bits are set by a window's earlier copies: reading
                // first spares the write, and the other thread's copy of
                // the line.
                if word.load(Ordering::Relaxed) & bit == 0 {
                    word.fetch_or(bit, Ordering::Relaxed);
                }
            }
        },
        |(), ()| (),
    )?;
    let (regions, starts) = regions(&repeated, &positions, k, dir)?;
    drop(repeated);
    let starts = Rank::new(starts);
    // Regions sharing a window are one cluster. Each window's region is a
    // rank in a bitmap and its set a root in a table, both far from the
    // last window's: the joins are gathered in blocks, and each block's
    // lines are fetched ahead of its reads so that the misses overlap.
    let sets = SharedUnionFind::new(regions.len());
    let join_all = |pending: &mut Joins| {
        for &(a, b) in &pending.positions {
            starts.prefetch(a);
            starts.prefetch(b);
        }
        pending.regions.clear();
        pending
            .regions
            .extend(pending.positions.iter().map(|&(a, b)| {
                let (a, b) = (starts.rank(a) - 1, starts.rank(b) - 1);
                (number(a), number(b))
            }));
        for &(a, b) in &pending.regions {
            sets.prefetch(a);
            sets.prefetch(b);
        }
        for &(a, b) in &pending.regions {
            sets.union(a, b);
        }
        pending.positions.clear();
    };
    let mut left = sorted.fold_groups(
        same_window,
        Joins::default,
        |mut pending, group| {
            if group.len() > 1 {
                let first = positions.of(&group[0]);
                for o in &group[1..] {
                    pending.positions.push((first, positions.of(o)));
                }
                if pending.positions.len() >= JOIN_BLOCK {
                    join_all(&mut pending);
                }
            }
            pending
        },
        |mut a, mut b| {
            join_all(&mut b);
            if a.positions.len() >= JOIN_BLOCK {
                join_all(&mut a);
            }
            a
        },
    )?;
    join_all(&mut left);
    drop((left, starts, positions, sorted));
    number_clusters(&regions, &sets, boilerplate_min_docs, spill)
}

/// How many joins [`cluster`] gathers before it makes them: enough to
/// keep many misses in flight, few enough that the lines it fetched are
/// still cached when read.
const JOIN_BLOCK: usize = 256;

/// Joins waiting in [`cluster`]: pairs of window positions, then the
/// pairs of their regions.
#[derive(Default)]
struct Joins {
    positions: Vec<(u64, u64)>,
    regions: Vec<(u32, u32)>,
}

/// Where each document's window starts lie in one numbering of the
/// corpus's words: a document takes as many positions as its last window
/// start pushed, plus one.
struct Positions {
    /// Per document, its first position; then the total.
    first: Vec<u64>,
}

impl Positions {
    fn new(extent: &[u32]) -> Self {
        let mut first = Vec::with_capacity(extent.len() + 1);
        let mut at = 0u64;
        first.push(0);
        for &e in extent {
            at += u64::from(e);
            first.push(at);
        }
        Positions { first }
    }

    fn total(&self) -> u64 {
        self.first.last().copied().unwrap_or(0)
    }

    fn of(&self, o: &Occurrence) -> u64 {
        self.first[o.doc.index()] + u64::from(o.word)
    }

    /// Document `doc`'s positions.
    fn range(&self, doc: usize) -> std::ops::Range<u64> {
        self.first[doc]..self.first[doc + 1]
    }

    fn documents(&self) -> usize {
        self.first.len() - 1
    }
}

/// A bitmap over positions.
struct Bits {
    words: Words,
}

impl Bits {
    /// `bits` zero bits, in a mapped file in `dir` if given.
    fn new(bits: u64, dir: Option<&Path>) -> Result<Self> {
        let words = usize::try_from(bits.div_ceil(64)).map_err(|_| Error::TooManyDocuments)?;
        Ok(Bits {
            words: Words::zeroed(words, dir)?,
        })
    }

    fn set(&mut self, at: u64) {
        self.words.get_mut()[(at / 64) as usize] |= 1 << (at % 64);
    }

    /// The set bits in `range`, ascending.
    fn ones(&self, range: std::ops::Range<u64>) -> impl Iterator<Item = u64> + '_ {
        let (from, to) = (range.start, range.end);
        let words = (from / 64) as usize..to.div_ceil(64) as usize;
        words.flat_map(move |w| {
            let mut bits = self.words.get()[w];
            let base = w as u64 * 64;
            // Bits of the word outside the range are cleared first.
            if base < from {
                bits &= u64::MAX << (from - base);
            }
            if base + 64 > to {
                bits &= u64::MAX >> (base + 64 - to);
            }
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let at = base + u64::from(bits.trailing_zeros());
                    bits &= bits - 1;
                    at
                })
            })
        })
    }
}

/// A bitmap that counts its set bits up to a position in constant time:
/// a count per 512 bits, then at most eight words' popcounts.
struct Rank {
    bits: Bits,
    /// Set bits before each block of eight words.
    blocks: Vec<u32>,
}

impl Rank {
    fn new(bits: Bits) -> Self {
        let words = bits.words.get();
        let mut blocks = Vec::with_capacity(words.len().div_ceil(8));
        let mut count = 0u32;
        for block in words.chunks(8) {
            blocks.push(count);
            count += block.iter().map(|w| w.count_ones()).sum::<u32>();
        }
        Rank { bits, blocks }
    }

    /// Asks for the lines [`Rank::rank`] of `at` reads.
    #[inline]
    fn prefetch(&self, at: u64) {
        let word = (at / 64) as usize;
        prefetch(&self.bits.words.get()[word]);
        prefetch(&self.blocks[word / 8]);
    }

    /// The number of set bits at positions up to `at`, inclusive.
    fn rank(&self, at: u64) -> usize {
        let word = (at / 64) as usize;
        let block = word / 8;
        let words = self.bits.words.get();
        let before: u32 = words[block * 8..word].iter().map(|w| w.count_ones()).sum();
        let within = (words[word] << (63 - at % 64)).count_ones();
        (self.blocks[block] + before + within) as usize
    }
}

/// Regions: per document, repeated windows whose words overlap merge.
/// Returns them in corpus order, with a bitmap of the positions where
/// each starts.
fn regions(
    repeated: &Bits,
    positions: &Positions,
    k: usize,
    dir: Option<&Path>,
) -> Result<(Records<Region>, Bits)> {
    // Span lengths are validated far below 2^32 (`PassageConfig::min_span`).
    let k = number(k);
    let mut starts = Bits::new(positions.total(), dir)?;
    let mut regions = match dir {
        None => RecordsWriter::in_memory(),
        Some(dir) => RecordsWriter::on_disk(dir)?,
    };
    for doc in 0..positions.documents() {
        let range = positions.range(doc);
        let first = range.start;
        let mut current: Option<Region> = None;
        for at in repeated.ones(range) {
            // Fits: a document's positions are window starts, u32 words.
            let word = (at - first) as u32;
            match &mut current {
                Some(region) if word < region.end => {
                    region.end = region.end.max(word.saturating_add(k));
                }
                _ => {
                    if let Some(done) = current.take() {
                        regions.push(&done)?;
                    }
                    starts.set(at);
                    current = Some(Region {
                        doc: DocId::at(doc),
                        first: word,
                        end: word.saturating_add(k),
                    });
                }
            }
        }
        if let Some(done) = current {
            regions.push(&done)?;
        }
    }
    if u32::try_from(regions.len()).is_err() {
        return Err(Error::TooManyDocuments);
    }
    Ok((regions.finish()?, starts))
}

/// The windows that may repeat, pushed in corpus order as pass B finds
/// them: held in memory, or, when told to spill, sorted by hash and
/// written out as runs on disk.
pub struct Occurrences {
    table: Sorter<Occurrence>,
    /// Per document, one past its last window start pushed.
    extent: Vec<u32>,
}

impl Default for Occurrences {
    fn default() -> Self {
        Occurrences {
            table: Sorter::in_memory("spans"),
            extent: Vec::new(),
        }
    }
}

impl Occurrences {
    /// Occurrences that may spill to a temporary folder under `parent`
    /// (see [`Occurrences::spill`]).
    pub fn spilling(parent: &Path) -> Self {
        Occurrences {
            table: Sorter::spilling("spans", parent),
            extent: Vec::new(),
        }
    }

    /// Adds the next occurrences, in corpus order.
    pub fn extend(&mut self, more: &[Occurrence]) {
        for o in more {
            let doc = o.doc.index();
            if self.extent.len() <= doc {
                self.extent.resize(doc + 1, 0);
            }
            self.extent[doc] = self.extent[doc].max(o.word.saturating_add(1));
        }
        self.table.extend_from_slice(more);
    }

    /// Bytes held, spare capacity included.
    pub fn memory(&self) -> usize {
        self.table.memory() + self.extent.capacity() * size_of::<u32>()
    }

    /// Bytes held once `more` occurrences are added.
    pub fn memory_with(&self, more: usize) -> usize {
        self.table.memory_with(more) + self.extent.capacity() * size_of::<u32>()
    }

    /// What spilling has cost so far.
    pub fn spilled(&self) -> Spilled {
        self.table.spilled()
    }

    /// Writes the held occurrences out as a sorted run, if they spill and
    /// are enough for one.
    pub fn spill(&mut self) -> Result<()> {
        self.table.spill()
    }

    /// Once all are pushed: if any spilled, writes the rest out and merges
    /// the runs down, so that [`Occurrences::spilled`] tells the whole cost.
    pub fn finish(&mut self) -> Result<()> {
        self.table.finish()
    }
}

impl Record for Occurrence {
    const SIZE: usize = 16;
    fn put(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.hash.to_le_bytes());
        out[8..12].copy_from_slice(&self.doc.0.to_le_bytes());
        out[12..16].copy_from_slice(&self.word.to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Self {
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        Occurrence {
            hash: u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")),
            doc: DocId(u32_at(8)),
            word: u32_at(12),
        }
    }
}

/// The clusters of two or more `regions` (in corpus order) that `sets`
/// joined, numbered by their first regions, written to a file under a
/// memory limit (`spill`, as for [`cluster_within`]). Every region goes
/// with its set's first region to a table sorted by set; it is read back a
/// cluster at a time.
fn number_clusters(
    regions: &Records<Region>,
    sets: &SharedUnionFind,
    boilerplate_min_docs: usize,
    spill: Option<(&Path, usize)>,
) -> Result<SpanClusters> {
    let (mut by_set, mut out) = match spill {
        None => (Sorter::in_memory("regions"), ClustersWriter::new(None)?),
        Some((dir, _)) => (
            Sorter::spilling("regions", dir),
            ClustersWriter::new(Some(dir))?,
        ),
    };
    let mut more: Vec<InSet> = Vec::new();
    let add = |more: &mut Vec<InSet>, by_set: &mut Sorter<InSet>| -> Result<()> {
        if let Some((_, within)) = spill {
            if by_set.memory_with(more.len()) > within {
                by_set.spill()?;
            }
        }
        by_set.extend_from_slice(more);
        more.clear();
        Ok(())
    };
    for (r, region) in regions.iter(0..regions.len()).enumerate() {
        // The smallest member of its set, once every join is made.
        let set = sets.find(number(r));
        more.push(InSet {
            set,
            region: number(r),
            doc: region.doc,
            first: region.first,
            end: region.end,
        });
        if more.len() >= 1 << 16 {
            add(&mut more, &mut by_set)?;
            regions.release();
        }
    }
    add(&mut more, &mut by_set)?;
    let by_set = by_set.into_sorted()?;
    // Every region but those alone in their set is a member.
    out.reserve(0, regions.len());
    let mut members: Vec<SpanMember> = Vec::new();
    let mut write = |members: &mut Vec<SpanMember>| -> Result<()> {
        if members.len() >= 2 {
            let mut documents = members.iter().map(|m| m.doc).collect::<Vec<_>>();
            // Members are in corpus order, so by document.
            documents.dedup();
            out.push(members.iter(), documents.len() >= boilerplate_min_docs)?;
        }
        members.clear();
        Ok(())
    };
    let mut last = None;
    for entry in by_set.iter()? {
        let entry = entry?;
        if last != Some(entry.set) {
            write(&mut members)?;
            last = Some(entry.set);
        }
        members.push(SpanMember {
            doc: entry.doc,
            words: (entry.first, entry.end),
            span: Span { start: 0, end: 0 },
        });
    }
    write(&mut members)?;
    Ok(SpanClusters(out.finish()?))
}

/// A repeated region while clustering: its document and words `[first,
/// end)`. 12 bytes, as there are two million per gigabyte of web text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Region {
    doc: DocId,
    first: u32,
    end: u32,
}

impl Record for Region {
    const SIZE: usize = 12;
    fn put(&self, out: &mut [u8]) {
        for (at, field) in [self.doc.number(), self.first, self.end]
            .into_iter()
            .enumerate()
        {
            out[4 * at..4 * at + 4].copy_from_slice(&field.to_le_bytes());
        }
    }
    fn get(bytes: &[u8]) -> Self {
        Region {
            doc: DocId::from_number(u32_at(bytes, 0)),
            first: u32_at(bytes, 4),
            end: u32_at(bytes, 8),
        }
    }
}

/// A region with its set: sorted, the sets in order of their first
/// regions, each set's regions in corpus order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct InSet {
    set: u32,
    region: u32,
    doc: DocId,
    first: u32,
    end: u32,
}

impl Record for InSet {
    const SIZE: usize = 20;
    fn put(&self, out: &mut [u8]) {
        let fields = [
            self.set,
            self.region,
            self.doc.number(),
            self.first,
            self.end,
        ];
        for (at, field) in fields.into_iter().enumerate() {
            out[4 * at..4 * at + 4].copy_from_slice(&field.to_le_bytes());
        }
    }
    fn get(bytes: &[u8]) -> Self {
        InSet {
            set: u32_at(bytes, 0),
            region: u32_at(bytes, 4),
            doc: DocId::from_number(u32_at(bytes, 8)),
            first: u32_at(bytes, 12),
            end: u32_at(bytes, 16),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::UnionFind;
    use crate::normalize::{words, Normalization};
    use proptest::prelude::*;

    /// Span clusters written to a file read back as they were pushed.
    #[test]
    fn span_clusters_read_back_what_was_written() {
        let region = |doc: u32, first: u32| SpanMember {
            doc: DocId::from_number(doc),
            words: (first, first + 12),
            span: Span {
                start: (first as usize) << 32 | 5,
                end: ((first as usize) << 32) + 99,
            },
        };
        let made: Vec<(Vec<SpanMember>, bool)> = (0..30u32)
            .map(|c| {
                (
                    (0..c % 4 + 2).map(|m| region(c + m, m * 7)).collect(),
                    c % 2 == 0,
                )
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let mut out = crate::passage::ClustersWriter::new(Some(dir.path())).unwrap();
        for (members, boilerplate) in &made {
            out.push(members, *boilerplate).unwrap();
        }
        let read = SpanClusters(out.finish().unwrap());
        assert_eq!(read.len(), made.len());
        for (i, (members, boilerplate)) in made.iter().enumerate() {
            let cluster = read.get(i);
            assert_eq!(cluster.id as usize, i);
            assert_eq!(&cluster.members, members);
            assert_eq!(cluster.boilerplate, *boilerplate);
            assert_eq!(read.size(i), members.len());
        }
    }
    use std::collections::HashMap;

    /// Runs the detector on in-memory texts, the way the pipeline does.
    fn detect(texts: &[&str], k: usize) -> Vec<Vec<(u32, String)>> {
        let prepared = prepare(texts);
        let found = cluster(occurrences(&prepared, k, None), k, 3).unwrap();
        found
            .into_iter()
            .map(|c| {
                c.members
                    .into_iter()
                    .map(|mut m| {
                        m.locate(&prepared[m.doc.index()].1);
                        (m.doc.0, m.span.of(texts[m.doc.index()]).to_string())
                    })
                    .collect()
            })
            .collect()
    }

    fn prepare(texts: &[&str]) -> Vec<(String, Vec<Word>)> {
        texts
            .iter()
            .map(|text| {
                let (mut normalized, mut found) = (String::new(), Vec::new());
                words(text, &Normalization::ALL, &mut normalized, &mut found);
                (normalized, found)
            })
            .collect()
    }

    /// The windows the bitmaps let through, pushed document by document;
    /// with `spill_to`, every document's are written out as a run.
    fn occurrences(
        prepared: &[(String, Vec<Word>)],
        k: usize,
        spill_to: Option<&Path>,
    ) -> Occurrences {
        // Small bitmaps, so that some single windows get through.
        let seen = SeenTwice::with_bits(1 << 16);
        for (normalized, found) in prepared {
            windows(normalized, found, k, 0, |_, h| seen.insert(h));
        }
        let mut occurrences = spill_to.map_or_else(Occurrences::default, Occurrences::spilling);
        for (d, (normalized, found)) in prepared.iter().enumerate() {
            let mut these = Vec::new();
            windows(normalized, found, k, 0, |i, hash| {
                if seen.maybe_repeated(hash) {
                    these.push(Occurrence {
                        hash,
                        doc: DocId::at(d),
                        word: number(i),
                    });
                }
            });
            occurrences.extend(&these);
            if spill_to.is_some() {
                occurrences.table.spill_now().unwrap();
            }
        }
        occurrences
    }

    /// A region as (document, its words).
    type Region = (u32, (u32, u32));

    /// The detector's rule, spelled out the slow way: windows whose hash
    /// occurs twice or more; per document, overlapping ones merged into
    /// regions; regions sharing a hash joined; groups of two or more, in
    /// order of their first region.
    fn reference(prepared: &[(String, Vec<Word>)], k: usize) -> Vec<Vec<Region>> {
        let mut all: Vec<(u64, usize, u32)> = Vec::new();
        for (d, (normalized, found)) in prepared.iter().enumerate() {
            windows(normalized, found, k, 0, |i, h| all.push((h, d, number(i))));
        }
        let mut count: HashMap<u64, usize> = HashMap::new();
        for &(h, _, _) in &all {
            *count.entry(h).or_default() += 1;
        }
        all.retain(|(h, _, _)| count[h] > 1);
        all.sort_by_key(|&(_, d, w)| (d, w));
        let mut regions: Vec<Region> = Vec::new();
        let mut region_of = Vec::new();
        for &(_, d, w) in &all {
            match regions.last_mut() {
                Some((doc, words)) if *doc == number(d) && w < words.1 => {
                    words.1 = words.1.max(w + number(k))
                }
                _ => regions.push((number(d), (w, w + number(k)))),
            }
            region_of.push(regions.len() - 1);
        }
        let mut sets = UnionFind::new(regions.len());
        let mut first_of: HashMap<u64, usize> = HashMap::new();
        for (&(h, _, _), &r) in all.iter().zip(&region_of) {
            let first = *first_of.entry(h).or_insert(r);
            sets.union(number(first), number(r));
        }
        let mut groups: Vec<(u32, Vec<Region>)> = Vec::new();
        for (r, region) in regions.iter().enumerate() {
            let root = sets.find(number(r));
            match groups.iter_mut().find(|(g, _)| *g == root) {
                Some((_, members)) => members.push(*region),
                None => groups.push((root, vec![*region])),
            }
        }
        groups
            .into_iter()
            .map(|(_, members)| members)
            .filter(|members| members.len() > 1)
            .collect()
    }

    fn as_regions(clusters: &SpanClusters) -> Vec<Vec<Region>> {
        clusters
            .iter()
            .map(|c| c.members.iter().map(|m| (m.doc.0, m.words)).collect())
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// In memory or spilled to runs, the detector finds what the rule
        /// says, whatever the bitmaps let through.
        #[test]
        fn clusters_follow_the_rule_in_memory_and_spilled(
            docs in prop::collection::vec(prop::collection::vec(0u8..6, 0..40), 1..8),
            k in 2usize..5,
        ) {
            let texts: Vec<String> = docs
                .iter()
                .map(|d| d.iter().map(|w| format!("w{w}")).collect::<Vec<_>>().join(" "))
                .collect();
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            let prepared = prepare(&texts);
            let expected = reference(&prepared, k);
            let in_memory = cluster(occurrences(&prepared, k, None), k, 3).unwrap();
            prop_assert_eq!(as_regions(&in_memory), expected.clone());
            let dir = tempfile::tempdir().unwrap();
            // Regions and clusters to files too (a zero budget spills
            // whatever makes a run).
            let spill = Some((dir.path(), 0));
            let spilled = cluster_within(occurrences(&prepared, k, Some(dir.path())), k, 3, spill).unwrap();
            prop_assert_eq!(as_regions(&spilled), expected);
            prop_assert_eq!(spilled, in_memory);
            let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
            prop_assert!(left.is_empty(), "runs are removed: {:?}", left);
        }
    }

    #[test]
    fn repeats_within_and_across_documents() {
        let texts = [
            "The Organization for Security and Co-operation in Europe (OSCE) said. Later the Organization for Security and Co-operation in Europe (OSCE) added.",
            "A meeting of the Organization for Security and Cooperation in Europe (OSCE).",
            "Concerns to the Organisation for Security and Cooperation in Europe (OSCE).",
            "Nothing in common with the others at all, really.",
        ];
        let clusters = detect(&texts, 6);
        assert_eq!(clusters.len(), 1, "{clusters:?}");
        let docs: Vec<u32> = clusters[0].iter().map(|m| m.0).collect();
        assert_eq!(docs, [0, 0, 1, 2]);
        assert_eq!(
            clusters[0][0].1,
            "The Organization for Security and Co-operation in Europe (OSCE)"
        );
        assert_eq!(
            clusters[0][3].1,
            "for Security and Cooperation in Europe (OSCE)"
        );
    }

    #[test]
    fn unique_text_has_no_spans() {
        assert!(detect(
            &[
                "one two three four five six seven",
                "eight nine ten eleven twelve"
            ],
            3
        )
        .is_empty());
        assert!(detect(&["too short"], 6).is_empty());
    }

    #[test]
    fn the_bitmap_tells_once_from_twice() {
        let seen = SeenTwice::with_bits(1 << 16);
        assert_eq!(seen.memory(), 2 * (1 << 16) / 8);
        seen.insert(42);
        assert!(!seen.maybe_repeated(42));
        seen.insert(42);
        assert!(seen.maybe_repeated(42));
        // Crowded: every repeat is still found (no false negatives).
        let crowded = SeenTwice::with_bits(64);
        for h in 0..100_000u64 {
            crowded.insert(h.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        }
        crowded.insert(7);
        crowded.insert(7);
        assert!(crowded.maybe_repeated(7));
    }
}
