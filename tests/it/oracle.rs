//! The fast path (MinHash + LSH + exact verification) against the slow,
//! obviously correct one: exact Jaccard of every pair.

use std::collections::HashMap;

use textdup::{normalize, run, Banding, Config, Document, NoProgress, ShingleSet};

use crate::common::planted_corpus;

#[test]
fn lsh_and_verify_find_the_brute_force_pairs() {
    let config = Config::default();
    let corpus = planted_corpus(42, 80, 5, 0.06);
    let docs: Vec<Document> = corpus
        .iter()
        .map(|(id, text)| Document::new(id, text))
        .collect();
    let report = run(&docs, &config, &NoProgress).unwrap();

    // Brute force: every pair at or above the threshold.
    let mut text = String::new();
    let sets: Vec<ShingleSet> = docs
        .iter()
        .map(|d| {
            normalize(&d.text, &config.normalization, &mut text);
            ShingleSet::new(&text, &config.shingling, config.seed)
        })
        .collect();
    let mut true_pairs = Vec::new();
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            let s = sets[i].jaccard(&sets[j]);
            if s >= config.threshold {
                true_pairs.push((i, j, s));
            }
        }
    }
    assert!(
        true_pairs.len() > 100,
        "the corpus must exercise the threshold: {}",
        true_pairs.len()
    );
    let below = (0..sets.len())
        .flat_map(|i| (i + 1..sets.len()).map(move |j| (i, j)))
        .filter(|&(i, j)| (0.5..config.threshold).contains(&sets[i].jaccard(&sets[j])))
        .count();
    assert!(below > 50, "and pairs just below it: {below}");

    let cluster_of: HashMap<usize, u32> = report
        .clusters
        .iter()
        .flat_map(|c| c.members.iter().map(move |m| (m.doc.index(), c.id.0)))
        .collect();

    // No false positives: every cluster lies within one brute-force
    // component, i.e. every member pair is linked by true pairs.
    let components = textdup::cluster::components(
        docs.len(),
        true_pairs
            .iter()
            .map(|&(i, j, _)| (textdup::DocId(i as u32), textdup::DocId(j as u32))),
    );
    let mut component_of = HashMap::new();
    for (k, members) in components.iter().enumerate() {
        for m in members {
            component_of.insert(m.index(), k);
        }
    }
    for cluster in &report.clusters {
        let first = component_of.get(&cluster.members[0].doc.index());
        assert!(first.is_some(), "cluster {:?} has no true pair", cluster.id);
        for m in &cluster.members {
            assert_eq!(
                component_of.get(&m.doc.index()),
                first,
                "cluster {:?} spans components",
                cluster.id
            );
        }
    }

    // Misses: a true pair not in one cluster. LSH misses a pair of
    // similarity s with probability 1 − P(s); allow the expectation plus
    // four standard deviations.
    let banding: Banding = config.banding();
    let mut missed = 0usize;
    let mut expected = 0.0;
    let mut variance = 0.0;
    for &(i, j, s) in &true_pairs {
        let miss = 1.0 - banding.probability(s);
        expected += miss;
        variance += miss * (1.0 - miss);
        if !cluster_of.contains_key(&i) || cluster_of.get(&i) != cluster_of.get(&j) {
            missed += 1;
        }
    }
    let bound = expected + 4.0 * variance.sqrt() + 1.0;
    assert!(
        (missed as f64) <= bound,
        "missed {missed} of {} true pairs; the S-curve allows {bound:.1}",
        true_pairs.len()
    );

    // Every reported similarity is the exact Jaccard to the kept member.
    for cluster in &report.clusters {
        let kept = cluster.kept().index();
        for m in &cluster.members {
            let exact = sets[m.doc.index()].jaccard(&sets[kept]);
            assert!(
                (m.similarity - exact).abs() < 1e-12,
                "{} vs {exact}",
                m.similarity
            );
        }
    }
}
