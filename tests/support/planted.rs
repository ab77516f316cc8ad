//! A generated corpus with planted near-duplicates, shared by the tests
//! and the benchmarks (each includes this file with `#[path]`).
//!
//! Documents are random sequences of made-up words, so that unrelated
//! documents share almost no 5-word shingle; each base document gets edited
//! copies whose word-replacement rates spread their similarities over both
//! sides of any threshold. Deterministic for a given seed.

#![allow(dead_code)] // each includer uses a different part

/// A small deterministic generator (SplitMix64), so generated corpora are
/// the same on every run and machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// A vocabulary of pronounceable made-up words, large enough that 5-word
/// shingles of unrelated documents almost never meet.
pub fn vocabulary() -> Vec<String> {
    let onsets = [
        "b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "st", "tr",
    ];
    let vowels = ["a", "e", "i", "o", "u", "ai", "ea"];
    let codas = ["", "n", "r", "s", "l", "nd", "ck"];
    let mut words = Vec::new();
    for o in onsets {
        for v in vowels {
            for c in codas {
                words.push(format!("{o}{v}{c}"));
            }
        }
    }
    // Two syllables: 735² is plenty of distinct words.
    let one = words.clone();
    for (i, a) in one.iter().enumerate().take(60) {
        for b in one.iter().skip(i % 7).step_by(3) {
            words.push(format!("{a}{b}"));
        }
    }
    words
}

/// A document of `len` random words.
pub fn random_text(rng: &mut Rng, vocabulary: &[String], len: usize) -> Vec<String> {
    (0..len)
        .map(|_| vocabulary[rng.below(vocabulary.len())].clone())
        .collect()
}

/// A copy of `words` where each word is replaced with probability `rate`.
pub fn edit(rng: &mut Rng, vocabulary: &[String], words: &[String], rate: f64) -> Vec<String> {
    words
        .iter()
        .map(|w| {
            if rng.chance(rate) {
                vocabulary[rng.below(vocabulary.len())].clone()
            } else {
                w.clone()
            }
        })
        .collect()
}

/// A corpus of `bases` random documents, each with `copies` edited copies
/// at edit rates spread from 0 to `max_rate`: similarities on both sides of
/// any threshold. Returns (id, text) pairs in a shuffled order.
pub fn planted_corpus(
    seed: u64,
    bases: usize,
    copies: usize,
    max_rate: f64,
) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed);
    let vocab = vocabulary();
    let mut docs = Vec::new();
    for b in 0..bases {
        let len = 40 + rng.below(200);
        let base = random_text(&mut rng, &vocab, len);
        for c in 0..copies {
            let rate = max_rate * (rng.below(1000) as f64 / 1000.0);
            let copy = edit(&mut rng, &vocab, &base, rate);
            docs.push((format!("b{b}-c{c}"), copy.join(" ")));
        }
        docs.push((format!("b{b}"), base.join(" ")));
    }
    // Fisher-Yates, so copies do not sit next to their originals.
    for i in (1..docs.len()).rev() {
        let j = rng.below(i + 1);
        docs.swap(i, j);
    }
    docs
}
