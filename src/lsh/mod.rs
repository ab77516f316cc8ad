//! LSH: find candidate pairs without comparing every document to every other.
//!
//! A signature of `bands × rows` slots is cut into `bands` bands of `rows`
//! slots; each band is hashed to a 64-bit [`BandKey`]. Two documents become
//! a candidate pair when any band key matches. For a pair of Jaccard
//! similarity s the chance of that is the S-curve
//!
//! ```text
//! P(s) = 1 − (1 − s^rows)^bands
//! ```
//!
//! # Choosing bands and rows
//! [`Banding::optimal`] minimizes the weighted false-positive area (∫₀ᵗ P)
//! plus false-negative area (∫ₜ¹ 1 − P) around the threshold t. Every
//! candidate is verified afterwards, so a false positive costs one exact
//! comparison while a false negative is a duplicate lost for good: misses
//! weigh 0.99 and false candidates 0.01, and among the choices the banding
//! must also catch a pair exactly at the threshold with probability at
//! least 0.995 when that is possible. At t = 0.8 with 128 permutations this
//! gives 18 bands of 6 rows: P(0.8) = 0.996, P(0.7) = 0.89, P(0.5) = 0.25.
//!
//! # Candidates
//! [`candidates`] sorts each band's keys and pairs the documents of every
//! run of equal keys. Pairs come out sorted and without repeats, so the
//! result does not depend on the thread count.
//!
//! A bucket of k documents holds k(k−1)/2 pairs: 50,000 near-identical
//! error pages would make over a billion. So a bucket larger than
//! [`BUCKET_ALL_PAIRS`] pairs each later document only with the bucket's
//! first [`BUCKET_ALL_PAIRS`] documents and with its neighbour in the
//! bucket: linear in k. The S-curve's promise holds for buckets up to that
//! size; in larger ones a pair can be missed in this band, and is usually
//! met through another band or through a chain of verified pairs.

use std::sync::{Mutex, PoisonError};

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::core::DocId;

mod index;

pub use crate::runs::Spilled;
pub use index::BandIndex;

/// The hash of one band of one signature. 64 bits: with 32, chance key
/// collisions grow as N² × bands / 2³³ (200,000 false candidates at ten
/// million documents, each loading two shingle sets for nothing), which
/// costs more than the 4 bytes per band they would save.
pub type BandKey = u64;

/// How signatures are cut into bands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Banding {
    /// Number of bands.
    pub bands: usize,
    /// Slots per band.
    pub rows: usize,
}

/// Buckets up to this size give all their pairs; larger ones pair each
/// member with this many of the bucket's first members.
pub const BUCKET_ALL_PAIRS: usize = 64;

/// Weight of the false-negative area in [`Banding::optimal`].
const MISS_WEIGHT: f64 = 0.99;
/// The least chance of catching a pair exactly at the threshold.
const MIN_RECALL_AT_THRESHOLD: f64 = 0.995;

impl Banding {
    /// The probability that a pair of similarity `s` becomes a candidate.
    ///
    /// ```
    /// let b = textdup::Banding { bands: 20, rows: 5 };
    /// assert!(b.probability(0.9) > 0.99 && b.probability(0.2) < 0.01);
    /// ```
    pub fn probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// The banding that fits in `num_perm` slots and best separates pairs
    /// above `threshold` from pairs below it (see the module docs).
    pub fn optimal(threshold: f64, num_perm: usize) -> Banding {
        // The search evaluates the curve about half a million times (a
        // millisecond): remembered, so that a library caller who runs
        // many small batches pays it once.
        static KNOWN: Mutex<Vec<((u64, usize), Banding)>> = Mutex::new(Vec::new());
        let key = (threshold.to_bits(), num_perm);
        let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&(_, banding)) = known.iter().find(|(at, _)| *at == key) {
            return banding;
        }
        let banding = Self::search(threshold, num_perm);
        if known.len() < 64 {
            known.push((key, banding));
        }
        banding
    }

    /// [`Banding::optimal`], computed.
    fn search(threshold: f64, num_perm: usize) -> Banding {
        let mut best: Option<(bool, f64, Banding)> = None;
        for bands in 1..=num_perm {
            for rows in 1..=num_perm / bands {
                let banding = Banding { bands, rows };
                let false_positive = integrate(|s| banding.probability(s), 0.0, threshold);
                let false_negative = integrate(|s| 1.0 - banding.probability(s), threshold, 1.0);
                let error = (1.0 - MISS_WEIGHT) * false_positive + MISS_WEIGHT * false_negative;
                let recalls = banding.probability(threshold) >= MIN_RECALL_AT_THRESHOLD;
                let better = match best {
                    None => true,
                    Some((best_recalls, best_error, _)) => {
                        (recalls, -error) > (best_recalls, -best_error)
                    }
                };
                if better {
                    best = Some((recalls, error, banding));
                }
            }
        }
        best.map_or(Banding { bands: 1, rows: 1 }, |(_, _, b)| b)
    }

    /// Slots of the signature the banding uses.
    pub fn slots(&self) -> usize {
        self.bands * self.rows
    }

    /// The band keys of one signature, appended to `out`.
    pub fn keys(&self, slots: &[u32], out: &mut Vec<BandKey>) {
        // A band's bytes on the stack: this runs once per document.
        let mut stack = [0u8; 256];
        let mut heap = Vec::new();
        let bytes: &mut [u8] = if self.rows * 4 <= stack.len() {
            &mut stack[..self.rows * 4]
        } else {
            heap.resize(self.rows * 4, 0);
            &mut heap
        };
        for (band, rows) in slots.chunks_exact(self.rows).take(self.bands).enumerate() {
            for (to, slot) in bytes.chunks_exact_mut(4).zip(rows) {
                to.copy_from_slice(&slot.to_le_bytes());
            }
            // The band index seeds the hash so equal rows in different
            // bands do not share a key.
            out.push(xxh3_64_with_seed(bytes, band as u64));
        }
    }
}

/// Midpoint-rule integral; the curve is smooth, 200 steps are plenty.
fn integrate(f: impl Fn(f64) -> f64, from: f64, to: f64) -> f64 {
    const STEPS: usize = 200;
    let step = (to - from) / STEPS as f64;
    (0..STEPS)
        .map(|i| f(from + (i as f64 + 0.5) * step))
        .sum::<f64>()
        * step
}

/// A pair of units (documents, or passages) that share a band key,
/// `first < second`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CandidatePair<I = DocId> {
    /// The earlier unit.
    pub first: I,
    /// The later unit.
    pub second: I,
}

/// The candidate pairs that band `band` gives among `docs`, whose band
/// keys are `keys[i * bands..(i + 1) * bands]` for the i-th entry of
/// `docs`. Unsorted, and pairs may repeat across bands; the pipeline runs
/// bands in parallel and merges them (see [`candidates`] for the
/// sequential equivalent).
pub fn band_pairs<I: Copy + Ord>(
    docs: &[I],
    keys: &[BandKey],
    bands: usize,
    band: usize,
) -> Vec<CandidatePair<I>> {
    debug_assert_eq!(
        docs.len() * bands,
        keys.len(),
        "one key per band per document"
    );
    let mut table: Vec<(BandKey, I)> = docs
        .iter()
        .enumerate()
        .map(|(i, &doc)| (keys[i * bands + band], doc))
        .collect();
    table.sort_unstable();
    let mut pairs = Vec::new();
    let mut bucket = Vec::new();
    for run in table.chunk_by(|x, y| x.0 == y.0) {
        bucket.clear();
        bucket.extend(run.iter().map(|&(_, doc)| doc));
        bucket_pairs(&bucket, &mut pairs);
    }
    pairs
}

/// Appends the candidate pairs of one bucket (the units sharing a band
/// key, in ascending order) to `pairs`: all of them up to
/// [`BUCKET_ALL_PAIRS`] members, linearly many beyond (see the module
/// docs). Public so that engines which gather buckets themselves (the
/// Python package on Ray) pair them as a run does.
///
/// ```
/// use textdup::{bucket_pairs, CandidatePair};
///
/// let mut pairs = Vec::new();
/// bucket_pairs(&[3u32, 5, 9], &mut pairs);
/// assert_eq!(pairs.len(), 3);
/// assert_eq!(pairs[0], CandidatePair { first: 3, second: 5 });
///
/// let huge: Vec<u32> = (0..1000).collect();
/// pairs.clear();
/// bucket_pairs(&huge, &mut pairs);
/// assert!(pairs.len() < 65 * huge.len());
/// ```
pub fn bucket_pairs<I: Copy + Ord>(bucket: &[I], pairs: &mut Vec<CandidatePair<I>>) {
    if bucket.len() < 2 {
        return;
    }
    let heads = bucket.len().min(BUCKET_ALL_PAIRS);
    for (i, &a) in bucket.iter().enumerate() {
        if i < heads {
            // Within the heads: every pair once.
            pairs.extend(bucket[i + 1..heads].iter().map(|&b| pair(a, b)));
        } else {
            // Beyond them: every head, and the neighbour, so that two
            // late members of a huge bucket still meet.
            pairs.extend(bucket[..heads].iter().map(|&b| pair(a, b)));
            if i > heads {
                pairs.push(pair(bucket[i - 1], a));
            }
        }
    }
}

/// Merges two sorted lists of pairs without repeats into one.
pub(crate) fn merge_pairs<I: Copy + Ord>(
    a: Vec<CandidatePair<I>>,
    b: Vec<CandidatePair<I>>,
) -> Vec<CandidatePair<I>> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut x, mut y) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (x.peek(), y.peek()) {
            (Some(p), Some(q)) if p < q => x.next(),
            (Some(p), Some(q)) if p > q => y.next(),
            (Some(_), Some(_)) => {
                y.next();
                x.next()
            }
            (Some(_), None) => x.next(),
            (None, Some(_)) => y.next(),
            (None, None) => break,
        };
        out.extend(next);
    }
    out
}

/// Every band's candidate pairs, sorted, without repeats. Sequential; the
/// pipeline does the same with the bands in parallel.
pub fn candidates<I: Copy + Ord>(
    docs: &[I],
    keys: &[BandKey],
    bands: usize,
) -> Vec<CandidatePair<I>> {
    let mut pairs: Vec<CandidatePair<I>> = (0..bands)
        .flat_map(|band| band_pairs(docs, keys, bands, band))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

fn pair<I: Copy + Ord>(a: I, b: I) -> CandidatePair<I> {
    CandidatePair {
        first: a.min(b),
        second: a.max(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimal_banding_catches_the_threshold() {
        for (threshold, num_perm) in [
            (0.5, 128),
            (0.7, 128),
            (0.8, 128),
            (0.9, 128),
            (0.8, 256),
            (0.8, 64),
        ] {
            let b = Banding::optimal(threshold, num_perm);
            assert!(b.slots() <= num_perm, "{b:?}");
            assert!(
                b.probability(threshold) >= MIN_RECALL_AT_THRESHOLD,
                "{threshold} {b:?}"
            );
            // Not everything: well below the threshold most pairs stay out.
            assert!(b.probability(threshold - 0.4) < 0.5, "{threshold} {b:?}");
        }
        assert_eq!(Banding::optimal(0.8, 128), Banding { bands: 18, rows: 6 });
    }

    #[test]
    fn s_curve_values() {
        let b = Banding { bands: 1, rows: 1 };
        assert!((b.probability(0.3) - 0.3).abs() < 1e-12);
        let b = Banding { bands: 2, rows: 1 };
        assert!((b.probability(0.5) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn huge_buckets_stay_linear() {
        let n = 1000u32;
        let docs: Vec<DocId> = (0..n).map(DocId).collect();
        let keys = vec![7 as BandKey; n as usize]; // one band, one bucket
        let pairs = candidates(&docs, &keys, 1);
        let h = BUCKET_ALL_PAIRS;
        let neighbours = n as usize - h - 1;
        assert_eq!(
            pairs.len(),
            h * (h - 1) / 2 + (n as usize - h) * h + neighbours
        );
        // Every member meets the first document.
        for d in 1..n {
            let pair = CandidatePair {
                first: DocId(0),
                second: DocId(d),
            };
            assert!(pairs.binary_search(&pair).is_ok(), "{d}");
        }
    }

    #[test]
    fn equal_bands_pair_up() {
        let banding = Banding { bands: 2, rows: 2 };
        let mut keys = Vec::new();
        banding.keys(&[1, 2, 3, 4], &mut keys); // doc 0
        banding.keys(&[1, 2, 9, 9], &mut keys); // doc 1: shares band 0
        banding.keys(&[7, 7, 3, 4], &mut keys); // doc 2: shares band 1 with 0
        banding.keys(&[3, 4, 1, 2], &mut keys); // doc 3: same rows, other bands
        let docs = [DocId(0), DocId(1), DocId(2), DocId(3)];
        let pairs = candidates(&docs, &keys, 2);
        let want = [(0, 1), (0, 2)].map(|(a, b)| CandidatePair {
            first: DocId(a),
            second: DocId(b),
        });
        assert_eq!(pairs, want);
    }
}
