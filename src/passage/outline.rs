//! A cheap, exact test that rules out most candidate pairs of passages
//! before [`compare`] reads their texts.
//!
//! Passage LSH proposes pairs loosely, so that a headline with one word
//! changed is still proposed: on documentation and recombined prose 97%
//! of the pairs it proposes fail verification, most of them two short
//! lines that share a few common words. Verifying such a pair costs little
//! arithmetic but several cache misses (the texts are scattered over the
//! heap), and the misses were a fifth of a `--level all` run on a corpus
//! of 56 MB.
//!
//! An [`Outline`] holds, in one cache line, the few facts of a passage
//! that can prove a pair cannot match: its sizes, its exact hash, and the
//! first few of its sorted shingle hashes and sorted word hashes. The
//! proof is the prefix filter of set-similarity joins (Chaudhuri, Ganti
//! and Kaushik 2006; Xiao et al. 2008, "PPJoin"): if two sorted sets share
//! at least `α` elements, then their first `|A| − α + 1` and `|B| − α + 1`
//! elements share one. So when those prefixes are disjoint, the sets share
//! fewer than `α`.
//!
//! Invariant: [`may_match`] is false only for pairs that [`compare`]
//! rejects. It never decides a match; it only spares the comparison of
//! pairs that cannot be one, so output does not change (a property test
//! checks it against [`compare`] over random passages).

use super::{PassageText, CONTAINED_WORDS, EDIT_SIMILARITY_WORDS};

#[cfg(doc)]
use super::compare;

/// How many of the smallest shingle hashes an [`Outline`] keeps.
const SHINGLES: usize = 11;
/// How many of the smallest word hashes an [`Outline`] keeps.
const WORDS: usize = 11;

/// What [`may_match`] needs of a passage: 64 bytes, one cache line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(align(64))]
pub(crate) struct Outline {
    /// The low half of the exact hash: equal texts have equal halves.
    exact: u64,
    /// The number of words.
    words: u32,
    /// The shingle set's size.
    shingles: u32,
    /// The number of word hashes kept for edit similarity, or `u32::MAX`
    /// when the passage is too long for it.
    short: u32,
    /// The top 16 bits of the smallest shingle hashes, ascending (as many
    /// as there are, up to [`SHINGLES`]). Halves keep twice as many in the
    /// line, and they keep the order; two prefixes that share a hash
    /// share its top half, so disjoint halves still prove disjoint hashes
    /// (equal halves of different hashes only make the test keep a pair).
    first_shingles: [u16; SHINGLES],
    /// The same of the word hashes, repeats kept (a multiset).
    first_words: [u16; WORDS],
}

impl Outline {
    /// Stands for a passage with no text to outline, in a table of them:
    /// a `Option<Outline>` would take two cache lines.
    pub(crate) const NONE: Outline = Outline {
        exact: 0,
        words: u32::MAX,
        shingles: 0,
        short: 0,
        first_shingles: [0; SHINGLES],
        first_words: [0; WORDS],
    };

    /// Whether this is [`Outline::NONE`].
    pub(crate) fn is_none(&self) -> bool {
        self.words == u32::MAX
    }

    /// The outline of `text`.
    pub(crate) fn of(text: &PassageText) -> Self {
        let top = |hash: &u32| (hash >> 16) as u16;
        let mut first_shingles = [0; SHINGLES];
        for (kept, hash) in first_shingles.iter_mut().zip(text.shingles.hashes()) {
            *kept = top(hash);
        }
        let mut first_words = [0; WORDS];
        if let Some(words) = &text.short {
            // Short passages have fewer words than this: sorted in place,
            // with no allocation for each of millions of passages.
            let mut sorted = [0; EDIT_SIMILARITY_WORDS];
            let sorted = &mut sorted[..words.len().min(EDIT_SIMILARITY_WORDS)];
            sorted.copy_from_slice(&words[..sorted.len()]);
            sorted.sort_unstable();
            for (kept, hash) in first_words.iter_mut().zip(sorted.iter()) {
                *kept = top(hash);
            }
        }
        Outline {
            exact: text.exact as u64,
            // Passages are cut from documents under 4 GiB.
            words: text.words as u32,
            shingles: text.shingles.len() as u32,
            short: text.short.as_ref().map_or(u32::MAX, |w| w.len() as u32),
            first_shingles,
            first_words,
        }
    }
}

/// False only when [`compare`] at `threshold` is sure to reject the pair
/// of passages `a` and `b` outline.
///
/// `compare` accepts equal texts; a containment or a Jaccard similarity
/// of their shingle sets at the threshold; or, for two short passages, a
/// word edit similarity at the threshold. Each of the last three needs a
/// least number of shared shingles or shared words, and the prefix filter
/// shows when there are fewer.
pub(crate) fn may_match(a: &Outline, b: &Outline, threshold: f64) -> bool {
    a.exact == b.exact || shingles_may_match(a, b, threshold) || words_may_match(a, b, threshold)
}

/// Whether the shingle sets might share enough for a containment or a
/// Jaccard similarity at `threshold`, as `compare` computes them.
fn shingles_may_match(a: &Outline, b: &Outline, threshold: f64) -> bool {
    let (la, lb) = (a.shingles as usize, b.shingles as usize);
    let smaller = la.min(lb);
    if smaller == 0 {
        // Jaccard of two empty sets is 1; leave such pairs to `compare`.
        return true;
    }
    let (short, long) = (a.words.min(b.words) as usize, a.words.max(b.words) as usize);
    let contained = short != long && (2 * short > long || short >= CONTAINED_WORDS);
    // The same arithmetic as `compare` and `ShingleSet::jaccard_given`,
    // so that rounding cannot tell them apart. Both grow with `common`.
    let enough = |common: usize| {
        let jaccard = common as f64 / (la + lb - common) as f64;
        jaccard >= threshold || (contained && common as f64 / smaller as f64 >= threshold)
    };
    // Containment needs fewer shared than Jaccard, which implies it.
    let guess = if contained {
        threshold * smaller as f64
    } else {
        threshold * (la + lb) as f64 / (1.0 + threshold)
    };
    match least(smaller, guess, enough) {
        None => false,
        Some(needed) => prefixes_meet(
            &a.first_shingles[..la.min(SHINGLES)],
            la,
            &b.first_shingles[..lb.min(SHINGLES)],
            lb,
            needed,
        ),
    }
}

/// Whether two short passages' words might be close enough for a word
/// edit similarity at `threshold`. An edit script that matches `m` words
/// makes at least `longer − m` edits, so the similarity is at most
/// `m / longer`, and `m` is at most the words the two share, counted with
/// repeats.
fn words_may_match(a: &Outline, b: &Outline, threshold: f64) -> bool {
    if a.short == u32::MAX || b.short == u32::MAX {
        return false;
    }
    let (la, lb) = (a.short as usize, b.short as usize);
    let longer = la.max(lb);
    if longer == 0 {
        return true;
    }
    // A margin for the rounding of the similarity `compare` computes.
    let enough = |shared: usize| shared as f64 / longer as f64 >= threshold - 1e-9;
    match least(la.min(lb), threshold * longer as f64, enough) {
        None => false,
        Some(needed) => prefixes_meet(
            &a.first_words[..la.min(WORDS)],
            la,
            &b.first_words[..lb.min(WORDS)],
            lb,
            needed,
        ),
    }
}

/// The least `n` in `0..=most` for which `enough(n)`, which is monotone
/// (false, then true); `None` if it never holds. `guess` is where the
/// arithmetic without rounding puts it: the answer is found from there in
/// a step or two.
fn least(most: usize, guess: f64, enough: impl Fn(usize) -> bool) -> Option<usize> {
    // `as` saturates: a negative or NaN guess is 0.
    let mut n = (guess.ceil() as usize).min(most);
    if enough(n) {
        while n > 0 && enough(n - 1) {
            n -= 1;
        }
        Some(n)
    } else {
        while n < most {
            n += 1;
            if enough(n) {
                return Some(n);
            }
        }
        None
    }
}

/// Whether two sorted multisets of sizes `la` and `lb`, of which `a` and
/// `b` hold the smallest elements' top halves, might share `needed`
/// elements. Two tests can show they cannot:
///
/// - the prefix filter: their first `la − needed + 1` and `lb − needed + 1`
///   elements share none (when that many are kept);
/// - a count: the elements kept share fewer than `needed`, less those not
///   kept. (For short passages everything is kept, and this is exact but
///   for the rare equal halves of different hashes.)
fn prefixes_meet(a: &[u16], la: usize, b: &[u16], lb: usize, needed: usize) -> bool {
    if needed == 0 {
        return true;
    }
    if needed > la.min(lb) {
        return false;
    }
    let (pa, pb) = (la + 1 - needed, lb + 1 - needed);
    // One merge serves both tests: it counts the kept elements shared,
    // noting whether one of them is within both prefixes.
    let (mut i, mut j, mut shared, mut in_prefixes) = (0, 0, 0, false);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                in_prefixes |= i < pa && j < pb;
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let prefixes_kept = pa <= a.len() && pb <= b.len();
    let unseen = (la - a.len()) + (lb - b.len());
    (in_prefixes || !prefixes_kept) && shared + unseen >= needed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passage::compare;
    use crate::passage::tests::passage as text;
    use proptest::prelude::*;

    #[test]
    fn an_outline_is_one_cache_line() {
        assert_eq!(size_of::<Outline>(), 64);
    }

    #[test]
    fn unrelated_short_lines_are_ruled_out() {
        let a = text("the quick brown fox jumps over the lazy dog");
        let b = text("a slow red hen walks under the busy road");
        assert!(compare(&a, &b, 0.8).is_none());
        assert!(!may_match(&Outline::of(&a), &Outline::of(&b), 0.8));
    }

    #[test]
    fn matches_of_every_kind_are_kept() {
        let pairs = [
            // Exact, near (one word of seven), containment.
            ("talks resume in vienna", "talks resume in vienna"),
            (
                "eu invites russia to take security concerns",
                "eu invites russia to raise security concerns",
            ),
            (
                "eu invites russia to take security concerns to osce",
                "caption eu invites russia to take security concerns to osce",
            ),
        ];
        for (a, b) in pairs {
            let (a, b) = (text(a), text(b));
            assert!(compare(&a, &b, 0.8).is_some(), "{a:?} {b:?}");
            assert!(may_match(&Outline::of(&a), &Outline::of(&b), 0.8));
        }
    }

    #[test]
    fn least_is_found_from_any_guess() {
        let at_least_7 = |n: usize| n >= 7;
        for guess in [-1.0, 0.0, 3.5, 7.0, 9.2, 100.0, f64::NAN] {
            assert_eq!(least(10, guess, at_least_7), Some(7), "{guess}");
            assert_eq!(least(6, guess, at_least_7), None, "{guess}");
        }
    }

    #[test]
    fn prefixes_meet_only_when_the_sets_might_share_enough() {
        // {1, 2, 3, 4} and {1, 5, 6, 7}, all kept, share one element.
        assert!(prefixes_meet(&[1, 2, 3, 4], 4, &[1, 5, 6, 7], 4, 1));
        assert!(!prefixes_meet(&[1, 2, 3, 4], 4, &[1, 5, 6, 7], 4, 2));
        // Repeats count as often as both have them.
        assert!(prefixes_meet(&[1, 1, 2], 3, &[1, 1, 3], 3, 2));
        assert!(!prefixes_meet(&[1, 1, 2], 3, &[1, 3, 3], 3, 2));
        // Ten elements each, two kept. Nine needed: the prefixes are of
        // two, kept, and do not meet.
        assert!(!prefixes_meet(&[2, 3], 10, &[1, 6], 10, 9));
        assert!(prefixes_meet(&[1, 3], 10, &[1, 6], 10, 9));
        // A prefix longer than what is kept cannot tell.
        assert!(prefixes_meet(&[2, 3], 10, &[1, 6], 10, 2));
        // More needed than the smaller has.
        assert!(!prefixes_meet(&[1, 2], 2, &[1, 2, 3], 3, 3));
    }

    /// A passage of `len` words drawn from a small vocabulary, so that
    /// random pairs share words, and now and then most of them.
    fn passage(vocabulary: u8) -> impl Strategy<Value = String> {
        prop::collection::vec(0..vocabulary, 1..50).prop_map(|words| {
            words
                .iter()
                .map(|w| format!("w{w}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// The invariant: a pair that `compare` accepts is never ruled out.
        #[test]
        fn never_rules_out_a_pair_compare_accepts(
            a in passage(8),
            edits in prop::collection::vec((0usize..50, 0u8..12), 0..6),
            other in passage(12),
            related in any::<bool>(),
            threshold in 0.3f64..1.0,
        ) {
            // Half the pairs are a passage and an edited copy of it.
            let b = if related {
                let mut words: Vec<String> = a.split(' ').map(str::to_string).collect();
                for (at, w) in edits {
                    let at = at % (words.len() + 1);
                    if w % 3 == 0 && at < words.len() {
                        words.remove(at);
                    } else {
                        words.insert(at, format!("w{w}"));
                    }
                }
                words.join(" ")
            } else {
                other
            };
            let (x, y) = (text(&a), text(&b));
            if compare(&x, &y, threshold).is_some() {
                prop_assert!(may_match(&Outline::of(&x), &Outline::of(&y), threshold));
                prop_assert!(may_match(&Outline::of(&y), &Outline::of(&x), threshold));
            }
        }
    }
}
