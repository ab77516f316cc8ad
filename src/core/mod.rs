//! The bottom layer: the nouns every stage shares, importing nothing else
//! of the crate.
//!
//! The library is layered; a module imports only from layers below its
//! own (checked by `tests/it/layers.rs`). From the bottom up:
//!
//! 1. `core`, `error`: ids, spans, the error type;
//! 2. `normalize`, `shingle`, `fsutil`, `records`, `runs`: text to
//!    shingles; files that appear whole; records and sorted runs on disk;
//! 3. `minhash`, `lsh`, `cluster`: sketches, candidates, components;
//! 4. `verify`, `passage`, `read`: pairs checked, passages, corpora read;
//! 5. `progress`, `config`, `synth`: what a run reports, its settings; benchmark corpora;
//! 6. `stagefile`, `report`: files between stages, results and their formats;
//! 7. `pipeline`, `write`, `eval`: the run, the cleaned corpus, scores;
//! 8. `index`: what earlier runs saw, on disk, and runs against it;
//! 9. `output`, `staged`, `bench`: facades that choose the public API.
//!
//! The binary (`cli`) sits on top.

mod ids;
mod record;
mod span;

/// White-space separated tokens with their byte offsets: the one
/// definition of a word that normalization and word shingles share.
///
/// White space is `char::is_whitespace`. Every document is cut into words
/// to be shingled, so the scan for a word's end goes eight bytes at a
/// time, and decodes only the non-ASCII characters it meets: splitting
/// a character at a time was two thirds of shingling.
pub(crate) fn tokens(text: &str) -> Tokens<'_> {
    Tokens { text, at: 0 }
}

/// The iterator of [`tokens`].
pub(crate) struct Tokens<'a> {
    text: &'a str,
    at: usize,
}

impl Tokens<'_> {
    /// The width of the character at `at` (a character boundary) when it
    /// is white space.
    #[inline]
    fn space_at(&self, at: usize) -> Option<usize> {
        let byte = *self.text.as_bytes().get(at)?;
        if byte.is_ascii() {
            return is_ascii_space(byte).then_some(1);
        }
        let c = self.text[at..].chars().next()?;
        c.is_whitespace().then_some(c.len_utf8())
    }

    /// Where the word that starts at `at` ends: at the next white space or
    /// the end of the text.
    fn word_end(&self, mut at: usize) -> usize {
        let bytes = self.text.as_bytes();
        while let Some(chunk) = bytes.get(at..at + 8) {
            let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            // The range checks on the low seven bits of each byte; the top
            // bit marks a non-ASCII byte, to be decoded.
            let low = x & !TOPS;
            let space = bytes_within(low, b'\t', b'\r') | bytes_within(low, b' ', b' ');
            let stops = (space & !x) | (x & TOPS);
            if stops == 0 {
                at += 8;
                continue;
            }
            let stop = at + (stops.trailing_zeros() / 8) as usize;
            if bytes[stop].is_ascii() {
                return stop;
            }
            // The first non-ASCII byte after a boundary leads a character.
            let c = self.text[stop..].chars().next().expect("a character");
            if c.is_whitespace() {
                return stop;
            }
            at = stop + c.len_utf8();
        }
        while at < bytes.len() && self.space_at(at).is_none() {
            at += self.text[at..].chars().next().map_or(1, char::len_utf8);
        }
        at
    }
}

/// ASCII white space as Unicode has it: U+000B too, unlike
/// `u8::is_ascii_whitespace`.
pub(crate) fn is_ascii_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t'..=b'\r')
}

/// A one in every byte of a word.
const ONES: u64 = u64::from_le_bytes([1; 8]);
/// The top bit of every byte of a word.
pub(crate) const TOPS: u64 = ONES * 0x80;

/// The top bit of each byte of `x` that lies in `lo..=hi`, eight bytes at
/// a time. Every byte of `x` must have its top bit clear (ASCII): then a
/// byte is at least `lo` when adding `0x80 - lo` sets its top bit, and no
/// sum carries into the next byte.
pub(crate) fn bytes_within(x: u64, lo: u8, hi: u8) -> u64 {
    (x + ONES * u64::from(0x80 - lo)) & !(x + ONES * u64::from(0x7f - hi)) & TOPS
}

impl<'a> Iterator for Tokens<'a> {
    type Item = (usize, &'a str);

    #[inline]
    fn next(&mut self) -> Option<(usize, &'a str)> {
        while let Some(width) = self.space_at(self.at) {
            self.at += width;
        }
        if self.at >= self.text.len() {
            return None;
        }
        let start = self.at;
        self.at = self.word_end(start);
        Some((start, &self.text[start..self.at]))
    }
}

pub(crate) use ids::{number, push_lean};
pub use ids::{DocId, Ids, Numbered, RepeatedIds};
pub(crate) use record::{u32_at, u64_at, Record};
pub use span::Span;

/// Asks the processor to bring `at`'s cache line in, so that a miss on
/// it overlaps with other work rather than stalls.
#[inline]
pub(crate) fn prefetch<T>(at: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that never faults or changes memory,
    // and `at` is a live reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            std::ptr::from_ref(at).cast::<i8>(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// Hands the heap's free pages back to the system, between stages whose
/// tables take hundreds of megabytes. glibc's allocator keeps what is
/// freed for later allocations, so without this the pages of a dropped
/// table stay in the process's resident size, next to the tables of the
/// stage after it, past what a memory limit allowed. Elsewhere it does
/// nothing.
pub(crate) fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only gives back memory no allocation holds.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::tokens;

    /// What `tokens` must equal: the plain definition.
    fn by_split(text: &str) -> Vec<(usize, &str)> {
        text.split(char::is_whitespace)
            .filter(|t| !t.is_empty())
            .map(|t| (t.as_ptr() as usize - text.as_ptr() as usize, t))
            .collect()
    }

    #[test]
    fn tokens_split_at_every_kind_of_white_space() {
        let text =
            " a\u{0B}b\u{A0}c\u{3000}\u{2028}dé\u{85}\u{1C}f\t\r\nlonger than eight\x0cbytes";
        assert_eq!(
            tokens(text).map(|(_, t)| t).collect::<Vec<_>>(),
            ["a", "b", "c", "dé", "\u{1C}f", "longer", "than", "eight", "bytes"]
        );
    }

    proptest! {
        #[test]
        fn tokens_agree_with_splitting_at_white_space(
            text in "[a b\u{A0}\u{2009}\u{3000}é\u{1F600}\t\n\u{0B}\u{0E}\u{1C}\u{1F}!\u{85}\u{300}-]{0,60}"
        ) {
            prop_assert_eq!(tokens(&text).collect::<Vec<_>>(), by_split(&text));
        }

        #[test]
        fn tokens_agree_on_every_byte_at_every_place(
            words in proptest::collection::vec("[a-z]{0,12}", 1..6),
            byte in 0u8..0x80,
        ) {
            let text = words.join(&char::from(byte).to_string());
            prop_assert_eq!(tokens(&text).collect::<Vec<_>>(), by_split(&text));
        }
    }
}
