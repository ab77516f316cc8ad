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
//!    are collected, sorted by hash and grouped; groups of one (bitmap
//!    collisions) are dropped.
//! 3. [`cluster`] merges each document's overlapping repeated windows into
//!    maximal regions and joins regions that share a window into clusters;
//!    [`SpanMember::locate`] turns a region's words into bytes of the
//!    original text.
//!
//! Memory: the bitmaps (`2 × bits / 8` bytes; the pipeline gives each 1 to
//! 2 bits per byte of text), then 16 bytes per window that may repeat
//! (every truly repeated window, and the 5 to 15% of unique ones whose bits
//! collide) and 24 per repeated region, worked on in place.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::cluster::UnionFind;
use crate::core::{number, DocId};
use crate::error::{Error, Result};
use crate::normalize::Word;
use crate::passage::Span;

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
        #[cfg(target_arch = "x86_64")]
        {
            let (word, _) = self.slot(hash);
            let at: *const AtomicU64 = &self.words[word];
            // SAFETY: a prefetch is a hint that never faults or changes
            // memory, and `at` points into `self.words`.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    at.cast::<i8>(),
                )
            };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = hash;
    }

    /// Records one occurrence of `hash`.
    pub fn insert(&self, hash: u64) {
        let (word, bit) = self.slot(hash);
        if self.words[word].fetch_or(bit, Ordering::Relaxed) & bit != 0 {
            self.words[word + 1].fetch_or(bit, Ordering::Relaxed);
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

/// A window known by its hash and the region it belongs to.
struct RegionWindow {
    hash: u64,
    region: u32,
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

/// Groups `occurrences` (in any order) into span clusters of two or more
/// regions. `k` is the window length in words.
///
/// Works in place on the occurrences (three sorts of one vector) so that
/// memory stays at 16 bytes per occurrence plus 24 per region.
pub fn cluster(
    mut occurrences: Vec<Occurrence>,
    k: usize,
    boilerplate_min_docs: usize,
) -> Result<Vec<SpanCluster>> {
    keep_repeated(&mut occurrences);
    let (regions, mut windows) = regions(occurrences, k)?;

    // Regions sharing a window are one cluster.
    let mut sets = UnionFind::new(regions.len());
    windows.par_sort_unstable_by_key(|w| w.hash);
    for group in windows.chunk_by(|a, b| a.hash == b.hash) {
        for pair in group.windows(2) {
            sets.union(pair[0].region, pair[1].region);
        }
    }
    drop(windows);
    Ok(number_clusters(regions, &mut sets, boilerplate_min_docs))
}

/// Keeps only the occurrences of hashes seen twice or more (the bitmaps let
/// some singles by), compacting in place; sorts them by hash on the way.
fn keep_repeated(occurrences: &mut Vec<Occurrence>) {
    occurrences.par_sort_unstable();
    let mut kept = 0;
    let mut start = 0;
    while start < occurrences.len() {
        let hash = occurrences[start].hash;
        let end = start
            + occurrences[start..]
                .iter()
                .take_while(|o| o.hash == hash)
                .count();
        if end - start > 1 {
            occurrences.copy_within(start..end, kept);
            kept += end - start;
        }
        start = end;
    }
    occurrences.truncate(kept);
    occurrences.shrink_to_fit();
}

/// Regions: per document, windows whose words overlap merge. Each window
/// is then known by its hash and its region; collected in place (the two
/// have the same size), so that this costs no second table of one entry
/// per repeated word.
fn regions(
    mut occurrences: Vec<Occurrence>,
    k: usize,
) -> Result<(Vec<SpanMember>, Vec<RegionWindow>)> {
    occurrences.par_sort_unstable_by_key(|o| (o.doc, o.word));
    // Span lengths are validated far below 2^32 (`PassageConfig::min_span`).
    let k = number(k);
    if u32::try_from(occurrences.len()).is_err() {
        return Err(Error::TooManyDocuments);
    }
    let mut regions: Vec<SpanMember> = Vec::new();
    let windows: Vec<RegionWindow> = occurrences
        .into_iter()
        .map(|o| {
            match regions.last_mut() {
                Some(last) if last.doc == o.doc && o.word < last.words.1 => {
                    last.words.1 = last.words.1.max(o.word.saturating_add(k));
                }
                _ => regions.push(SpanMember {
                    doc: o.doc,
                    words: (o.word, o.word.saturating_add(k)),
                    span: Span { start: 0, end: 0 },
                }),
            }
            // At most one region per window: checked above to fit.
            RegionWindow {
                hash: o.hash,
                region: number(regions.len() - 1),
            }
        })
        .collect();
    Ok((regions, windows))
}

/// The clusters of two or more regions that `sets` joins. Regions are in
/// corpus order: walking them in order numbers clusters by their first
/// member and keeps each cluster's members in order.
fn number_clusters(
    regions: Vec<SpanMember>,
    sets: &mut UnionFind,
    boilerplate_min_docs: usize,
) -> Vec<SpanCluster> {
    let roots: Vec<u32> = (0..number(regions.len())).map(|r| sets.find(r)).collect();
    let mut sizes = vec![0u32; regions.len()];
    for &root in &roots {
        sizes[root as usize] += 1;
    }
    let mut slot_of_root = vec![u32::MAX; regions.len()];
    let mut clusters: Vec<SpanCluster> = Vec::new();
    for (region, &root) in regions.into_iter().zip(&roots) {
        if sizes[root as usize] < 2 {
            continue;
        }
        let slot = &mut slot_of_root[root as usize];
        if *slot == u32::MAX {
            *slot = number(clusters.len());
            clusters.push(SpanCluster {
                id: *slot,
                members: Vec::new(),
                boilerplate: false,
            });
        }
        clusters[*slot as usize].members.push(region);
    }
    for cluster in &mut clusters {
        cluster.boilerplate = cluster.documents() >= boilerplate_min_docs;
    }
    clusters
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{words, Normalization};

    /// Runs the detector on in-memory texts, the way the pipeline does.
    fn detect(texts: &[&str], k: usize) -> Vec<Vec<(u32, String)>> {
        let seen = SeenTwice::with_bits(1 << 16);
        let mut prepared = Vec::new();
        for text in texts {
            let (mut normalized, mut found) = (String::new(), Vec::new());
            words(text, &Normalization::ALL, &mut normalized, &mut found);
            windows(&normalized, &found, k, 0, |_, h| seen.insert(h));
            prepared.push((normalized, found));
        }
        let mut occurrences = Vec::new();
        for (d, (normalized, found)) in prepared.iter().enumerate() {
            windows(normalized, found, k, 0, |i, hash| {
                if seen.maybe_repeated(hash) {
                    occurrences.push(Occurrence {
                        hash,
                        doc: DocId::at(d),
                        word: number(i),
                    });
                }
            });
        }
        cluster(occurrences, k, 3)
            .unwrap()
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
