//! Synth: build a benchmark corpus with planted near-duplicates from real text.
//!
//! Takes any corpus textdup can read and streams out [`SynthDoc`]s: base
//! documents stitched from consecutive paragraphs of the input (never
//! random words), and for a share of them planted copies carrying one kind
//! of scraping noise at a drawn strength ([`EditKind`]). Every document
//! comes with its truth: its cluster, the edit kind and strength, and the
//! true word-5-gram Jaccard similarity to its original, computed with
//! textdup's default normalization.
//!
//! Invariants:
//! - Deterministic: the same input, options and seed give the same output.
//! - Each input paragraph is used at most once, and a paragraph that
//!   shares more than a fifth of its 5-word shingles with the paragraphs
//!   taken before it is skipped, so base documents are not near-duplicates
//!   of each other by construction.
//! - Output order is shuffled within a bounded window, so copies do not sit
//!   next to their originals and memory stays bounded.
//! - Truth clusters are the components of pairs at or above
//!   `truth_threshold` within each planted group: a copy below it to every
//!   other member is its own cluster (recorded, but not a duplicate to
//!   find).

mod passages;

pub use passages::{write_passages, PassageOptions, Role, TruthCluster, TruthSpan};

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::core::number;
use crate::error::{Error, Result, Setting};
use crate::fsutil::{write_folder_atomically, Existing};
use crate::normalize::{normalize, Normalization};
use crate::read::Corpus;
use crate::shingle::{ShingleSet, Shingling};

/// A kind of edit that turns an original into a planted copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EditKind {
    /// Words substituted, inserted or deleted, each at rate *strength*.
    Words,
    /// A share *strength* of adjacent sentence pairs swapped.
    Reorder,
    /// A share *strength* of paragraphs dropped (at least one).
    DropParagraphs,
    /// *strength* boilerplate lines added before or after.
    Boilerplate,
    /// The first sentence repeated *strength* more times as a headline.
    DoubledHeadline,
    /// Case, punctuation and white-space noise on a share *strength* of words.
    Noise,
    /// Only the first share *strength* of the words kept.
    Truncate,
}

impl EditKind {
    /// Every kind, in a fixed order.
    pub const ALL: [EditKind; 7] = [
        EditKind::Words,
        EditKind::Reorder,
        EditKind::DropParagraphs,
        EditKind::Boilerplate,
        EditKind::DoubledHeadline,
        EditKind::Noise,
        EditKind::Truncate,
    ];

    /// The name used on the command line and in the truth file.
    pub fn name(self) -> &'static str {
        match self {
            EditKind::Words => "words",
            EditKind::Reorder => "reorder",
            EditKind::DropParagraphs => "drop-paragraphs",
            EditKind::Boilerplate => "boilerplate",
            EditKind::DoubledHeadline => "doubled-headline",
            EditKind::Noise => "noise",
            EditKind::Truncate => "truncate",
        }
    }

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<EditKind> {
        EditKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The default range strengths are drawn from: wide enough that the
    /// copies' similarities fall on both sides of the usual thresholds.
    pub fn default_strength(self) -> (f64, f64) {
        match self {
            EditKind::Words => (0.0, 0.12),
            EditKind::Reorder => (0.0, 0.6),
            EditKind::DropParagraphs => (0.0, 0.4),
            EditKind::Boilerplate => (1.0, 6.0),
            EditKind::DoubledHeadline => (1.0, 2.0),
            EditKind::Noise => (0.0, 0.4),
            EditKind::Truncate => (0.5, 1.0),
        }
    }
}

/// An edit kind with the range its strength is drawn from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Edit {
    /// The kind.
    pub kind: EditKind,
    /// Least strength.
    pub min: f64,
    /// Greatest strength.
    pub max: f64,
}

/// Options of [`synthesize`].
#[derive(Clone, Debug, PartialEq)]
pub struct SynthOptions {
    /// Documents to produce, originals and copies together.
    pub docs: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Share of base documents that get planted copies. Default 0.3.
    pub share: f64,
    /// Most copies per planted base (at least one). Default 3.
    pub max_copies: usize,
    /// Edits to choose from, one per copy. Default: every kind at its
    /// default strength range.
    pub edits: Vec<Edit>,
    /// Fewest and most words in a base document. Default 60 to 600.
    pub words: (usize, usize),
    /// Copies less similar than this to their original are singletons in
    /// the truth. Default 0.8.
    pub truth_threshold: f64,
    /// When the input runs out, go on with bases drawn as random sets of
    /// the paragraphs already used, instead of failing. Default false.
    ///
    /// This is how a few megabytes of real prose become a corpus of
    /// millions of documents. Two recombined bases share a paragraph now
    /// and then (one of about five: a Jaccard similarity near 0.1) but
    /// almost never most of their text, so they stay far below any
    /// sensible threshold; the truth still holds only the planted groups.
    pub recombine: bool,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            docs: 1000,
            seed: 1,
            share: 0.3,
            max_copies: 3,
            edits: EditKind::ALL
                .iter()
                .map(|&kind| {
                    let (min, max) = kind.default_strength();
                    Edit { kind, min, max }
                })
                .collect(),
            words: (60, 600),
            truth_threshold: 0.8,
            recombine: false,
        }
    }
}

/// One generated document and its truth.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthDoc {
    /// Its id.
    pub id: String,
    /// Its text.
    pub text: String,
    /// Its cluster in the truth.
    pub cluster: u64,
    /// The id of its original (itself for an original).
    pub original: String,
    /// `original`, or the edit kind's name.
    pub kind: &'static str,
    /// The edit's strength (0 for an original).
    pub strength: f64,
    /// True word-5-gram Jaccard similarity to the original.
    pub jaccard: f64,
}

/// Paragraphs shorter than this many words are not used: they are
/// headings, list items and code fragments more than prose.
const MIN_PARAGRAPH_WORDS: usize = 6;
/// Documents held back to shuffle the output.
const SHUFFLE_WINDOW: usize = 4096;

/// Scraping boilerplate for [`EditKind::Boilerplate`].
const BOILERPLATE: [&str; 12] = [
    "Share this article",
    "Subscribe to our newsletter for the latest updates.",
    "Advertisement",
    "This site uses cookies. By continuing to browse you agree to our use of cookies.",
    "Follow us on Twitter and Facebook",
    "Related articles",
    "Read more",
    "All rights reserved.",
    "Click here to subscribe",
    "Sign up for our daily briefing",
    "Leave a comment",
    "Get it on Google Play",
];

/// Clusters of copies that end up apart from their original are numbered
/// down from here: clear of the bases' numbers, and below 2^53, so that
/// every truth id is exact as a JSON number in JavaScript and jq.
const LONE_CLUSTERS: u64 = (1 << 53) - 1;

/// Generates `options.docs` documents from the paragraphs of `corpus` and
/// passes each to `emit`, in output order. Fails, having emitted only a
/// part, if the input runs out of text.
pub fn synthesize(
    corpus: &dyn Corpus,
    options: &SynthOptions,
    mut emit: impl FnMut(&SynthDoc) -> Result<()>,
) -> Result<()> {
    // One loop on purpose: every random choice is drawn in the order read
    // here, which pins the corpus a seed makes; in pieces, the generator
    // and five counters would have to travel between them.
    validate(options)?;
    let mut rng = Rng::new(options.seed);
    let mut paragraphs = Paragraphs::new(corpus);
    let mut vocabulary: Vec<String> = Vec::new();
    let mut window: Vec<SynthDoc> = Vec::with_capacity(SHUFFLE_WINDOW);
    let mut produced = 0usize;
    let mut bases = 0u64;
    let mut next_lone = LONE_CLUSTERS;
    let words = Shingling::default();
    let mut scratch = String::new();
    let mut shingles = |text: &str| {
        normalize(text, &Normalization::default(), &mut scratch);
        ShingleSet::new(&scratch, &words, 0)
    };

    while produced < options.docs {
        let target = options.words.0 + rng.below(options.words.1 - options.words.0 + 1);
        let base = match paragraphs.next_document(target, options.words.0)? {
            Some(base) => base,
            None if options.recombine && !paragraphs.used.is_empty() => {
                paragraphs.recombine(target, &mut rng)
            }
            None => {
                return Err(Error::OutOfText {
                    produced,
                    wanted: options.docs,
                    skipped: std::mem::take(&mut paragraphs.skipped),
                    recombined: options.recombine,
                })
            }
        };
        for paragraph in &base {
            if vocabulary.len() < 50_000 {
                vocabulary.extend(paragraph.split_whitespace().take(4).map(str::to_string));
            }
        }
        let cluster = bases;
        bases += 1;
        let id = format!("d{:08}", produced);
        let text = base.join("\n\n");
        let original_set = shingles(&text);
        let mut group = vec![SynthDoc {
            id: id.clone(),
            text,
            cluster,
            original: id.clone(),
            kind: "original",
            strength: 0.0,
            jaccard: 1.0,
        }];
        produced += 1;
        let mut sets = vec![original_set];
        if rng.unit() < options.share {
            let copies = 1 + rng.below(options.max_copies);
            for _ in 0..copies {
                if produced >= options.docs {
                    break;
                }
                let edit = options.edits[rng.below(options.edits.len())];
                let strength = edit.min + (edit.max - edit.min) * rng.unit();
                let text = apply(edit.kind, strength, &base, &vocabulary, &mut rng);
                let set = shingles(&text);
                let jaccard = set.jaccard(&sets[0]);
                group.push(SynthDoc {
                    id: format!("d{:08}", produced),
                    text,
                    cluster,
                    original: id.clone(),
                    kind: edit.kind.name(),
                    strength,
                    jaccard,
                });
                sets.push(set);
                produced += 1;
            }
        }
        assign_truth(&mut group, &sets, options.truth_threshold, &mut next_lone);
        for doc in group {
            if window.len() == SHUFFLE_WINDOW {
                let out = window.swap_remove(rng.below(window.len()));
                emit(&out)?;
            }
            window.push(doc);
        }
    }
    while !window.is_empty() {
        let out = window.swap_remove(rng.below(window.len()));
        emit(&out)?;
    }
    Ok(())
}

/// Writes a synthesized corpus to `dir/corpus.jsonl` (`{"id", "text"}`)
/// and its truth to `dir/truth.jsonl` (`{"id", "cluster", "original",
/// "kind", "strength", "jaccard"}`), atomically. Returns the number of
/// documents written.
pub fn write(
    corpus: &dyn Corpus,
    options: &SynthOptions,
    dir: &Path,
    existing: Existing,
) -> Result<u64> {
    #[derive(serde::Serialize)]
    struct DocOut<'a> {
        id: &'a str,
        text: &'a str,
    }
    #[derive(serde::Serialize)]
    struct TruthOut<'a> {
        id: &'a str,
        cluster: u64,
        original: &'a str,
        kind: &'a str,
        strength: f64,
        jaccard: f64,
    }
    write_folder_atomically(dir, existing, |tmp| {
        let corpus_path = tmp.join("corpus.jsonl");
        let truth_path = tmp.join("truth.jsonl");
        let (mut docs, mut truth) = (create(&corpus_path)?, create(&truth_path)?);
        let mut count = 0u64;
        synthesize(corpus, options, |doc| {
            json_line(
                &mut docs,
                &DocOut {
                    id: &doc.id,
                    text: &doc.text,
                },
            )
            .map_err(|e| Error::io(&corpus_path, e))?;
            let record = TruthOut {
                id: &doc.id,
                cluster: doc.cluster,
                original: &doc.original,
                kind: doc.kind,
                strength: (doc.strength * 1e4).round() / 1e4,
                jaccard: (doc.jaccard * 1e6).round() / 1e6,
            };
            json_line(&mut truth, &record).map_err(|e| Error::io(&truth_path, e))?;
            count += 1;
            Ok(())
        })?;
        finish(docs, &corpus_path)?;
        finish(truth, &truth_path)?;
        Ok(count)
    })
}

/// Creates `path` for buffered writing.
fn create(path: &Path) -> Result<BufWriter<File>> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(|e| Error::io(path, e))
}

/// Flushes `out` and syncs the file under it: a full disk fails here, not
/// in a drop.
fn finish(out: BufWriter<File>, path: &Path) -> Result<()> {
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|file| file.sync_all())
        .map_err(|e| Error::io(path, e))
}

fn json_line<T: serde::Serialize>(out: &mut impl Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// The truth within one planted group (an original and its copies): the
/// connected components of pairs at or above `threshold`, so a copy too
/// far from its original but close to a sibling copy is with the sibling,
/// as any similarity-threshold clustering would put it. The component of
/// the original keeps the group's cluster number.
fn assign_truth(group: &mut [SynthDoc], sets: &[ShingleSet], threshold: f64, next_lone: &mut u64) {
    let mut sets_of = crate::cluster::UnionFind::new(group.len());
    for i in 0..group.len() {
        for j in i + 1..group.len() {
            if sets[i].jaccard(&sets[j]) >= threshold {
                sets_of.union(number(i), number(j));
            }
        }
    }
    let base_root = sets_of.find(0);
    let mut numbers: Vec<(u32, u64)> = vec![(base_root, group[0].cluster)];
    for (i, doc) in group.iter_mut().enumerate() {
        let root = sets_of.find(number(i));
        doc.cluster = match numbers.iter().find(|(r, _)| *r == root) {
            Some(&(_, n)) => n,
            None => {
                *next_lone -= 1;
                numbers.push((root, *next_lone));
                *next_lone
            }
        };
    }
}

fn validate(options: &SynthOptions) -> Result<()> {
    let fail = |setting, problem: &str| {
        Err(Error::Config {
            setting,
            problem: problem.to_string(),
        })
    };
    if !(0.0..=1.0).contains(&options.share) {
        return fail(Setting::Share, "share must be in [0, 1]");
    }
    if options.max_copies == 0 {
        return fail(Setting::MaxCopies, "max copies must be at least 1");
    }
    if options.edits.is_empty() {
        return fail(Setting::Edits, "at least one edit kind is needed");
    }
    if options.words.0 == 0 || options.words.0 > options.words.1 {
        return fail(Setting::Words, "word range must be 1 ≤ min ≤ max");
    }
    for edit in &options.edits {
        if !(edit.min <= edit.max && edit.min >= 0.0) {
            return fail(Setting::Edits, "strength ranges must be 0 ≤ min ≤ max");
        }
    }
    Ok(())
}

/// The stream of unused, unseen paragraphs of a corpus, grouped into base
/// documents within one input document at a time.
struct Paragraphs<'a> {
    records: Box<dyn Iterator<Item = crate::read::Record> + Send + 'a>,
    pending: std::collections::VecDeque<String>,
    /// Hashes of the 5-word shingles of every paragraph taken so far.
    seen: HashSet<u64, ahash::RandomState>,
    /// Every paragraph handed out so far, with its word count, for
    /// [`Paragraphs::recombine`].
    used: Vec<(String, usize)>,
    scratch: String,
    /// Inputs skipped, with why: the first few, for the error that says
    /// the text ran out.
    skipped: Vec<String>,
}

/// A paragraph sharing more than this share of its shingles with earlier
/// paragraphs is left out: real text repeats itself (release notes copied
/// from version to version, one diagram in two files), and such repeats
/// would be duplicates the truth does not know about.
const MAX_SEEN_SHARE: f64 = 0.2;

impl<'a> Paragraphs<'a> {
    fn new(corpus: &'a dyn Corpus) -> Self {
        Paragraphs {
            records: corpus.records(),
            pending: Default::default(),
            seen: HashSet::default(),
            used: Vec::new(),
            scratch: String::new(),
            skipped: Vec::new(),
        }
    }

    /// Random used paragraphs adding up to about `target` words (see
    /// [`SynthOptions::recombine`]): at least three, none longer than half
    /// the target, never one twice in a document, so that two bases meet
    /// in all their paragraphs only by a one-in-trillions chance.
    fn recombine(&mut self, target: usize, rng: &mut Rng) -> Vec<String> {
        const LEAST: usize = 3;
        let mut picked: Vec<usize> = Vec::new();
        let mut words = 0;
        // Bounded tries: a pool of few, long paragraphs must not spin.
        for _ in 0..1024 {
            if words >= target && picked.len() >= LEAST {
                break;
            }
            let i = rng.below(self.used.len());
            let n = self.used[i].1;
            if picked.contains(&i) || 2 * n > target.max(2 * MIN_PARAGRAPH_WORDS) {
                continue;
            }
            words += n;
            picked.push(i);
        }
        picked.iter().map(|&i| self.used[i].0.clone()).collect()
    }

    /// Refills `pending` from the next input document; false at the end.
    fn refill(&mut self) -> bool {
        for record in self.records.by_ref() {
            let doc = match record {
                Ok(doc) => doc,
                Err(skip) => {
                    const SHOWN: usize = 5;
                    if self.skipped.len() < SHOWN {
                        self.skipped
                            .push(format!("{} [{}]", skip.source, skip.reason));
                    } else if self.skipped.len() == SHOWN {
                        self.skipped.push("…".to_string());
                    }
                    continue;
                }
            };
            for block in split_paragraphs(&doc.text) {
                if block.split_whitespace().count() < MIN_PARAGRAPH_WORDS {
                    continue;
                }
                normalize(&block, &Normalization::default(), &mut self.scratch);
                let mut hashes = Vec::new();
                crate::shingle::shingle(&self.scratch, &Shingling::default(), 0, |h| {
                    hashes.push(h)
                });
                let seen = hashes.iter().filter(|h| self.seen.contains(*h)).count();
                if seen as f64 > MAX_SEEN_SHARE * hashes.len() as f64 {
                    continue;
                }
                self.seen.extend(hashes);
                self.pending.push_back(block);
            }
            if !self.pending.is_empty() {
                return true;
            }
        }
        false
    }

    /// Consecutive paragraphs of one input document adding up to about
    /// `target` words (at least `least`), or `None` when the input is spent.
    fn next_document(&mut self, target: usize, least: usize) -> Result<Option<Vec<String>>> {
        loop {
            if self.pending.is_empty() && !self.refill() {
                return Ok(None);
            }
            let mut doc = Vec::new();
            let mut words = 0;
            while let Some(p) = self.pending.front() {
                let n = p.split_whitespace().count();
                if words > 0 && words + n > target {
                    break;
                }
                words += n;
                doc.extend(self.pending.pop_front());
            }
            if words >= least {
                self.used.extend(
                    doc.iter()
                        .map(|p| (p.clone(), p.split_whitespace().count())),
                );
                return Ok(Some(doc));
            }
            // Too short, and this input document has nothing more: the
            // leftover is dropped rather than joined to unrelated text.
        }
    }
}

/// Blank-line separated blocks, each with its lines joined by single
/// newlines and trimmed.
fn split_paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line.trim());
        }
    }
    if !current.is_empty() {
        out.push(current.join("\n"));
    }
    out
}

/// Applies one edit to the paragraphs of an original.
fn apply(
    kind: EditKind,
    strength: f64,
    base: &[String],
    vocabulary: &[String],
    rng: &mut Rng,
) -> String {
    match kind {
        EditKind::Words => replace_words(base, vocabulary, strength, rng),
        EditKind::Reorder => reorder_sentences(base, strength, rng),
        EditKind::DropParagraphs => drop_paragraphs(base, strength, rng),
        EditKind::Boilerplate => add_boilerplate(base, strength, rng),
        EditKind::DoubledHeadline => double_headline(base, strength),
        EditKind::Noise => add_noise(base, strength, rng),
        EditKind::Truncate => truncate(base, strength),
    }
}

/// Replaces, inserts or deletes words, each with chance `strength`.
fn replace_words(base: &[String], vocabulary: &[String], strength: f64, rng: &mut Rng) -> String {
    let edited: Vec<String> = base
        .iter()
        .map(|p| {
            let mut out: Vec<&str> = Vec::new();
            for word in p.split_whitespace() {
                if rng.unit() >= strength {
                    out.push(word);
                    continue;
                }
                let random = vocabulary
                    .get(rng.below(vocabulary.len().max(1)))
                    .map_or("the", String::as_str);
                match rng.below(3) {
                    0 => out.push(random),
                    1 => {
                        out.push(word);
                        out.push(random);
                    }
                    _ => {}
                }
            }
            out.join(" ")
        })
        .collect();
    edited.join("\n\n")
}

/// Swaps neighbouring sentences, `strength` times the sentence count.
fn reorder_sentences(base: &[String], strength: f64, rng: &mut Rng) -> String {
    let edited: Vec<String> = base
        .iter()
        .map(|p| {
            let mut sentences = split_sentences(p);
            let swaps = (strength * sentences.len() as f64).round() as usize;
            for _ in 0..swaps {
                if sentences.len() < 2 {
                    break;
                }
                let i = rng.below(sentences.len() - 1);
                sentences.swap(i, i + 1);
            }
            sentences.join(" ")
        })
        .collect();
    edited.join("\n\n")
}

/// Drops a share `strength` of the paragraphs (at least one), keeping one.
fn drop_paragraphs(base: &[String], strength: f64, rng: &mut Rng) -> String {
    let mut kept: Vec<&String> = base.iter().collect();
    let drops = ((strength * base.len() as f64).round() as usize).max(1);
    for _ in 0..drops {
        if kept.len() < 2 {
            break;
        }
        kept.remove(rng.below(kept.len()));
    }
    kept.iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Adds `strength` boilerplate lines before or after the text.
fn add_boilerplate(base: &[String], strength: f64, rng: &mut Rng) -> String {
    let lines = strength.round().max(1.0) as usize;
    let mut before = Vec::new();
    let mut after = Vec::new();
    for _ in 0..lines {
        let line = BOILERPLATE[rng.below(BOILERPLATE.len())];
        if rng.below(2) == 0 {
            before.push(line);
        } else {
            after.push(line);
        }
    }
    let mut parts: Vec<&str> = before;
    parts.extend(base.iter().map(String::as_str));
    parts.extend(after);
    parts.join("\n\n")
}

/// Prints the first sentence (at most 20 words) `strength` times as a headline.
fn double_headline(base: &[String], strength: f64) -> String {
    let first = split_sentences(&base[0])
        .into_iter()
        .next()
        .unwrap_or_default();
    let headline: String = first
        .split_whitespace()
        .take(20)
        .collect::<Vec<_>>()
        .join(" ");
    let repeats = strength.round().max(1.0) as usize;
    let mut parts = vec![headline.as_str(); repeats];
    parts.extend(base.iter().map(String::as_str));
    parts.join("\n\n")
}

/// Changes the case, punctuation or spacing of words, each with chance `strength`.
fn add_noise(base: &[String], strength: f64, rng: &mut Rng) -> String {
    let edited: Vec<String> = base
        .iter()
        .map(|p| {
            let mut out = String::with_capacity(p.len() + 16);
            for (i, word) in p.split_whitespace().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                if rng.unit() >= strength {
                    out.push_str(word);
                    continue;
                }
                match rng.below(4) {
                    0 => out.push_str(&word.to_uppercase()),
                    1 => out.push_str(&word.to_lowercase()),
                    2 => {
                        out.push_str(word.trim_matches(|c: char| c.is_ascii_punctuation()));
                        out.push(',');
                    }
                    _ => {
                        out.push_str(word);
                        out.push_str(if rng.below(2) == 0 { "  " } else { "\n" });
                    }
                }
            }
            out
        })
        .collect();
    edited.join("\n\n")
}

/// Keeps the first `strength` share of the words.
fn truncate(base: &[String], strength: f64) -> String {
    let total: usize = base.iter().map(|p| p.split_whitespace().count()).sum();
    let mut keep = ((strength * total as f64).round() as usize).max(1);
    let mut parts = Vec::new();
    for p in base {
        if keep == 0 {
            break;
        }
        let words: Vec<&str> = p.split_whitespace().collect();
        let take = keep.min(words.len());
        parts.push(words[..take].join(" "));
        keep -= take;
    }
    parts.join("\n\n")
}

/// Sentences: split after `.`, `!` or `?` followed by white space.
fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let ends = matches!(b, b'.' | b'!' | b'?')
            && bytes.get(i + 1).is_some_and(|n| n.is_ascii_whitespace());
        if ends {
            out.push(text[start..=i].trim().to_string());
            start = i + 1;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// SplitMix64: small, fast and fixed, so corpora are reproducible
/// everywhere from their seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        crate::minhash::splitmix64(&mut self.0)
    }

    /// Uniform in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Document;

    fn prose() -> Vec<Document> {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/devils-dictionary.txt"
        ))
        .expect("committed test data");
        vec![Document::new("devil", text)]
    }

    fn generate(options: &SynthOptions) -> Vec<SynthDoc> {
        let mut docs = Vec::new();
        synthesize(&prose(), options, |d| {
            docs.push(d.clone());
            Ok(())
        })
        .unwrap();
        docs
    }

    #[test]
    fn same_seed_same_corpus_other_seed_other_corpus() {
        let options = SynthOptions {
            docs: 150,
            words: (30, 120),
            ..SynthOptions::default()
        };
        let a = generate(&options);
        assert_eq!(a.len(), 150);
        assert_eq!(a, generate(&options));
        let b = generate(&SynthOptions { seed: 2, ..options });
        assert_ne!(a, b);
    }

    #[test]
    fn recorded_jaccard_matches_a_recomputation() {
        let options = SynthOptions {
            docs: 200,
            share: 0.8,
            words: (30, 120),
            ..SynthOptions::default()
        };
        let docs = generate(&options);
        let by_id: std::collections::HashMap<&str, &SynthDoc> =
            docs.iter().map(|d| (d.id.as_str(), d)).collect();
        let mut scratch = String::new();
        let mut set = |t: &str| {
            normalize(t, &Normalization::default(), &mut scratch);
            ShingleSet::new(&scratch, &Shingling::default(), 0)
        };
        let mut copies = 0;
        let mut apart = 0;
        let mut kinds = HashSet::new();
        for doc in &docs {
            let original = by_id[doc.original.as_str()];
            let exact = set(&doc.text).jaccard(&set(&original.text));
            assert!(
                (exact - doc.jaccard).abs() < 1e-12,
                "{}: {exact} vs {}",
                doc.id,
                doc.jaccard
            );
            if doc.kind != "original" {
                copies += 1;
                kinds.insert(doc.kind);
                if doc.jaccard >= 0.8 {
                    assert_eq!(doc.cluster, original.cluster, "{}", doc.id);
                }
                if doc.cluster != original.cluster {
                    apart += 1;
                }
                // Truth clusters are threshold components within the group:
                // a copy in a cluster of its own is below 0.8 to every
                // other member of its group.
                let lone = docs.iter().filter(|d| d.cluster == doc.cluster).count() == 1;
                if lone {
                    for other in docs
                        .iter()
                        .filter(|d| d.original == doc.original && d.id != doc.id)
                    {
                        assert!(
                            set(&doc.text).jaccard(&set(&other.text)) < 0.8,
                            "{} ~ {}",
                            doc.id,
                            other.id
                        );
                    }
                }
            }
        }
        assert!(apart > 5, "some copies fall below the threshold: {apart}");
        assert!(copies > 60, "{copies}");
        assert_eq!(kinds.len(), EditKind::ALL.len(), "{kinds:?}");
    }

    #[test]
    fn bases_do_not_share_paragraphs() {
        let docs = generate(&SynthOptions {
            docs: 100,
            share: 0.0,
            words: (30, 120),
            ..SynthOptions::default()
        });
        let mut seen = HashSet::new();
        for doc in &docs {
            for paragraph in doc.text.split("\n\n") {
                assert!(seen.insert(paragraph.to_string()), "repeated: {paragraph}");
            }
        }
    }

    #[test]
    fn running_out_of_text_is_an_error() {
        let options = SynthOptions {
            docs: 1_000_000,
            ..SynthOptions::default()
        };
        let err = synthesize(&prose(), &options, |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("ran out of text"), "{err}");
    }

    #[test]
    fn recombined_bases_go_on_past_the_input_and_stay_apart() {
        let options = SynthOptions {
            docs: 3000,
            share: 0.0,
            recombine: true,
            ..SynthOptions::default()
        };
        let mut docs = Vec::new();
        synthesize(&prose(), &options, |d| {
            docs.push(d.clone());
            Ok(())
        })
        .unwrap();
        assert_eq!(docs.len(), 3000);
        let set = |d: &SynthDoc| {
            let mut text = String::new();
            normalize(&d.text, &Normalization::default(), &mut text);
            ShingleSet::new(&text, &Shingling::default(), 0)
        };
        let sets: Vec<ShingleSet> = docs.iter().take(400).map(set).collect();
        let mut worst = 0.0f64;
        for i in 0..sets.len() {
            for j in i + 1..sets.len() {
                worst = worst.max(sets[i].jaccard(&sets[j]));
            }
        }
        assert!(worst < 0.8, "two bases are near-duplicates: {worst}");
    }

    #[test]
    fn edits_do_what_they_say() {
        let base = vec![
            "First sentence here. Second one follows! Third ends it?".to_string(),
            "Another paragraph with several words in it.".to_string(),
        ];
        let vocab = vec!["zebra".to_string()];
        let mut rng = Rng::new(1);
        let headline = apply(EditKind::DoubledHeadline, 1.0, &base, &vocab, &mut rng);
        assert!(
            headline.starts_with("First sentence here.\n\nFirst sentence here."),
            "{headline}"
        );
        let truncated = apply(EditKind::Truncate, 0.5, &base, &vocab, &mut rng);
        assert_eq!(truncated.split_whitespace().count(), 8);
        let dropped = apply(EditKind::DropParagraphs, 0.1, &base, &vocab, &mut rng);
        assert!(!dropped.contains("\n\n"));
        let boiler = apply(EditKind::Boilerplate, 3.0, &base, &vocab, &mut rng);
        assert_eq!(boiler.split("\n\n").count(), 5);
        let same = apply(EditKind::Words, 0.0, &base, &vocab, &mut rng);
        assert_eq!(same, base.join("\n\n"));
        assert_eq!(split_sentences("A b. C d! E"), ["A b.", "C d!", "E"]);
    }
}
