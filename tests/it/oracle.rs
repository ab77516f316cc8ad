//! The fast path (MinHash + LSH + exact verification) against the slow,
//! obviously correct one: exact Jaccard of every pair.

use std::collections::{HashMap, HashSet};

use textdup::{normalize, run, Config, DocId, Document, NoProgress, ShingleSet};

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
    let mut normalized = Vec::new();
    let sets: Vec<ShingleSet> = docs
        .iter()
        .map(|d| {
            let mut text = String::new();
            normalize(&d.text, &config.normalization, &mut text);
            let set = ShingleSet::new(&text, &config.shingling, config.seed);
            normalized.push(text);
            set
        })
        .collect();
    let n = sets.len();
    let mut true_pairs = Vec::new();
    let mut just_below = 0;
    for i in 0..n {
        for j in i + 1..n {
            let s = sets[i].jaccard(&sets[j]);
            if s >= config.threshold {
                true_pairs.push((i, j, s));
            } else if s >= 0.5 {
                just_below += 1;
            }
        }
    }
    assert!(
        true_pairs.len() > 100,
        "the corpus must exercise the threshold: {}",
        true_pairs.len()
    );
    assert!(just_below > 50, "and pairs below it: {just_below}");

    // The pipeline joins documents with equal normalized text without a
    // pair; map each document to the first with its text, as it does.
    let mut first_with_text: HashMap<&str, usize> = HashMap::new();
    let first_copy: Vec<usize> = (0..n)
        .map(|i| *first_with_text.entry(normalized[i].as_str()).or_insert(i))
        .collect();
    let found: HashSet<(usize, usize)> = report
        .pairs()
        .iter()
        .map(|p| (p.first.index(), p.second.index()))
        .collect();

    // No false positives, exact similarities: every reported pair is a
    // brute-force pair with the same Jaccard.
    for p in report.pairs() {
        let exact = sets[p.first.index()].jaccard(&sets[p.second.index()]);
        assert!(exact >= config.threshold, "{:?} has Jaccard {exact}", p);
        assert!((p.similarity - exact).abs() < 1e-12);
    }

    // Misses: LSH misses a pair of similarity s with probability 1 − P(s);
    // allow the expectation plus four standard deviations.
    let banding = config.banding();
    let (mut missed, mut expected, mut variance) = (0usize, 0.0, 0.0);
    for &(i, j, s) in &true_pairs {
        let (a, b) = (first_copy[i], first_copy[j]);
        if a == b {
            continue; // same normalized text: joined without LSH
        }
        let miss = 1.0 - banding.probability(s);
        expected += miss;
        variance += miss * (1.0 - miss);
        if !found.contains(&(a.min(b), a.max(b))) {
            missed += 1;
        }
    }
    let bound = expected + 4.0 * f64::sqrt(variance) + 1.0;
    assert!(
        missed as f64 <= bound,
        "missed {missed} of {} true pairs; the S-curve allows {bound:.1}",
        true_pairs.len()
    );

    // Clusters are the components of the found pairs and exact copies, and
    // every member's similarity is its exact Jaccard to the kept member.
    let edges = report
        .pairs()
        .iter()
        .map(|p| (p.first, p.second))
        .chain((0..n).map(|i| (DocId(i as u32), DocId(first_copy[i] as u32))));
    let components = textdup::bench::components(n, edges);
    let clusters: Vec<Vec<DocId>> = report
        .clusters()
        .iter()
        .map(|c| c.members.iter().map(|m| m.doc).collect())
        .collect();
    assert_eq!(clusters, components);
    for cluster in report.clusters() {
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
