//! Pass 2: exact verification while the corpus streams by once more,
//! holding a candidate's shingle set only until its last partner is
//! verified.

use rayon::prelude::*;

use crate::config::Config;
use crate::core::DocId;
use crate::error::Result;
use crate::lsh::CandidatePair;
use crate::normalize::normalize;
use crate::progress::{check, Progress, Stage};
use crate::read::stream::wanted_documents;
use crate::read::{Corpus, Document};
use crate::shingle::ShingleSet;
use crate::verify::{verify, ShingleSets, SimilarPair};

use super::Table;

/// Pairs verified between progress updates.
pub(super) const VERIFY_CHUNK: usize = 1024;

/// Pass 2: exact verification while streaming the corpus. Returns every
/// candidate pair with its similarity, sorted.
///
/// Candidate pairs are verified as soon as the stream has passed both
/// documents, and a document's shingle set is dropped as soon as its last
/// partner is verified: memory holds the sets of documents with partners
/// still ahead, not of every candidate. Copies near each other in the
/// corpus cost little; a copy far from its original keeps that one set
/// alive until it arrives. Documents whose sets pass 1 kept (`cached`) are
/// not read again: a pair of two such is verified before the stream
/// starts.
pub(super) fn verify_streaming(
    corpus: &dyn Corpus,
    config: &Config,
    table: &Table,
    cached: Vec<(DocId, Vec<u32>)>,
    mut pairs: Vec<CandidatePair>,
    progress: &dyn Progress,
) -> Result<Vec<SimilarPair>> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let schedule = Schedule::new(table.ids.len(), &cached, &mut pairs);
    let (order, last_use) = (pairs, &schedule.last_use);
    let position = |p: &CandidatePair| schedule.position(p);
    let is_cached = |doc: DocId| schedule.is_cached(doc);

    progress.begin(Stage::Verify, Some(order.len() as u64));
    let mut live = ShingleSets::default();
    let from_cache: Vec<(DocId, ShingleSet)> = cached
        .into_par_iter()
        .filter(|(doc, _)| last_use[doc.index()] != UNWANTED)
        .map(|(doc, low)| (doc, ShingleSet::from_low_bits(low)))
        .collect();
    live.extend(from_cache);
    let mut similar = Vec::new();
    let mut verify_until = |live: &ShingleSets, next: &mut usize, until: u32| {
        let ready = *next + order[*next..].partition_point(|p| position(p) <= until);
        let found: Vec<SimilarPair> = order[*next..ready]
            .par_chunks(VERIFY_CHUNK)
            .flat_map_iter(|chunk| {
                progress.advance(chunk.len() as u64);
                chunk.iter().filter_map(|&pair| verify(pair, live, 0.0))
            })
            .collect();
        similar.extend(found);
        *next = ready;
    };
    let mut next = 0;
    verify_until(&live, &mut next, 0);
    live.retain(|doc| last_use[doc.index()] > 0);

    let wanted: Vec<DocId> = (0..last_use.len())
        .map(DocId::at)
        .filter(|&d| last_use[d.index()] != UNWANTED && !is_cached(d))
        .collect();
    wanted_documents(corpus, &table.ids, &table.origins, &wanted, |batch| {
        check(progress)?;
        let Some(&(end, _)) = batch.last() else {
            return Ok(());
        };
        live.extend(shingle_sets(config, &batch));
        verify_until(&live, &mut next, end.0 + 1);
        live.retain(|doc| last_use[doc.index()] > end.0 + 1);
        Ok(())
    })?;
    progress.end();
    // Batches verify in their own order: sort, so output does not depend
    // on batch boundaries or thread count.
    similar.sort_unstable_by_key(|p: &SimilarPair| (p.first, p.second));
    Ok(similar)
}

/// When exact verification can check each pair, and how long it must
/// keep each set, as the corpus streams by.
struct Schedule {
    /// Which documents' sets pass 1 kept; empty when none were (a run
    /// that spilled keeps none).
    cached: Vec<bool>,
    /// The last position each set is needed at ([`UNWANTED`]: never).
    last_use: Vec<u32>,
}

/// A set no pair needs.
const UNWANTED: u32 = u32::MAX;

impl Schedule {
    /// The schedule of `pairs` over `docs` documents, of which `cached`
    /// have their sets already; sorts `pairs` in the order they become
    /// ready (in place: the pairs of ten million documents are tens of
    /// megabytes).
    fn new(docs: usize, cached: &[(DocId, Vec<u32>)], pairs: &mut [CandidatePair]) -> Schedule {
        let mut schedule = Schedule {
            cached: if cached.is_empty() {
                Vec::new()
            } else {
                vec![false; docs]
            },
            last_use: vec![UNWANTED; docs],
        };
        for (doc, _) in cached {
            schedule.cached[doc.index()] = true;
        }
        for pair in pairs.iter() {
            let at = schedule.position(pair);
            for doc in [pair.first, pair.second] {
                let last = &mut schedule.last_use[doc.index()];
                if *last == UNWANTED || *last < at {
                    *last = at;
                }
            }
        }
        pairs.sort_unstable_by_key(|p| (schedule.position(p), *p));
        schedule
    }

    fn is_cached(&self, doc: DocId) -> bool {
        self.cached.get(doc.index()).copied().unwrap_or(false)
    }

    /// A pair can be verified once the stream has read its last member
    /// that was not cached: its position is that member's id + 1, or 0 (at
    /// once) when both were.
    fn position(&self, p: &CandidatePair) -> u32 {
        [p.second, p.first]
            .into_iter()
            .find(|&d| !self.is_cached(d))
            .map_or(0, |d| d.0 + 1)
    }
}

/// The shingle sets of a batch of documents, in parallel.
pub(super) fn shingle_sets(
    config: &Config,
    batch: &[(DocId, Document)],
) -> Vec<(DocId, ShingleSet)> {
    batch
        .par_iter()
        .map_init(String::new, |text, (id, doc)| {
            normalize(&doc.text, &config.normalization, text);
            (*id, ShingleSet::new(text, &config.shingling, config.seed))
        })
        .collect()
}

/// Another pass: the shingle sets of the `wanted` documents.
pub(super) fn load_shingle_sets(
    corpus: &dyn Corpus,
    config: &Config,
    table: &Table,
    wanted: &[bool],
) -> Result<ShingleSets> {
    let mut sets = ShingleSets::default();
    let docs: Vec<DocId> = (0..wanted.len())
        .map(DocId::at)
        .filter(|d| wanted[d.index()])
        .collect();
    wanted_documents(corpus, &table.ids, &table.origins, &docs, |batch| {
        sets.extend(shingle_sets(config, &batch));
        Ok(())
    })?;
    Ok(sets)
}
