use proptest::prelude::*;
use textdup::{normalize, run, Config, Document, Level, MinHasher, NoProgress, Normalization};

proptest! {
    /// The MinHash estimate stays within its statistical error of the exact
    /// Jaccard: five standard deviations of √(J(1−J)/k), plus 2/k for
    /// rounding, at k = 256.
    #[test]
    fn minhash_estimate_is_within_its_error_bound(
        universe in prop::collection::hash_set(any::<u64>(), 2..800),
        a_share in 0.0f64..1.0,
        b_share in 0.0f64..1.0,
        seed in any::<u64>(),
    ) {
        let universe: Vec<u64> = universe.into_iter().collect();
        let n = universe.len();
        // a = universe[..a_end], b = universe[b_start..]: overlap in the middle.
        let a_end = 1 + ((n - 1) as f64 * a_share) as usize;
        let b_start = ((n - 1) as f64 * b_share) as usize;
        let a = &universe[..a_end];
        let b = &universe[b_start..];
        let common = a_end.saturating_sub(b_start);
        let union = a.len() + b.len() - common;
        let jaccard = common as f64 / union as f64;

        let k = 256;
        let hasher = MinHasher::new(k, seed);
        let estimate = hasher.sketch(a.iter().copied()).similarity(&hasher.sketch(b.iter().copied()));
        let sd = (jaccard * (1.0 - jaccard) / k as f64).sqrt();
        prop_assert!(
            (estimate - jaccard).abs() <= 5.0 * sd + 2.0 / k as f64,
            "estimate {} vs exact {} (sd {})", estimate, jaccard, sd
        );
    }

    /// A passage of `short` words inside a longer line of `long` words, in
    /// another document, is found in one passage cluster with it, for
    /// lengths from 3 to 40 words: across the 12-word bound between word
    /// and trigram sketches too (an 11-word headline in its 12-word
    /// caption). From `--min-span` (10) words the repeated spans they
    /// share find it, whatever the longer line's length; below, the
    /// longer line's word windows probe the short passages' first words,
    /// for lines under twice the short passage's length (see `probe`).
    #[test]
    fn a_passage_inside_a_longer_one_is_found(
        short in 3usize..40,
        extra in 1usize..30,
        at_share in 0.0f64..1.0,
        seed in 0u64..1000,
    ) {
        let mut long = (short + extra).min(40);
        if short < 10 {
            long = long.min(2 * short - 1);
        }
        prop_assume!(long > short);
        // Distinct words, so that nothing else repeats.
        let word = |i: usize| format!("w{}x{}", seed, i);
        let inner: Vec<String> = (0..short).map(word).collect();
        let before = ((long - short) as f64 * at_share) as usize;
        let outer: Vec<String> = (1000..1000 + before).map(word)
            .chain(inner.iter().cloned())
            .chain((2000..2000 + long - short - before).map(word))
            .collect();
        let docs = vec![
            Document::new("a", format!("Some opening line here.\n{}\nA closing line.", inner.join(" "))),
            Document::new("b", format!("Another first line.\n{}\nAnd a last one.", outer.join(" "))),
        ];
        let config = Config { level: Level::Passage, ..Config::default() };
        let report = run(&docs, &config, &NoProgress).unwrap();
        let joined = report.passage_clusters().iter().any(|c| {
            let ids: Vec<&str> = c.members.iter().map(|m| report.id(m.doc)).collect();
            ids.contains(&"a") && ids.contains(&"b")
        });
        prop_assert!(joined, "{} words inside {} (at {})", short, long, before);
    }

    /// Documents with the same text always end up in one cluster, however
    /// short or strange the text.
    #[test]
    fn identical_documents_always_cluster(text in "\\PC{1,200}", copies in 2usize..5) {
        let mut normalized = String::new();
        normalize(&text, &Normalization::ALL, &mut normalized);
        // Texts without words are never clustered, by design.
        prop_assume!(!normalized.is_empty());
        let mut docs = vec![Document::new("other", "an unrelated text that shares nothing much")];
        docs.extend((0..copies).map(|i| Document::new(format!("copy{i}"), text.clone())));
        let report = run(&docs, &Config::default(), &NoProgress).unwrap();
        let holding: Vec<_> = report.clusters().iter()
            .filter(|c| c.members.iter().any(|m| report.id(m.doc) == "copy0"))
            .collect();
        prop_assert_eq!(holding.len(), 1);
        for i in 0..copies {
            let id = format!("copy{i}");
            prop_assert!(holding[0].members.iter().any(|m| report.id(m.doc) == id));
        }
    }

    /// Clusters partition the documents they hold: disjoint, in order, one
    /// kept member each, and the counts add up.
    #[test]
    fn clusters_form_a_partition(
        picks in prop::collection::vec((0usize..6, 0usize..4), 1..60),
        threshold in 0.3f64..1.0,
    ) {
        // Few distinct texts, with small variations: many overlapping clusters.
        let bases = [
            "alpha beta gamma delta epsilon zeta eta theta",
            "alpha beta gamma delta epsilon zeta eta iota",
            "one two three four five six seven eight nine",
            "one two three four five six seven eight ten",
            "red orange yellow green blue indigo violet",
            "lorem ipsum dolor sit amet consectetur adipiscing",
        ];
        let suffixes = ["", " extra", " more words here", " alpha beta"];
        let docs: Vec<Document> = picks
            .iter()
            .enumerate()
            .map(|(i, &(b, s))| Document::new(format!("d{i}"), format!("{}{}", bases[b], suffixes[s])))
            .collect();
        let config = Config { threshold, ..Config::default() };
        let report = run(&docs, &config, &NoProgress).unwrap();

        let mut seen = vec![false; docs.len()];
        for (k, cluster) in report.clusters().iter().enumerate() {
            prop_assert_eq!(cluster.id.0 as usize, k);
            prop_assert!(cluster.members.len() >= 2);
            prop_assert_eq!(cluster.members.iter().filter(|m| m.kept).count(), 1);
            prop_assert!(cluster.members.windows(2).all(|w| w[0].doc < w[1].doc));
            for m in &cluster.members {
                prop_assert!(!seen[m.doc.index()], "{:?} in two clusters", m.doc);
                seen[m.doc.index()] = true;
            }
        }
        prop_assert!(report.clusters().windows(2).all(|w| w[0].members[0].doc < w[1].members[0].doc));
        let s = &report.summary();
        prop_assert_eq!(s.read, s.kept + s.removed + s.skipped);
        prop_assert_eq!(s.removed as usize, report.clusters().iter().map(|c| c.members.len() - 1).sum::<usize>());
    }

    /// The ASCII fast path and the general path agree on ASCII text (the
    /// general one runs when one non-ASCII character is appended).
    #[test]
    fn ascii_fast_path_matches_the_general_path(text in "[ -~\t\n\r\x0b\x0c]{0,60}") {
        let mut fast = String::new();
        normalize(&text, &Normalization::ALL, &mut fast);
        let mut general = String::new();
        normalize(&format!("{text} é"), &Normalization::ALL, &mut general);
        let expected = if fast.is_empty() { "é".to_string() } else { format!("{fast} é") };
        prop_assert_eq!(general, expected);
    }

    /// Normalizing twice changes nothing more than normalizing once.
    #[test]
    fn normalization_is_idempotent(text in "[a-zA-Z0-9 ,.!?'\\-éÉßﬁ’‐\u{a0}\u{ad}«»\n\t]{0,80}") {
        let mut once = String::new();
        let mut twice = String::new();
        normalize(&text, &Normalization::ALL, &mut once);
        normalize(&once, &Normalization::ALL, &mut twice);
        prop_assert_eq!(once, twice);
    }
}
