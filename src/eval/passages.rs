//! Scoring passage clusters against a passage truth (from
//! [`write_passages`](crate::synth::write_passages)).
//!
//! Items are spans: a document id and byte offsets. A predicted member is
//! the truth's span when its document and offsets are the same; one the
//! truth does not hold is an item of its own (a repeat nobody planted).
//! Scores count pairs of items: a truth pair is found when both spans are
//! in one predicted passage cluster, and a predicted pair is right when
//! both are in one truth cluster. Pairs are counted from the contingency
//! of truth and predicted clusters, never listed, so a boilerplate line in
//! ten thousand documents costs one count, not fifty million pairs.

use std::collections::HashMap;
use std::path::Path;

use super::entries;
use crate::error::{Error, Result};

/// Pairs found and missed for one kind of planted repeat.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct KindScores {
    /// The kind (`doubled`, `caption`, `doubled+caption`, `copy`,
    /// `boilerplate`).
    pub kind: String,
    /// Truth clusters of this kind.
    pub clusters: u64,
    /// Their pairs of spans.
    pub pairs: u64,
    /// Of those, pairs in one predicted cluster.
    pub found: u64,
    /// Truth clusters wholly inside one predicted cluster.
    pub whole: u64,
}

impl KindScores {
    /// `found / pairs` (1 when there are none).
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.pairs)
    }
}

/// Pairwise scores of passage clusters.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PassageScores {
    /// Pairs within predicted clusters.
    pub predicted_pairs: u64,
    /// Of those, pairs within one truth cluster.
    pub right_pairs: u64,
    /// Pairs within truth clusters.
    pub truth_pairs: u64,
    /// Predicted members the truth does not hold.
    pub unplanted_members: u64,
    /// By kind, in the order first met in the truth.
    pub kinds: Vec<KindScores>,
}

impl PassageScores {
    /// `right_pairs / predicted_pairs` (1 when nothing was predicted).
    pub fn precision(&self) -> f64 {
        ratio(self.right_pairs, self.predicted_pairs)
    }

    /// Found truth pairs over all truth pairs.
    pub fn recall(&self) -> f64 {
        ratio(self.kinds.iter().map(|k| k.found).sum(), self.truth_pairs)
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// The scores as one JSON object.
    pub fn to_json(&self) -> String {
        let value = serde_json::json!({
            "precision": round(self.precision()),
            "recall": round(self.recall()),
            "f1": round(self.f1()),
            "predicted_pairs": self.predicted_pairs,
            "right_pairs": self.right_pairs,
            "truth_pairs": self.truth_pairs,
            "unplanted_members": self.unplanted_members,
            "kinds": self.kinds.iter().map(|k| serde_json::json!({
                "kind": k.kind,
                "clusters": k.clusters,
                "pairs": k.pairs,
                "found": k.found,
                "whole": k.whole,
                "recall": round(k.recall()),
            })).collect::<Vec<_>>(),
        });
        value.to_string() + "\n"
    }

    /// The scores for people: totals, then a row per kind.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "passage pairs: precision {:.4}, recall {:.4}, F1 {:.4}\n  {} predicted pairs, {} right; {} truth pairs; {} predicted members not planted\n\n",
            self.precision(),
            self.recall(),
            self.f1(),
            self.predicted_pairs,
            self.right_pairs,
            self.truth_pairs,
            self.unplanted_members,
        );
        out += &format!(
            "  {:<16} {:>8} {:>10} {:>8} {:>14}\n",
            "kind", "clusters", "pairs", "recall", "whole clusters"
        );
        for k in &self.kinds {
            out += &format!(
                "  {:<16} {:>8} {:>10} {:>8.4} {:>14}\n",
                k.kind,
                k.clusters,
                k.pairs,
                k.recall(),
                k.whole
            );
        }
        out
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// A span, as both files name it.
type Key = (String, u64, u64);

fn span_of(member: &serde_json::Value) -> Option<Key> {
    Some((
        member.get("id")?.as_str()?.to_string(),
        member.get("start")?.as_u64()?,
        member.get("end")?.as_u64()?,
    ))
}

/// Scores the passage clusters of `pred` (textdup's JSON Lines clusters,
/// or a `--format json` report; only `"level": "passage"` clusters count)
/// against the passage truth `truth`.
///
/// # Errors
/// [`Error::Input`] naming the file and line of a malformed entry.
pub fn evaluate_passages(truth: &Path, pred: &Path) -> Result<PassageScores> {
    let bad = |path: &Path, line: usize, message: &str| Error::Input {
        path: path.to_path_buf(),
        line: line as u64,
        message: message.to_string(),
    };
    // Every truth span's cluster, and each cluster's kind and size.
    let mut cluster_of: HashMap<Key, usize, ahash::RandomState> = HashMap::default();
    let mut kind_of: Vec<usize> = Vec::new();
    let mut sizes: Vec<u64> = Vec::new();
    let mut kinds: Vec<KindScores> = Vec::new();
    for entry in entries(truth)? {
        let (line, value) = entry?;
        let kind = value
            .get("kind")
            .and_then(|k| k.as_str())
            .ok_or_else(|| bad(truth, line, "no \"kind\": not a passage truth"))?;
        let members = value
            .get("members")
            .and_then(|m| m.as_array())
            .ok_or_else(|| bad(truth, line, "\"members\" is not an array"))?;
        let k = match kinds.iter().position(|k| k.kind == kind) {
            Some(k) => k,
            None => {
                kinds.push(KindScores {
                    kind: kind.to_string(),
                    clusters: 0,
                    pairs: 0,
                    found: 0,
                    whole: 0,
                });
                kinds.len() - 1
            }
        };
        let cluster = sizes.len();
        for member in members {
            let key = span_of(member)
                .ok_or_else(|| bad(truth, line, "a member lacks \"id\", \"start\" or \"end\""))?;
            if cluster_of.insert(key, cluster).is_some() {
                return Err(bad(truth, line, "a span is in two truth clusters"));
            }
        }
        kind_of.push(k);
        sizes.push(members.len() as u64);
        kinds[k].clusters += 1;
        kinds[k].pairs += pairs(members.len() as u64);
    }

    // How many members each (truth cluster, predicted cluster) cell holds.
    let mut cells: HashMap<(usize, usize), u64, ahash::RandomState> = HashMap::default();
    let (mut predicted_pairs, mut unplanted, mut predicted) = (0, 0, 0usize);
    for entry in entries(pred)? {
        let (line, value) = entry?;
        if value.get("level").and_then(|l| l.as_str()) != Some("passage") {
            continue;
        }
        let members = value
            .get("members")
            .and_then(|m| m.as_array())
            .ok_or_else(|| bad(pred, line, "\"members\" is not an array"))?;
        predicted_pairs += pairs(members.len() as u64);
        for member in members {
            let key = span_of(member)
                .ok_or_else(|| bad(pred, line, "a member lacks \"id\", \"start\" or \"end\""))?;
            match cluster_of.get(&key) {
                Some(&cluster) => *cells.entry((cluster, predicted)).or_default() += 1,
                None => unplanted += 1,
            }
        }
        predicted += 1;
    }
    let mut right = 0;
    for (&(cluster, _), &n) in &cells {
        right += pairs(n);
        kinds[kind_of[cluster]].found += pairs(n);
        if n == sizes[cluster] {
            kinds[kind_of[cluster]].whole += 1;
        }
    }
    Ok(PassageScores {
        predicted_pairs,
        right_pairs: right,
        truth_pairs: sizes.iter().map(|&n| pairs(n)).sum(),
        unplanted_members: unplanted,
        kinds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_counted_from_the_contingency() {
        let dir = tempfile::tempdir().unwrap();
        let truth = dir.path().join("passages.jsonl");
        let pred = dir.path().join("clusters.jsonl");
        let span = |id: &str, s: u64| serde_json::json!({"id": id, "start": s, "end": s + 5});
        let lines = [
            serde_json::json!({"cluster": 0, "kind": "doubled", "members": [span("a", 0), span("a", 6)]}),
            serde_json::json!({"cluster": 1, "kind": "boilerplate", "members": [span("a", 20), span("b", 20), span("c", 20)]}),
        ];
        let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
        std::fs::write(&truth, text).unwrap();
        // The headline pair found; the boilerplate split in two; one
        // span nobody planted joined to it; a document cluster ignored.
        let pred_lines = [
            serde_json::json!({"level": "document", "members": [{"id": "a"}, {"id": "b"}]}),
            serde_json::json!({"level": "passage", "members": [span("a", 0), span("a", 6)]}),
            serde_json::json!({"level": "passage", "members": [span("a", 20), span("b", 20), span("d", 1)]}),
            serde_json::json!({"level": "passage", "members": [span("c", 20)]}),
        ];
        let text: String = pred_lines.iter().map(|l| l.to_string() + "\n").collect();
        std::fs::write(&pred, text).unwrap();
        let scores = evaluate_passages(&truth, &pred).unwrap();
        assert_eq!(scores.truth_pairs, 1 + 3);
        assert_eq!(scores.predicted_pairs, 1 + 3);
        assert_eq!(scores.right_pairs, 1 + 1);
        assert_eq!(scores.unplanted_members, 1);
        assert_eq!(scores.kinds[0].recall(), 1.0);
        assert_eq!(scores.kinds[0].whole, 1);
        assert_eq!(scores.kinds[1].found, 1);
        assert_eq!(scores.kinds[1].whole, 0);
        assert_eq!(scores.precision(), 0.5);
        assert_eq!(scores.recall(), 0.5);
        assert!(scores.to_text().contains("boilerplate"));
        let json: serde_json::Value = serde_json::from_str(&scores.to_json()).unwrap();
        assert_eq!(json["kinds"][1]["recall"], 0.333333);
    }
}
