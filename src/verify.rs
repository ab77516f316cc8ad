//! Verify: keep only the candidate pairs that really are similar enough.
//!
//! Takes one [`CandidatePair`] and the evidence to judge it by, and returns
//! a [`SimilarPair`] when its similarity reaches the threshold.
//!
//! - [`Verification::Exact`] (the default) computes the exact Jaccard
//!   similarity of the two shingle sets (of 32-bit shingle hashes, see
//!   [`ShingleSet`]). LSH is tuned to let many candidates
//!   through; exact verification is what makes every reported pair truly at
//!   or above the threshold.
//! - [`Verification::Estimate`] uses the MinHash estimate: no second read of
//!   the documents, at the price of pairs within the estimate's error
//!   (about ±0.035 at 128 permutations) of the threshold going either way.
//!
//! Documents with the same normalized text never reach this stage as a
//! pair: the pipeline joins them beforehand with similarity 1.0.

use std::collections::HashMap;

use crate::core::DocId;
use crate::lsh::CandidatePair;
use crate::minhash::estimate;
use crate::shingle::ShingleSet;

/// How candidate pairs are checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verification {
    /// Exact Jaccard of the shingle sets (re-reads candidate documents).
    #[default]
    Exact,
    /// The MinHash estimate from the signatures.
    Estimate,
}

impl Verification {
    /// The mode's name, as the CLI and the report spell it.
    pub fn name(self) -> &'static str {
        match self {
            Verification::Exact => "exact",
            Verification::Estimate => "estimate",
        }
    }
}

/// A verified pair and its similarity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimilarPair {
    /// The earlier document.
    pub first: DocId,
    /// The later document.
    pub second: DocId,
    /// Jaccard similarity, exact or estimated per [`Verification`].
    pub similarity: f64,
}

/// What pairs are judged by: a similarity for any two documents of a run.
pub trait Evidence: Sync {
    /// The similarity of two documents.
    fn similarity(&self, a: DocId, b: DocId) -> f64;
}

/// Shingle sets of the documents that take part in candidate pairs.
///
/// The map inside is an implementation detail (its hasher is not part of
/// the API): add sets with [`ShingleSets::insert`] or by extending.
#[derive(Debug, Default)]
pub struct ShingleSets(HashMap<DocId, ShingleSet, ahash::RandomState>);

impl ShingleSets {
    /// Adds (or replaces) the set of `doc`.
    pub fn insert(&mut self, doc: DocId, set: ShingleSet) {
        self.0.insert(doc, set);
    }

    /// The set of `doc`, if held.
    pub fn get(&self, doc: DocId) -> Option<&ShingleSet> {
        self.0.get(&doc)
    }

    /// How many sets are held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps only the sets of documents `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(DocId) -> bool) {
        self.0.retain(|doc, _| keep(*doc));
    }
}

impl Extend<(DocId, ShingleSet)> for ShingleSets {
    fn extend<T: IntoIterator<Item = (DocId, ShingleSet)>>(&mut self, sets: T) {
        self.0.extend(sets);
    }
}

impl Evidence for ShingleSets {
    fn similarity(&self, a: DocId, b: DocId) -> f64 {
        match (self.0.get(&a), self.0.get(&b)) {
            (Some(a), Some(b)) => a.jaccard(b),
            // The pipeline loads both sides of every pair it asks about;
            // a missing set means no evidence of similarity.
            _ => 0.0,
        }
    }
}

/// Every document's signature, stored flat: `num_perm` slots per document.
#[derive(Debug, Default)]
pub struct Signatures {
    /// Slots per signature.
    pub num_perm: usize,
    /// The slots of document i at `i * num_perm..(i + 1) * num_perm`.
    pub slots: Vec<u32>,
}

impl Evidence for Signatures {
    fn similarity(&self, a: DocId, b: DocId) -> f64 {
        let k = self.num_perm;
        let sig = |d: DocId| self.slots.get(d.index() * k..(d.index() + 1) * k);
        match (sig(a), sig(b)) {
            (Some(a), Some(b)) => estimate(a, b),
            _ => 0.0,
        }
    }
}

/// The pair with its similarity, if that reaches `threshold`.
///
/// ```
/// use textdup::{verify, DocId, CandidatePair, ShingleSet, ShingleSets, Shingling};
/// let words = Shingling { n: 1, ..Default::default() };
/// let mut sets = ShingleSets::default();
/// sets.insert(DocId(0), ShingleSet::new("a b c d e", &words, 0));
/// sets.insert(DocId(1), ShingleSet::new("a b c d f", &words, 0));
/// let pair = CandidatePair { first: DocId(0), second: DocId(1) };
/// assert!(verify(pair, &sets, 0.8).is_none()); // 4/6 < 0.8
/// assert!(verify(pair, &sets, 0.6).is_some());
/// ```
pub fn verify(pair: CandidatePair, evidence: &dyn Evidence, threshold: f64) -> Option<SimilarPair> {
    let similarity = evidence.similarity(pair.first, pair.second);
    (similarity >= threshold).then_some(SimilarPair {
        first: pair.first,
        second: pair.second,
        similarity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_evidence_reads_the_right_rows() {
        let sigs = Signatures {
            num_perm: 2,
            slots: vec![1, 2, 1, 3, 1, 2],
        };
        assert_eq!(sigs.similarity(DocId(0), DocId(1)), 0.5);
        assert_eq!(sigs.similarity(DocId(0), DocId(2)), 1.0);
        assert_eq!(sigs.similarity(DocId(0), DocId(9)), 0.0);
    }

    #[test]
    fn threshold_is_inclusive() {
        let sigs = Signatures {
            num_perm: 2,
            slots: vec![1, 2, 1, 3],
        };
        let pair = CandidatePair {
            first: DocId(0),
            second: DocId(1),
        };
        assert!(verify(pair, &sigs, 0.5).is_some());
        assert!(verify(pair, &sigs, 0.5000001).is_none());
    }
}
