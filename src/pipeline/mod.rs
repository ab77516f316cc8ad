//! Pipeline: run the stages in order over a corpus. The only place that
//! decides what runs in parallel.
//!
//! ```text
//! pass 1  read ─► normalize ─► shingle ─► minhash ─► band keys   (parallel per batch)
//!         band index: exact duplicates joined to their first copy,
//!         candidate pairs among the first copies                 (parallel per band)
//! pass 2  read again: candidate documents ─► shingle sets        (parallel per batch)
//!         (not those whose sets pass 1 kept, up to a budget)
//!         verify each pair once the stream has passed both sides  (parallel per pair)
//!         cluster (union-find), choose the kept member
//! ```
//!
//! Memory: pass 1 keeps per document only its id, length, origin, band
//! keys and exact-text hash (plus its signature with estimated
//! verification); texts are dropped batch by batch. Under a memory limit
//! ([`Resources::memory`]) the keys and hashes spill to sorted runs on disk
//! ([`BandIndex`]), with the same result. Pass 2 keeps the shingle set of a candidate document
//! only until its last partner is verified, and none with estimated
//! verification. Each pass reads on a thread of its own, two batches
//! ahead.
//!
//! A document whose normalized text is empty (only punctuation, say) has
//! nothing to compare: it is kept and never clustered, rather than being
//! an "exact duplicate" of every other such document.
//!
//! Pass 1 is `sketching`, pass 2 `verifying`, the clusters `grouping`;
//! this module holds what they share (the per-document table) and runs
//! them in order.
//!
//! Determinism: documents get their [`DocId`] in input order, batches are
//! reassembled in order, candidate pairs are sorted, and clusters are built
//! in document order; the output does not depend on the thread count.

use std::time::Instant;

use rayon::prelude::*;

use crate::cluster::{Cluster, Member};
use crate::config::{Config, Resources};
use crate::core::{push_lean, DocId, Ids, RepeatedIds};
use crate::error::{Error, Result};
use crate::lsh::{BandIndex, BandKey, Banding, CandidatePair};
use crate::minhash::MinHasher;
pub(crate) use crate::progress::check;
use crate::progress::Timed;
pub use crate::progress::{NoProgress, Progress, Stage, StageTime};
use crate::read::stream::{BATCH_BYTES, BATCH_DOCS};
use crate::read::{Corpus, Origin};
use crate::report::{Parameters, Report, Summary};
use crate::verify::{verify, Signatures, SimilarPair, Verification};

mod grouping;
mod passages;
mod sketching;
mod staged;
mod verifying;

use grouping::build_clusters;
pub(crate) use sketching::Scratch;
pub(crate) use sketching::{sketch_corpus, Sketched};
pub use sketching::{Sketcher, TextSketch};
use verifying::{verify_streaming, VERIFY_CHUNK};

pub use staged::{cluster_sketches, removal_plan, sketch_shard, ShardSketch};

/// What a run knows of every document after pass 1.
struct Table {
    ids: Ids,
    bytes: Vec<u64>,
    origins: Vec<Origin>,
    /// The first document with the same normalized text (itself if none);
    /// filled from the index after pass 1.
    first_copy: Vec<DocId>,
    /// Band keys and exact-text hashes of the documents with words.
    index: BandIndex,
    signatures: Signatures,
    sets: SetCache,
}

/// Shingle sets kept from pass 1, up to a budget, so that verification
/// need not read, normalize and shingle those documents again. On a corpus
/// whose sets fit, pass 2 reads nothing; on a larger one, the first part
/// of the corpus is spared. Runs under a memory limit keep none (see
/// [`Table::new`]). Sets are exact either way: the cache changes the time
/// of a run, never its result.
#[derive(Default)]
struct SetCache {
    budget: usize,
    bytes: usize,
    /// Each document's shingle hashes' low bits, unsorted (see
    /// [`ShingleSet::from_low_bits`](crate::shingle::ShingleSet::from_low_bits)).
    sets: Vec<(DocId, Vec<u32>)>,
}

impl SetCache {
    fn has_room(&self) -> bool {
        self.bytes < self.budget
    }

    fn keep(&mut self, doc: DocId, low: Vec<u32>) {
        self.bytes += low.capacity() * size_of::<u32>() + size_of::<(DocId, Vec<u32>)>();
        self.sets.push((doc, low));
    }
}

/// The set cache's budget without a memory limit: a corpus of a few
/// hundred megabytes of text is verified without reading it twice.
const SET_CACHE: usize = 256 << 20;

impl Table {
    /// An empty table whose index spills when `resources` say so.
    fn new(config: &Config, banding: Banding, resources: &Resources) -> Table {
        let budget = match (resources.index_budget, resources.memory) {
            (Some(budget), _) => Some(budget),
            (None, Some(limit)) => Some(limit.saturating_sub(RESERVED) as usize),
            (None, None) => None,
        };
        let index = match budget {
            None => BandIndex::in_memory(banding.bands),
            Some(budget) => {
                let parent = resources.tmp_dir.clone().unwrap_or_else(std::env::temp_dir);
                BandIndex::spilling(banding.bands, budget, &parent)
            }
        };
        Table {
            ids: Ids::default(),
            bytes: Vec::new(),
            origins: Vec::new(),
            first_copy: Vec::new(),
            index,
            signatures: Signatures {
                num_perm: config.num_perm,
                slots: Vec::new(),
            },
            sets: SetCache {
                // Only exact verification of documents reads sets. Under a
                // memory limit none are kept: freed, they would stay with
                // the allocator's per-thread arenas, out of the index's
                // reach (measured: a fifth of a 1 GiB limit).
                budget: if config.verification == Verification::Exact && config.level.documents() {
                    let default = if resources.memory.is_some() {
                        0
                    } else {
                        SET_CACHE
                    };
                    resources.set_cache.unwrap_or(default)
                } else {
                    0
                },
                ..SetCache::default()
            },
        }
    }

    /// Makes room in memory (spilling the index) for `docs` more documents.
    fn make_room(&mut self, docs: usize) -> Result<()> {
        let memory = self.memory();
        self.index.make_room(docs, memory)
    }

    /// Adds the next document: its id, origin and length, and its
    /// exact-text hash and band keys unless it has no words (then it is
    /// kept and never clustered: see the module docs).
    fn push(
        &mut self,
        id: &str,
        origin: Origin,
        bytes: u64,
        sketch: Option<(u128, &[BandKey])>,
        slots: Option<&[u32]>,
    ) -> Result<DocId> {
        let doc = DocId(u32::try_from(self.ids.len()).map_err(|_| Error::TooManyDocuments)?);
        self.ids.push(id);
        push_lean(&mut self.bytes, bytes);
        push_lean(&mut self.origins, origin);
        if let Some((exact, keys)) = sketch {
            self.index.push(doc, exact, keys);
        }
        if let Some(slots) = slots {
            self.signatures.slots.extend_from_slice(slots);
        }
        Ok(doc)
    }

    /// Bytes held outside the index, spare capacity included.
    fn memory(&self) -> usize {
        self.ids.memory()
            + self.bytes.capacity() * size_of::<u64>()
            + self.origins.capacity() * size_of::<Origin>()
            + self.signatures.slots.capacity() * size_of::<u32>()
            + self.sets.bytes
    }
}

/// Memory a limited run sets aside for what the table does not count:
/// batches in flight (five at most, of up to `BATCH_BYTES` of text: one
/// being read, two queued, one being mapped and, in the passage grain's
/// overlapped passes, one being folded) and per-thread buffers.
const RESERVED: u64 = 5 * BATCH_BYTES as u64 + (64 << 20);

/// Runs the document-level pipeline over `corpus` and returns its report.
///
/// ```
/// use textdup::{run, Config, Document, NoProgress};
/// let base = "the quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat";
/// let docs = vec![
///     Document::new("a", base),
///     Document::new("b", format!("{base} today")),
///     Document::new("c", "an entirely different text about the weather in spring and rain"),
/// ];
/// let report = run(&docs, &Config::default(), &NoProgress).unwrap();
/// assert_eq!(report.clusters().len(), 1);
/// assert_eq!(report.summary().removed, 1);
/// assert_eq!(report.id(report.clusters()[0].members[1].doc), "b");
/// ```
pub fn run(corpus: &dyn Corpus, config: &Config, progress: &dyn Progress) -> Result<Report> {
    run_with(corpus, config, &Resources::default(), progress)
}

/// [`run`] within `resources`: under a memory limit the band index spills
/// to disk. The report is the same as [`run`]'s.
pub fn run_with(
    corpus: &dyn Corpus,
    config: &Config,
    resources: &Resources,
    progress: &dyn Progress,
) -> Result<Report> {
    config.validate()?;
    resources.validate()?;
    let started = Instant::now();
    let timed = Timed::new(progress);
    let progress = &timed;
    let banding = config.banding();
    let hasher = MinHasher::new(config.num_perm, config.seed);

    let mut summary = Summary::default();
    let mut table = Table::new(config, banding, resources);
    let keep_sets = std::cell::Cell::new(table.sets.has_room());
    progress.begin(Stage::Sketch, None);
    sketch_corpus(
        corpus,
        config,
        &hasher,
        banding,
        progress,
        &|| keep_sets.get(),
        |sketched| {
            match sketched {
                Sketched::Skipped(skip) => summary.skip(skip.reason.kind()),
                Sketched::Batch(docs, sketches) => {
                    table.make_room(docs.len())?;
                    for (doc, sketch) in docs.iter().zip(sketches) {
                        let bytes = doc.text.len() as u64;
                        summary.bytes += bytes;
                        let keys = sketch.exact.map(|exact| (exact, &sketch.keys[..]));
                        let id = table.push(
                            &doc.id,
                            doc.origin,
                            bytes,
                            keys,
                            sketch.slots.as_deref(),
                        )?;
                        if let Some(set) = sketch.set {
                            table.sets.keep(id, set);
                        }
                    }
                    keep_sets.set(table.sets.has_room());
                }
            }
            Ok(())
        },
    )?;
    progress.end();
    for note in corpus.notes() {
        progress.note(&note);
    }
    let mut report = finish(
        corpus, config, banding, resources, table, summary, started, progress,
    )?;
    report.summary.stages = timed.times();
    Ok(report)
}

/// Everything after pass 1: exact copies, candidates, verification,
/// clusters, passages, and the report. `summary` has pass 1's counts.
#[allow(clippy::too_many_arguments)]
fn finish(
    corpus: &dyn Corpus,
    config: &Config,
    banding: Banding,
    resources: &Resources,
    mut table: Table,
    mut summary: Summary,
    started: Instant,
    progress: &dyn Progress,
) -> Result<Report> {
    let pairs = candidates(&mut table, banding, &mut summary, progress)?;
    // Now that the band index is spent, its room more than covers the
    // eight bytes a document this check takes.
    if let Some(repeated) = table.ids.repeated() {
        progress.note(&repeated_ids_note(&table.ids, &repeated));
    }
    let scored = score(corpus, config, &mut table, pairs, progress)?;
    let clusters = build_clusters(corpus, config, &table, &scored, progress)?;
    // What the report lists: the similar pairs, in place of all scored.
    let mut similar = scored;
    similar.retain(|p| p.similarity >= config.threshold);
    similar.shrink_to_fit();
    summary.similar_pairs = similar.len() as u64;

    let found = if config.level.passages() {
        passage_grain(
            corpus,
            config,
            resources,
            &table,
            &clusters,
            summary.bytes,
            progress,
        )?
    } else {
        passages::PassageFindings::default()
    };
    summary.passages = found.passages;
    summary.spilled += found.spilled;
    summary.passage_clusters = found.passage_clusters.len() as u64;
    summary.span_clusters = found.span_clusters.len() as u64;
    let passages = &found.passage_clusters;
    let spans = &found.span_clusters;
    summary.boilerplate_clusters = (0..passages.len())
        .filter(|&i| passages.is_boilerplate(i))
        .count() as u64
        + (0..spans.len())
            .filter(|&i| spans.is_boilerplate(i))
            .count() as u64;

    let documents = table.ids.len() as u64;
    summary.removed = clusters.iter().map(|c| c.members.len() as u64 - 1).sum();
    summary.kept = documents - summary.removed;
    summary.clusters = clusters.len() as u64;
    summary.read = documents + summary.skipped;
    summary.elapsed = started.elapsed();
    summary.parameters = Parameters::new(config, banding);
    Ok(Report {
        summary,
        clusters,
        pairs: similar,
        passage_clusters: found.passage_clusters,
        span_clusters: found.span_clusters,
        member_texts: found.texts,
        ids: table.ids,
        bytes: table.bytes,
        origins: table.origins,
    })
}

/// What to say of documents that repeat an earlier one's id.
fn repeated_ids_note(ids: &Ids, repeated: &RepeatedIds) -> String {
    let count = repeated.count;
    format!(
        "{count} document{} repeat{} an earlier document's id (the first: {:?}, document {} of the input); reports and removed lists name documents by id, so these are ambiguous there: give each document its own id, or name another field with --id-field",
        if count == 1 { "" } else { "s" },
        if count == 1 { "s" } else { "" },
        ids.get(repeated.first),
        repeated.first.index() + 1,
    )
}

/// Each document's first exact copy, then the candidate pairs of first
/// copies from the band index, which is spent after (its runs on disk go
/// now, not at the end of the run).
fn candidates(
    table: &mut Table,
    banding: Banding,
    summary: &mut Summary,
    progress: &dyn Progress,
) -> Result<Vec<CandidatePair>> {
    table.first_copy = table
        .index
        .first_copies(table.ids.len(), &|| check(progress))?;
    summary.exact_duplicates = table
        .first_copy
        .iter()
        .enumerate()
        .filter(|&(i, first)| first.index() != i)
        .count() as u64;

    progress.begin(Stage::Candidates, Some(banding.bands as u64));
    let first_copy = &table.first_copy;
    let pairs = table.index.candidates(
        &|doc| first_copy[doc.index()] == doc,
        &|| {
            check(progress)?;
            progress.advance(1);
            Ok(())
        },
        &|| progress.cancelled(),
    )?;
    progress.end();
    summary.spilled = table.index.spilled();
    table.index = BandIndex::in_memory(banding.bands);
    summary.candidate_pairs = pairs.len() as u64;
    Ok(pairs)
}

/// Every candidate pair with its similarity; the similar ones are those
/// at the threshold. The others still serve: a member joined through a
/// chain may have one of them with its kept document.
fn score(
    corpus: &dyn Corpus,
    config: &Config,
    table: &mut Table,
    pairs: Vec<CandidatePair>,
    progress: &dyn Progress,
) -> Result<Vec<SimilarPair>> {
    match config.verification {
        Verification::Estimate => {
            progress.begin(Stage::Verify, Some(pairs.len() as u64));
            let scored: Vec<SimilarPair> = pairs
                .par_chunks(VERIFY_CHUNK)
                .flat_map_iter(|chunk| {
                    progress.advance(chunk.len() as u64);
                    chunk
                        .iter()
                        .filter_map(|&pair| verify(pair, &table.signatures, 0.0))
                })
                .collect();
            progress.end();
            Ok(scored)
        }
        Verification::Exact => {
            let cached = std::mem::take(&mut table.sets.sets);
            verify_streaming(corpus, config, table, cached, pairs, progress)
        }
    }
}

/// The passage grain over the documents the document grain keeps (a
/// removed copy must not make its kept twin's passages look repeated, or
/// boilerplate, and get them cut), within what the memory limit leaves it
/// beside the document grain's tables.
fn passage_grain(
    corpus: &dyn Corpus,
    config: &Config,
    resources: &Resources,
    table: &Table,
    clusters: &[Cluster],
    text_bytes: u64,
    progress: &dyn Progress,
) -> Result<passages::PassageFindings> {
    let documents = if config.level.documents() {
        table.ids.len()
    } else {
        0
    };
    let mut removed = vec![false; documents];
    for member in clusters.iter().flat_map(|c| &c.members).filter(|m| !m.kept) {
        removed[member.doc.index()] = true;
    }
    let held = table.memory()
        + table.first_copy.capacity() * size_of::<DocId>()
        + removed.capacity()
        + clusters
            .iter()
            .map(|c| c.members.capacity() * size_of::<Member>())
            .sum::<usize>();
    let scope = passages::Scope {
        ids: &table.ids,
        removed: &removed,
        text_bytes,
        memory: match (resources.passage_budget, resources.memory) {
            (Some(budget), _) => Some((held as u64 + budget as u64, held as u64)),
            // The allocator's own room (fragmentation, per-thread arenas)
            // comes on top of the bytes the tables count: on a million
            // documents at `--memory 1GiB`, 1 to 3% of the limit.
            (None, Some(limit)) => Some((limit, RESERVED + limit / 32 + held as u64)),
            (None, None) => None,
        },
        tmp_dir: resources.tmp_dir.clone().unwrap_or_else(std::env::temp_dir),
    };
    passages::run(corpus, config, &scope, progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;
    use crate::read::Document;
    use crate::shingle::ShingleSet;

    fn docs() -> Vec<Document> {
        let base = "a b c d e f g h i j k l m n o p q r s t";
        vec![
            Document::new("x", base),
            Document::new("y", "entirely other words that have nothing in common here"),
            Document::new("z", format!("{base} u")),
            Document::new("w", base.to_uppercase()),
        ]
    }

    /// A passage or span cluster's JSON line, however it is made (a block
    /// of lines at once, or a cluster too big for a block in parts, at
    /// 64 members in unit tests), and its entry in the whole JSON report,
    /// are the cluster made whole from the library's types.
    #[test]
    fn cluster_lines_in_parts_are_the_clusters_made_whole() {
        let docs: Vec<Document> = (0..150)
            .map(|i| {
                let unique: Vec<String> = (0..12).map(|w| format!("u{i}x{w}")).collect();
                let body = if i % 3 == 0 {
                    "a paragraph that a third of the documents share word for word today"
                } else {
                    "another"
                };
                Document::new(
                    format!("d{i}"),
                    format!(
                        "Read our cookie policy and terms of use here.\n{}\n{body}",
                        unique.join(" ")
                    ),
                )
            })
            .collect();
        let config = Config {
            level: crate::config::Level::Passage,
            ..Config::default()
        };
        let report = run(&docs, &config, &NoProgress).unwrap();
        let (mut lines, mut whole) = (Vec::new(), Vec::new());
        crate::report::write_clusters(&report, &mut lines).unwrap();
        crate::report::write_json(&report, &mut whole).unwrap();
        let whole: serde_json::Value = serde_json::from_slice(&whole).unwrap();
        let lines: Vec<serde_json::Value> = lines
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| serde_json::from_slice(line).unwrap())
            .collect();
        // Each cluster made whole, from the library's own types.
        let made_whole = |level: &str, id, documents, boilerplate, members: Vec<_>| {
            let members: Vec<serde_json::Value> = members
                .into_iter()
                .map(
                    |(doc, span, similarity, kind): (DocId, crate::Span, f64, &str)| {
                        serde_json::json!({
                            "id": report.id(doc),
                            "start": span.start,
                            "end": span.end,
                            "text": report.member_text(doc, span),
                            "similarity": crate::report::round(similarity),
                            "match": kind,
                        })
                    },
                )
                .collect();
            serde_json::json!({
                "version": 1, "cluster": id, "level": level, "size": members.len(),
                "documents": documents, "boilerplate": boilerplate, "members": members,
            })
        };
        let passages = report.passage_clusters().iter().map(|c| {
            let members = c.members.iter();
            let members = members.map(|m| (m.doc, m.span, m.similarity, m.kind.name()));
            made_whole(
                "passage",
                c.id,
                c.documents(),
                c.boilerplate,
                members.collect(),
            )
        });
        let spans = report.span_clusters().iter().map(|c| {
            let members = c.members.iter().map(|m| (m.doc, m.span, 1.0, "exact"));
            made_whole(
                "span",
                c.id,
                c.documents(),
                c.boilerplate,
                members.collect(),
            )
        });
        for (level, key, expected) in [
            ("passage", "passage_clusters", passages.collect::<Vec<_>>()),
            ("span", "span_clusters", spans.collect()),
        ] {
            let of_level: Vec<&serde_json::Value> =
                lines.iter().filter(|l| l["level"] == level).collect();
            assert!(!expected.is_empty(), "{level}");
            assert_eq!(of_level.len(), expected.len(), "{level}");
            for (line, cluster) in of_level.iter().zip(&expected) {
                assert_eq!(*line, cluster);
            }
            // The whole report streams the same clusters.
            assert_eq!(whole[key].as_array().unwrap(), &expected, "{level}");
        }
        // The boilerplate line is one cluster of every document: in parts.
        let biggest = lines.iter().map(|l| l["size"].as_u64().unwrap()).max();
        assert_eq!(biggest, Some(150));
    }

    #[test]
    fn near_and_exact_copies_join_one_cluster() {
        let docs = docs();
        let from_vec = run(&docs, &Config::default(), &NoProgress).unwrap();
        assert_eq!(from_vec.clusters.len(), 1);
        let ids: Vec<&str> = from_vec.clusters[0]
            .members
            .iter()
            .map(|m| from_vec.id(m.doc))
            .collect();
        assert_eq!(ids, ["x", "z", "w"]);
    }

    #[test]
    fn a_member_joined_through_another_gets_its_own_similarity_to_the_kept_one() {
        // A ~ B and B ~ C at 0.85, but A and C only about 0.81 apart.
        let words: Vec<String> = (0..200).map(|i| format!("w{i}")).collect();
        let edit = |text: &[String], at: &[usize]| -> Vec<String> {
            let mut out = text.to_vec();
            for &i in at {
                out[i] = format!("x{i}");
            }
            out
        };
        let a = words.clone();
        let b = edit(&a, &[20, 40]);
        let c = edit(&b, &[160, 180]);
        let docs = vec![
            Document::new("a", a.join(" ")),
            Document::new("b", b.join(" ")),
            Document::new("c", c.join(" ")),
        ];
        let config = Config {
            threshold: 0.85,
            ..Config::default()
        };
        let report = run(&docs, &config, &NoProgress).unwrap();
        assert_eq!(report.clusters().len(), 1);
        let set = |d: &Document| {
            let mut text = String::new();
            normalize(&d.text, &config.normalization, &mut text);
            ShingleSet::new(&text, &config.shingling, config.seed)
        };
        let a_c = set(&docs[0]).jaccard(&set(&docs[2]));
        assert!(a_c < 0.85, "a and c are not a verified pair: {a_c}");
        let c = &report.clusters()[0].members[2];
        assert_eq!(report.id(c.doc), "c");
        assert_eq!(c.similarity, a_c);
        assert!(!report
            .pairs
            .iter()
            .any(|p| p.first == DocId(0) && p.second == DocId(2)));
    }

    #[test]
    fn documents_without_words_are_never_clustered() {
        let docs = vec![
            Document::new("a", "* * *"),
            Document::new("b", "* * *"),
            Document::new("c", "---"),
        ];
        let report = run(&docs, &Config::default(), &NoProgress).unwrap();
        assert!(report.clusters().is_empty());
        assert_eq!(report.summary().kept, 3);
    }

    #[test]
    fn estimate_and_exact_agree_on_clear_cases() {
        let docs = docs();
        let exact = run(&docs, &Config::default(), &NoProgress).unwrap();
        let config = Config {
            verification: Verification::Estimate,
            ..Config::default()
        };
        let estimate = run(&docs, &config, &NoProgress).unwrap();
        let members = |r: &Report| -> Vec<Vec<DocId>> {
            r.clusters
                .iter()
                .map(|c| c.members.iter().map(|m| m.doc).collect())
                .collect()
        };
        assert_eq!(members(&exact), members(&estimate));
        assert_eq!(exact.summary.exact_duplicates, 1, "w is x in upper case");
    }

    /// A corpus whose every stream starts one document later.
    struct Shifting(std::sync::atomic::AtomicUsize, Vec<Document>);

    impl Corpus for Shifting {
        fn records(&self) -> Box<dyn Iterator<Item = crate::read::Record> + Send + '_> {
            let skip = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::new(self.1.iter().skip(skip).cloned().map(Ok))
        }
    }

    #[test]
    fn a_corpus_that_changes_between_passes_is_an_error() {
        let shifting = Shifting(Default::default(), docs());
        // With its sets kept from pass 1, verification would not read the
        // corpus again, and there would be no second stream to check.
        let resources = Resources {
            set_cache: Some(0),
            ..Resources::default()
        };
        let result = run_with(&shifting, &Config::default(), &resources, &NoProgress);
        assert!(
            matches!(result, Err(Error::InputChanged { .. })),
            "{result:?}"
        );
    }

    /// A corpus whose documents have a line more in every other stream.
    struct Growing(std::sync::atomic::AtomicUsize, Vec<Document>);

    impl Corpus for Growing {
        fn records(&self) -> Box<dyn Iterator<Item = crate::read::Record> + Send + '_> {
            let later = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 2 == 1;
            Box::new(self.1.iter().cloned().map(move |mut doc| {
                if later {
                    doc.text.push_str("\nA line that was not there before.");
                }
                Ok(doc)
            }))
        }
    }

    #[test]
    fn a_document_whose_passages_change_between_passes_is_an_error() {
        let headline = "Ministers meet in Vienna to talk about the budget";
        let docs: Vec<Document> = ["a", "b"]
            .map(|id| Document::new(id, format!("{headline}\nNews from {id}.")))
            .to_vec();
        let config = Config {
            level: crate::config::Level::Passage,
            ..Config::default()
        };
        let steady = run(&docs, &config, &NoProgress).unwrap();
        assert_eq!(steady.passage_clusters().len(), 1);
        let growing = Growing(Default::default(), docs);
        let result = run_with(&growing, &config, &Resources::default(), &NoProgress);
        match result {
            Err(e @ Error::DocumentChanged { .. }) => {
                assert!(e.to_string().contains("changed between passes"), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
}
