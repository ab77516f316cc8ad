//! Passage: the grain below the document.
//!
//! Scraped articles repeat themselves in pieces: a headline printed twice,
//! a caption that restates the headline, a paragraph that reappears in
//! another article, boilerplate on every page. This stage takes one
//! document's text and cuts it into passages ([`split`]) with byte spans
//! into the original; the pipeline runs them through normalize → shingle →
//! MinHash → LSH like documents, and [`compare`] verifies each candidate
//! pair of passages.
//!
//! Short passages (a headline is 6 to 10 words) have too few shingles for
//! Jaccard alone to mean much, so [`compare`] also weighs containment (a
//! passage inside a longer one: "Caption: " + the headline) and, for short
//! passages, edit similarity of the normalized words.
//!
//! [`spans`] finds repeated runs of words anywhere, inside or across
//! documents, whatever the passage boundaries.
//!
//! Invariants: every [`Span`] lies on character boundaries of the text it
//! was cut from, passages of one document are in text order and never
//! overlap, and blank passages are never produced.

pub(crate) mod outline;
pub mod spans;

use unicode_segmentation::UnicodeSegmentation;

use xxhash_rust::xxh3::xxh3_128_with_seed;

use crate::core::{u32_at, u64_at, Record};
use crate::core::{DocId, Numbered};
use crate::records::{Records, RecordsWriter};

use crate::shingle::{ShingleSet, Shingling};

pub use crate::core::Span;

/// How a document is cut into passages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PassageUnit {
    /// Every non-blank line (the default: scraped paragraphs are usually
    /// one line each).
    #[default]
    Line,
    /// Blocks separated by blank lines.
    Paragraph,
    /// Unicode sentences (UAX #29).
    Sentence,
}

impl PassageUnit {
    /// The unit's name, as the CLI and the report spell it.
    pub fn name(self) -> &'static str {
        match self {
            PassageUnit::Line => "line",
            PassageUnit::Paragraph => "paragraph",
            PassageUnit::Sentence => "sentence",
        }
    }
}

/// The passages of `text`, trimmed of surrounding white space, in order.
pub fn split(text: &str, unit: PassageUnit) -> Vec<Span> {
    let mut out = Vec::new();
    let mut push = |start: usize, piece: &str| {
        let trimmed = piece.trim_start();
        let start = start + (piece.len() - trimmed.len());
        let trimmed = trimmed.trim_end();
        if !trimmed.is_empty() {
            out.push(Span {
                start,
                end: start + trimmed.len(),
            });
        }
    };
    match unit {
        PassageUnit::Line => {
            for (start, line) in lines(text) {
                push(start, line);
            }
        }
        PassageUnit::Paragraph => {
            let mut block_start = None;
            let mut offset = 0;
            for (_, line) in lines(text) {
                if line.trim().is_empty() {
                    if let Some(start) = block_start.take() {
                        push(start, &text[start..offset]);
                    }
                } else if block_start.is_none() {
                    block_start = Some(offset);
                }
                offset += line.len();
            }
            if let Some(start) = block_start {
                push(start, &text[start..]);
            }
        }
        PassageUnit::Sentence => {
            for (start, sentence) in text.split_sentence_bound_indices() {
                push(start, sentence);
            }
        }
    }
    out
}

/// The lines of `text` with their offsets, each with its `\n`, as
/// `split_inclusive('\n')` gives them: by the vectorized `memchr`, as
/// each passage pass splits every document, and a string search per line
/// was a few percent of the passage grain.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).map(|newline| newline + 1);
    // '\n' is one byte, so every end is a character boundary.
    ends.chain(std::iter::once(text.len()))
        .filter_map(move |end| {
            let line = (start < end).then(|| (start, &text[start..end]));
            start = end;
            line
        })
}

/// The bytes to delete to remove a passage: its span, and for a line the
/// rest of the line with its terminator (or, for the last line, the
/// terminator before it), so that removing a line leaves no trace.
pub fn removal_extent(text: &str, span: Span, unit: PassageUnit) -> Span {
    if !span.fits(text) {
        return Span {
            start: text.len(),
            end: text.len(),
        };
    }
    let bytes = text.as_bytes();
    match unit {
        PassageUnit::Line => {
            let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
            match text[span.end..].find('\n') {
                Some(i) => Span {
                    start,
                    end: span.end + i + 1,
                },
                None if start > 0 => {
                    // The last line: take the newline before it instead.
                    let before = if start >= 2 && bytes[start - 2] == b'\r' {
                        2
                    } else {
                        1
                    };
                    Span {
                        start: start - before,
                        end: text.len(),
                    }
                }
                None => Span {
                    start,
                    end: text.len(),
                },
            }
        }
        PassageUnit::Paragraph | PassageUnit::Sentence => span,
    }
}

/// How two passages match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    /// Same normalized text.
    Exact,
    /// Jaccard (or, for short passages, edit) similarity at the threshold.
    Near,
    /// One passage's shingles lie (almost) all inside the other's.
    Containment,
    /// Repeated spans the two share cover most of both (a paragraph copied
    /// with a few words changed).
    Span,
}

impl MatchKind {
    /// The kind's name in the report.
    pub fn name(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Near => "near",
            MatchKind::Containment => "containment",
            MatchKind::Span => "span",
        }
    }
}

/// What [`compare`] needs of one passage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassageText {
    /// Hash of the normalized text.
    pub exact: u128,
    /// The hashes of its normalized words, kept for passages of fewer
    /// than [`EDIT_SIMILARITY_WORDS`] words only (for edit similarity):
    /// long ones can be whole documents, and their shingle set is all
    /// verification needs. Hashes rather than text, so that a comparison
    /// neither splits nor compares strings.
    pub short: Option<Vec<u32>>,
    /// The shingle set.
    pub shingles: ShingleSet,
    /// The number of words.
    pub words: usize,
}

impl PassageText {
    /// Bytes held on the heap.
    pub fn memory(&self) -> usize {
        self.short.as_ref().map_or(0, |w| w.capacity() * 4) + self.shingles.memory()
    }

    /// Appends its encoding to `out`, for [`PassageText::decode`]: the
    /// exact hash, the word count, the word hashes (their count, or
    /// `u32::MAX` for none) and the shingle set, little-endian.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.exact.to_le_bytes());
        // Passages are cut from documents under 4 GiB.
        out.extend_from_slice(&(self.words as u32).to_le_bytes());
        let short = self.short.as_deref();
        let count = short.map_or(u32::MAX, |w| w.len() as u32);
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&(self.shingles.len() as u32).to_le_bytes());
        for hash in short
            .unwrap_or_default()
            .iter()
            .chain(self.shingles.hashes())
        {
            out.extend_from_slice(&hash.to_le_bytes());
        }
    }

    /// The passage text that [`PassageText::encode`] wrote in `bytes`.
    pub(crate) fn decode(bytes: &[u8]) -> Self {
        let u32s = |from: usize, n: usize| -> Vec<u32> {
            (0..n).map(|i| u32_at(bytes, from + 4 * i)).collect()
        };
        let exact = u128::from_le_bytes(bytes[..16].try_into().expect("16 bytes"));
        let words = u32_at(bytes, 16) as usize;
        let short = u32_at(bytes, 20);
        let shingles = u32_at(bytes, 24) as usize;
        let (short, at) = match short {
            u32::MAX => (None, 28),
            n => (Some(u32s(28, n as usize)), 28 + 4 * n as usize),
        };
        PassageText {
            exact,
            short,
            shingles: ShingleSet::from_sorted(u32s(at, shingles)),
            words,
        }
    }

    /// The comparison data of a passage's normalized text.
    pub fn new(normalized: &str, shingling: &Shingling, seed: u64) -> Self {
        let words = normalized.split(' ').filter(|w| !w.is_empty()).count();
        PassageText {
            exact: xxh3_128_with_seed(normalized.as_bytes(), seed),
            short: (words < EDIT_SIMILARITY_WORDS).then(|| word_hashes(normalized)),
            shingles: ShingleSet::new(normalized, shingling, seed),
            words,
        }
    }
}

/// Passages with fewer words than this are sketched by their words, not
/// their trigrams: one changed word in a seven-word headline costs three
/// of its five trigrams, and LSH would never propose the pair.
pub const SHORT_PASSAGE_WORDS: usize = 12;

/// Passages with fewer words than this (and at least
/// [`SHORT_PASSAGE_WORDS`]) are sketched by word pairs. One changed word in
/// a 14-word line keeps 9 of its 12 trigrams (Jaccard 9/15 = 0.6, which the
/// default bands propose 78% of the time) but 11 of its 13 word pairs
/// (0.73, 98%); and word sets of lines this long share so many common
/// words that sketching them by words doubled the candidate pairs on a
/// corpus of documentation. From 24 words on, trigrams keep 0.76 (99%).
pub const MEDIUM_PASSAGE_WORDS: usize = 24;

/// Passages with fewer words than this are also compared by edit
/// similarity (word by word): one changed word costs a sentence of 20
/// words three of its 18 trigrams (Jaccard 0.71), but one word of 20 in
/// edit similarity (0.95). Longer passages are left to Jaccard and to the
/// repeated spans they share, and the quadratic edit distance stays
/// small.
pub const EDIT_SIMILARITY_WORDS: usize = 40;

/// A passage of fewer words than this is contained in another only when
/// it is more than half of it: a three-word line's one trigram turns up in
/// many longer lines ("0 0 1", "valid values are"), and such containments
/// chained unrelated lines into clusters of thousands. The span detector's
/// default window, so that what it finds inside longer passages, this
/// finds too.
pub const CONTAINED_WORDS: usize = 10;

/// Whether a passage of `words` words can match another passage only as
/// an exact copy under [`compare`] at `threshold`, when its shingles are
/// word `ngram`s: then LSH need not propose it at all (exact copies are
/// joined by their hash), and on documentation its candidate pairs were a
/// ninth of all, none of them verified.
///
/// A passage of fewer than `ngram` words is one shingle, its whole text,
/// which no other text shares (a longer passage's shingles are all
/// `ngram` words long); so its Jaccard and containment with any other text
/// are 0, and only edit similarity is left. Against a different text of
/// `w'` words, at least one word is edited, and `|w − w'|` are, so that is
/// at most `words / (words + 1)` (one word added): 2/3 for two words.
pub(crate) fn passage_matches_only_exactly(words: usize, ngram: usize, threshold: f64) -> bool {
    // The margin keeps a bound exactly at the threshold (2/3 against
    // 0.666…) on the side of proposing the pair.
    words < ngram && (words as f64 / (words + 1) as f64) + 1e-9 < threshold
}

/// How similar two passages are, and how, if that reaches `threshold`.
///
/// - Equal normalized text: [`MatchKind::Exact`], 1.0.
/// - Containment |A ∩ B| / min(|A|, |B|) of the shingle sets at the
///   threshold, for passages of different lengths, when it beats Jaccard:
///   [`MatchKind::Containment`] with that score.
/// - Otherwise the larger of Jaccard and, for passages under
///   [`EDIT_SIMILARITY_WORDS`], the word-level [`word_edit_similarity`]:
///   [`MatchKind::Near`].
pub fn compare(a: &PassageText, b: &PassageText, threshold: f64) -> Option<(MatchKind, f64)> {
    if a.exact == b.exact {
        return Some((MatchKind::Exact, 1.0));
    }
    // One merge of the two sets serves Jaccard and containment.
    let common = a.shingles.intersection(&b.shingles);
    let jaccard = a.shingles.jaccard_given(&b.shingles, common);
    let smaller = a.shingles.len().min(b.shingles.len());
    let (short, long) = (a.words.min(b.words), a.words.max(b.words));
    if smaller > 0 && short != long && (2 * short > long || short >= CONTAINED_WORDS) {
        let containment = common as f64 / smaller as f64;
        if containment >= threshold && containment > jaccard {
            return Some((MatchKind::Containment, containment));
        }
    }
    let mut similarity = jaccard;
    if let (Some(x), Some(y)) = (&a.short, &b.short) {
        // The edit similarity is at most shorter / longer word count.
        // Compute the distance only when that bound could change the
        // answer: most pairs of short lines fail it.
        let bound = if long == 0 {
            1.0
        } else {
            short as f64 / long as f64
        };
        let matters = if jaccard >= threshold {
            bound > jaccard
        } else {
            bound >= threshold
        };
        if matters {
            let needed = if jaccard >= threshold {
                jaccard
            } else {
                threshold
            };
            if let Some(edit) = word_edit_similarity_at_least(x, y, needed) {
                similarity = similarity.max(edit);
            }
        }
    }
    (similarity >= threshold).then_some((MatchKind::Near, similarity))
}

/// Edit similarity of two normalized texts, word by word: 1 − (words
/// substituted, inserted or deleted) / (words of the longer). One changed
/// word in a seven-word headline gives 0.86. Words, not characters: what
/// changes between copies of a headline is words, and a dozen words make
/// a table of 144 cells where their characters would make thousands.
/// (The pipeline keeps passages' word hashes and calls
/// [`word_edit_similarity`].)
#[cfg(test)]
fn edit_similarity(a: &str, b: &str) -> f64 {
    word_edit_similarity(&word_hashes(a), &word_hashes(b))
}

/// The words of a normalized text, each hashed to 32 bits: two distinct
/// words of one short passage pair collide about once in four billion.
fn word_hashes(normalized: &str) -> Vec<u32> {
    normalized
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| xxhash_rust::xxh3::xxh3_64(w.as_bytes()) as u32)
        .collect()
}

/// Word-level edit similarity (see `edit_similarity`) of two hashed word
/// sequences.
pub(crate) fn word_edit_similarity(a: &[u32], b: &[u32]) -> f64 {
    let longer = a.len().max(b.len());
    if longer == 0 {
        return 1.0;
    }
    1.0 - levenshtein(a, b) as f64 / longer as f64
}

/// [`word_edit_similarity`] when it is at least `needed`, else `None`
/// (perhaps for a little less: the bound on the distance is rounded up).
/// Most candidate pairs of short lines are far apart, and a bounded
/// distance knows it a few rows in.
fn word_edit_similarity_at_least(a: &[u32], b: &[u32], needed: f64) -> Option<f64> {
    let longer = a.len().max(b.len());
    if longer == 0 {
        return Some(1.0);
    }
    // 1 - d / longer >= needed when d <= (1 - needed) * longer; the small
    // margin keeps a distance exactly at the bound from being lost to
    // rounding.
    let most = ((1.0 - needed) * longer as f64 + 1e-9).floor().max(0.0) as usize;
    let distance = levenshtein_within(a, b, most)?;
    Some(1.0 - distance as f64 / longer as f64)
}

/// Levenshtein distance over words, one row at a time; passages under
/// [`EDIT_SIMILARITY_WORDS`] words keep the row on the stack.
fn levenshtein(a: &[u32], b: &[u32]) -> usize {
    levenshtein_within(a, b, usize::MAX).expect("no bound")
}

/// [`levenshtein`] when it is at most `most`, else `None`, known as soon
/// as a whole row exceeds `most` (the distance never falls below a row's
/// least cell).
fn levenshtein_within(a: &[u32], b: &[u32], most: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > most {
        return None;
    }
    let mut stack = [0usize; EDIT_SIMILARITY_WORDS + 1];
    let mut heap = Vec::new();
    let row: &mut [usize] = if b.len() < stack.len() {
        &mut stack[..=b.len()]
    } else {
        heap.resize(b.len() + 1, 0);
        &mut heap
    };
    for (j, cell) in row.iter_mut().enumerate() {
        *cell = j;
    }
    for (i, &x) in a.iter().enumerate() {
        // `diagonal` is the previous row's cell left of the current one.
        let mut diagonal = row[0];
        row[0] = i + 1;
        let mut least = row[0];
        for (j, &y) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(x != y);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(diagonal + 1).min(row[j] + 1);
            least = least.min(row[j + 1]);
        }
        if least > most {
            return None;
        }
    }
    Some(row[b.len()]).filter(|&distance| distance <= most)
}

/// A passage in a cluster.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PassageMember {
    /// The document it is in.
    pub doc: DocId,
    /// Where in the document's original text.
    pub span: Span,
    /// Its similarity to the cluster's first passage (1.0 for that one).
    pub similarity: f64,
    /// How it matches the first passage.
    pub kind: MatchKind,
    /// Whether cleaning may cut it: false for a passage that contains the
    /// first one with as much again besides (words found nowhere else).
    pub removable: bool,
}

/// Passages that repeat one another, in corpus order: the first is the one
/// passage-level cleaning keeps (unless the cluster is boilerplate).
#[derive(Clone, Debug, PartialEq)]
pub struct PassageCluster {
    /// Its number among the run's passage clusters.
    pub id: u32,
    /// The passages, in corpus order.
    pub members: Vec<PassageMember>,
    /// True when the passages are in at least `boilerplate_min_docs`
    /// documents: cleaning removes every copy.
    pub boilerplate: bool,
}

impl PassageCluster {
    /// The number of distinct documents the passages are in.
    pub fn documents(&self) -> usize {
        let mut docs: Vec<DocId> = self.members.iter().map(|m| m.doc).collect();
        docs.sort_unstable();
        docs.dedup();
        docs.len()
    }
}

impl Record for PassageMember {
    const SIZE: usize = 30;
    fn put(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.doc.number().to_le_bytes());
        out[4..12].copy_from_slice(&(self.span.start as u64).to_le_bytes());
        out[12..20].copy_from_slice(&(self.span.end as u64).to_le_bytes());
        out[20..28].copy_from_slice(&self.similarity.to_bits().to_le_bytes());
        out[28] = match self.kind {
            MatchKind::Exact => 0,
            MatchKind::Near => 1,
            MatchKind::Containment => 2,
            MatchKind::Span => 3,
        };
        out[29] = u8::from(self.removable);
    }
    fn get(bytes: &[u8]) -> Self {
        PassageMember {
            doc: DocId::from_number(u32_at(bytes, 0)),
            span: Span {
                start: u64_at(bytes, 4) as usize,
                end: u64_at(bytes, 12) as usize,
            },
            similarity: f64::from_bits(u64_at(bytes, 20)),
            kind: match bytes[28] {
                0 => MatchKind::Exact,
                1 => MatchKind::Near,
                2 => MatchKind::Containment,
                _ => MatchKind::Span,
            },
            removable: bytes[29] != 0,
        }
    }
}

/// The clusters of one kind a run found, their members end to end in
/// [`Records`]: in memory, or under a memory limit in a mapped file, since
/// members grow with the corpus (ten million per gigabyte of web text).
/// Cluster `i` is number `i`.
pub(crate) struct Clusters<M> {
    /// Per cluster, where its members start; then where the last ends.
    starts: Vec<u64>,
    /// Per cluster, whether it is boilerplate.
    boilerplate: Vec<bool>,
    members: Records<M>,
}

impl<M> Clone for Clusters<M> {
    fn clone(&self) -> Self {
        Clusters {
            starts: self.starts.clone(),
            boilerplate: self.boilerplate.clone(),
            members: self.members.clone(),
        }
    }
}

impl<M> Default for Clusters<M> {
    fn default() -> Self {
        Clusters {
            starts: vec![0],
            boilerplate: Vec::new(),
            members: Records::default(),
        }
    }
}

impl<M: Record> Clusters<M> {
    fn len(&self) -> usize {
        self.boilerplate.len()
    }

    /// Cluster `i`'s members and whether it is boilerplate.
    fn get(&self, i: usize) -> (Vec<M>, bool) {
        let range = self.starts[i] as usize..self.starts[i + 1] as usize;
        (self.members.iter(range).collect(), self.boilerplate[i])
    }

    /// Whether cluster `i` is boilerplate, without reading its members.
    fn is_boilerplate(&self, i: usize) -> bool {
        self.boilerplate[i]
    }

    /// The members of cluster `i`, without reading them.
    pub(crate) fn size(&self, i: usize) -> usize {
        (self.starts[i + 1] - self.starts[i]) as usize
    }

    fn release(&self) {
        self.members.release();
    }

    /// Cluster `i`'s members, read one at a time.
    pub(crate) fn members_of(&self, i: usize) -> impl ExactSizeIterator<Item = M> + '_ {
        self.members
            .iter(self.starts[i] as usize..self.starts[i + 1] as usize)
    }

    /// Members `range` (counted within the cluster) of cluster `i`, read
    /// one at a time: a giant cluster's line is made in parts.
    pub(crate) fn members_in(
        &self,
        i: usize,
        range: std::ops::Range<usize>,
    ) -> impl ExactSizeIterator<Item = M> + '_ {
        let start = self.starts[i] as usize;
        debug_assert!(start + range.end <= self.starts[i + 1] as usize);
        self.members.iter(start + range.start..start + range.end)
    }

    /// Every cluster's members, in order, read one at a time: a cluster
    /// of boilerplate can have millions.
    pub(crate) fn every_member(&self) -> impl ExactSizeIterator<Item = M> + '_ {
        self.members.iter(0..self.members.len())
    }

    /// The members of every cluster.
    pub(crate) fn members(&self) -> usize {
        self.members.len()
    }

    /// Bytes held in memory, spare capacity included.
    pub(crate) fn memory(&self) -> usize {
        self.starts.capacity() * size_of::<u64>()
            + self.boilerplate.capacity()
            + self.members.memory()
    }

    /// Rewrites members in place, numbered across every cluster (see
    /// [`Records::update`]).
    pub(crate) fn update<C>(
        &mut self,
        changes: impl IntoIterator<Item = crate::error::Result<(usize, C)>>,
        apply: impl Fn(&mut M, C),
    ) -> crate::error::Result<()> {
        self.members.update(changes, apply)
    }
}

/// Writes [`Clusters`] one after another.
pub(crate) struct ClustersWriter<M> {
    starts: Vec<u64>,
    boilerplate: Vec<bool>,
    members: RecordsWriter<M>,
}

impl<M: Record> ClustersWriter<M> {
    /// Members held in memory, or, given a folder, written to a file in it.
    pub fn new(dir: Option<&std::path::Path>) -> crate::error::Result<Self> {
        Ok(ClustersWriter {
            starts: vec![0],
            boilerplate: Vec::new(),
            members: match dir {
                None => RecordsWriter::in_memory(),
                Some(dir) => RecordsWriter::on_disk(dir)?,
            },
        })
    }

    /// Makes room for `clusters` more clusters of `members` members in all.
    pub fn reserve(&mut self, clusters: usize, members: usize) {
        self.starts.reserve_exact(clusters);
        self.boilerplate.reserve_exact(clusters);
        self.members.reserve(members);
    }

    /// Adds the next cluster.
    pub fn push<'m>(
        &mut self,
        members: impl IntoIterator<Item = &'m M>,
        boilerplate: bool,
    ) -> crate::error::Result<()>
    where
        M: 'm,
    {
        self.extend(members)?;
        self.end(boilerplate);
        Ok(())
    }

    /// Adds members to the cluster being written, which
    /// [`ClustersWriter::end`] closes: a cluster of millions of members
    /// (boilerplate) need not be held whole.
    pub fn extend<'m>(
        &mut self,
        members: impl IntoIterator<Item = &'m M>,
    ) -> crate::error::Result<()>
    where
        M: 'm,
    {
        for member in members {
            self.members.push(member)?;
        }
        Ok(())
    }

    /// Closes the cluster being written.
    pub fn end(&mut self, boilerplate: bool) {
        self.starts.push(self.members.len() as u64);
        self.boilerplate.push(boilerplate);
    }

    /// The clusters pushed, their members mapped if they went to a file.
    pub fn finish(self) -> crate::error::Result<Clusters<M>> {
        Ok(Clusters {
            starts: self.starts,
            boilerplate: self.boilerplate,
            members: self.members.finish()?,
        })
    }
}

/// The passage clusters of a run, in corpus order of their first members.
/// Read one at a time: a large corpus has millions, which stay on disk
/// under a memory limit.
///
/// ```
/// use textdup::{run, Config, Document, Level, NoProgress};
///
/// let docs = vec![
///     Document::new("a", "Talks resume in Vienna\nThe delegates met on Monday."),
///     Document::new("b", "Talks resume in Vienna\nNothing else was said."),
/// ];
/// let config = Config { level: Level::Passage, ..Config::default() };
/// let report = run(&docs, &config, &NoProgress)?;
/// let clusters = report.passage_clusters();
/// assert_eq!(clusters.len(), 1);
/// let headline = clusters.get(0);
/// assert_eq!(headline.members.len(), 2);
/// assert_eq!(report.member_text(headline.members[1].doc, headline.members[1].span), "Talks resume in Vienna");
/// # Ok::<(), textdup::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct PassageClusters(pub(crate) Clusters<PassageMember>);

impl PassageClusters {
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
    /// If `i` is not below [`PassageClusters::len`].
    pub fn get(&self, i: usize) -> PassageCluster {
        let (members, boilerplate) = self.0.get(i);
        PassageCluster {
            id: crate::core::number(i),
            members,
            boilerplate,
        }
    }

    /// The number of members of cluster `i`, without reading them.
    ///
    /// # Panics
    /// If `i` is not below [`PassageClusters::len`].
    pub fn size(&self, i: usize) -> usize {
        self.0.size(i)
    }

    /// Whether cluster `i` is boilerplate, without reading its members.
    ///
    /// # Panics
    /// If `i` is not below [`PassageClusters::len`].
    pub fn is_boilerplate(&self, i: usize) -> bool {
        self.0.is_boilerplate(i)
    }

    /// Every cluster, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = PassageCluster> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Lets go of mapped pages read so far (see [`Records::release`]).
    pub(crate) fn release(&self) {
        self.0.release();
    }
}

impl<'a> IntoIterator for &'a PassageClusters {
    type Item = PassageCluster;
    type IntoIter = Box<dyn ExactSizeIterator<Item = PassageCluster> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl std::fmt::Debug for PassageClusters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for PassageClusters {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passage_texts_read_back_as_encoded() {
        let shingling = Shingling {
            n: 3,
            ..Shingling::default()
        };
        let short = PassageText::new("talks resume in vienna", &shingling, 1);
        let long_text = (0..60)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let long = PassageText::new(&long_text, &shingling, 1);
        assert!(short.short.is_some() && long.short.is_none());
        for text in [short, long] {
            let mut bytes = vec![9u8; 3];
            text.encode(&mut bytes);
            assert_eq!(PassageText::decode(&bytes[3..]), text);
        }
    }

    /// Clusters written to a file read back as they were pushed, members,
    /// sizes and boilerplate flags alike; so do they from memory.
    #[test]
    fn passage_clusters_read_back_what_was_written() {
        let kinds = [
            MatchKind::Exact,
            MatchKind::Near,
            MatchKind::Containment,
            MatchKind::Span,
        ];
        let made: Vec<PassageCluster> = (0..50u32)
            .map(|c| PassageCluster {
                id: c,
                members: (0..=c % 7 + 1)
                    .map(|m| PassageMember {
                        doc: DocId::from_number(c * 10 + m),
                        span: Span {
                            start: (m as usize) << 33,
                            end: ((m as usize) << 33) + 17,
                        },
                        similarity: 1.0 / f64::from(m + 1),
                        kind: kinds[(c + m) as usize % 4],
                        removable: (c + m) % 3 == 0,
                    })
                    .collect(),
                boilerplate: c % 5 == 0,
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        for folder in [None, Some(dir.path())] {
            let mut out = ClustersWriter::new(folder).unwrap();
            for cluster in &made {
                out.push(&cluster.members, cluster.boilerplate).unwrap();
            }
            let read = PassageClusters(out.finish().unwrap());
            assert_eq!(read.len(), made.len());
            for (i, cluster) in made.iter().enumerate() {
                assert_eq!(read.size(i), cluster.members.len());
                assert_eq!(read.is_boilerplate(i), cluster.boilerplate);
            }
            assert!(read.iter().eq(made.iter().cloned()));
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    proptest::proptest! {
        /// Lines are what `split_inclusive('\n')` gives, at their offsets.
        #[test]
        fn lines_are_split_inclusive(text in "(a|é|欧| |\r|\n|\n\n){0,30}") {
            let mut start = 0;
            let expected: Vec<(usize, &str)> = text
                .split_inclusive('\n')
                .map(|line| {
                    start += line.len();
                    (start - line.len(), line)
                })
                .collect();
            proptest::prop_assert_eq!(lines(&text).collect::<Vec<_>>(), expected);
        }
    }

    proptest::proptest! {
        /// The bounded distance is the distance when within the bound, and
        /// `None` past it; checked against the whole table.
        #[test]
        fn a_bounded_distance_is_the_distance_or_none(
            a in proptest::collection::vec(0u32..4, 0..12),
            b in proptest::collection::vec(0u32..4, 0..12),
            most in 0usize..14,
        ) {
            let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
            for (i, row) in table.iter_mut().enumerate() {
                row[0] = i;
            }
            for (j, cell) in table[0].iter_mut().enumerate() {
                *cell = j;
            }
            for i in 1..=a.len() {
                for j in 1..=b.len() {
                    table[i][j] = (table[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]))
                        .min(table[i - 1][j] + 1)
                        .min(table[i][j - 1] + 1);
                }
            }
            let distance = table[a.len()][b.len()];
            proptest::prop_assert_eq!(levenshtein(&a, &b), distance);
            proptest::prop_assert_eq!(
                levenshtein_within(&a, &b, most),
                (distance <= most).then_some(distance)
            );
            let longer = a.len().max(b.len());
            let similarity = if longer == 0 { 1.0 } else { 1.0 - distance as f64 / longer as f64 };
            for needed in [0.5, 0.75, 0.8, similarity] {
                proptest::prop_assert_eq!(
                    word_edit_similarity_at_least(&a, &b, needed),
                    (similarity >= needed).then_some(similarity)
                );
            }
        }

        /// A passage the bound leaves out of LSH matches nothing but its
        /// exact copies, whatever the other passage: words drawn from a
        /// vocabulary of three, so that shared words, insertions and
        /// containments are common.
        #[test]
        fn a_passage_left_out_of_lsh_matches_only_its_exact_copies(
            a in proptest::collection::vec(0usize..3, 1..6),
            b in proptest::collection::vec(0usize..3, 1..9),
            ngram in 1usize..5,
            threshold in 0.3f64..0.99,
        ) {
            let text = |w: &[usize]| {
                w.iter().map(|&i| ["alpha", "beta", "gamma"][i]).collect::<Vec<_>>().join(" ")
            };
            let shingling = Shingling { n: ngram, ..Shingling::default() };
            let (x, y) = (PassageText::new(&text(&a), &shingling, 7), PassageText::new(&text(&b), &shingling, 7));
            if passage_matches_only_exactly(a.len(), ngram, threshold) {
                for (p, q) in [(&x, &y), (&y, &x)] {
                    let found = compare(p, q, threshold);
                    proptest::prop_assert!(
                        found.is_none() || found == Some((MatchKind::Exact, 1.0)),
                        "{:?} vs {:?}: {:?}", text(&a), text(&b), found
                    );
                }
            }
        }
    }

    #[test]
    fn the_exact_only_bound_is_tight() {
        // Two words in three ("a b" in "a b c") are 2/3 alike by edit
        // similarity: left out only above that.
        assert!(passage_matches_only_exactly(2, 3, 0.8));
        assert!(passage_matches_only_exactly(2, 3, 0.67));
        assert!(!passage_matches_only_exactly(2, 3, 2.0 / 3.0));
        let shingling = Shingling {
            n: 3,
            ..Shingling::default()
        };
        let (x, y) = (
            PassageText::new("a b", &shingling, 7),
            PassageText::new("a b c", &shingling, 7),
        );
        assert!(compare(&x, &y, 2.0 / 3.0).is_some());
        // A passage of n words or more is one trigram or more, which
        // longer passages contain.
        assert!(!passage_matches_only_exactly(3, 3, 0.95));
    }

    #[test]
    fn levenshtein_counts_words_substituted_inserted_and_deleted() {
        let codes = |t: &str| t.bytes().map(u32::from).collect::<Vec<u32>>();
        assert_eq!(levenshtein(&codes("kitten"), &codes("sitting")), 3);
        assert_eq!(levenshtein(&codes("sitting"), &codes("kitten")), 3);
        assert_eq!(levenshtein(&codes(""), &codes("abc")), 3);
        assert_eq!(levenshtein(&codes("abc"), &codes("abc")), 0);
        // Past the stack row: a long sequence against a shifted copy.
        let long: Vec<u32> = (0..100).collect();
        assert_eq!(levenshtein(&long[1..], &long), 1);
        assert_eq!(levenshtein(&long, &long[..60]), 40);
    }

    fn pieces(text: &str, unit: PassageUnit) -> Vec<&str> {
        split(text, unit).iter().map(|s| s.of(text)).collect()
    }

    #[test]
    fn split_table() {
        let text = "Title\r\n\r\n  One. Two!\nThree?\n\n\nLast";
        assert_eq!(
            pieces(text, PassageUnit::Line),
            ["Title", "One. Two!", "Three?", "Last"]
        );
        assert_eq!(
            pieces(text, PassageUnit::Paragraph),
            ["Title", "One. Two!\nThree?", "Last"]
        );
        assert_eq!(
            pieces(text, PassageUnit::Sentence),
            ["Title", "One.", "Two!", "Three?", "Last"]
        );
        assert!(split("", PassageUnit::Line).is_empty());
        assert!(split(" \n\t\n", PassageUnit::Paragraph).is_empty());
    }

    #[test]
    fn removing_a_line_leaves_no_trace() {
        let text = "A\n\nB\n\nA\nC";
        let spans = split(text, PassageUnit::Line);
        let cut = |span: Span| {
            let extent = removal_extent(text, span, PassageUnit::Line);
            format!("{}{}", &text[..extent.start], &text[extent.end..])
        };
        assert_eq!(cut(spans[2]), "A\n\nB\n\nC");
        assert_eq!(cut(spans[3]), "A\n\nB\n\nA");
        let crlf = "X\r\nY";
        let last = split(crlf, PassageUnit::Line)[1];
        let extent = removal_extent(crlf, last, PassageUnit::Line);
        assert_eq!(&crlf[..extent.start], "X");
    }

    /// The comparison data of `text` with word trigrams, as the pipeline
    /// makes it.
    pub(super) fn passage(text: &str) -> PassageText {
        let trigrams = Shingling {
            n: 3,
            ..Default::default()
        };
        PassageText::new(text, &trigrams, 0)
    }

    #[test]
    fn the_length_bound_never_hides_a_match() {
        let pairs = [
            ("a b c", "a b d"),
            ("a b c", "a b c d e f"),
            ("x y", "y x z"),
            ("", "x"),
        ];
        let count = |t: &str| t.split(' ').filter(|w| !w.is_empty()).count();
        for (a, b) in pairs {
            let bound = match count(a).max(count(b)) {
                0 => 1.0,
                longer => count(a).min(count(b)) as f64 / longer as f64,
            };
            assert!(edit_similarity(a, b) <= bound + 1e-12, "{a} | {b}");
        }
    }

    #[test]
    fn edit_similarity_counts_words() {
        assert_eq!(edit_similarity("a b c d", "a x c d"), 0.75);
        assert_eq!(edit_similarity("a b", "a b"), 1.0);
        assert_eq!(edit_similarity("", ""), 1.0);
    }

    #[test]
    fn a_short_line_is_contained_only_in_a_line_less_than_twice_its_length() {
        let short = passage("valid values are");
        let long = passage("valid values are 0 to 7 that map to the gain of the amplifier");
        assert_eq!(compare(&short, &long, 0.8), None);
        let caption = passage("caption valid values are");
        assert!(matches!(
            compare(&short, &caption, 0.8),
            Some((MatchKind::Containment, _))
        ));
        // From CONTAINED_WORDS words on, any longer passage will do.
        let sentence =
            passage("the organization for security and cooperation in europe has a mandate");
        let paragraph = passage(
            "in vienna on monday the organization for security and cooperation in europe has a \
             mandate to monitor the ceasefire said a spokesman who asked not to be named because \
             the talks were private",
        );
        assert!(sentence.words >= CONTAINED_WORDS && 2 * sentence.words <= paragraph.words);
        assert!(matches!(
            compare(&sentence, &paragraph, 0.8),
            Some((MatchKind::Containment, _))
        ));
    }

    #[test]
    fn compare_table() {
        let headline = passage("osce denies data exchange misconduct in ukraine");
        let cases = [
            (
                "osce denies data exchange misconduct in ukraine",
                Some(MatchKind::Exact),
            ),
            (
                "osce denies data exchange misconduct in russia",
                Some(MatchKind::Near),
            ),
            (
                "breaking osce denies data exchange misconduct in ukraine",
                Some(MatchKind::Containment),
            ),
            ("the weather in spring is mild and rainy this year", None),
        ];
        for (other, want) in cases {
            let got = compare(&headline, &passage(other), 0.8).map(|(kind, _)| kind);
            assert_eq!(got, want, "{other}");
        }
    }
}
