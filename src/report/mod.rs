//! Report: what a run found, for machines and for people.
//!
//! Takes the clusters and counts of a run ([`Report`]) and writes them out:
//! - cluster lines as JSON Lines ([`write_clusters`]), or one JSON object
//!   with the summary and all clusters ([`write_json`]);
//! - a human summary ([`Summary::to_text`]);
//! - one self-contained HTML page for people ([`html`]).
//!
//! The JSON shapes are textdup's output format, version [`FORMAT_VERSION`],
//! documented in the README. They are built from the private `*Out` types
//! below, kept apart from the internal structs so that internals can change
//! without changing the format.

pub mod html;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::cluster::{Cluster, ClusterId, Keep};
use crate::config::{Config, Level, PassageConfig};
use crate::core::{u32_at, u64_at, Record};
use crate::core::{DocId, Ids};
use crate::error::{Error, Result};
use crate::lsh::Banding;
use crate::minhash::HASH_SCHEME;
use crate::passage::spans::{SpanClusters, SpanMember};
use crate::passage::{Clusters, PassageClusters, PassageMember, Span};
use crate::progress::{NoProgress, Progress, Stage};
use crate::read::Origin;
use crate::records::{Records, RecordsWriter};
use crate::shingle::Unit;
use crate::verify::{SimilarPair, Verification};

/// The original text of every passage and span cluster member, by
/// document and span. Texts are stored once each, end to end (a
/// boilerplate line in ten thousand documents is held once): in memory,
/// or, when pass C is told to spill them (see [`MemberTextsBuilder`]), in
/// a temporary file mapped once it is written, so that under a memory
/// limit the texts the report quotes are in the page cache rather than
/// the heap. So are the entries that place them, one per member.
///
/// Kept sorted by document and span, as pass C finds them, so that a
/// lookup is a binary search among its document's entries.
#[derive(Clone, Debug, Default)]
pub(crate) struct MemberTexts {
    sorted: Records<TextEntry>,
    /// Where each document's entries begin in `sorted`, by [`DocId`], up to
    /// the last document pushed: a report looks up every member's text, and
    /// a binary search over millions of entries missed the cache at nearly
    /// every step, where a document's own entries are a few.
    begins: Vec<u32>,
    /// The number of entries.
    entries: usize,
    store: TextStore,
}

/// A member: its span, and where its text is in the store.
#[derive(Clone, Copy, Debug)]
struct TextEntry {
    span: Span,
    at: u64,
    len: u32,
}

impl Record for TextEntry {
    const SIZE: usize = 28;
    fn put(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&(self.span.start as u64).to_le_bytes());
        out[8..16].copy_from_slice(&(self.span.end as u64).to_le_bytes());
        out[16..24].copy_from_slice(&self.at.to_le_bytes());
        out[24..28].copy_from_slice(&self.len.to_le_bytes());
    }
    fn get(bytes: &[u8]) -> Self {
        TextEntry {
            span: Span {
                start: u64_at(bytes, 0) as usize,
                end: u64_at(bytes, 8) as usize,
            },
            at: u64_at(bytes, 16),
            len: u32_at(bytes, 24),
        }
    }
}

/// The texts, end to end.
#[derive(Clone, Debug)]
enum TextStore {
    Memory(String),
    /// An unnamed temporary file, mapped.
    Mapped(std::sync::Arc<memmap2::Mmap>),
}

impl Default for TextStore {
    fn default() -> Self {
        TextStore::Memory(String::new())
    }
}

impl MemberTexts {
    /// Lets go of the pages of mapped texts and entries that this process
    /// has read, which count in its resident size though the kernel could
    /// drop them. Pages read again come back from the page cache or the
    /// file. It bounds less than one would hope: the kernel maps a few
    /// pages around each one read, so a block of lines that reads texts
    /// all over the file maps most of it again. Texts in memory stay.
    pub(crate) fn release(&self) {
        self.sorted.release();
        if let TextStore::Mapped(map) = &self.store {
            // SAFETY: a shared, read-only mapping of a file that nothing
            // writes any more: MADV_DONTNEED only drops this process's page
            // table entries, and the next access maps the same bytes from
            // the file again, so `&str`s borrowed from the map stay valid
            // and unchanged. Failing, it changes nothing.
            let _ = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        }
    }

    /// Asks for the entry a [`MemberTexts::get`] of `doc` reads first: the
    /// report looks texts up a member at a time, in clusters whose members
    /// are all over the corpus, and each lookup missed the cache.
    pub(crate) fn prefetch(&self, doc: DocId) {
        let Some(&from) = self.begins.get(doc.index()) else {
            return;
        };
        let to = self
            .begins
            .get(doc.index() + 1)
            .map_or(self.entries, |&next| next as usize);
        let from = from as usize;
        self.sorted.prefetch(from + to.saturating_sub(from) / 2);
    }

    /// The text of `span` of `doc`, if it is a member's.
    pub(crate) fn get(&self, doc: DocId, span: Span) -> Option<&str> {
        let (mut from, mut to) = (*self.begins.get(doc.index())? as usize, self.entries);
        if let Some(&next) = self.begins.get(doc.index() + 1) {
            to = next as usize;
        }
        // A binary search among the document's own entries.
        while from < to {
            let middle = from + (to - from) / 2;
            let entry = self.sorted.get(middle);
            match entry.span.cmp(&span) {
                std::cmp::Ordering::Less => from = middle + 1,
                std::cmp::Ordering::Greater => to = middle,
                std::cmp::Ordering::Equal => {
                    let range = entry.at as usize..entry.at as usize + entry.len as usize;
                    return match &self.store {
                        TextStore::Memory(all) => all.get(range),
                        TextStore::Mapped(map) => std::str::from_utf8(map.get(range)?).ok(),
                    };
                }
            }
        }
        None
    }
}

/// Builds [`MemberTexts`] as pass C reads the members, each distinct text
/// stored once (found by its hash).
pub(crate) struct MemberTextsBuilder {
    entries: RecordsWriter<TextEntry>,
    begins: Vec<u32>,
    /// The last member pushed, which the next must follow.
    last: Option<(DocId, Span)>,
    /// The texts, unless they went to `file`.
    all: String,
    /// Each text's place in the store, by its hash.
    placed: HashMap<u128, (u64, u32), ahash::RandomState>,
    /// Bytes `placed` may take; `None` for no bound. Past it, it forgets
    /// what it placed, and a text seen again is stored again: the same
    /// text, so the same output, for a little more disk.
    placed_within: Option<usize>,
    /// Once spilled: the file texts go to, its folder, and its length.
    file: Option<(BufWriter<File>, PathBuf, u64)>,
}

impl Default for MemberTextsBuilder {
    fn default() -> Self {
        MemberTextsBuilder {
            entries: RecordsWriter::in_memory(),
            begins: Vec::new(),
            last: None,
            all: String::new(),
            placed: HashMap::default(),
            placed_within: None,
            file: None,
        }
    }
}

impl MemberTextsBuilder {
    /// Bytes per slot of `placed`: a hash, a place, and a control byte.
    const SLOT: usize = 16 + 16 + 1;

    /// Adds the text of `span` of `doc` (`text`, hashed as `hash`), which
    /// must come after every member already in (by document, then span).
    pub(crate) fn push(&mut self, doc: DocId, span: Span, text: &str, hash: u128) -> Result<()> {
        debug_assert!(self.last.map_or(true, |last| last < (doc, span)));
        self.last = Some((doc, span));
        while self.begins.len() <= doc.index() {
            let entries = u32::try_from(self.entries.len()).map_err(|_| Error::TooManyDocuments)?;
            self.begins.push(entries);
        }
        let (at, len) = match self.placed.get(&hash) {
            Some(&place) => place,
            None => {
                let len = u32::try_from(text.len()).map_err(|_| Error::TooManyDocuments)?;
                let at = match &mut self.file {
                    Some((out, dir, written)) => {
                        out.write_all(text.as_bytes())
                            .map_err(|e| Error::io(dir.as_path(), e))?;
                        *written += u64::from(len);
                        *written - u64::from(len)
                    }
                    None => {
                        self.all.push_str(text);
                        (self.all.len() - text.len()) as u64
                    }
                };
                if let Some(within) = self.placed_within {
                    // Full, the map would double its slots on this insert.
                    let full = self.placed.len() == self.placed.capacity();
                    if full && 2 * self.placed.capacity().max(4) * Self::SLOT > within {
                        self.placed = HashMap::default();
                    }
                }
                self.placed.insert(hash, (at, len));
                (at, len)
            }
        };
        self.entries.push(&TextEntry { span, at, len })
    }

    /// Bytes held: the map of texts, the documents' first entries, and the
    /// texts and entries unless they went to disk.
    pub(crate) fn memory(&self) -> usize {
        self.entries.memory()
            + self.begins.capacity() * size_of::<u32>()
            + self.placed.capacity() * Self::SLOT
            + self.all.capacity()
    }

    /// Moves the texts and their entries to unnamed temporary files in
    /// `dir`, and those added from now on; the map that finds repeated
    /// texts forgets past `within` bytes. Does nothing if they are there
    /// already.
    pub(crate) fn spill(&mut self, dir: &Path, within: usize) -> Result<()> {
        if self.file.is_some() {
            return Ok(());
        }
        let fail = |e| Error::io(dir, e);
        let mut out = BufWriter::with_capacity(1 << 20, tempfile::tempfile_in(dir).map_err(fail)?);
        out.write_all(self.all.as_bytes()).map_err(fail)?;
        self.file = Some((out, dir.to_path_buf(), self.all.len() as u64));
        self.all = String::new();
        self.entries.spill(dir)?;
        self.placed_within = Some(within);
        Ok(())
    }

    /// The texts, mapped if they went to disk.
    pub(crate) fn finish(self) -> Result<MemberTexts> {
        let store = match self.file {
            None => TextStore::Memory(self.all),
            Some((out, dir, _)) => {
                let file = out
                    .into_inner()
                    .map_err(|e| Error::io(&dir, e.into_error()))?;
                // SAFETY: the file is unnamed and private to this process:
                // nothing else can change it while it is mapped.
                let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(&dir, e))?;
                TextStore::Mapped(std::sync::Arc::new(map))
            }
        };
        Ok(MemberTexts {
            entries: self.entries.len(),
            sorted: self.entries.finish()?,
            begins: self.begins,
            store,
        })
    }
}

/// The version of the JSON output format. Raised on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// Similarities at which the summary shows the LSH S-curve.
pub const CURVE_POINTS: [f64; 4] = [0.5, 0.7, 0.8, 0.9];

/// The result of a run.
///
/// Its parts are reached through accessors: the per-document columns
/// (id, size, origin) must stay the same length, which public fields could
/// not promise.
#[derive(Clone, Debug)]
pub struct Report {
    pub(crate) summary: Summary,
    pub(crate) clusters: Vec<Cluster>,
    pub(crate) pairs: Vec<SimilarPair>,
    pub(crate) passage_clusters: PassageClusters,
    pub(crate) span_clusters: SpanClusters,
    pub(crate) member_texts: MemberTexts,
    pub(crate) ids: Ids,
    pub(crate) bytes: Vec<u64>,
    pub(crate) origins: Vec<Origin>,
}

impl Report {
    /// A report of documents alone, with no clusters: what the
    /// cleaned-corpus writer needs to find the documents it leaves out.
    pub(crate) fn of_documents(ids: Ids, bytes: Vec<u64>, origins: Vec<Origin>) -> Report {
        Report {
            summary: Summary::default(),
            clusters: Vec::new(),
            pairs: Vec::new(),
            passage_clusters: PassageClusters::default(),
            span_clusters: SpanClusters::default(),
            member_texts: MemberTexts::default(),
            ids,
            bytes,
            origins,
        }
    }

    /// Counts and parameters.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Clusters of two or more documents, ordered by first member.
    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    /// The verified pairs, sorted. Documents with the same normalized text
    /// are joined without a pair: a pair's sides are first copies.
    pub fn pairs(&self) -> &[SimilarPair] {
        &self.pairs
    }

    /// Clusters of repeated passages (passage level), in corpus order.
    pub fn passage_clusters(&self) -> &PassageClusters {
        &self.passage_clusters
    }

    /// Clusters of repeated word spans (passage level), in corpus order.
    pub fn span_clusters(&self) -> &SpanClusters {
        &self.span_clusters
    }

    /// How many documents the run read (skipped inputs not counted): every
    /// [`DocId`] below this has an id, a size and an origin.
    pub fn documents(&self) -> usize {
        self.ids.len()
    }

    /// The reported id of a document.
    ///
    /// # Panics
    /// If `doc` is not one of this report's documents.
    pub fn id(&self, doc: DocId) -> &str {
        self.ids.get(doc)
    }

    /// A document's original length in bytes.
    ///
    /// # Panics
    /// If `doc` is not one of this report's documents.
    pub fn bytes(&self, doc: DocId) -> u64 {
        self.bytes[doc.index()]
    }

    /// Where a document was read from.
    ///
    /// # Panics
    /// If `doc` is not one of this report's documents.
    pub fn origin(&self, doc: DocId) -> Origin {
        self.origins[doc.index()]
    }

    /// The original text of a passage or span cluster member, or `""` for a
    /// piece no cluster holds.
    pub fn member_text(&self, doc: DocId, span: Span) -> &str {
        self.member_texts.get(doc, span).unwrap_or("")
    }

    /// Every removed document with the document kept in its place, the
    /// cluster, and its similarity to the kept one; in input order of clusters.
    pub fn removed(&self) -> impl Iterator<Item = Removal> + '_ {
        self.clusters.iter().flat_map(|cluster| {
            let kept = cluster.kept();
            cluster
                .members
                .iter()
                .filter(|m| !m.kept)
                .map(move |m| Removal {
                    doc: m.doc,
                    kept,
                    cluster: cluster.id,
                    similarity: m.similarity,
                })
        })
    }
}

/// A removed document and what replaces it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Removal {
    /// The removed document.
    pub doc: DocId,
    /// The kept document of its cluster.
    pub kept: DocId,
    /// The cluster.
    pub cluster: ClusterId,
    /// Similarity of the removed document to the kept one.
    pub similarity: f64,
}

/// Where a run's time went, as the summaries' `stages:` line gives it:
/// each stage's wall time, then what is left of `elapsed`. `None` for a
/// run of under a second, which has no time worth breaking down, or one
/// with no stages timed.
///
/// ```
/// use std::time::Duration;
/// use textdup::{report::stage_times, Stage, StageTime};
///
/// let stages = [StageTime { stage: Stage::Sketch, elapsed: Duration::from_millis(1500) }];
/// assert_eq!(
///     stage_times(&stages, Duration::from_secs(2)).unwrap(),
///     "sketching 1.50 s, between stages 0.50 s"
/// );
/// assert_eq!(stage_times(&stages, Duration::from_millis(900)), None);
/// ```
pub fn stage_times(stages: &[crate::progress::StageTime], elapsed: Duration) -> Option<String> {
    if stages.is_empty() || elapsed < Duration::from_secs(1) {
        return None;
    }
    let staged: Duration = stages.iter().map(|t| t.elapsed).sum();
    let mut times: Vec<String> = stages
        .iter()
        .map(|t| format!("{} {:.2} s", t.stage.name(), t.elapsed.as_secs_f64()))
        .collect();
    times.push(format!(
        "between stages {:.2} s",
        elapsed.saturating_sub(staged).as_secs_f64()
    ));
    Some(times.join(", "))
}

/// Counts of a run. Invariant: `read == kept + removed + skipped`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Records seen: documents plus skipped inputs.
    pub read: u64,
    /// Documents not removed.
    pub kept: u64,
    /// Documents removed as near-duplicates of a kept one.
    pub removed: u64,
    /// Inputs that could not be used.
    pub skipped: u64,
    /// Skipped inputs by reason ([`SkipReason::kind`](crate::SkipReason::kind)).
    pub skipped_by_reason: BTreeMap<&'static str, u64>,
    /// Clusters of two or more documents.
    pub clusters: u64,
    /// Documents whose normalized text equals an earlier document's.
    pub exact_duplicates: u64,
    /// Pairs LSH proposed.
    pub candidate_pairs: u64,
    /// Candidate pairs at or above the threshold.
    pub similar_pairs: u64,
    /// Bytes of document text read.
    pub bytes: u64,
    /// Passages cut (passage level).
    pub passages: u64,
    /// Clusters of repeated passages.
    pub passage_clusters: u64,
    /// Clusters of repeated spans.
    pub span_clusters: u64,
    /// Passage and span clusters that are boilerplate.
    pub boilerplate_clusters: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Wall time of each stage, in the order they first ran; what is
    /// left of `elapsed` went between stages (sorting, clustering).
    pub stages: Vec<crate::progress::StageTime>,
    /// What the band index wrote to disk under a memory limit.
    pub spilled: crate::lsh::Spilled,
    /// The settings used.
    pub parameters: Parameters,
}

/// The settings a run used, as reported.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parameters {
    /// Normalization steps, comma-separated.
    pub normalization: String,
    /// Shingle unit.
    pub unit: Unit,
    /// Units per shingle.
    pub ngram: usize,
    /// MinHash permutations.
    pub num_perm: usize,
    /// Hash seed.
    pub seed: u64,
    /// Shingle and MinHash hash scheme.
    pub hash_scheme: &'static str,
    /// Similarity threshold.
    pub threshold: f64,
    /// LSH bands.
    pub bands: usize,
    /// LSH rows per band.
    pub rows: usize,
    /// Whether bands and rows were chosen from the threshold.
    pub banding_auto: bool,
    /// The S-curve at [`CURVE_POINTS`]: `[similarity, probability]`.
    pub candidate_probability: Vec<[f64; 2]>,
    /// How pairs were verified.
    pub verification: Verification,
    /// Which member of a cluster was kept.
    pub keep: Keep,
    /// Which grains were looked at.
    pub level: Level,
    /// Settings of the passage grain.
    pub passage: PassageConfig,
}

impl Parameters {
    pub(crate) fn new(config: &Config, banding: Banding) -> Self {
        Parameters {
            normalization: config.normalization.describe(),
            unit: config.shingling.unit,
            ngram: config.shingling.n,
            num_perm: config.num_perm,
            seed: config.seed,
            hash_scheme: HASH_SCHEME,
            threshold: config.threshold,
            bands: banding.bands,
            rows: banding.rows,
            banding_auto: config.banding.is_none(),
            candidate_probability: CURVE_POINTS
                .iter()
                .map(|&s| [s, round(banding.probability(s))])
                .collect(),
            verification: config.verification,
            keep: config.keep,
            level: config.level,
            passage: config.passage,
        }
    }
}

impl Summary {
    /// Counts one skipped input of kind `kind`.
    pub fn skip(&mut self, kind: &'static str) {
        self.skipped += 1;
        *self.skipped_by_reason.entry(kind).or_default() += 1;
    }

    /// Documents per second.
    pub fn docs_per_second(&self) -> f64 {
        per_second(self.kept + self.removed, self.elapsed)
    }

    /// Megabytes (10⁶ bytes) of text per second.
    pub fn megabytes_per_second(&self) -> f64 {
        per_second(self.bytes, self.elapsed) / 1e6
    }

    /// The summary as labelled lines, the same for every human format
    /// (text on stderr, the HTML page's table): counts first, then speed,
    /// then every parameter that decided the clusters.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let p = &self.parameters;
        let mut rows = vec![(
            "documents",
            format!(
                "{} read = {} kept + {} removed + {} skipped; {}",
                self.read,
                self.kept,
                self.removed,
                self.skipped,
                count(self.clusters, "cluster")
            ),
        )];
        if !self.skipped_by_reason.is_empty() {
            let reasons: Vec<String> = self
                .skipped_by_reason
                .iter()
                .map(|(kind, n)| format!("{n} {kind}"))
                .collect();
            rows.push(("skipped", reasons.join(", ")));
        }
        rows.push((
            "pairs",
            format!(
                "{}, {} similar, {}",
                count(self.candidate_pairs, "candidate"),
                self.similar_pairs,
                count(self.exact_duplicates, "exact duplicate")
            ),
        ));
        if p.level.passages() {
            let q = &p.passage;
            rows.push((
                "passages",
                format!(
                    "{}; {}, {} ({} boilerplate)",
                    count(self.passages, q.unit.name()),
                    count(self.passage_clusters, "passage cluster"),
                    count(self.span_clusters, "span cluster"),
                    self.boilerplate_clusters
                ),
            ));
            rows.push((
                "",
                format!(
                    "word {}-grams, threshold {}, {} permutations; spans of {}+ words; boilerplate in {}+ documents",
                    q.ngram, q.threshold, q.num_perm, q.min_span, q.boilerplate_min_docs
                ),
            ));
        }
        rows.push((
            "speed",
            format!(
                "{} in {:.2} s ({:.0} docs/s, {:.1} MB/s)",
                human_bytes(self.bytes),
                self.elapsed.as_secs_f64(),
                self.docs_per_second(),
                self.megabytes_per_second()
            ),
        ));
        if let Some(times) = stage_times(&self.stages, self.elapsed) {
            rows.push(("stages", times));
        }
        if self.spilled.runs > 0 {
            rows.push((
                "spilled",
                format!(
                    "{} runs, {} written to the temporary folder (removed)",
                    self.spilled.runs,
                    human_bytes(self.spilled.bytes)
                ),
            ));
        }
        rows.extend(self.parameters.rows());
        rows
    }

    /// This summary with `stage` run after the run, for `elapsed`: the
    /// stage joins the stages, and the wall time grows by it. `scan` and
    /// `dedup` so count the writing of their outputs, which on a passage
    /// grain's gigabytes of member texts is seconds of the run.
    ///
    /// ```
    /// use std::time::Duration;
    /// use textdup::{Stage, Summary};
    ///
    /// let run = Summary { elapsed: Duration::from_secs(2), ..Summary::default() };
    /// let whole = run.followed_by(Stage::Write, Duration::from_secs(1));
    /// assert_eq!(whole.elapsed, Duration::from_secs(3));
    /// assert_eq!(whole.stages.last().unwrap().stage, Stage::Write);
    /// assert!(whole.to_text().contains("writing 1.00 s"));
    /// ```
    pub fn followed_by(&self, stage: crate::progress::Stage, elapsed: Duration) -> Summary {
        let mut summary = self.clone();
        summary.elapsed += elapsed;
        summary
            .stages
            .push(crate::progress::StageTime { stage, elapsed });
        summary
    }

    /// A few lines for people, as `scan` and `dedup` print them: the
    /// [`rows`](Summary::rows), the first after `textdup:`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, (key, value)) in self.rows().into_iter().enumerate() {
            if i == 0 {
                out += &format!("textdup: {value}\n");
            } else if key.is_empty() {
                out += &format!("              {value}\n");
            } else {
                out += &format!("  {:<11} {value}\n", format!("{key}:"));
            }
        }
        out
    }
}

impl Parameters {
    /// The parameters' rows of [`Summary::rows`].
    fn rows(&self) -> Vec<(&'static str, String)> {
        let mut rows = Vec::new();
        rows.push((
            "parameters",
            format!(
                "level {}; {} {}-grams, {} permutations, seed {}, threshold {}, {} verification, keep {}",
                self.level.name(),
                self.unit.name(),
                self.ngram,
                self.num_perm,
                self.seed,
                self.threshold,
                self.verification.name(),
                self.keep.name(),
            ),
        ));
        rows.push(("normalize", self.normalization.clone()));
        let curve: Vec<String> = self
            .candidate_probability
            .iter()
            .map(|[s, prob]| format!("P({s}) = {prob:.3}"))
            .collect();
        rows.push((
            "lsh",
            format!(
                "{} bands × {} rows{}; {}; {}",
                self.bands,
                self.rows,
                if self.banding_auto { " (auto)" } else { "" },
                curve.join(", "),
                self.hash_scheme
            ),
        ));
        rows
    }
}

/// `n` and the noun, plural unless `n` is 1: "1 cluster", "2 clusters".
pub(crate) fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn per_second(n: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        n as f64 / secs
    } else {
        0.0
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Six decimals: enough to compare against a threshold, short to read.
pub(crate) fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[derive(Serialize)]
struct ClusterOut<'a> {
    version: u32,
    cluster: u32,
    level: &'static str,
    size: usize,
    members: Vec<MemberOut<'a>>,
}

#[derive(Serialize)]
struct MemberOut<'a> {
    id: &'a str,
    similarity: f64,
    kept: bool,
}

#[derive(Serialize)]
struct PieceClusterOut<M> {
    version: u32,
    cluster: u32,
    level: &'static str,
    size: usize,
    documents: usize,
    boilerplate: bool,
    members: M,
}

/// A passage or span cluster's members, serialized as they are read from
/// its records: a cluster of boilerplate can have millions, and the JSON
/// lines are written from this one member at a time.
struct StreamedMembers<'a, M> {
    report: &'a Report,
    clusters: &'a Clusters<M>,
    cluster: usize,
    doc: fn(&M) -> DocId,
    piece: fn(&'a Report, &M) -> PieceOut<'a>,
}

impl<'a, M: Record> StreamedMembers<'a, M> {
    /// Members `range` of the cluster, as they are written. Their texts
    /// are looked up all over the corpus's, so each one's text entry is
    /// asked for [`TEXTS_AHEAD`] members before it is read, for the cache
    /// misses to overlap. (Asking for the text too, four members ahead,
    /// measured no faster.)
    fn pieces(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = PieceOut<'a>> + '_ {
        let members = || self.clusters.members_in(self.cluster, range.clone());
        let prefetch = move |m: &M| self.report.member_texts.prefetch((self.doc)(m));
        members().take(TEXTS_AHEAD).for_each(|m| prefetch(&m));
        let mut ahead = members().skip(TEXTS_AHEAD);
        members().map(move |m| {
            if let Some(next) = ahead.next() {
                prefetch(&next);
            }
            (self.piece)(self.report, &m)
        })
    }
}

/// How many members ahead of the one written a member's text entry is
/// asked for.
const TEXTS_AHEAD: usize = 8;

impl<M: Record> Serialize for StreamedMembers<'_, M> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> std::result::Result<S::Ok, S::Error> {
        out.collect_seq(self.pieces(0..self.clusters.size(self.cluster)))
    }
}

#[derive(Serialize)]
struct PieceOut<'a> {
    id: &'a str,
    start: usize,
    end: usize,
    text: &'a str,
    similarity: f64,
    #[serde(rename = "match")]
    kind: &'static str,
}

#[derive(Serialize)]
struct AnnotationOut<'a> {
    version: u32,
    id: &'a str,
    spans: Vec<AnnotatedSpan>,
}

#[derive(Serialize)]
struct AnnotatedSpan {
    start: usize,
    end: usize,
    cluster: u32,
    level: &'static str,
    kind: &'static str,
}

#[derive(Serialize)]
struct SummaryOut<'a> {
    read: u64,
    kept: u64,
    removed: u64,
    skipped: u64,
    skipped_by_reason: &'a BTreeMap<&'static str, u64>,
    clusters: u64,
    exact_duplicates: u64,
    candidate_pairs: u64,
    similar_pairs: u64,
    bytes: u64,
    passages: u64,
    passage_clusters: u64,
    span_clusters: u64,
    boilerplate_clusters: u64,
    seconds: f64,
    stages: Vec<StageOut>,
    parameters: ParametersOut<'a>,
}

#[derive(Serialize)]
struct StageOut {
    stage: &'static str,
    seconds: f64,
}

#[derive(Serialize)]
struct ParametersOut<'a> {
    normalization: &'a str,
    unit: &'static str,
    ngram: usize,
    num_perm: usize,
    seed: u64,
    hash_scheme: &'static str,
    threshold: f64,
    bands: usize,
    rows: usize,
    banding_auto: bool,
    candidate_probability: &'a [[f64; 2]],
    verification: &'static str,
    keep: &'static str,
    level: &'static str,
    passage: Option<PassageParametersOut>,
}

#[derive(Serialize)]
struct PassageParametersOut {
    unit: &'static str,
    ngram: usize,
    threshold: f64,
    num_perm: usize,
    min_span: usize,
    boilerplate_min_docs: usize,
}

fn parameters_out(p: &Parameters) -> ParametersOut<'_> {
    ParametersOut {
        normalization: &p.normalization,
        unit: p.unit.name(),
        ngram: p.ngram,
        num_perm: p.num_perm,
        seed: p.seed,
        hash_scheme: p.hash_scheme,
        threshold: p.threshold,
        bands: p.bands,
        rows: p.rows,
        banding_auto: p.banding_auto,
        candidate_probability: &p.candidate_probability,
        verification: p.verification.name(),
        keep: p.keep.name(),
        level: p.level.name(),
        passage: p.level.passages().then_some(PassageParametersOut {
            unit: p.passage.unit.name(),
            ngram: p.passage.ngram,
            threshold: p.passage.threshold,
            num_perm: p.passage.num_perm,
            min_span: p.passage.min_span,
            boilerplate_min_docs: p.passage.boilerplate_min_docs,
        }),
    }
}

/// The whole report as one JSON object; its clusters are made one at a
/// time as they are written (see [`Made`]).
#[derive(Serialize)]
struct ReportOut<'a, D, P, S> {
    version: u32,
    summary: SummaryOut<'a>,
    clusters: D,
    passage_clusters: P,
    span_clusters: S,
}

/// A JSON array of `count` items, item `i` made by `make(i)` as it is
/// written: a passage-grain report can be gigabytes, more than the run's
/// memory limit.
struct Made<F> {
    count: usize,
    make: F,
}

impl<F: Fn(usize) -> T, T: Serialize> Serialize for Made<F> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> std::result::Result<S::Ok, S::Error> {
        out.collect_seq((0..self.count).map(&self.make))
    }
}

fn cluster_out<'a>(report: &'a Report, cluster: &Cluster) -> ClusterOut<'a> {
    ClusterOut {
        version: FORMAT_VERSION,
        cluster: cluster.id.0,
        level: "document",
        size: cluster.members.len(),
        members: cluster
            .members
            .iter()
            .map(|m| MemberOut {
                id: report.id(m.doc),
                similarity: round(m.similarity),
                kept: m.kept,
            })
            .collect(),
    }
}

impl Report {
    /// Lets go of the mapped pages of member texts and clusters read so
    /// far (see [`MemberTexts::release`]): a report writer calls it every
    /// few megabytes.
    fn release_pages(&self) {
        self.member_texts.release();
        self.passage_clusters.release();
        self.span_clusters.release();
    }

    fn piece_out(
        &self,
        doc: DocId,
        span: Span,
        similarity: f64,
        kind: &'static str,
    ) -> PieceOut<'_> {
        PieceOut {
            id: self.id(doc),
            start: span.start,
            end: span.end,
            text: self.member_text(doc, span),
            similarity: round(similarity),
            kind,
        }
    }
}

/// Passage cluster `i` of `report`, its members read as it is written.
fn passage_line(report: &Report, i: usize) -> PieceClusterOut<StreamedMembers<'_, PassageMember>> {
    let passages = &report.passage_clusters;
    streamed_cluster_out(
        report,
        "passage",
        &passages.0,
        i,
        passages.is_boilerplate(i),
        |m| m.doc,
        |r, m| r.piece_out(m.doc, m.span, m.similarity, m.kind.name()),
    )
}

/// Span cluster `i` of `report`, its members read as it is written.
fn span_line(report: &Report, i: usize) -> PieceClusterOut<StreamedMembers<'_, SpanMember>> {
    let spans = &report.span_clusters;
    streamed_cluster_out(
        report,
        "span",
        &spans.0,
        i,
        spans.is_boilerplate(i),
        |m| m.doc,
        |r, m| r.piece_out(m.doc, m.span, 1.0, "exact"),
    )
}

/// Cluster `i` of `clusters` as a JSON line whose members are read as
/// they are written (see [`StreamedMembers`]).
fn streamed_cluster_out<'a, M: Record>(
    report: &'a Report,
    level: &'static str,
    clusters: &'a Clusters<M>,
    i: usize,
    boilerplate: bool,
    doc: fn(&M) -> DocId,
    piece: fn(&'a Report, &M) -> PieceOut<'a>,
) -> PieceClusterOut<StreamedMembers<'a, M>> {
    // Four bytes a member, where the members themselves would take ten
    // times that.
    let mut documents: Vec<DocId> = clusters.members_of(i).map(|m| doc(&m)).collect();
    documents.sort_unstable();
    documents.dedup();
    PieceClusterOut {
        version: FORMAT_VERSION,
        cluster: crate::core::number(i),
        level,
        size: clusters.size(i),
        documents: documents.len(),
        boilerplate,
        members: StreamedMembers {
            report,
            clusters,
            cluster: i,
            doc,
            piece,
        },
    }
}

fn summary_out(summary: &Summary) -> SummaryOut<'_> {
    SummaryOut {
        read: summary.read,
        kept: summary.kept,
        removed: summary.removed,
        skipped: summary.skipped,
        skipped_by_reason: &summary.skipped_by_reason,
        clusters: summary.clusters,
        exact_duplicates: summary.exact_duplicates,
        candidate_pairs: summary.candidate_pairs,
        similar_pairs: summary.similar_pairs,
        bytes: summary.bytes,
        passages: summary.passages,
        passage_clusters: summary.passage_clusters,
        span_clusters: summary.span_clusters,
        boilerplate_clusters: summary.boilerplate_clusters,
        seconds: summary.elapsed.as_secs_f64(),
        stages: summary
            .stages
            .iter()
            .map(|t| StageOut {
                stage: t.stage.name(),
                seconds: t.elapsed.as_secs_f64(),
            })
            .collect(),
        parameters: parameters_out(&summary.parameters),
    }
}

/// Writes one JSON line per cluster: documents, then passages, then spans.
pub fn write_clusters(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_clusters_with(report, out, &NoProgress)
}

/// [`write_clusters`], telling `progress` of the clusters written: a
/// passage-grain report can take a while (gigabytes of member texts).
pub fn write_clusters_with(
    report: &Report,
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> io::Result<()> {
    let release = || report.release_pages();
    let (passages, spans) = (&report.passage_clusters, &report.span_clusters);
    let total = report.clusters.len() + passages.len() + spans.len();
    progress.begin(Stage::Report, Some(total as u64));
    write_lines(
        report.clusters.len(),
        out,
        |i| report.clusters[i].members.len(),
        |i| cluster_out(report, &report.clusters[i]),
        |line, out| Ok(serde_json::to_writer(out, &line)?),
        &release,
        progress,
    )?;
    write_lines(
        passages.len(),
        out,
        |i| passages.size(i),
        |i| passage_line(report, i),
        |line, out| write_in_parts(line, out, &release),
        &release,
        progress,
    )?;
    write_lines(
        spans.len(),
        out,
        |i| spans.size(i),
        |i| span_line(report, i),
        |line, out| write_in_parts(line, out, &release),
        &release,
        progress,
    )?;
    progress.end();
    Ok(())
}

/// Writes items `0..count` as JSON lines, in order. Lines are made in
/// parallel a block at a time: a passage-grain report can run to
/// gigabytes (every member carries its text), and one thread escaping
/// JSON was a fifth of a run's time. A block holds at most
/// [`BLOCK_MEMBERS`] members (`members` of each item), so that the lines
/// in flight stay a few megabytes even where clusters are boilerplate with
/// thousands of members each; a line too big for a block is written by
/// `giant`. `after_chunk` is called as each thread's share of a block is
/// made, and every few megabytes of a line too big for a block.
/// `progress` advances by the items of each block written.
fn write_lines<S: Serialize>(
    count: usize,
    out: &mut dyn Write,
    members: impl Fn(usize) -> usize,
    line: impl Fn(usize) -> S + Sync,
    giant: impl Fn(S, &mut dyn Write) -> io::Result<()>,
    after_chunk: &(dyn Fn() + Sync),
    progress: &dyn Progress,
) -> io::Result<()> {
    use rayon::prelude::*;
    const BLOCK: usize = 1024;
    let threads = rayon::current_num_threads().max(1);
    let make = |block: std::ops::Range<usize>| -> io::Result<Vec<Vec<u8>>> {
        let chunk = block.len().div_ceil(threads).min(BLOCK);
        block
            .clone()
            .step_by(chunk)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|start| {
                let mut bytes = Vec::new();
                for i in start..(start + chunk).min(block.end) {
                    serde_json::to_writer(&mut bytes, &line(i))?;
                    bytes.push(b'\n');
                }
                after_chunk();
                Ok(bytes)
            })
            .collect()
    };
    // The lines of the last block made, and how many items they are: they
    // are written while the pool makes the next block's, as copying a
    // gigabyte into the page cache takes one thread seconds, which the
    // other threads spent waiting.
    let mut made: Option<(Vec<Vec<u8>>, usize)> = None;
    let write = |made: Option<(Vec<Vec<u8>>, usize)>, out: &mut dyn Write| -> io::Result<()> {
        if let Some((bytes, items)) = made {
            for b in bytes {
                out.write_all(&b)?;
            }
            progress.advance(items as u64);
        }
        Ok(())
    };
    let mut next = 0;
    while next < count {
        // At least one item, then as many as the limits allow.
        let mut weight = 0;
        let most = (count - next).min(BLOCK * threads);
        let length = (next..next + most)
            .position(|i| {
                weight += members(i);
                weight > BLOCK_MEMBERS
            })
            .map_or(most, |at| at.max(1));
        let block = next..next + length;
        next = block.end;
        // One cluster bigger than a block (a chain of boilerplate across
        // the corpus can hold millions of members): straight to `out`,
        // never whole in memory.
        if length == 1 && members(block.start) > BLOCK_MEMBERS {
            write(made.take(), out)?;
            let mut out = Releasing {
                out: &mut *out,
                written: 0,
                release: after_chunk,
            };
            giant(line(block.start), &mut out)?;
            out.write_all(b"\n")?;
            after_chunk();
            progress.advance(1);
            continue;
        }
        let (mut lines, mut written) = (None, Ok(()));
        rayon::in_place_scope(|scope| {
            scope.spawn(|_| lines = Some(make(block)));
            written = write(made.take(), out);
        });
        written?;
        made = Some((lines.expect("the scope ran it")?, length));
    }
    write(made, out)
}

/// Writes the line of a passage or span cluster too big for a block, its
/// members made in parallel a part at a time: a chain of boilerplate
/// across the corpus can have a million members and a line of hundreds
/// of megabytes, a third of a report, which one thread made alone. The
/// bytes are those `serde_json` writes for the whole line.
fn write_in_parts<M: Record + Send + Sync>(
    line: PieceClusterOut<StreamedMembers<'_, M>>,
    out: &mut dyn Write,
    after_block: &(dyn Fn() + Sync),
) -> io::Result<()> {
    use rayon::prelude::*;
    // A block holds a part per thread: a few megabytes of members, and
    // tens where every member is a paragraph-long span.
    const PART: usize = if cfg!(test) { 5 } else { 1 << 12 };
    let members = line.members;
    // The line up to its members' opening bracket: the members come last.
    let mut head = serde_json::to_vec(&PieceClusterOut {
        version: line.version,
        cluster: line.cluster,
        level: line.level,
        size: line.size,
        documents: line.documents,
        boilerplate: line.boilerplate,
        members: [(); 0],
    })?;
    debug_assert!(head.ends_with(b"[]}"));
    head.truncate(head.len() - 2);
    out.write_all(&head)?;
    let size = members.clusters.size(members.cluster);
    let block = PART * rayon::current_num_threads().max(1);
    for first in (0..size).step_by(block) {
        let parts: Vec<Vec<u8>> = (first..size.min(first + block))
            .step_by(PART)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|start| {
                let mut bytes = Vec::new();
                for (k, piece) in members.pieces(start..size.min(start + PART)).enumerate() {
                    if start + k > 0 {
                        bytes.push(b',');
                    }
                    serde_json::to_writer(&mut bytes, &piece)?;
                }
                Ok(bytes)
            })
            .collect::<io::Result<_>>()?;
        for part in parts {
            out.write_all(&part)?;
        }
        after_block();
    }
    out.write_all(b"]}")
}

/// A writer that calls `release` every [`RELEASE_BYTES`] written: the
/// line of one huge cluster reads most member texts as it is written.
struct Releasing<'a> {
    out: &'a mut dyn Write,
    written: usize,
    release: &'a (dyn Fn() + Sync),
}

/// Bytes of a streamed line between releases of the member texts.
const RELEASE_BYTES: usize = 16 << 20;

impl Write for Releasing<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.written += n;
        if self.written >= RELEASE_BYTES {
            (self.release)();
            self.written = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Most cluster members whose lines are made at once (see [`write_lines`]).
/// Small in unit tests, so that their clusters take the giant path.
const BLOCK_MEMBERS: usize = if cfg!(test) { 64 } else { 1 << 16 };

/// Writes one JSON line per document with passage or span findings:
/// `{"version", "id", "spans": [{"start", "end", "cluster", "level", "kind"}]}`,
/// where kind is `boilerplate` (the cluster is in enough documents),
/// `repeat-within` (another member is in the same document) or
/// `repeat-across`. Documents in input order, spans by start.
pub fn write_annotations(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut by_doc: BTreeMap<DocId, Vec<AnnotatedSpan>> = BTreeMap::new();
    let mut annotate =
        |level: &'static str, cluster: u32, boilerplate: bool, members: &[(DocId, Span)]| {
            // Members are in corpus order: each document's are consecutive, so
            // one pass counts them (a boilerplate line can have a million).
            for same_doc in members.chunk_by(|a, b| a.0 == b.0) {
                let kind = if boilerplate {
                    "boilerplate"
                } else if same_doc.len() > 1 {
                    "repeat-within"
                } else {
                    "repeat-across"
                };
                for &(doc, span) in same_doc {
                    by_doc.entry(doc).or_default().push(AnnotatedSpan {
                        start: span.start,
                        end: span.end,
                        cluster,
                        level,
                        kind,
                    });
                }
            }
        };
    for c in &report.passage_clusters {
        let members: Vec<(DocId, Span)> = c.members.iter().map(|m| (m.doc, m.span)).collect();
        annotate("passage", c.id, c.boilerplate, &members);
    }
    for c in &report.span_clusters {
        let members: Vec<(DocId, Span)> = c.members.iter().map(|m| (m.doc, m.span)).collect();
        annotate("span", c.id, c.boilerplate, &members);
    }
    for (doc, mut spans) in by_doc {
        spans.sort_by_key(|s| (s.start, s.end, s.level, s.cluster));
        let line = AnnotationOut {
            version: FORMAT_VERSION,
            id: report.id(doc),
            spans,
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes the summary alone as one line of JSON: the `summary` object of
/// [`write_json`], for callers that want the counts without the clusters.
pub fn write_summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &summary_out(&report.summary))?;
    out.write_all(b"\n")
}

/// Writes the summary and all clusters as one JSON object. Clusters are
/// made as they are written, so the report is never whole in memory.
pub fn write_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = ReportOut {
        version: FORMAT_VERSION,
        summary: summary_out(&report.summary),
        clusters: Made {
            count: report.clusters.len(),
            make: |i| cluster_out(report, &report.clusters[i]),
        },
        passage_clusters: Made {
            count: report.passage_clusters.len(),
            make: |i| passage_line(report, i),
        },
        span_clusters: Made {
            count: report.span_clusters.len(),
            make: |i| span_line(report, i),
        },
    };
    let release = || report.release_pages();
    let mut out = Releasing {
        out,
        written: 0,
        release: &release,
    };
    serde_json::to_writer_pretty(&mut out, &doc)?;
    out.write_all(b"\n")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cluster::Member;

    /// Texts kept in memory and texts spilled to a mapped file read the
    /// same, each distinct text stored once.
    #[test]
    fn member_texts_read_the_same_in_memory_and_spilled() {
        let text = "alpha beta\ngamma\nalpha beta\ndelta";
        let lines: Vec<Span> = [(0, 10), (11, 16), (17, 27), (28, 33)]
            .map(|(start, end)| Span { start, end })
            .to_vec();
        let dir = tempfile::tempdir().unwrap();
        let build = |spill_after: Option<usize>| {
            let mut builder = MemberTextsBuilder::default();
            for doc in 0..3u32 {
                for (i, &span) in lines.iter().enumerate() {
                    if spill_after == Some(doc as usize * lines.len() + i) {
                        builder.spill(dir.path(), 64).unwrap();
                    }
                    let hash = xxhash_rust::xxh3::xxh3_128(span.of(text).as_bytes());
                    builder.push(DocId(doc), span, span.of(text), hash).unwrap();
                }
            }
            builder.finish().unwrap()
        };
        let memory = build(None);
        // "alpha beta" twice in each of three documents, stored once.
        let TextStore::Memory(all) = &memory.store else {
            panic!("in memory")
        };
        assert_eq!(all, "alpha betagammadelta");
        for spill_after in [0, 5, 11] {
            let spilled = build(Some(spill_after));
            assert!(matches!(spilled.store, TextStore::Mapped(_)));
            let first = spilled.get(DocId(0), lines[0]).unwrap();
            // Released pages are read again, the same.
            for _ in 0..2 {
                for doc in 0..3 {
                    for &span in &lines {
                        let got = spilled.get(DocId(doc), span);
                        assert_eq!(got, Some(span.of(text)));
                        assert_eq!(got, memory.get(DocId(doc), span));
                    }
                }
                spilled.release();
            }
            assert_eq!(first, "alpha beta", "borrowed before the release");
            assert_eq!(spilled.get(DocId(3), lines[0]), None);
            assert_eq!(spilled.get(DocId(0), Span { start: 1, end: 2 }), None);
        }
        // The file is unnamed: nothing is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// Counts what a run advances.
    #[derive(Default)]
    struct Counting(std::sync::atomic::AtomicU64);

    impl Progress for Counting {
        fn advance(&self, n: u64) {
            self.0.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Lines made in blocks, a cluster bigger than a block on its own,
    /// are the lines made one by one; progress counts every line.
    #[test]
    fn lines_in_blocks_are_the_lines_one_by_one() {
        let sizes: Vec<usize> = (0..5000)
            .map(|i| match i % 997 {
                0 => BLOCK_MEMBERS + 5,
                n => n % 40,
            })
            .collect();
        let line = |n: &usize| vec![*n; n % 7];
        let mut blocks = Vec::new();
        let after = std::sync::atomic::AtomicUsize::new(0);
        let progress = Counting::default();
        let release = || {
            after.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        write_lines(
            sizes.len(),
            &mut blocks,
            |i| sizes[i],
            |i| line(&sizes[i]),
            |line, out| Ok(serde_json::to_writer(out, &line)?),
            &release,
            &progress,
        )
        .unwrap();
        assert!(after.into_inner() > 5);
        assert_eq!(progress.0.into_inner(), sizes.len() as u64);
        let mut one_by_one = Vec::new();
        for n in &sizes {
            serde_json::to_writer(&mut one_by_one, &line(n)).unwrap();
            one_by_one.push(b'\n');
        }
        assert_eq!(blocks, one_by_one);
    }

    pub(crate) fn sample() -> Report {
        let member = |doc: u32, similarity: f64, kept: bool| Member {
            doc: DocId(doc),
            similarity,
            kept,
        };
        Report {
            summary: Summary {
                read: 4,
                kept: 2,
                removed: 2,
                ..Summary::default()
            },
            clusters: vec![Cluster {
                id: ClusterId(0),
                members: vec![
                    member(0, 0.8333333333, false),
                    member(1, 1.0, true),
                    member(3, 1.0, false),
                ],
            }],
            pairs: Vec::new(),
            passage_clusters: PassageClusters::default(),
            span_clusters: SpanClusters::default(),
            member_texts: MemberTexts::default(),
            ids: ["a", "b", "c", "d"].into_iter().collect(),
            bytes: vec![1, 2, 3, 4],
            origins: vec![Origin { source: 0, line: 0 }; 4],
        }
    }

    #[test]
    fn cluster_lines_snapshot() {
        let mut out = Vec::new();
        write_clusters(&sample(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            concat!(
                r#"{"version":1,"cluster":0,"level":"document","size":3,"members":["#,
                r#"{"id":"a","similarity":0.833333,"kept":false},"#,
                r#"{"id":"b","similarity":1.0,"kept":true},"#,
                r#"{"id":"d","similarity":1.0,"kept":false}]}"#,
                "\n"
            )
        );
    }

    #[test]
    fn json_report_parses_back() {
        let mut out = Vec::new();
        write_json(&sample(), &mut out).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["version"], 1);
        assert_eq!(value["summary"]["removed"], 2);
        assert_eq!(value["clusters"][0]["members"][1]["id"], "b");
    }

    #[test]
    fn human_bytes_table() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(12_345), "12.3 KB");
        assert_eq!(human_bytes(151_000_000), "151.0 MB");
    }
}
