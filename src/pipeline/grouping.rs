//! Clusters: union-find over verified pairs and exact copies, the member
//! each cluster keeps, and every member's similarity to it.

use rayon::prelude::*;

use crate::cluster::{components, Cluster, ClusterId, Member};
use crate::config::Config;
use crate::core::{number, DocId};
use crate::error::Result;
use crate::progress::{Progress, Stage};
use crate::read::Corpus;
use crate::verify::{Evidence, SimilarPair, Verification};

use super::verifying::load_shingle_sets;
use super::Table;

/// Union-find over verified pairs and exact copies; then each cluster's
/// kept member and every member's similarity to it. A member linked to the
/// kept one through others may not have been a candidate with it: those
/// few similarities come from one more pass over just their documents (or
/// from the signatures, with estimated verification).
pub(super) fn build_clusters(
    corpus: &dyn Corpus,
    config: &Config,
    table: &Table,
    scored: &[SimilarPair],
    progress: &dyn Progress,
) -> Result<Vec<Cluster>> {
    let (groups, kept) = groups(config, table, scored);
    let wanted = unknown_similarities(table, scored, &groups, &kept);
    let loaded;
    let evidence: &dyn Evidence = match config.verification {
        Verification::Estimate => &table.signatures,
        Verification::Exact => {
            if wanted.contains(&true) {
                progress.begin(Stage::Load, None);
            }
            loaded = load_shingle_sets(corpus, config, table, &wanted)?;
            progress.end();
            &loaded
        }
    };

    Ok(groups
        .into_par_iter()
        .zip(kept)
        .enumerate()
        .map(|(i, (members, kept))| {
            let kept_copy = table.first_copy[kept.index()];
            let members = members
                .iter()
                .map(|&doc| {
                    let copy = table.first_copy[doc.index()];
                    // Same normalized text: identical shingle sets.
                    let similarity = if copy == kept_copy {
                        1.0
                    } else {
                        known_similarity(scored, copy, kept_copy)
                            .unwrap_or_else(|| evidence.similarity(copy, kept_copy))
                    };
                    Member {
                        doc,
                        similarity,
                        kept: doc == kept,
                    }
                })
                .collect();
            Cluster {
                id: ClusterId(number(i)),
                members,
            }
        })
        .collect())
}

/// The groups that exact copies and similar pairs join, and the member
/// each keeps.
fn groups(config: &Config, table: &Table, scored: &[SimilarPair]) -> (Vec<Vec<DocId>>, Vec<DocId>) {
    let exact_edges = table
        .first_copy
        .iter()
        .enumerate()
        .filter(|&(i, first)| first.index() != i)
        .map(|(i, &first)| (DocId::at(i), first));
    let pair_edges = scored
        .iter()
        .filter(|p| p.similarity >= config.threshold)
        .map(|p| (p.first, p.second));
    let groups = components(table.ids.len(), exact_edges.chain(pair_edges));
    let kept = groups
        .iter()
        .map(|members| config.keep.choose(members, |d| table.bytes[d.index()]))
        .collect();
    (groups, kept)
}

/// The similarity of `a` and `b` if they were a candidate pair: every
/// candidate pair was scored, and `scored` is sorted.
fn known_similarity(scored: &[SimilarPair], a: DocId, b: DocId) -> Option<f64> {
    let key = (a.min(b), a.max(b));
    scored
        .binary_search_by_key(&key, |p| (p.first, p.second))
        .ok()
        .map(|i| scored[i].similarity)
}

/// The first copies whose similarity to their group's kept member is
/// unknown (and those kept members): the documents to read once more.
fn unknown_similarities(
    table: &Table,
    scored: &[SimilarPair],
    groups: &[Vec<DocId>],
    kept: &[DocId],
) -> Vec<bool> {
    let mut wanted = vec![false; table.ids.len()];
    for (members, &kept) in groups.iter().zip(kept) {
        let kept_copy = table.first_copy[kept.index()];
        for &doc in members {
            let copy = table.first_copy[doc.index()];
            if copy != kept_copy && known_similarity(scored, copy, kept_copy).is_none() {
                wanted[copy.index()] = true;
                wanted[kept_copy.index()] = true;
            }
        }
    }
    wanted
}
