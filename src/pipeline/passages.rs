//! The passage grain's flow: three streams over the corpus.
//!
//! ```text
//! pass A  every document: split → normalize → exact hash, MinHash band keys   (parallel per batch)
//!         and every k-word window into the seen-twice bitmaps
//!         exact copies joined; lsh over first copies                          (parallel per band)
//! pass B  documents with candidate passages or maybe-repeated windows:
//!         passage texts for verification, span occurrences                    (parallel per batch)
//!         verify pairs (exact, containment, near); cluster; group spans
//! pass C  documents in any cluster: the original text of every member
//! ```
//!
//! Memory: pass A keeps per passage its document, span, exact hash and band
//! keys; texts are dropped batch by batch. Pass B keeps the texts of
//! candidate passages and the windows the bitmaps cannot rule out.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_128_with_seed;

use super::Scratch;
use crate::cluster::components;
use crate::config::Config;
use crate::core::{DocId, Ids};
use crate::error::{Error, Result};
use crate::lsh::{band_pairs, BandKey, Banding, CandidatePair};
use crate::minhash::MinHasher;
use crate::normalize::{normalize, words, Word};
use crate::passage::spans::{self, Occurrence, SeenTwice, SpanCluster};
use crate::passage::{
    compare, edit_similarity, split, MatchKind, PassageCluster, PassageMember, PassageText, Span,
    SHORT_PASSAGE_WORDS,
};
use crate::progress::{check, Progress, Stage};
use crate::read::stream::documents;
use crate::read::Corpus;
use crate::shingle::Shingling;

/// The index of a passage among all passages of a run, in corpus order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct PassageId(u32);

/// What the passage grain found.
#[derive(Debug, Default)]
pub(crate) struct PassageFindings {
    pub passages: u64,
    pub passage_clusters: Vec<PassageCluster>,
    pub span_clusters: Vec<SpanCluster>,
    /// Original text of every cluster member, by document and span.
    pub texts: HashMap<(DocId, Span), String>,
}

/// Pass A's record of every passage.
#[derive(Default)]
struct PassageTable {
    doc: Vec<DocId>,
    span: Vec<Span>,
    first_copy: Vec<PassageId>,
    lsh_ids: Vec<PassageId>,
    lsh_keys: Vec<BandKey>,
    /// Number of words per document, to size the span bitmaps.
    words: u64,
}

impl PassageTable {
    /// Bytes held, spare capacity included.
    fn memory(&self) -> usize {
        self.doc.capacity() * size_of::<DocId>()
            + self.span.capacity() * size_of::<Span>()
            + self.first_copy.capacity() * size_of::<PassageId>()
            + self.lsh_ids.capacity() * size_of::<PassageId>()
            + self.lsh_keys.capacity() * size_of::<BandKey>()
    }
}

/// What pass B loads of one document: its candidate passages' texts and
/// its windows that may repeat.
type Loaded = (Vec<(PassageId, PassageText)>, Vec<Occurrence>);

struct SketchedPassage {
    span: Span,
    exact: u128,
    keys: Vec<BandKey>,
}

/// What the passage grain runs over, as pass 1 found it.
pub(crate) struct Scope<'a> {
    /// Every document's id.
    pub ids: &'a Ids,
    /// Documents to leave out, as if they were not in the corpus (indexed
    /// by [`DocId`]; shorter means not removed): those the document grain
    /// removes.
    pub removed: &'a [bool],
    /// Bytes of text in the corpus.
    pub text_bytes: u64,
    /// The run's memory limit, if any, and the bytes the rest of the run
    /// holds meanwhile: the passage grain's tables may take the difference.
    pub memory: Option<(u64, u64)>,
}

/// The passage grain's memory under a limit. Its tables do not spill (yet):
/// past the budget the run stops with [`Error::MemoryLimit`], saying how
/// much the whole stage would need, rather than pass the limit.
struct Budget {
    memory: Option<(u64, u64)>,
    documents: usize,
}

impl Budget {
    /// Fails if `held` bytes are past the limit, projecting from the
    /// `done` documents seen so far what the run would need in all.
    fn check(&self, held: usize, done: usize) -> Result<()> {
        let Some((limit, elsewhere)) = self.memory else {
            return Ok(());
        };
        let held = held as u64;
        if elsewhere + held <= limit {
            return Ok(());
        }
        let projected = held as f64 * self.documents as f64 / done.max(1) as f64;
        Err(Error::MemoryLimit {
            stage: "the passage grain",
            limit,
            needed: elsewhere + (projected as u64).max(held),
        })
    }
}

/// Runs the passage grain over `corpus` (see [`Scope`]).
pub(crate) fn run(
    corpus: &dyn Corpus,
    config: &Config,
    scope: &Scope,
    progress: &dyn Progress,
) -> Result<PassageFindings> {
    let Scope {
        ids,
        removed,
        text_bytes,
        memory,
    } = *scope;
    let budget = Budget {
        memory,
        documents: ids.len(),
    };
    let p = &config.passage;
    let banding = Banding::optimal(p.threshold, p.num_perm);
    let hasher = MinHasher::new(p.num_perm, config.seed);
    let shingling = Shingling {
        n: p.ngram,
        ..Shingling::default()
    };
    let unigrams = Shingling {
        n: 1,
        ..Shingling::default()
    };
    // 1 to 2 bits per byte of text (power-of-two rounding), 5.5 to 11 per
    // English word: unique windows pass the filter a few percent of the
    // time, which costs less than bigger bitmaps would.
    let seen = SeenTwice::with_bits(text_bytes);
    budget.check(seen.memory(), ids.len())?;

    // Pass A.
    progress.begin(Stage::Passages, Some(ids.len() as u64));
    let mut table = PassageTable::default();
    let mut first_copies: HashMap<u128, PassageId, ahash::RandomState> = HashMap::default();
    let gone = |doc: &DocId| removed.get(doc.index()).copied().unwrap_or(false);
    let mut done = 0;
    documents(corpus, ids, |mut batch| {
        check(progress)?;
        let read = batch.len() as u64;
        batch.retain(|(doc, _)| !gone(doc));
        let sketched: Vec<(Vec<SketchedPassage>, u64)> = batch
            .par_iter()
            .map_init(
                || (Scratch::new(&hasher), String::new(), Vec::new()),
                |(scratch, normalized, found), (_, doc)| {
                    let passages = split(&doc.text, p.unit)
                        .into_iter()
                        .filter_map(|span| {
                            normalize(span.of(&doc.text), &config.normalization, &mut scratch.text);
                            if scratch.text.is_empty() {
                                return None;
                            }
                            // Short passages are sketched by their words: one
                            // changed word in a headline keeps most of them,
                            // where it would cost most of its trigrams and
                            // LSH would never propose the pair.
                            let words = scratch.text.split(' ').count();
                            let unit = if words < SHORT_PASSAGE_WORDS {
                                &unigrams
                            } else {
                                &shingling
                            };
                            scratch.sketch(unit, config.seed, &hasher);
                            let mut keys = Vec::with_capacity(banding.bands);
                            banding.keys(&scratch.slots, &mut keys);
                            Some(SketchedPassage {
                                span,
                                exact: xxh3_128_with_seed(scratch.text.as_bytes(), config.seed),
                                keys,
                            })
                        })
                        .collect();
                    words(&doc.text, &config.normalization, normalized, found);
                    spans::windows(normalized, found, p.min_span, config.seed, |_, h| {
                        seen.insert(h)
                    });
                    (passages, found.len() as u64)
                },
            )
            .collect();
        for ((doc, _), (passages, word_count)) in batch.iter().zip(sketched) {
            table.words += word_count;
            for passage in passages {
                let id =
                    PassageId(u32::try_from(table.doc.len()).map_err(|_| Error::TooManyDocuments)?);
                table.doc.push(*doc);
                table.span.push(passage.span);
                let first = *first_copies.entry(passage.exact).or_insert(id);
                table.first_copy.push(first);
                if first == id {
                    table.lsh_ids.push(id);
                    table.lsh_keys.extend_from_slice(&passage.keys);
                }
            }
        }
        progress.advance(read);
        done += read as usize;
        // A hash map entry: the u128 key, the id, and the table's slack.
        let held = seen.memory() + table.memory() + first_copies.capacity() * 32;
        budget.check(held, done)
    })?;
    progress.end();
    drop(first_copies);

    let mut pairs: Vec<CandidatePair<PassageId>> = (0..banding.bands)
        .into_par_iter()
        .flat_map_iter(|band| band_pairs(&table.lsh_ids, &table.lsh_keys, banding.bands, band))
        .collect();
    check(progress)?;
    pairs.par_sort_unstable();
    pairs.dedup();
    table.lsh_keys = Vec::new();

    // Pass B: passage texts of candidates; span occurrences.
    let mut wanted = vec![false; table.doc.len()];
    for pair in &pairs {
        wanted[pair.first.0 as usize] = true;
        wanted[pair.second.0 as usize] = true;
    }
    let mut passages_of: HashMap<DocId, Vec<PassageId>> = HashMap::new();
    for (i, &w) in wanted.iter().enumerate() {
        if w {
            passages_of
                .entry(table.doc[i])
                .or_default()
                .push(PassageId(i as u32));
        }
    }
    let mut texts: HashMap<PassageId, PassageText, ahash::RandomState> = HashMap::default();
    let mut texts_held = 0usize;
    let mut occurrences: Vec<Occurrence> = Vec::new();
    let held_before = seen.memory()
        + table.memory()
        + pairs.capacity() * size_of::<CandidatePair<PassageId>>()
        + wanted.capacity()
        + passages_of.capacity() * 48;
    let mut done = 0;
    progress.begin(Stage::Spans, Some(ids.len() as u64));
    documents(corpus, ids, |mut batch| {
        check(progress)?;
        let read = batch.len() as u64;
        batch.retain(|(doc, _)| !gone(doc));
        let loaded: Vec<Loaded> = batch
            .par_iter()
            .map_init(
                || (String::new(), Vec::<Word>::new()),
                |(normalized, found), (doc, document)| {
                    let passages = passages_of
                        .get(doc)
                        .map(|ids| {
                            ids.iter()
                                .map(|&id| {
                                    (
                                        id,
                                        passage_text(
                                            table.span[id.0 as usize].of(&document.text),
                                            config,
                                            &shingling,
                                        ),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let mut occurrences = Vec::new();
                    words(&document.text, &config.normalization, normalized, found);
                    spans::windows(normalized, found, p.min_span, config.seed, |i, hash| {
                        if seen.maybe_repeated(hash) {
                            occurrences.push(Occurrence {
                                hash,
                                doc: *doc,
                                word: i as u32,
                            });
                        }
                    });
                    (passages, occurrences)
                },
            )
            .collect();
        for (passages, found) in loaded {
            texts_held += passages.iter().map(|(_, t)| t.memory()).sum::<usize>();
            texts.extend(passages);
            occurrences.extend(found);
        }
        progress.advance(read);
        done += read as usize;
        let held = held_before
            + texts_held
            + texts.capacity() * (size_of::<(PassageId, PassageText)>() + 1)
            + occurrences.capacity() * size_of::<Occurrence>();
        budget.check(held, done)
    })?;
    progress.end();
    drop(seen);

    // Verify and cluster passages.
    let verified: Vec<(PassageId, PassageId)> = pairs
        .par_iter()
        .filter_map(|pair| {
            let (a, b) = (texts.get(&pair.first)?, texts.get(&pair.second)?);
            compare(a, b, p.threshold).map(|_| (pair.first, pair.second))
        })
        .collect();
    let exact_edges = table
        .first_copy
        .iter()
        .enumerate()
        .filter(|&(i, first)| first.0 as usize != i)
        .map(|(i, &first)| (DocId(i as u32), DocId(first.0)));
    let edges = exact_edges.chain(verified.iter().map(|&(a, b)| (DocId(a.0), DocId(b.0))));
    // components() numbers units with DocId; here they are passages.
    let groups = components(table.doc.len(), edges);
    let passage_clusters: Vec<PassageCluster> = groups
        .iter()
        .enumerate()
        .map(|(n, group)| {
            let ids: Vec<PassageId> = group.iter().map(|d| PassageId(d.0)).collect();
            let first_copy = table.first_copy[ids[0].0 as usize];
            let members = ids
                .iter()
                .map(|&id| {
                    let copy = table.first_copy[id.0 as usize];
                    let (kind, similarity, removable) = if copy == first_copy {
                        (MatchKind::Exact, 1.0, true)
                    } else {
                        match (texts.get(&first_copy), texts.get(&copy)) {
                            (Some(a), Some(b)) => {
                                // A member joined through a chain can be
                                // below the threshold to the first one.
                                let (kind, similarity) = compare(a, b, p.threshold)
                                    .unwrap_or((MatchKind::Near, similarity(a, b)));
                                (kind, similarity, removable(kind, a, b))
                            }
                            _ => (MatchKind::Near, 0.0, false),
                        }
                    };
                    PassageMember {
                        doc: table.doc[id.0 as usize],
                        span: table.span[id.0 as usize],
                        similarity,
                        kind,
                        removable,
                    }
                })
                .collect();
            let mut cluster = PassageCluster {
                id: n as u32,
                members,
                boilerplate: false,
            };
            cluster.boilerplate = cluster.documents() >= p.boilerplate_min_docs;
            cluster
        })
        .collect();
    drop(texts);
    check(progress)?;

    let mut span_clusters = spans::cluster(occurrences, p.min_span, p.boilerplate_min_docs)?;

    // Pass C: byte spans of span regions, and the original text of every
    // member.
    let mut members_of: HashMap<DocId, Vec<(usize, usize)>> = HashMap::new();
    for (c, cluster) in span_clusters.iter().enumerate() {
        for (m, member) in cluster.members.iter().enumerate() {
            members_of.entry(member.doc).or_default().push((c, m));
        }
    }
    let mut passage_spans: HashMap<DocId, HashSet<Span>> = HashMap::new();
    for m in passage_clusters.iter().flat_map(|c| &c.members) {
        passage_spans.entry(m.doc).or_default().insert(m.span);
    }
    let mut member_texts = HashMap::new();
    if !members_of.is_empty() || !passage_spans.is_empty() {
        let (mut normalized, mut found) = (String::new(), Vec::new());
        documents(corpus, ids, |batch| {
            check(progress)?;
            for (doc, document) in &batch {
                if let Some(members) = members_of.get(doc) {
                    words(
                        &document.text,
                        &config.normalization,
                        &mut normalized,
                        &mut found,
                    );
                    for &(c, m) in members {
                        let member = &mut span_clusters[c].members[m];
                        member.locate(&found);
                        member_texts.insert(
                            (*doc, member.span),
                            member.span.of(&document.text).to_string(),
                        );
                    }
                }
                for span in passage_spans.get(doc).into_iter().flatten() {
                    member_texts.insert((*doc, *span), span.of(&document.text).to_string());
                }
            }
            Ok(())
        })?;
    }
    Ok(PassageFindings {
        passages: table.doc.len() as u64,
        passage_clusters,
        span_clusters,
        texts: member_texts,
    })
}

/// Jaccard, or for two short passages the better of Jaccard and edit
/// similarity: the figure `compare` would have judged by.
fn similarity(a: &PassageText, b: &PassageText) -> f64 {
    let jaccard = a.shingles.jaccard(&b.shingles);
    match (&a.short, &b.short) {
        (Some(x), Some(y)) => jaccard.max(edit_similarity(x, y)),
        _ => jaccard,
    }
}

/// Whether cleaning may cut `member` for repeating `first`: not when it
/// contains `first` with as much again besides, since those other words
/// are in no other passage. ("Caption: " + a headline goes; a paragraph
/// that quotes the headline stays.)
fn removable(kind: MatchKind, first: &PassageText, member: &PassageText) -> bool {
    kind != MatchKind::Containment
        || member.words <= first.words
        || first.shingles.jaccard(&member.shingles) >= 0.5
}

fn passage_text(text: &str, config: &Config, shingling: &Shingling) -> PassageText {
    let mut normalized = String::new();
    normalize(text, &config.normalization, &mut normalized);
    PassageText::new(&normalized, shingling, config.seed)
}
