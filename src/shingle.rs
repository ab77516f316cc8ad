//! Shingle: cut normalized text into overlapping n-grams and hash each one.
//!
//! Takes normalized text and calls back with one stable 64-bit hash per
//! shingle, in text order (duplicates included: MinHash does not care, and
//! [`ShingleSet`] removes them). Shingles are slices of the normalized text,
//! so nothing is allocated per shingle.
//!
//! - Word shingles: `n` consecutive white-space separated words. With
//!   white-space folding on, the slice is exactly the words joined by one
//!   space.
//! - Character shingles: `n` consecutive characters (Unicode scalar values).
//!
//! Invariant: every document yields at least one shingle. A text shorter
//! than `n` units yields one shingle of all it has (an empty text yields
//! the shingle of the empty string), so no document ever drops out of the
//! run silently.
//!
//! The hash is XXH3-64 of the shingle's UTF-8 bytes with the run's seed.
//! XXH3 has a fixed specification, so a shingle hashes the same on every
//! machine, in every version, whatever the thread count.

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// What a shingle is made of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unit {
    /// White-space separated words.
    #[default]
    Word,
    /// Unicode characters.
    Char,
}

impl Unit {
    /// The unit's name, as the CLI and the report spell it.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Word => "word",
            Unit::Char => "char",
        }
    }
}

/// How to cut text into shingles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shingling {
    /// Words or characters. Default: words.
    pub unit: Unit,
    /// Units per shingle. Default: 5.
    pub n: usize,
}

impl Default for Shingling {
    fn default() -> Self {
        Shingling {
            unit: Unit::Word,
            n: 5,
        }
    }
}

/// Calls `emit` with the hash of every shingle of `text`, in order.
///
/// ```
/// use textdup::{shingle, Shingling, Unit};
/// let mut hashes = Vec::new();
/// let words = Shingling { unit: Unit::Word, n: 2 };
/// shingle("a b c", &words, 0, |h| hashes.push(h));
/// assert_eq!(hashes.len(), 2); // "a b", "b c"
/// ```
pub fn shingle(text: &str, shingling: &Shingling, seed: u64, mut emit: impl FnMut(u64)) {
    let n = shingling.n.max(1);
    let mut hash = |s: &str| emit(xxh3_64_with_seed(s.as_bytes(), seed));
    match shingling.unit {
        Unit::Word => word_shingles(text, n, &mut hash),
        Unit::Char => char_shingles(text, n, &mut hash),
    }
}

/// The `n`-word windows of `text`, as slices; one slice of all words when
/// there are fewer than `n`, and the empty slice when there are none.
fn word_shingles(text: &str, n: usize, emit: &mut impl FnMut(&str)) {
    // Start offsets of the last `n` words, as a ring.
    let mut starts = vec![0usize; n];
    let mut count = 0usize;
    let mut last_end = 0usize;
    for (start, word) in crate::core::tokens(text) {
        let end = start + word.len();
        starts[count % n] = start;
        count += 1;
        last_end = end;
        if count >= n {
            emit(&text[starts[count % n]..end]);
        }
    }
    if count < n {
        // starts[0] is the first word when there is one.
        let first = if count == 0 { 0 } else { starts[0] };
        emit(&text[first..last_end]);
    }
}

fn char_shingles(text: &str, n: usize, emit: &mut impl FnMut(&str)) {
    let mut starts = vec![0usize; n];
    let mut count = 0usize;
    for (start, c) in text.char_indices() {
        let end = start + c.len_utf8();
        starts[count % n] = start;
        count += 1;
        if count >= n {
            emit(&text[starts[count % n]..end]);
        }
    }
    if count < n {
        emit(text);
    }
}

/// The set of a document's shingle hashes, sorted and without repeats,
/// for exact Jaccard similarity.
///
/// It keeps the low 32 bits of each hash (the bits MinHash uses too): half
/// the memory of 64, which matters because verification holds the sets of
/// every candidate document. Two distinct shingles of a pair share 32 bits
/// with probability about |A|·|B| / 2³² (2 × 10⁻⁵ for 300-shingle
/// documents), and then the Jaccard is off by one shingle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShingleSet(Vec<u32>);

impl ShingleSet {
    /// The shingle set of normalized `text`.
    pub fn new(text: &str, shingling: &Shingling, seed: u64) -> Self {
        let mut hashes = Vec::new();
        shingle(text, shingling, seed, |h| hashes.push(h));
        Self::from_hashes(hashes)
    }

    /// The set of the low 32 bits of some shingle hashes (as
    /// [`ShingleSet::from_hashes`] keeps them), in any order, repeats
    /// allowed.
    pub fn from_low_bits(mut low: Vec<u32>) -> Self {
        low.sort_unstable();
        low.dedup();
        low.shrink_to_fit();
        ShingleSet(low)
    }

    /// The set of hashes already sorted without repeats (as an index
    /// stores them).
    pub(crate) fn from_sorted(low: Vec<u32>) -> Self {
        debug_assert!(low.windows(2).all(|w| w[0] < w[1]));
        ShingleSet(low)
    }

    /// The set of the given hashes.
    pub fn from_hashes(hashes: Vec<u64>) -> Self {
        let mut low: Vec<u32> = hashes.into_iter().map(|h| h as u32).collect();
        low.sort_unstable();
        low.dedup();
        low.shrink_to_fit();
        ShingleSet(low)
    }

    /// The set's hashes, ascending: the low 32 bits of each shingle's hash.
    pub fn hashes(&self) -> &[u32] {
        &self.0
    }

    /// Bytes held on the heap.
    pub fn memory(&self) -> usize {
        self.0.capacity() * size_of::<u32>()
    }

    /// How many distinct shingles.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none (only for a set built from no hashes).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The size of the intersection with `other`.
    pub fn intersection(&self, other: &ShingleSet) -> usize {
        let (a, b) = (&self.0, &other.0);
        let (mut i, mut j, mut common) = (0, 0, 0);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    common += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        common
    }

    /// Exact Jaccard similarity |A ∩ B| / |A ∪ B|; two empty sets are equal (1.0).
    ///
    /// ```
    /// use textdup::{ShingleSet, Shingling};
    /// let words = Shingling { n: 1, ..Default::default() };
    /// let a = ShingleSet::new("a b c", &words, 0);
    /// let b = ShingleSet::new("b c d", &words, 0);
    /// assert_eq!(a.jaccard(&b), 0.5);
    /// ```
    pub fn jaccard(&self, other: &ShingleSet) -> f64 {
        self.jaccard_given(other, self.intersection(other))
    }

    /// [`ShingleSet::jaccard`] when the intersection's size, `common`, is
    /// known already.
    pub(crate) fn jaccard_given(&self, other: &ShingleSet, common: usize) -> f64 {
        let union = self.len() + other.len() - common;
        if union == 0 {
            1.0
        } else {
            common as f64 / union as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slices(text: &str, unit: Unit, n: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut push = |s: &str| out.push(s.to_string());
        match unit {
            Unit::Word => word_shingles(text, n, &mut push),
            Unit::Char => char_shingles(text, n, &mut push),
        }
        out
    }

    #[test]
    fn shingle_table() {
        let cases: &[(&str, Unit, usize, &[&str])] = &[
            ("a b c d", Unit::Word, 2, &["a b", "b c", "c d"]),
            ("a b c", Unit::Word, 3, &["a b c"]),
            ("a b", Unit::Word, 5, &["a b"]),
            ("one", Unit::Word, 5, &["one"]),
            ("", Unit::Word, 5, &[""]),
            ("a  b\tc", Unit::Word, 2, &["a  b", "b\tc"]),
            ("abcd", Unit::Char, 3, &["abc", "bcd"]),
            ("żółw", Unit::Char, 3, &["żół", "ółw"]),
            ("ab", Unit::Char, 3, &["ab"]),
            ("", Unit::Char, 3, &[""]),
        ];
        for &(text, unit, n, want) in cases {
            assert_eq!(slices(text, unit, n), want, "{text:?} {unit:?} {n}");
        }
    }

    #[test]
    fn hashes_are_stable() {
        // Pinned values: if these change, every stored signature changes.
        let mut hashes = Vec::new();
        let words = Shingling {
            unit: Unit::Word,
            n: 2,
        };
        shingle("hello world", &words, 0, |h| hashes.push(h));
        assert_eq!(hashes, vec![xxh3_64_with_seed(b"hello world", 0)]);
        assert_eq!(xxh3_64_with_seed(b"hello world", 0), 0xd447_b1ea_40e6_988b);
    }

    #[test]
    fn jaccard_of_sets() {
        let one = Shingling {
            unit: Unit::Word,
            n: 1,
        };
        let a = ShingleSet::new("a b c d", &one, 1);
        let b = ShingleSet::new("c d e f", &one, 1);
        assert_eq!(a.jaccard(&b), 2.0 / 6.0);
        assert_eq!(a.jaccard(&a), 1.0);
        assert_eq!(ShingleSet::new("a a a", &one, 1).len(), 1);
        assert_eq!(ShingleSet::default().jaccard(&ShingleSet::default()), 1.0);
    }
}
