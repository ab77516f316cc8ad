//! Normalize: fold away differences that do not make two texts different.
//!
//! Takes a document's original text and writes a normalized copy into a
//! caller-owned buffer (reused across documents, so no allocation per
//! document). Each step is switchable through [`Normalization`]:
//!
//! 1. Unicode NFKC: compatibility forms (ligatures, full-width letters,
//!    non-breaking spaces) become their plain equivalents.
//! 2. Lowercase.
//! 3. Hyphen folding: a hyphen between two letters or digits is dropped, so
//!    "Co-operation" and "Cooperation" become one word. A soft hyphen is
//!    always dropped.
//! 4. Punctuation removal: punctuation becomes a space, except an
//!    apostrophe inside a word, which is dropped ("Putin's" → "putins").
//! 5. White-space folding: runs of white space become one space, and the
//!    text is trimmed. Han, Hiragana and Katakana, written without spaces,
//!    get one between characters, so that each is a word (as Unicode word
//!    segmentation has it for ideographs) and word shingles find Chinese
//!    and Japanese near-duplicates; spaced scripts are unchanged.
//!
//! Invariant: the output only depends on the text and the options, and
//! normalizing twice gives the same output as normalizing once.

use unicode_normalization::char::is_combining_mark;

use crate::core::{bytes_within, is_ascii_space, tokens, TOPS};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Which normalization steps to apply. All are on by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Normalization {
    /// Unicode NFKC.
    pub nfkc: bool,
    /// Lowercase.
    pub lowercase: bool,
    /// Drop hyphens inside words.
    pub hyphens: bool,
    /// Replace punctuation with spaces.
    pub punctuation: bool,
    /// Fold runs of white space into one space and trim; put a space
    /// between characters of scripts written without spaces (Han,
    /// Hiragana, Katakana), each a word of its own.
    pub whitespace: bool,
}

impl Default for Normalization {
    fn default() -> Self {
        Normalization::ALL
    }
}

impl Normalization {
    /// Every step on.
    pub const ALL: Normalization = Normalization {
        nfkc: true,
        lowercase: true,
        hyphens: true,
        punctuation: true,
        whitespace: true,
    };

    /// Every step off: the text is compared as it is.
    pub const NONE: Normalization = Normalization {
        nfkc: false,
        lowercase: false,
        hyphens: false,
        punctuation: false,
        whitespace: false,
    };

    /// The names of the steps, as the CLI and the report spell them.
    pub const STEP_NAMES: [&'static str; 5] =
        ["nfkc", "lowercase", "hyphens", "punctuation", "whitespace"];

    /// The steps that are on, by name, comma-separated ("none" if none).
    pub fn describe(&self) -> String {
        let on = [
            self.nfkc,
            self.lowercase,
            self.hyphens,
            self.punctuation,
            self.whitespace,
        ];
        let names: Vec<&str> = Self::STEP_NAMES
            .iter()
            .zip(on)
            .filter_map(|(name, on)| on.then_some(*name))
            .collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(",")
        }
    }

    /// Parses a comma-separated list of step names, `all` or `none`.
    ///
    /// ```
    /// use textdup::Normalization;
    /// let n = Normalization::parse("lowercase,whitespace").unwrap();
    /// assert!(n.lowercase && n.whitespace && !n.nfkc);
    /// assert_eq!(Normalization::parse("all").unwrap(), Normalization::ALL);
    /// ```
    pub fn parse(list: &str) -> Result<Normalization, String> {
        let mut n = Normalization::NONE;
        for step in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match step {
                "all" => n = Normalization::ALL,
                "none" => {}
                "nfkc" => n.nfkc = true,
                "lowercase" => n.lowercase = true,
                "hyphens" => n.hyphens = true,
                "punctuation" => n.punctuation = true,
                "whitespace" => n.whitespace = true,
                other => {
                    return Err(format!(
                        "unknown normalization step {other:?} (expected all, none or {})",
                        Self::STEP_NAMES.join(", ")
                    ))
                }
            }
        }
        Ok(n)
    }
}

/// Writes the normalized form of `text` into `out` (cleared first).
///
/// ```
/// use textdup::{normalize, Normalization};
/// let mut out = String::new();
/// normalize("The  Co-operation’s   AIM!", &Normalization::ALL, &mut out);
/// assert_eq!(out, "the cooperations aim");
/// ```
pub fn normalize(text: &str, options: &Normalization, out: &mut String) {
    let mut buf = std::mem::take(out).into_bytes();
    buf.clear();
    buf.reserve(text.len());
    // NFKC is the identity on ASCII, which most scraped text is: skip the
    // decomposition machinery when it cannot change anything.
    let recheck = if text.is_ascii() {
        fold_ascii_into(text.as_bytes(), options, &mut buf);
        false
    } else if options.nfkc && is_nfkc_quick(text.chars()) != IsNormalized::Yes {
        fold(text.nfkc(), options, &mut buf)
    } else {
        // Already NFKC (typographic quotes and dashes are): checking is far
        // cheaper than decomposing and recomposing.
        fold_mixed(text, options, &mut buf)
    };
    *out = String::from_utf8(buf).expect("folding keeps text UTF-8");
    if options.nfkc && recheck {
        renormalize(options, out);
    }
}

/// Every combination of the five steps: what the tests and the fuzz
/// targets hold the fast paths to.
pub(crate) fn every_normalization() -> impl Iterator<Item = Normalization> {
    (0..32u8).map(|combo| {
        let bit = |i: u8| combo & (1 << i) != 0;
        Normalization {
            nfkc: bit(0),
            lowercase: bit(1),
            hyphens: bit(2),
            punctuation: bit(3),
            whitespace: bit(4),
        }
    })
}

/// Most passes [`renormalize`] makes: each undoes a rarer accident than
/// the one before, and real text needs none.
const MAX_RENORMALIZE: usize = 3;

/// Folds `out` again until it is NFKC, when [`fold`] says it may not be.
/// Without this, normalizing the output again would change it: 'İ' and
/// U+0333 would become "i", U+0307, U+0333, whose marks NFKC puts the
/// other way round.
fn renormalize(options: &Normalization, out: &mut String) {
    for _ in 0..MAX_RENORMALIZE {
        if is_nfkc_quick(out.chars()) == IsNormalized::Yes {
            return;
        }
        let previous = std::mem::take(out);
        let mut buf = Vec::with_capacity(previous.len());
        let again = fold(previous.nfkc(), options, &mut buf);
        *out = String::from_utf8(buf).expect("folding keeps text UTF-8");
        if !again || *out == previous {
            return;
        }
    }
}

/// What [`fold_ascii`] does with an ASCII byte under given options.
const WORD: u8 = 0;
/// A separator: white space, or punctuation when that is dropped.
const BLANK: u8 = 1;
/// A white-space separator (kept as itself when runs are not folded).
const WHITE: u8 = 2;
/// Anything else: kept as it is.
const OTHER: u8 = 3;
/// Flag: dropped between two word bytes (a hyphen or an apostrophe).
const JOINS: u8 = 4;

/// The byte classes of every ASCII byte for every combination of options,
/// built once.
fn ascii_classes(options: &Normalization) -> &'static [u8; 128] {
    static TABLES: std::sync::OnceLock<Vec<[u8; 128]>> = std::sync::OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        (0..4)
            .map(|combo| {
                let (hyphens, punctuation) = (combo & 1 != 0, combo & 2 != 0);
                let mut table = [OTHER; 128];
                for (c, class) in (0u8..).zip(table.iter_mut()) {
                    let white = matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ');
                    *class = if c.is_ascii_alphanumeric() {
                        WORD
                    } else if white {
                        WHITE
                    } else if punctuation && c.is_ascii_punctuation() {
                        BLANK
                    } else {
                        OTHER
                    };
                    if (hyphens && c == b'-') || (punctuation && c == b'\'') {
                        *class |= JOINS;
                    }
                }
                table
            })
            .collect()
    });
    &tables[usize::from(options.hyphens) | usize::from(options.punctuation) << 1]
}

/// [`fold`] for ASCII text: the same decisions without decoding
/// characters, a run of word bytes at a time, for the common case of
/// English scraped text.
pub(crate) fn fold_ascii(bytes: &[u8], options: &Normalization, out: &mut String) {
    // Bytes, not chars: pushing to a Vec<u8> is a store, pushing a char to
    // a String is an encode. ASCII in, ASCII out, so the conversion back
    // cannot fail.
    let mut buf = std::mem::take(out).into_bytes();
    buf.clear();
    fold_ascii_into(bytes, options, &mut buf);
    *out = String::from_utf8(buf).expect("ASCII bytes in give ASCII bytes out");
}

/// [`fold_ascii`], appending to `buf`. Starting anywhere but at the start
/// of the text or at white space would lose what came before (a joining
/// hyphen, say): [`fold_mixed`] cuts only there.
fn fold_ascii_into(bytes: &[u8], options: &Normalization, buf: &mut Vec<u8>) {
    debug_assert!(bytes.is_ascii());
    // The output is never longer than the input (every byte written
    // stands for one read, or for a run of separators), and the eight
    // bytes of slack let a word be copied a whole load at a time.
    let o = buf.len();
    buf.resize(o + bytes.len() + 8, 0);
    let (_, o, _) = fold_ascii_span::<false>(bytes, options, buf, o, 0);
    buf.truncate(o);
}

/// Folds the ASCII `bytes` into `buf` from `o`, or with `TOKEN` only up
/// to the first white space: returns where it stopped reading, where the
/// output ends, and whether the output holds a space. A separator is
/// written before a word only past `floor`, so nothing leads the output
/// from there.
///
/// Words are copied eight bytes at a time, so with `TOKEN` the copy reads
/// on past the token into the rest of `bytes`, which must be ASCII too
/// (the eight-byte range checks carry out of a byte with its top bit
/// set). `buf` needs `bytes.len() + 8` bytes of room from `o`.
#[inline]
fn fold_ascii_span<const TOKEN: bool>(
    bytes: &[u8],
    options: &Normalization,
    buf: &mut [u8],
    mut o: usize,
    floor: usize,
) -> (usize, usize, bool) {
    let class = ascii_classes(options);
    let class_of = |c: u8| class[usize::from(c & 0x7f)];
    let mut pending_space = false;
    let mut previous_is_word = false;
    let mut spaced = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        debug_assert!(c.is_ascii());
        let kind = class_of(c);
        if kind == WORD {
            if pending_space && o > floor {
                buf[o] = b' ';
                o += 1;
                spaced = true;
            }
            pending_space = false;
            previous_is_word = true;
            let length = copy_word(&bytes[i..], &mut buf[o..], options.lowercase);
            i += length;
            o += length;
            continue;
        }
        if TOKEN && kind == WHITE {
            break;
        }
        i += 1;
        if kind & JOINS != 0
            && previous_is_word
            && bytes.get(i).is_some_and(|&n| class_of(n) == WORD)
        {
            continue;
        }
        match kind & !JOINS {
            WHITE | BLANK => {
                previous_is_word = false;
                if options.whitespace {
                    pending_space = true;
                } else {
                    buf[o] = if kind & !JOINS == WHITE { c } else { b' ' };
                    spaced |= buf[o] == b' ';
                    o += 1;
                }
            }
            _ => {
                // Control characters, or punctuation kept as is.
                if pending_space && o > floor {
                    buf[o] = b' ';
                    o += 1;
                    spaced = true;
                }
                pending_space = false;
                previous_is_word = false;
                buf[o] = c;
                o += 1;
            }
        }
    }
    (i, o, spaced)
}

/// Runs of ASCII shorter than this between non-ASCII characters are
/// folded with them, a character at a time, rather than on their own.
const ASCII_RUN: usize = 32;

/// [`fold`] of NFKC text that is mostly ASCII (English with typographic
/// quotes, say), appending to `buf`: runs of ASCII go the fast way, the
/// stretches around other characters the general way.
///
/// The text is cut only at ASCII white space, where folding carries
/// nothing over: white space ends a word (no hyphen joins across it, no
/// mark combines across it) and is itself folded the same either way.
/// Returns what [`fold`] returns.
fn fold_mixed(text: &str, options: &Normalization, buf: &mut Vec<u8>) -> bool {
    let bytes = text.as_bytes();
    let space = |&b: &u8| is_ascii_space(b);
    let mut recheck = false;
    let mut done = 0;
    while done < bytes.len() {
        let Some(wide) = bytes[done..].iter().position(|b| !b.is_ascii()) else {
            fold_ascii_into(&bytes[done..], options, buf);
            break;
        };
        let wide = done + wide;
        // The general way from the white space before the character...
        let start = bytes[done..wide]
            .iter()
            .rposition(space)
            .map_or(done, |at| done + at);
        // ...to the white space after it, or after the next one within
        // a short run of ASCII.
        let mut end = wide;
        loop {
            end = bytes[end..]
                .iter()
                .position(space)
                .map_or(bytes.len(), |at| end + at);
            let near = bytes[end..]
                .iter()
                .take(ASCII_RUN)
                .position(|b| !b.is_ascii());
            match near {
                Some(at) => end += at,
                None => break,
            }
        }
        if start > done {
            fold_ascii_into(&bytes[done..start], options, buf);
        }
        recheck |= fold(text[start..end].chars(), options, buf);
        done = end;
    }
    recheck
}

/// Copies the run of ASCII letters and digits that starts `from` (ASCII)
/// into `to`, lowercased when `lowercase`, and returns its length. `to`
/// has eight bytes more room than the run needs.
///
/// Eight bytes at a time: a word is about six, so most words end within
/// the first load, with no branch per byte, and the load is stored whole
/// (the bytes past the word are overwritten by what follows).
fn copy_word(from: &[u8], to: &mut [u8], lowercase: bool) -> usize {
    let mut at = 0;
    while let Some(chunk) = from.get(at..at + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let upper = bytes_within(x, b'A', b'Z');
        let word = bytes_within(x, b'0', b'9') | upper | bytes_within(x, b'a', b'z');
        // 0x80 >> 2 is the 0x20 that lowercases an ASCII capital.
        let copied = if lowercase { x | upper >> 2 } else { x };
        to[at..at + 8].copy_from_slice(&copied.to_le_bytes());
        let other = !word & TOPS;
        if other != 0 {
            return at + (other.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    for &byte in &from[at..] {
        if !byte.is_ascii_alphanumeric() {
            break;
        }
        to[at] = if lowercase {
            byte.to_ascii_lowercase()
        } else {
            byte
        };
        at += 1;
    }
    at
}

/// Folds a stream of characters (NFKC applied or not) into `out`: the
/// steps of [`normalize`] after NFKC.
///
/// Returns true when the output may not be NFKC although the characters
/// were: a character that can combine with the one before it (a
/// combining mark, a conjoining Hangul jamo) now follows one that was
/// lowercased, or follows what was dropped (a joining hyphen, a soft
/// hyphen). "J" and U+030C make no character, "j" and U+030C make "ǰ".
pub(crate) fn fold(
    chars: impl Iterator<Item = char>,
    options: &Normalization,
    out: &mut Vec<u8>,
) -> bool {
    let mut chars = chars.peekable();
    let mut pending_space = false;
    let mut previous_is_word = false;
    // The last character written was changed, or characters were dropped
    // after it.
    let mut touched = false;
    let mut recheck = false;
    // The last character written is of a script without spaces.
    let mut after_spaceless = false;
    while let Some(c) = chars.next() {
        if options.hyphens && c == SOFT_HYPHEN {
            touched = true;
            continue;
        }
        let joiner = (options.hyphens && is_hyphen(c)) || (options.punctuation && is_apostrophe(c));
        if joiner {
            // Soft hyphens after it are dropped anyway: whether it joins
            // depends on what follows them ("co-\u{AD}operation"), or
            // normalizing again would join what this pass did not.
            while options.hyphens && chars.next_if_eq(&SOFT_HYPHEN).is_some() {
                touched = true;
            }
            let word_follows = chars.peek().is_some_and(|&n| {
                n.is_alphanumeric() && !(options.punctuation && is_apostrophe(n))
            });
            if previous_is_word && word_follows {
                touched = true;
                continue;
            }
        }
        // An apostrophe that joins nothing is punctuation, U+02BC (a
        // letter to Unicode) too: kept as a letter, it would make a
        // following apostrophe join, and normalizing again would then
        // drop it ("Sʼ'a").
        let blank =
            c.is_whitespace() || (options.punctuation && (is_punctuation(c) || is_apostrophe(c)));
        if blank {
            previous_is_word = false;
            touched = false;
            if options.whitespace {
                pending_space = true;
            } else {
                push_char(out, if c.is_whitespace() { c } else { ' ' });
            }
            continue;
        }
        // Scripts written without spaces: every character is a word of
        // its own, so that word shingles are character shingles there (a
        // Chinese sentence is otherwise one "word").
        let alone = options.whitespace && is_spaceless(c);
        if (alone || after_spaceless) && !is_combining_mark(c) && out.last() != Some(&b' ') {
            pending_space = true;
        }
        after_spaceless = alone;
        if pending_space && !out.is_empty() {
            out.push(b' ');
            touched = false;
        }
        pending_space = false;
        previous_is_word = c.is_alphanumeric();
        recheck |= touched && may_combine(c);
        touched = false;
        if options.lowercase {
            if c.is_ascii() {
                let lower = c.to_ascii_lowercase();
                touched = lower != c;
                out.push(lower as u8);
            } else {
                let lower = c.to_lowercase();
                // 'İ' lowercases to "i" and U+0307, which NFKC may have
                // to put in order with the marks after it.
                recheck |= lower.len() > 1;
                for l in lower {
                    touched |= l != c;
                    push_char(out, l);
                }
            }
        } else {
            push_char(out, c);
        }
    }
    recheck
}

/// Appends `c` to UTF-8 `out`.
fn push_char(out: &mut Vec<u8>, c: char) {
    if c.is_ascii() {
        out.push(c as u8);
    } else {
        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    }
}

/// Whether `c` can combine, under NFKC, with the character before it.
fn may_combine(c: char) -> bool {
    !c.is_ascii()
        && (is_combining_mark(c)
            || matches!(c, '\u{1100}'..='\u{11FF}' | '\u{A960}'..='\u{A97F}' | '\u{D7B0}'..='\u{D7FF}'))
}

/// A normalized word and where it came from in the original text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word {
    /// Byte range of the word in the normalized text.
    pub normalized: (usize, usize),
    /// Byte range in the original text of the token it came from, without
    /// trailing sentence punctuation.
    pub original: (usize, usize),
}

/// Normalizes `text` word by word, keeping for each normalized word the
/// byte range of the original token it came from: what the passage grain
/// needs to report spans in the original text. The normalized words are
/// written to `out` joined by single spaces.
///
/// Normalizing token by token gives the same words as [`normalize`] on the
/// whole text (nothing it does crosses white space). A token that
/// normalizes to several words ("end.Next", "U.S.A.") gives each of them
/// the whole token's range.
pub fn words(text: &str, options: &Normalization, out: &mut String, found: &mut Vec<Word>) {
    // The passage grain calls this for every document in each of its
    // passes, so the words are folded straight into one buffer sized for
    // the whole text, with no copy, allocation or zeroing per token; and
    // an ASCII text (most of them) is cut into tokens as it is folded.
    let bytes = text.as_bytes();
    let mut buf = std::mem::take(out).into_bytes();
    buf.clear();
    buf.resize(bytes.len() + 16, 0);
    found.clear();
    let mut o = 0;
    if text.is_ascii() {
        // Each token's output, with the space before it, is no longer than
        // the token and the white space before it: `buf` has room.
        let mut at = 0;
        while at < bytes.len() {
            if is_ascii_space(bytes[at]) {
                at += 1;
                continue;
            }
            let (start, mark) = (at, o);
            if o > 0 {
                buf[o] = b' ';
                o += 1;
            }
            let from = o;
            let (read, end, spaced) =
                fold_ascii_span::<true>(&bytes[start..], options, &mut buf, o, from);
            at = start + read;
            let original = (start, start + trimmed_len(&text[start..at]));
            o = pieces(&mut buf, mark, from..end, spaced, original, found);
        }
    } else {
        let mut token = String::new();
        for (start, raw) in tokens(text) {
            let original = (start, start + trimmed_len(raw));
            let mark = o;
            if o > 0 {
                buf[o] = b' ';
                o += 1;
            }
            let from = o;
            let (end, spaced);
            if raw.is_ascii() {
                room(&mut buf, o + raw.len() + 8);
                // The text goes on with other characters: the copy must not
                // read into them.
                (_, end, spaced) =
                    fold_ascii_span::<false>(raw.as_bytes(), options, &mut buf, o, from);
            } else {
                normalize(raw, options, &mut token);
                room(&mut buf, o + token.len() + 8);
                buf[o..o + token.len()].copy_from_slice(token.as_bytes());
                end = o + token.len();
                spaced = token.contains(' ');
            }
            o = pieces(&mut buf, mark, from..end, spaced, original, found);
        }
    }
    buf.truncate(o);
    *out = String::from_utf8(buf).expect("normalized words are UTF-8");
}

/// Records the words a token folded to (`buf[folded]`, written after a
/// space at `mark` unless the output was empty), each with the token's
/// `original` range; returns where the output now ends. A token that
/// folds to several words ("end.Next", "U.S.A.") has them joined by one
/// space; one that folds to nothing (punctuation alone) leaves nothing.
fn pieces(
    buf: &mut [u8],
    mark: usize,
    folded: std::ops::Range<usize>,
    spaced: bool,
    original: (usize, usize),
    found: &mut Vec<Word>,
) -> usize {
    if !spaced {
        if folded.is_empty() {
            return mark;
        }
        found.push(Word {
            normalized: (folded.start, folded.end),
            original,
        });
        return folded.end;
    }
    let mut o = mark;
    let mut at = folded.start;
    while at < folded.end {
        let piece_end = buf[at..folded.end]
            .iter()
            .position(|&b| b == b' ')
            .map_or(folded.end, |p| at + p);
        if piece_end > at {
            if o > 0 {
                buf[o] = b' ';
                o += 1;
            }
            buf.copy_within(at..piece_end, o);
            found.push(Word {
                normalized: (o, o + piece_end - at),
                original,
            });
            o += piece_end - at;
        }
        at = piece_end + 1;
    }
    o
}

/// The length of `raw` without trailing sentence punctuation, or all of
/// it when nothing else is left.
fn trimmed_len(raw: &str) -> usize {
    let bytes = raw.as_bytes();
    let mut end = bytes.len();
    loop {
        match bytes[..end] {
            [.., b'.' | b',' | b';' | b':' | b'!' | b'?'] => end -= 1,
            [.., 0xE2, 0x80, 0xA6] => end -= 3, // …
            _ => break,
        }
    }
    if end == 0 {
        bytes.len()
    } else {
        end
    }
}

/// Grows `buf` to at least `len` bytes.
fn room(buf: &mut Vec<u8>, len: usize) {
    if buf.len() < len {
        buf.resize(len.max(buf.len() * 2), 0);
    }
}

/// Han, Hiragana and Katakana: scripts written without spaces between
/// words, which the white-space step cuts into one word per character (as
/// Unicode word segmentation does for ideographs). Korean is written with
/// spaces; Thai and Lao need a dictionary, and character shingles.
fn is_spaceless(c: char) -> bool {
    matches!(c,
        '\u{3005}'..='\u{3007}' // 々 〆 〇
        | '\u{3040}'..='\u{309F}' // Hiragana
        | '\u{30A0}'..='\u{30FF}' // Katakana
        | '\u{31F0}'..='\u{31FF}' // Katakana phonetic extensions
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{FF66}'..='\u{FF9F}' // half-width Katakana
        | '\u{20000}'..='\u{3FFFF}' // CJK extensions B and on
    )
}

const SOFT_HYPHEN: char = '\u{00AD}';

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

/// Punctuation, by the Unicode blocks that hold it. The standard library
/// has no general-category lookup, and a whole Unicode table is not worth a
/// dependency: letters, digits, marks, symbols and emoji all stay.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c,
            '\u{00A1}'..='\u{00BF}' // ¡ « » ¿ · and friends
            | '\u{00D7}' | '\u{00F7}'
            | '\u{2010}'..='\u{2027}' // dashes, quotes, bullets, ellipsis
            | '\u{2030}'..='\u{205E}'
            | '\u{2E00}'..='\u{2E7F}' // supplemental punctuation
            | '\u{3001}'..='\u{3003}' // ideographic comma and full stop
            | '\u{3008}'..='\u{3011}' // CJK brackets
            | '\u{FF01}'..='\u{FF0F}' // full-width forms NFKC may leave
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(text: &str, options: Normalization) -> String {
        let mut out = String::new();
        normalize(text, &options, &mut out);
        out
    }

    #[test]
    fn every_step_on() {
        let cases = [
            ("Hello, World!", "hello world"),
            ("  leading and   trailing  ", "leading and trailing"),
            ("Co-operation", "cooperation"),
            ("co‑operation", "cooperation"), // non-breaking hyphen
            ("inter\u{00AD}national", "international"),
            ("co-\u{00AD}operation", "cooperation"),
            ("well - known", "well known"),
            ("-dash at start", "dash at start"),
            ("Putin's government", "putins government"),
            ("Putin’s government", "putins government"),
            ("'quoted'", "quoted"),
            ("ﬁne ＦＵＬＬ", "fine full"), // ligature and full-width letters
            ("a\u{00A0}b", "a b"),         // non-breaking space
            ("ÉCOLE", "école"),
            ("Line one.\nLine two.", "line one line two"),
            ("«quoted» — dash… end", "quoted dash end"),
            ("", ""),
            ("!!!", ""),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input, Normalization::ALL), want, "{input:?}");
        }
    }

    #[test]
    fn steps_switch_off() {
        assert_eq!(norm("A-b,  C", Normalization::NONE), "A-b,  C");
        let no_hyphens = Normalization {
            hyphens: false,
            ..Normalization::ALL
        };
        assert_eq!(norm("Co-operation", no_hyphens), "co operation");
        let no_punct = Normalization {
            punctuation: false,
            ..Normalization::ALL
        };
        assert_eq!(norm("Co-operation, now!", no_punct), "cooperation, now!");
        let no_space = Normalization {
            whitespace: false,
            ..Normalization::ALL
        };
        assert_eq!(norm("a,  b", no_space), "a   b");
        let no_lower = Normalization {
            lowercase: false,
            ..Normalization::ALL
        };
        assert_eq!(norm("OSCE", no_lower), "OSCE");
    }

    #[test]
    fn words_are_copied_up_to_the_first_byte_that_is_not_a_letter_or_digit() {
        // Every ASCII byte, at every place in and past an eight-byte load.
        for stop in 0u8..0x80 {
            for len in 0..20 {
                let mut text = vec![b'Q'; len];
                text.extend([stop, b'a', b'Z', b'0']);
                let end = if stop.is_ascii_alphanumeric() {
                    len + 4
                } else {
                    len
                };
                for lowercase in [false, true] {
                    let mut to = vec![0; text.len() + 8];
                    assert_eq!(
                        copy_word(&text, &mut to, lowercase),
                        end,
                        "{stop} after {len}"
                    );
                    let mut expected = text[..end].to_vec();
                    if lowercase {
                        expected.make_ascii_lowercase();
                    }
                    assert_eq!(to[..end], expected);
                }
            }
        }
        let mut to = [0; 20];
        assert_eq!(copy_word(b"09AZaz@[`{/:", &mut to, true), 6);
        assert_eq!(&to[..6], b"09azaz");
    }

    proptest::proptest! {
        /// Text in pieces: runs of ASCII (long enough to go the fast way)
        /// between characters that are not.
        #[test]
        fn mixed_text_folds_as_a_whole_folds(pieces in proptest::collection::vec(
            proptest::prop_oneof![
                "[a-zA-Z0-9 \t\n'.,-]{0,50}",
                "[é’—\u{AD}İ\u{301}\u{30C}中\u{A0}\u{2009}\u{3000}]",
            ],
            0..10,
        )) {
            let text = pieces.concat();
            for options in every_normalization() {
                let (mut whole, mut mixed) = (Vec::new(), Vec::new());
                let recheck = fold(text.chars(), &options, &mut whole);
                proptest::prop_assert_eq!(fold_mixed(&text, &options, &mut mixed), recheck);
                proptest::prop_assert_eq!(
                    String::from_utf8(mixed).unwrap(),
                    String::from_utf8(whole).unwrap(),
                    "{:?} under {:?}", text, options
                );
            }
        }
    }

    /// [`words`] as it was written first, a token at a time through
    /// [`normalize`] (each token on its own), and the reference the fast
    /// one must match.
    fn words_one_token_at_a_time(text: &str, options: &Normalization) -> (String, Vec<Word>) {
        let (mut out, mut found, mut token) = (String::new(), Vec::new(), String::new());
        for (start, raw) in tokens(text) {
            normalize(raw, options, &mut token);
            let trimmed = raw.trim_end_matches(['.', ',', ';', ':', '!', '?', '…']);
            let trimmed = if trimmed.is_empty() { raw } else { trimmed };
            let original = (start, start + trimmed.len());
            for piece in token.split(' ').filter(|p| !p.is_empty()) {
                if !out.is_empty() {
                    out.push(' ');
                }
                found.push(Word {
                    normalized: (out.len(), out.len() + piece.len()),
                    original,
                });
                out.push_str(piece);
            }
        }
        (out, found)
    }

    proptest::proptest! {
        /// The words of a text, their places and their tokens, under every
        /// set of options: mostly ASCII prose with punctuation around and
        /// inside words, and the characters that leave the fast path.
        #[test]
        fn words_match_the_token_at_a_time_reference(pieces in proptest::collection::vec(
            proptest::prop_oneof![
                "[a-zA-Z0-9 \t\n'.,;:!?()\"-]{0,40}",
                "[é’—…\u{AD}İ\u{301}ﬁ½中\u{A0}\u{2009}\u{3000}\x0b]",
            ],
            0..12,
        )) {
            let text = pieces.concat();
            // ASCII text takes a path of its own: the same pieces without
            // the others.
            let ascii: String = text.chars().filter(char::is_ascii).collect();
            let (mut out, mut found) = (String::from("stale"), vec![]);
            for text in [&text, &ascii] {
                for options in every_normalization() {
                    words(text, &options, &mut out, &mut found);
                    let (expected, expected_found) = words_one_token_at_a_time(text, &options);
                    proptest::prop_assert_eq!(&out, &expected, "{:?} under {:?}", text, options);
                    proptest::prop_assert_eq!(
                        &found, &expected_found, "{:?} under {:?}", text, options
                    );
                }
            }
        }
    }

    #[test]
    fn the_ascii_path_agrees_with_the_general_one() {
        let texts = [
            "Co-operation's AIM,  now!\n\x0bx -y z-",
            "'a' --b-- c'd 'e",
            "  ",
            "x\r\ny\tz",
            "A.B.C",
        ];
        // Random texts over an alphabet of every byte class, too.
        let alphabet = b"aZ9-' .,\t\n\x0b\x0c\r!_~\x01";
        let mut x = 3u64;
        let random: Vec<String> = (0..300)
            .map(|_| {
                (0..(x % 40) as usize + 1)
                    .map(|_| {
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                        char::from(alphabet[(x >> 33) as usize % alphabet.len()])
                    })
                    .collect()
            })
            .collect();
        for options in every_normalization() {
            for text in texts
                .iter()
                .copied()
                .chain(random.iter().map(String::as_str))
            {
                let mut fast = String::new();
                fold_ascii(text.as_bytes(), &options, &mut fast);
                let mut general = Vec::new();
                fold(text.chars(), &options, &mut general);
                assert_eq!(fast.as_bytes(), general, "{text:?} {options:?}");
            }
        }
    }

    #[test]
    fn idempotent() {
        let hyphens_only = Normalization {
            hyphens: true,
            ..Normalization::NONE
        };
        // The last two were found by fuzzing: a hyphen before a soft
        // hyphen (with punctuation on, the hyphen is a space either way),
        // and a capital whose lowercase puts a combining mark out of order.
        for text in [
            "The Co-operation’s AIM!",
            "ﬁ  «x» y-z",
            "Ǆ ǅ",
            "co‑\u{ad}op",
            "İ\u{333}",
            "J\u{30C}",
            "α-\u{345}",
        ] {
            for options in [Normalization::ALL, hyphens_only] {
                let once = norm(text, options);
                assert_eq!(norm(&once, options), once, "{text:?} {options:?}");
            }
        }
    }

    /// Chinese and Japanese become a word per character; spaced scripts,
    /// Korean among them, keep their words.
    #[test]
    fn scripts_without_spaces_get_a_word_per_character() {
        for (text, expected) in [
            ("欧洲安全组织", "欧 洲 安 全 组 织"),
            ("OSCE监测团。", "osce 监 测 团"),
            ("ウクライナ東部で", "ウ ク ラ イ ナ 東 部 で"),
            ("ｳｸﾗｲﾅ", "ウ ク ラ イ ナ"),
            ("유럽안보협력기구는 밝혔다", "유럽안보협력기구는 밝혔다"),
            ("中-文 a中b", "中 文 a 中 b"),
            ("The OSCE's staff", "the osces staff"),
        ] {
            let once = norm(text, Normalization::ALL);
            assert_eq!(once, expected, "{text:?}");
            assert_eq!(norm(&once, Normalization::ALL), once, "{text:?}");
        }
        // Without white-space folding, nothing is split.
        let whitespace_off = Normalization {
            whitespace: false,
            ..Normalization::ALL
        };
        assert_eq!(norm("欧洲安全", whitespace_off), "欧洲安全");
    }

    /// Found by the normalize fuzz target: U+02BC, an apostrophe that
    /// Unicode calls a letter, was kept before an apostrophe (which it
    /// made join), and dropped by the next pass.
    #[test]
    fn an_apostrophe_that_joins_nothing_is_punctuation() {
        let punctuation = Normalization {
            punctuation: true,
            ..Normalization::NONE
        };
        for (text, expected) in [
            ("S\u{2bc}'a", "S  a"),
            ("S\u{2bc}\u{2bc}a", "S  a"),
            ("Putin\u{2bc}s", "Putins"),
            ("\u{2bc}a", " a"),
        ] {
            let once = norm(text, punctuation);
            assert_eq!(once, expected, "{text:?}");
            assert_eq!(norm(&once, punctuation), once, "{text:?}");
        }
        assert_eq!(norm("S\u{2bc}'a", Normalization::ALL), "s a");
    }

    /// Found by the normalize fuzz target: a hyphen before a soft hyphen
    /// was kept by one pass and joined by the next.
    #[test]
    fn normalizing_twice_changes_nothing_around_soft_hyphens() {
        let hyphens = Normalization {
            hyphens: true,
            ..Normalization::NONE
        };
        for text in [
            "Ao\u{2011}\u{ad}n",
            "Ao\u{ad}\u{2011}n",
            "co-\u{ad}\u{ad}op",
            "a-\u{ad}-b",
        ] {
            let (mut once, mut twice) = (String::new(), String::new());
            normalize(text, &hyphens, &mut once);
            normalize(&once, &hyphens, &mut twice);
            assert_eq!(once, twice, "{text:?}");
        }
    }

    /// Found by the normalize fuzz target: lowercasing "İ" gives "i" and
    /// a combining dot above, out of canonical order before a mark of a
    /// lower class; a second pass reordered them.
    #[test]
    fn lowercasing_keeps_the_text_in_normal_form() {
        for text in ["\u{130}\u{322}", "J\u{30c}", "\u{391}-\u{345}"] {
            let (mut once, mut twice) = (String::new(), String::new());
            normalize(text, &Normalization::ALL, &mut once);
            normalize(&once, &Normalization::ALL, &mut twice);
            assert_eq!(once, twice, "{text:?}");
        }
    }

    #[test]
    fn words_agree_with_normalize_and_point_back() {
        let text = "OSCE Denies  Data-Exchange\nMisconduct, in Ukraine’s east.End";
        let (mut out, mut found) = (String::new(), Vec::new());
        words(text, &Normalization::ALL, &mut out, &mut found);
        assert_eq!(out, norm(text, Normalization::ALL));
        let originals: Vec<&str> = found
            .iter()
            .map(|w| &text[w.original.0..w.original.1])
            .collect();
        assert_eq!(
            originals,
            [
                "OSCE",
                "Denies",
                "Data-Exchange",
                "Misconduct",
                "in",
                "Ukraine’s",
                "east.End",
                "east.End"
            ]
        );
        for w in &found {
            let piece = &out[w.normalized.0..w.normalized.1];
            assert!(!piece.is_empty() && !piece.contains(' '));
        }
    }

    #[test]
    fn parse_and_describe_round_trip() {
        assert_eq!(Normalization::parse("none").unwrap(), Normalization::NONE);
        let n = Normalization::parse("nfkc, whitespace").unwrap();
        assert_eq!(n.describe(), "nfkc,whitespace");
        assert_eq!(
            Normalization::ALL.describe(),
            "nfkc,lowercase,hyphens,punctuation,whitespace"
        );
        assert!(Normalization::parse("lowercse").is_err());
    }
}
