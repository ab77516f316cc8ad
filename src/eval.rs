//! Eval: score a clustering against a labelled truth.
//!
//! Takes two clusterings of the same documents (the truth and a
//! prediction) and returns [`Scores`]: pairwise precision, recall and F1
//! over same-cluster pairs, the adjusted Rand index, B-cubed precision and
//! recall, and what a dedup by each would remove. Every figure comes from
//! the contingency table of (truth cluster, predicted cluster) counts, never
//! from enumerating pairs, so millions of documents take seconds.
//!
//! Both sides are read from JSON Lines in either of two shapes, detected
//! per file:
//! - a listing, one `{"id": …, "cluster": …}` per document (singletons
//!   included; the cluster may be a number or a string);
//! - textdup's cluster report, one `{"cluster": n, "members": [{"id": …}, …]}`
//!   per cluster; documents absent from it are singletons, and passage and
//!   span clusters are passed over.
//!
//! A listing must name every document of the other side; ids in one file
//! and not the other are an error that names the first few, never a silent
//! mismatch. Any other field of a truth listing (an edit `kind`, a true
//! `jaccard`) becomes a breakdown of recall by that field's values.

mod passages;

pub use passages::{evaluate_passages, KindScores, PassageScores};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read};
use std::path::Path;

use serde::Serialize;

use crate::core::number;
use crate::error::{Error, Result};

/// Fields with more distinct values than this get no recall breakdown.
const MAX_BUCKETS: usize = 40;

/// Ids to name in a mismatch error before "and N more".
const NAMED_IDS: usize = 5;

/// One side of an evaluation: every document's cluster label.
#[derive(Clone, Debug, Default)]
pub struct Clustering {
    /// Document ids, in file order.
    ids: Vec<String>,
    index: HashMap<String, u32, ahash::RandomState>,
    /// Dense cluster label per document (`u32::MAX` = singleton not listed).
    labels: Vec<u32>,
    /// Whether every document is listed (a listing) or only clustered ones
    /// (a cluster report).
    complete: bool,
    /// Extra fields per document: field name → value as text.
    fields: BTreeMap<String, Vec<Option<FieldValue>>>,
}

/// A JSON value of a clustering file, with its 1-based line.
type Entry = Result<(usize, serde_json::Value)>;

/// The JSON values of a clustering file, one per line of JSON Lines. A file
/// whose first line is not JSON on its own is read whole, as the pretty
/// JSON object `--format json` writes: its `clusters` are the values (each
/// numbered by its line in the file, as far as the object says: 0).
fn entries(path: &Path) -> Result<Box<dyn Iterator<Item = Entry> + '_>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = std::io::BufReader::new(file);
    let mut first = String::new();
    let mut skipped = 0;
    while first.trim().is_empty() {
        first.clear();
        if reader
            .read_line(&mut first)
            .map_err(|e| Error::io(path, e))?
            == 0
        {
            return Ok(Box::new(std::iter::empty()));
        }
        skipped += 1;
    }
    let bad = move |line: usize, message: String| Error::Input {
        path: path.to_path_buf(),
        line: line as u64,
        message,
    };
    if serde_json::from_str::<serde::de::IgnoredAny>(&first).is_err() {
        let mut rest = first;
        reader
            .read_to_string(&mut rest)
            .map_err(|e| Error::io(path, e))?;
        let report: serde_json::Value = serde_json::from_str(&rest)
            .map_err(|e| bad(skipped, format!("malformed JSON: {e}")))?;
        let clusters = match report {
            serde_json::Value::Object(mut object) => object.remove("clusters"),
            _ => None,
        };
        let Some(serde_json::Value::Array(clusters)) = clusters else {
            return Err(bad(
                skipped,
                "neither JSON Lines nor a textdup JSON report (no \"clusters\" array)".to_string(),
            ));
        };
        return Ok(Box::new(clusters.into_iter().map(|c| Ok((0, c)))));
    }
    let first = std::iter::once(Ok((skipped, first)));
    let rest = reader.lines().enumerate().map(move |(n, line)| {
        line.map(|text| (skipped + n + 1, text))
            .map_err(|e| Error::io(path, e))
    });
    Ok(Box::new(
        first
            .chain(rest)
            .filter(|line| !matches!(line, Ok((_, text)) if text.trim().is_empty()))
            .map(move |line| {
                let (line, text) = line?;
                serde_json::from_str(&text)
                    .map(|value| (line, value))
                    .map_err(|e| bad(line, format!("malformed JSON: {e}")))
            }),
    ))
}

/// The value of an extra truth field, for breakdowns.
#[derive(Clone, Debug, PartialEq)]
enum FieldValue {
    Number(f64),
    Text(String),
}

impl Clustering {
    /// Reads a clustering from a JSON Lines file (either shape), or from
    /// the one JSON object of a `--format json` report (its document
    /// clusters).
    pub fn read(path: &Path) -> Result<Clustering> {
        let mut clustering = Clustering::default();
        let mut labels: HashMap<String, u32, ahash::RandomState> = HashMap::default();
        let mut shape: Option<bool> = None; // Some(true) = listing
        for entry in entries(path)? {
            let (line_no, value) = entry?;
            let bad = |msg: String| Error::Input {
                path: path.to_path_buf(),
                line: line_no as u64,
                message: msg,
            };
            let object = value
                .as_object()
                .ok_or_else(|| bad("expected a JSON object".to_string()))?;
            let is_listing = !object.contains_key("members");
            // A textdup report also holds passage and span clusters; only
            // the document grain is a clustering of documents.
            if object.get("level").is_some_and(|l| l != "document") {
                continue;
            }
            if *shape.get_or_insert(is_listing) != is_listing {
                return Err(bad("mixes per-document lines and cluster lines".to_string()));
            }
            let label_of = |v: Option<&serde_json::Value>| -> Result<String> {
                match v {
                    Some(serde_json::Value::String(s)) => Ok(format!("s:{s}")),
                    Some(serde_json::Value::Number(n)) => Ok(format!("n:{n}")),
                    _ => Err(bad("no \"cluster\" number or string".to_string())),
                }
            };
            if is_listing {
                let id = id_of(object.get("id")).ok_or_else(|| bad("no \"id\"".to_string()))?;
                let label = label_of(object.get("cluster"))?;
                let next = number(labels.len());
                let dense = *labels.entry(label).or_insert(next);
                let doc = clustering.push(id, dense).map_err(|e| bad(e.to_string()))?;
                for (key, value) in object {
                    if key == "id" || key == "cluster" {
                        continue;
                    }
                    let value = match value {
                        serde_json::Value::Number(n) => n.as_f64().map(FieldValue::Number),
                        serde_json::Value::String(s) => Some(FieldValue::Text(s.clone())),
                        serde_json::Value::Bool(b) => Some(FieldValue::Text(b.to_string())),
                        _ => None,
                    };
                    let column = clustering.fields.entry(key.clone()).or_default();
                    column.resize(doc as usize + 1, None);
                    column[doc as usize] = value;
                }
            } else {
                let label = label_of(object.get("cluster"))?;
                let next = number(labels.len());
                let dense = *labels.entry(label).or_insert(next);
                let members = object
                    .get("members")
                    .and_then(|m| m.as_array())
                    .ok_or_else(|| bad("\"members\" is not an array".to_string()))?;
                for member in members {
                    let id = id_of(member.get("id"))
                        .ok_or_else(|| bad("a member has no \"id\"".to_string()))?;
                    clustering.push(id, dense).map_err(|e| bad(e.to_string()))?;
                }
            }
        }
        clustering.complete = shape.unwrap_or(true);
        let n = clustering.ids.len();
        for column in clustering.fields.values_mut() {
            column.resize(n, None);
        }
        Ok(clustering)
    }

    /// A listing built in memory: `(id, cluster label)` for every document.
    pub fn from_labels<'a>(
        docs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Clustering> {
        let mut clustering = Clustering {
            complete: true,
            ..Clustering::default()
        };
        let mut labels: HashMap<&str, u32> = HashMap::new();
        for (id, label) in docs {
            let next = number(labels.len());
            let dense = *labels.entry(label).or_insert(next);
            clustering.push(id.to_string(), dense)?;
        }
        Ok(clustering)
    }

    fn push(&mut self, id: String, label: u32) -> Result<u32> {
        let doc = number(self.ids.len());
        if self.index.insert(id.clone(), doc).is_some() {
            return Err(Error::DuplicateId(id));
        }
        self.ids.push(id);
        self.labels.push(label);
        Ok(doc)
    }

    /// Number of documents named.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no document is named.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

fn id_of(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The scores of a prediction against the truth.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scores {
    /// Documents evaluated.
    pub documents: u64,
    /// Same-cluster pairs in the truth.
    pub true_pairs: u64,
    /// Same-cluster pairs in the prediction.
    pub predicted_pairs: u64,
    /// Pairs in both.
    pub correct_pairs: u64,
    /// correct / predicted pairs (1 when nothing is predicted).
    pub precision: f64,
    /// correct / true pairs (1 when there is nothing to find).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Adjusted Rand index: 1 for identical clusterings, about 0 for chance.
    pub ari: f64,
    /// B-cubed precision: per document, the share of its predicted cluster
    /// that belongs to its true cluster, averaged.
    pub bcubed_precision: f64,
    /// B-cubed recall: per document, the share of its true cluster found in
    /// its predicted cluster, averaged.
    pub bcubed_recall: f64,
    /// Documents a perfect dedup removes (all but one per true cluster).
    pub should_remove: u64,
    /// Documents the prediction removes (all but one per predicted cluster).
    pub removed: u64,
    /// Removed documents whose content survives nowhere: a predicted
    /// cluster that merges k true clusters loses k − 1 of them.
    pub wrongly_removed: u64,
    /// Duplicates left in: a true cluster split over k predicted clusters
    /// leaves k − 1 extra copies.
    pub missed: u64,
    /// Recall of duplicated documents broken down by each extra truth field
    /// (fields with more than 40 distinct values are left out).
    pub breakdown: BTreeMap<String, Vec<Bucket>>,
}

/// Recall of the duplicated documents whose truth field falls in one bucket.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bucket {
    /// The field value, or a range like `[0.8, 0.9)` for numbers.
    pub value: String,
    /// Documents in true clusters of two or more with this value.
    pub documents: u64,
    /// Mean share of each document's true cluster-mates that are in its
    /// predicted cluster.
    pub recall: f64,
}

/// Scores `pred` against `truth`. The truth must list every document (a
/// cluster report leaves singletons out, so it cannot say which documents
/// exist).
pub fn evaluate(truth: &Clustering, pred: &Clustering) -> Result<Scores> {
    if !truth.complete {
        return Err(Error::Mismatch(
            "the truth must list every document as {\"id\", \"cluster\"}, not as a cluster report"
                .to_string(),
        ));
    }
    check_ids(truth, pred)?;
    let n = truth.len();
    let table = Contingency::of(truth, pred);
    let pairs = |k: u64| k * k.saturating_sub(1) / 2;
    let correct_pairs: u64 = table.cells.values().map(|&c| pairs(c)).sum();
    let true_pairs: u64 = table.truth_sizes.values().map(|&c| pairs(c)).sum();
    let predicted_pairs: u64 = table.pred_sizes.values().map(|&c| pairs(c)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let precision = ratio(correct_pairs, predicted_pairs);
    let recall = ratio(correct_pairs, true_pairs);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };

    let all_pairs = pairs(n as u64) as f64;
    let ari = if all_pairs == 0.0 {
        1.0
    } else {
        let expected = true_pairs as f64 * predicted_pairs as f64 / all_pairs;
        let max = (true_pairs as f64 + predicted_pairs as f64) / 2.0;
        if max == expected {
            1.0
        } else {
            (correct_pairs as f64 - expected) / (max - expected)
        }
    };
    let bcubed = table.bcubed();
    let breakdown = breakdown(truth, &table.pred_labels, &table.cells, &table.truth_sizes);
    Ok(Scores {
        documents: n as u64,
        true_pairs,
        predicted_pairs,
        correct_pairs,
        precision,
        recall,
        f1,
        ari,
        bcubed_precision: bcubed.precision,
        bcubed_recall: bcubed.recall,
        should_remove: n as u64 - table.truth_sizes.len() as u64,
        removed: n as u64 - table.pred_sizes.len() as u64,
        wrongly_removed: bcubed.wrongly_removed,
        missed: bcubed.missed,
        breakdown,
    })
}

/// Counts per label: the contingency table of the two clusterings, and
/// each one's cluster sizes.
struct Contingency {
    /// The predicted label of each truth document; unlisted ones get fresh
    /// singleton labels.
    pred_labels: Vec<u32>,
    /// Documents per (truth label, predicted label).
    cells: HashMap<(u32, u32), u64, ahash::RandomState>,
    truth_sizes: HashMap<u32, u64, ahash::RandomState>,
    pred_sizes: HashMap<u32, u64, ahash::RandomState>,
}

/// B-cubed precision and recall, and what the cells say about removals.
struct BCubed {
    precision: f64,
    recall: f64,
    /// Documents removed that the truth would keep: beyond the first, the
    /// true clusters a predicted cluster mixes.
    wrongly_removed: u64,
    /// Documents kept that the truth would remove: beyond the first, the
    /// predicted clusters a true cluster is split over.
    missed: u64,
}

impl Contingency {
    fn of(truth: &Clustering, pred: &Clustering) -> Contingency {
        let mut pred_labels = Vec::with_capacity(truth.len());
        let mut next_singleton = pred.labels.iter().copied().max().map_or(0, |m| m + 1);
        for id in &truth.ids {
            match pred.index.get(id) {
                Some(&doc) => pred_labels.push(pred.labels[doc as usize]),
                None => {
                    pred_labels.push(next_singleton);
                    next_singleton += 1;
                }
            }
        }
        let mut table = Contingency {
            pred_labels,
            cells: HashMap::default(),
            truth_sizes: HashMap::default(),
            pred_sizes: HashMap::default(),
        };
        for (&t, &p) in truth.labels.iter().zip(&table.pred_labels) {
            *table.cells.entry((t, p)).or_default() += 1;
            *table.truth_sizes.entry(t).or_default() += 1;
            *table.pred_sizes.entry(p).or_default() += 1;
        }
        table
    }

    fn bcubed(&self) -> BCubed {
        let (mut bp, mut br) = (0.0, 0.0);
        let mut truth_in_pred: HashMap<u32, u64, ahash::RandomState> = HashMap::default();
        let mut pred_in_truth: HashMap<u32, u64, ahash::RandomState> = HashMap::default();
        // Floating-point sums depend on order: add up in a fixed one, so the
        // same files give the same digits every run.
        let mut sorted: Vec<(&(u32, u32), &u64)> = self.cells.iter().collect();
        sorted.sort_unstable();
        for (&(t, p), &c) in sorted {
            let c = c as f64;
            bp += c * c / self.pred_sizes[&p] as f64;
            br += c * c / self.truth_sizes[&t] as f64;
            *truth_in_pred.entry(p).or_default() += 1;
            *pred_in_truth.entry(t).or_default() += 1;
        }
        let docs = self.pred_labels.len().max(1) as f64;
        BCubed {
            precision: bp / docs,
            recall: br / docs,
            wrongly_removed: truth_in_pred.values().map(|&k| k - 1).sum(),
            missed: pred_in_truth.values().map(|&k| k - 1).sum(),
        }
    }
}

/// Per extra truth field: mean per-document recall of cluster-mates, for
/// documents in true clusters of two or more, grouped by the field's value
/// (numbers in tenths, text as is).
fn breakdown(
    truth: &Clustering,
    pred_labels: &[u32],
    cells: &HashMap<(u32, u32), u64, ahash::RandomState>,
    truth_sizes: &HashMap<u32, u64, ahash::RandomState>,
) -> BTreeMap<String, Vec<Bucket>> {
    let mut out = BTreeMap::new();
    for (field, values) in &truth.fields {
        let mut buckets: BTreeMap<String, (u64, f64)> = BTreeMap::new();
        for (doc, value) in values.iter().enumerate() {
            let t = truth.labels[doc];
            let size = truth_sizes[&t];
            let Some(value) = value else { continue };
            if size < 2 {
                continue;
            }
            let together = cells[&(t, pred_labels[doc])];
            let mates_found = (together - 1) as f64 / (size - 1) as f64;
            let entry = buckets.entry(bucket_name(value)).or_default();
            entry.0 += 1;
            entry.1 += mates_found;
        }
        // A field with a value per document (an id, a URL) is not a
        // category: a breakdown by it would be as long as the corpus.
        if buckets.is_empty() || buckets.len() > MAX_BUCKETS {
            continue;
        }
        let rows = buckets
            .into_iter()
            .map(|(value, (documents, sum))| Bucket {
                value,
                documents,
                recall: sum / documents as f64,
            })
            .collect();
        out.insert(field.clone(), rows);
    }
    out
}

fn bucket_name(value: &FieldValue) -> String {
    match value {
        FieldValue::Text(s) => s.clone(),
        // Counts (boilerplate lines, headline repeats) stay whole numbers;
        // rates and similarities go in tenths, with 1.0 on its own.
        FieldValue::Number(x) if *x > 1.0 && x.fract() == 0.0 => format!("{x}"),
        FieldValue::Number(x) if *x >= 1.0 => "1.0".to_string(),
        FieldValue::Number(x) if *x < 0.0 => "< 0".to_string(),
        FieldValue::Number(x) => {
            let low = (x * 10.0).floor() / 10.0;
            format!("[{low:.1}, {:.1})", low + 0.1)
        }
    }
}

fn check_ids(truth: &Clustering, pred: &Clustering) -> Result<()> {
    let only_pred: Vec<&str> = pred
        .ids
        .iter()
        .filter(|id| !truth.index.contains_key(*id))
        .map(String::as_str)
        .collect();
    let only_truth: Vec<&str> = if pred.complete {
        truth
            .ids
            .iter()
            .filter(|id| !pred.index.contains_key(*id))
            .map(String::as_str)
            .collect()
    } else {
        Vec::new()
    };
    if only_pred.is_empty() && only_truth.is_empty() {
        return Ok(());
    }
    let name = |ids: &[&str]| {
        let shown: Vec<String> = ids
            .iter()
            .take(NAMED_IDS)
            .map(|id| format!("{id:?}"))
            .collect();
        let more = ids.len().saturating_sub(NAMED_IDS);
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    let mut parts = Vec::new();
    if !only_truth.is_empty() {
        parts.push(format!(
            "{} only in the truth: {}",
            only_truth.len(),
            name(&only_truth)
        ));
    }
    if !only_pred.is_empty() {
        parts.push(format!(
            "{} only in the prediction: {}",
            only_pred.len(),
            name(&only_pred)
        ));
    }
    Err(Error::Mismatch(parts.join("; ")))
}

impl Scores {
    /// The scores as one JSON object, with the output format version.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct ScoresOut<'a> {
            version: u32,
            #[serde(flatten)]
            scores: &'a Scores,
        }
        let out = ScoresOut {
            version: crate::report::FORMAT_VERSION,
            scores: self,
        };
        serde_json::to_string_pretty(&out).expect("scores hold only numbers and strings") + "\n"
    }

    /// The scores for people, a small table.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "documents            {}\n\
             pairwise precision   {:.4}   ({} of {} predicted pairs)\n\
             pairwise recall      {:.4}   ({} of {} true pairs)\n\
             pairwise F1          {:.4}\n\
             adjusted Rand index  {:.4}\n\
             B-cubed precision    {:.4}\n\
             B-cubed recall       {:.4}\n\
             removal              {} removed, {} should be; {} wrongly removed, {} duplicates missed\n",
            self.documents,
            self.precision,
            self.correct_pairs,
            self.predicted_pairs,
            self.recall,
            self.correct_pairs,
            self.true_pairs,
            self.f1,
            self.ari,
            self.bcubed_precision,
            self.bcubed_recall,
            self.removed,
            self.should_remove,
            self.wrongly_removed,
            self.missed,
        );
        for (field, buckets) in &self.breakdown {
            out += &format!("recall by {field}:\n");
            for b in buckets {
                out += &format!(
                    "  {:<24} {:>8} docs  {:.4}\n",
                    b.value, b.documents, b.recall
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clustering(pairs: &[(&str, &str)]) -> Clustering {
        Clustering::from_labels(pairs.iter().copied()).unwrap()
    }

    #[test]
    fn perfect_prediction_scores_one() {
        let truth = clustering(&[("a", "1"), ("b", "1"), ("c", "2"), ("d", "3"), ("e", "3")]);
        // Same partition, other label names.
        let pred = clustering(&[("a", "x"), ("b", "x"), ("c", "y"), ("d", "z"), ("e", "z")]);
        let s = evaluate(&truth, &pred).unwrap();
        assert_eq!((s.precision, s.recall, s.f1, s.ari), (1.0, 1.0, 1.0, 1.0));
        assert_eq!((s.bcubed_precision, s.bcubed_recall), (1.0, 1.0));
        assert_eq!(
            (s.should_remove, s.removed, s.wrongly_removed, s.missed),
            (2, 2, 0, 0)
        );
    }

    #[test]
    fn known_contingency_gives_known_scores() {
        // truth {a,b,c} {d,e}; pred {a,b} {c,d,e}
        let truth = clustering(&[("a", "1"), ("b", "1"), ("c", "1"), ("d", "2"), ("e", "2")]);
        let pred = clustering(&[("a", "x"), ("b", "x"), ("c", "y"), ("d", "y"), ("e", "y")]);
        let s = evaluate(&truth, &pred).unwrap();
        // true pairs: 3 + 1 = 4; predicted: 1 + 3 = 4; correct: ab, de = 2.
        assert_eq!(
            (s.true_pairs, s.predicted_pairs, s.correct_pairs),
            (4, 4, 2)
        );
        assert_eq!((s.precision, s.recall, s.f1), (0.5, 0.5, 0.5));
        // ARI: expected = 4·4/10 = 1.6, max = 4: (2 − 1.6)/(4 − 1.6) = 1/6.
        assert!((s.ari - 1.0 / 6.0).abs() < 1e-12, "{}", s.ari);
        // B-cubed precision: a,b 1; c 1/3; d,e 2/3 → (2 + 1/3 + 4/3)/5.
        assert!((s.bcubed_precision - (2.0 + 1.0 / 3.0 + 4.0 / 3.0) / 5.0).abs() < 1e-12);
        // B-cubed recall: a,b 2/3; c 1/3; d,e 1 → (4/3 + 1/3 + 2)/5.
        assert!((s.bcubed_recall - (4.0 / 3.0 + 1.0 / 3.0 + 2.0) / 5.0).abs() < 1e-12);
        assert_eq!((s.wrongly_removed, s.missed), (1, 1));
    }

    #[test]
    fn random_clustering_has_ari_near_zero() {
        // 2,000 documents in 200 true clusters; prediction assigns labels
        // by an unrelated hash.
        let ids: Vec<String> = (0..2000).map(|i| format!("d{i}")).collect();
        let truth_labels: Vec<String> = (0..2000).map(|i| (i / 10).to_string()).collect();
        let pred_labels: Vec<String> = (0..2000u64)
            .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56).to_string())
            .collect();
        let truth = Clustering::from_labels(
            ids.iter()
                .map(String::as_str)
                .zip(truth_labels.iter().map(String::as_str)),
        )
        .unwrap();
        let pred = Clustering::from_labels(
            ids.iter()
                .map(String::as_str)
                .zip(pred_labels.iter().map(String::as_str)),
        )
        .unwrap();
        let s = evaluate(&truth, &pred).unwrap();
        assert!(s.ari.abs() < 0.02, "{}", s.ari);
        assert!(s.precision < 0.05);
    }

    #[test]
    fn mismatched_ids_are_named() {
        let truth = clustering(&[("a", "1"), ("b", "1"), ("c", "2")]);
        let pred = clustering(&[("a", "1"), ("b", "1"), ("z", "2")]);
        let err = evaluate(&truth, &pred).unwrap_err().to_string();
        assert!(err.contains("1 only in the truth: \"c\""), "{err}");
        assert!(err.contains("1 only in the prediction: \"z\""), "{err}");
    }

    #[test]
    fn cluster_reports_leave_singletons_out() {
        let dir = tempfile::tempdir().unwrap();
        let truth_path = dir.path().join("truth.jsonl");
        let pred_path = dir.path().join("pred.jsonl");
        std::fs::write(
            &truth_path,
            concat!(
                r#"{"id":"a","cluster":0,"kind":"original"}"#,
                "\n",
                r#"{"id":"b","cluster":0,"kind":"word-edit","jaccard":0.85}"#,
                "\n",
                r#"{"id":"c","cluster":0,"kind":"truncate","jaccard":0.55}"#,
                "\n",
                r#"{"id":"d","cluster":1}"#,
                "\n",
            ),
        )
        .unwrap();
        std::fs::write(
            &pred_path,
            r#"{"version":1,"cluster":0,"level":"document","size":2,"members":[{"id":"a","similarity":1.0,"kept":true},{"id":"b","similarity":0.85,"kept":false}]}"#,
        )
        .unwrap();
        let truth = Clustering::read(&truth_path).unwrap();
        let pred = Clustering::read(&pred_path).unwrap();
        let s = evaluate(&truth, &pred).unwrap();
        assert_eq!(
            (s.true_pairs, s.predicted_pairs, s.correct_pairs),
            (3, 1, 1)
        );
        let kinds = &s.breakdown["kind"];
        let kind = |v: &str| kinds.iter().find(|b| b.value == v).unwrap().recall;
        assert_eq!(kind("word-edit"), 0.5); // b found a, not c
        assert_eq!(kind("truncate"), 0.0);
        let jaccard = &s.breakdown["jaccard"];
        assert_eq!(jaccard[0].value, "[0.5, 0.6)");
        assert_eq!(jaccard[1].value, "[0.8, 0.9)");

        // A prediction naming a document the truth lacks is an error.
        std::fs::write(
            &pred_path,
            r#"{"cluster":0,"members":[{"id":"a"},{"id":"x"}]}"#,
        )
        .unwrap();
        let pred = Clustering::read(&pred_path).unwrap();
        assert!(evaluate(&truth, &pred).is_err());
    }

    #[test]
    fn malformed_files_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(
            &path,
            "{\"id\":\"a\",\"cluster\":1}\n{\"id\":\"a\",\"cluster\":2}\n",
        )
        .unwrap();
        let err = Clustering::read(&path).unwrap_err().to_string();
        assert!(
            err.contains(":2:") && err.contains("appears twice"),
            "{err}"
        );
        std::fs::write(&path, "{\"id\":\"a\"}\n").unwrap();
        let err = Clustering::read(&path).unwrap_err().to_string();
        assert!(err.contains(":1:") && err.contains("cluster"), "{err}");
    }
}
