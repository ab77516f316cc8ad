//! The passage grain on the seed corpus: the five things issue #3 says it
//! must show, and cleaning of JSON Lines.

use std::fs;

use crate::common::{json_lines, seed_corpus, textdup};

const A000: &str = "000_8bf7a08f72736e5e.txt";
const A001: &str = "001_af054400539c3e20.txt";
const A002: &str = "002_c3de49d25fb89459.txt";

fn scan_passages(extra: &[&str]) -> Vec<serde_json::Value> {
    let out = textdup()
        .args(["scan", "-q", "--level", "passage"])
        .args(extra)
        .arg(seed_corpus())
        .assert()
        .success();
    json_lines(&out.get_output().stdout)
}

/// The passage clusters among `clusters`.
fn passage_level(clusters: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    clusters
        .iter()
        .filter(|c| c["level"] == "passage")
        .collect()
}

fn members(cluster: &serde_json::Value) -> Vec<&serde_json::Value> {
    cluster["members"].as_array().unwrap().iter().collect()
}

fn original(id: &str) -> String {
    fs::read_to_string(seed_corpus().join(id)).unwrap()
}

#[test]
fn doubled_headline_is_one_exact_passage_cluster_with_byte_spans() {
    let clusters = scan_passages(&[]);
    let text = original(A000);
    let headline = "OSCE Denies Data Exchange Misconduct in Ukraine";
    let cluster = clusters
        .iter()
        .find(|c| c["level"] == "passage" && c["members"][0]["id"] == A000)
        .expect("000's headline cluster");
    let ms = members(cluster);
    assert_eq!(ms.len(), 2);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        (lines[0], lines[2]),
        (headline, headline),
        "lines 1 and 3 are the headline"
    );
    for (m, line_start) in ms.iter().zip([0, lines[0].len() + 2]) {
        let (start, end) = (
            m["start"].as_u64().unwrap() as usize,
            m["end"].as_u64().unwrap() as usize,
        );
        assert_eq!((start, end), (line_start, line_start + headline.len()));
        assert_eq!(&text[start..end], headline);
        assert_eq!(m["text"], headline);
        assert_eq!(m["similarity"], 1.0);
        assert_eq!(m["match"], "exact");
    }
}

#[test]
fn tripled_headline_and_caption_are_one_cluster_with_a_containment_match() {
    let clusters = scan_passages(&[]);
    let text = original(A002);
    let cluster = clusters
        .iter()
        .find(|c| c["level"] == "passage" && c["members"][0]["id"] == A002)
        .expect("002's headline cluster");
    let ms = members(cluster);
    let line_of = |m: &serde_json::Value| {
        text[..m["start"].as_u64().unwrap() as usize]
            .matches('\n')
            .count()
            + 1
    };
    let lines: Vec<usize> = ms.iter().map(|m| line_of(m)).collect();
    assert_eq!(lines, [1, 4, 5]);
    assert_eq!(
        ms[2]["text"],
        "Caption: EU invites Russia to take security concerns to OSCE"
    );
    assert_eq!(ms[2]["match"], "containment");
    assert_eq!(ms[2]["similarity"], 1.0);
    assert_eq!(ms[1]["match"], "exact");
}

#[test]
fn the_osce_span_and_its_spelling_variants_are_one_cluster() {
    let clusters = scan_passages(&["--min-span", "6"]);
    let osce = clusters
        .iter()
        .filter(|c| c["level"] == "span")
        .find(|c| {
            members(c)
                .iter()
                .any(|m| m["text"].as_str().unwrap().contains("Europe (OSCE)"))
        })
        .expect("a span cluster with the OSCE's name");
    let ms = members(osce);
    let ids: Vec<&str> = ms.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [A000, A000, A001, A002],
        "000's two occurrences, then 001 and 002"
    );
    assert!(ms[0]["text"]
        .as_str()
        .unwrap()
        .contains("Security and Co-operation in Europe (OSCE)"));
    assert!(ms[2]["text"]
        .as_str()
        .unwrap()
        .contains("Security and Cooperation in Europe (OSCE)"));
    assert!(ms[3]["text"]
        .as_str()
        .unwrap()
        .contains("Security and Cooperation in Europe (OSCE)"));
    for m in &ms {
        let text = original(m["id"].as_str().unwrap());
        let (start, end) = (
            m["start"].as_u64().unwrap() as usize,
            m["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            &text[start..end],
            m["text"].as_str().unwrap(),
            "spans point into the original"
        );
    }

    // Without hyphen folding, 000's spelling no longer matches the others.
    let clusters = scan_passages(&[
        "--min-span",
        "6",
        "--normalize",
        "nfkc,lowercase,punctuation,whitespace",
    ]);
    let with_000 = clusters.iter().filter(|c| c["level"] == "span").any(|c| {
        let ids: Vec<&str> = members(c)
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        ids.contains(&A000)
            && ids.contains(&A001)
            && members(c)
                .iter()
                .any(|m| m["text"].as_str().unwrap().contains("Europe (OSCE)"))
    });
    assert!(!with_000, "hyphen folding is what makes 000 match");
}

#[test]
fn different_paragraphs_are_not_passage_clusters() {
    let clusters = scan_passages(&[]);
    let passage_clusters = passage_level(&clusters);
    assert_eq!(
        passage_clusters.len(),
        2,
        "only the two headline clusters: {passage_clusters:?}"
    );
    for c in &passage_clusters {
        for m in members(c) {
            let text = m["text"].as_str().unwrap();
            assert!(!text.starts_with("The Organization for Security"), "{text}");
            assert!(!text.starts_with("In a recent development"), "{text}");
        }
    }
}

#[test]
fn dedup_passage_keeps_one_headline_and_every_other_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    textdup()
        .args(["dedup", "-q", "--level", "passage"])
        .arg(seed_corpus())
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    for (id, headline, removed_lines) in [
        (
            A000,
            "OSCE Denies Data Exchange Misconduct in Ukraine",
            vec![3],
        ),
        (
            A002,
            "EU invites Russia to take security concerns to OSCE",
            vec![4, 5],
        ),
    ] {
        let before = original(id);
        let after = fs::read_to_string(out.join(id)).unwrap();
        assert_eq!(
            after.matches(headline).count(),
            1,
            "{id} keeps its headline once"
        );
        let expected: Vec<&str> = before
            .lines()
            .enumerate()
            .filter(|(i, _)| !removed_lines.contains(&(i + 1)))
            .map(|(_, line)| line)
            .collect();
        assert_eq!(
            after.lines().collect::<Vec<_>>(),
            expected,
            "{id}: every other line unchanged"
        );
    }
    assert_eq!(
        fs::read(out.join(A001)).unwrap(),
        fs::read(seed_corpus().join(A001)).unwrap()
    );
    // The sidecar names every cut with its span, to audit or undo it.
    let removed = json_lines(&fs::read(dir.path().join("out.removed.jsonl")).unwrap());
    assert_eq!(removed.len(), 3);
    for r in &removed {
        assert_eq!(r["level"], "passage");
        let text = original(r["id"].as_str().unwrap());
        let (start, end) = (
            r["start"].as_u64().unwrap() as usize,
            r["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[start..end], r["text"].as_str().unwrap());
    }
}

#[test]
fn a_headline_with_one_word_changed_is_a_near_repeat() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("a.txt"),
        "Markets rally as central bank holds rates\n\nThe rest of one article.",
    )
    .unwrap();
    fs::write(
        dir.path().join("b.txt"),
        "Markets rally as central bank keeps rates\n\nA different story entirely.",
    )
    .unwrap();
    let out = textdup()
        .args(["scan", "-q", "--level", "passage"])
        .arg(dir.path())
        .assert()
        .success();
    let clusters = json_lines(&out.get_output().stdout);
    let passage = passage_level(&clusters);
    assert_eq!(passage.len(), 1, "{clusters:?}");
    let ms = members(passage[0]);
    assert_eq!(ms[1]["text"], "Markets rally as central bank keeps rates");
    assert_eq!(ms[1]["match"], "near");
    assert!(ms[1]["similarity"].as_f64().unwrap() >= 0.8);
}

/// Lines 1 and 2 of a process list share a span, and lines 2 and 4 are
/// a candidate pair: line 4 joins line 1's cluster through line 2, though
/// line 1 is in no pair, so grouping has no text of it. Line 4 is still
/// measured against line 1, in memory and under a limit, where it used
/// to be reported as near with similarity 0.
#[test]
fn a_member_joined_through_a_chain_is_measured_against_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let row = |pid, start, cpu, kworker| {
        format!("root      {pid}  0.0  0.0      0     0 ?        S    {start}   0:00 [kworker/{cpu}:{kworker}]")
    };
    let text = [
        row(5671, "12:07", 0, 1),
        row(5672, "12:07", 1, 2),
        row(5673, "12:12", 0, 0),
        row(5674, "12:13", 1, 0),
    ]
    .join("\n");
    fs::write(dir.path().join("ps.txt"), &text).unwrap();
    for limit in [None, Some("256MiB")] {
        let mut scan = textdup();
        scan.args(["scan", "-q", "--level", "passage"]);
        if let Some(limit) = limit {
            scan.args(["--memory", limit, "--tmp-dir"]).arg(dir.path());
        }
        let out = scan.arg(dir.path().join("ps.txt")).assert().success();
        let clusters = json_lines(&out.get_output().stdout);
        let passage = passage_level(&clusters);
        assert_eq!(passage.len(), 1, "{clusters:?}");
        let ms = members(passage[0]);
        let found: Vec<_> = ms
            .iter()
            .map(|m| (m["text"].as_str().unwrap(), m["match"].as_str().unwrap()))
            .collect();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            found,
            [(lines[0], "exact"), (lines[1], "span"), (lines[3], "near")],
            "{limit:?}"
        );
        // The two lines' word-trigram Jaccard, as verification measures
        // it.
        assert_eq!(ms[2]["similarity"], 0.75, "{limit:?}");
    }
}

#[test]
fn jsonl_cleaning_rewrites_only_the_text_field() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let a = "Breaking: markets rally\nMarkets rallied on Monday after the central bank kept rates unchanged.\nBreaking: markets rally";
    let b = "Weather today\nRain is expected across the north with sunny spells later in the week.";
    let lines = [
        format!(
            "{{\"url\": \"http://x/a\", \"text\": {}, \"n\": 1}}",
            serde_json::to_string(a).unwrap()
        ),
        format!(
            "{{\"text\":{},\"url\":\"http://x/b\"}}",
            serde_json::to_string(b).unwrap()
        ),
    ];
    fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("out.jsonl");
    textdup()
        .args(["dedup", "-q", "--level", "passage"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let cleaned: Vec<String> = fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let expected_a = "Breaking: markets rally\nMarkets rallied on Monday after the central bank kept rates unchanged.";
    assert_eq!(
        cleaned[0],
        format!(
            "{{\"url\": \"http://x/a\", \"text\": {}, \"n\": 1}}",
            serde_json::to_string(expected_a).unwrap()
        ),
        "other fields, their order and spacing are kept"
    );
    assert_eq!(
        cleaned[1], lines[1],
        "a line with nothing to cut is copied as is"
    );
}

#[test]
fn annotations_flag_rather_than_remove() {
    let dir = tempfile::tempdir().unwrap();
    let annotations = dir.path().join("notes.jsonl");
    textdup()
        .args([
            "scan",
            "-q",
            "--level",
            "passage",
            "--min-span",
            "6",
            "--annotate",
        ])
        .arg(&annotations)
        .arg(seed_corpus())
        .assert()
        .success();
    let notes = json_lines(&fs::read(&annotations).unwrap());
    let ids: Vec<&str> = notes.iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [A000, A001, A002],
        "one line per document with findings, in input order"
    );
    let spans = notes[0]["spans"].as_array().unwrap();
    assert!(spans
        .iter()
        .any(|s| s["level"] == "passage" && s["kind"] == "repeat-within" && s["start"] == 0));
    assert!(
        spans
            .iter()
            .any(|s| s["level"] == "span" && s["kind"] == "boilerplate"),
        "the OSCE span is in 3 documents"
    );
    let starts: Vec<u64> = spans.iter().map(|s| s["start"].as_u64().unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "spans by start");
}
