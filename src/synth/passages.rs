//! Passage-level benchmark corpora: articles with repeats planted inside
//! and across them, and the byte span of every planted repeat as truth.
//!
//! Each document is an article made of real paragraphs, one per line: a
//! headline (the first 4 to 16 words of a paragraph, so that headlines
//! fall on both sides of the passage grain's short-passage bound), then
//! the body. Planted, each in a share of the documents:
//! - `doubled`: the headline printed twice;
//! - `caption`: a "Caption: " line restating the headline;
//! - `copy`: a paragraph of an earlier document, with a few words
//!   changed (3% by default, at least one);
//! - `boilerplate`: scraping boilerplate lines, the same in many
//!   documents.
//!
//! The truth is a list of clusters of spans: a document's headline with
//! its repeat and caption; a paragraph with its edited copies; each
//! boilerplate line with its occurrences. The headline is cut from a
//! paragraph whose rest stays in the body, so no body line contains it.
//!
//! Deterministic: the same input, options and seed give the same corpus.
//! Paragraphs are never reused (a paragraph printed twice would be a
//! repeat the truth does not hold), so the input must hold enough text.

use std::collections::HashMap;
use std::path::Path;

use super::{create, finish, json_line, Paragraphs, Rng, BOILERPLATE};
use crate::error::{Error, Result, Setting};
use crate::fsutil::{write_folder_atomically, Existing};
use crate::normalize::{normalize, Normalization};
use crate::read::Corpus;
use crate::shingle::{ShingleSet, Shingling};

/// Options of [`write_passages`].
#[derive(Clone, Debug, PartialEq)]
pub struct PassageOptions {
    /// Documents to write.
    pub docs: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Share of documents whose headline is printed twice. Default 0.25.
    pub doubled: f64,
    /// Share of documents with a caption restating the headline.
    /// Default 0.25.
    pub captioned: f64,
    /// Share of documents given an edited copy of an earlier document's
    /// paragraph. Default 0.3.
    pub copied: f64,
    /// Share of a copied paragraph's words changed (at least one).
    /// Default 0.03.
    pub edit_rate: f64,
    /// Share of documents carrying boilerplate lines. Default 0.3.
    pub boilerplate: f64,
    /// Fewest and most words in a document's body. Default 40 to 240.
    pub words: (usize, usize),
}

impl Default for PassageOptions {
    fn default() -> Self {
        PassageOptions {
            docs: 1000,
            seed: 1,
            doubled: 0.25,
            captioned: 0.25,
            copied: 0.3,
            edit_rate: 0.03,
            boilerplate: 0.3,
            words: (40, 240),
        }
    }
}

/// What a planted span is in its truth cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A headline (the first of its cluster).
    Headline,
    /// The headline printed again.
    Repeat,
    /// "Caption: " and the headline.
    Caption,
    /// A paragraph later copied.
    Source,
    /// An edited copy of a source paragraph.
    Copy,
    /// A boilerplate line.
    Boilerplate,
}

impl Role {
    /// The role's name in the truth file.
    pub fn name(self) -> &'static str {
        match self {
            Role::Headline => "headline",
            Role::Repeat => "repeat",
            Role::Caption => "caption",
            Role::Source => "source",
            Role::Copy => "copy",
            Role::Boilerplate => "boilerplate",
        }
    }
}

/// One planted span.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TruthSpan {
    /// The document.
    pub id: String,
    /// Byte offsets into its text.
    pub start: usize,
    /// End, exclusive.
    pub end: usize,
    /// What the span is.
    #[serde(serialize_with = "role_name")]
    pub role: Role,
    /// Word-trigram Jaccard similarity to the cluster's first span
    /// (textdup's default normalization): 1 but for edited copies.
    pub jaccard: f64,
}

fn role_name<S: serde::Serializer>(role: &Role, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(role.name())
}

/// One cluster of planted spans.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TruthCluster {
    /// Its number.
    pub cluster: u64,
    /// `doubled`, `caption`, `doubled+caption`, `copy` or `boilerplate`.
    pub kind: &'static str,
    /// Its spans, in corpus order.
    pub members: Vec<TruthSpan>,
}

/// The most source paragraphs kept for later copies: a bounded pool, so
/// that memory does not grow with the corpus.
const POOL: usize = 4096;

/// Writes a passage benchmark to `dir/corpus.jsonl` (`{"id", "text"}`)
/// and its truth to `dir/passages.jsonl` (one [`TruthCluster`] a line),
/// atomically. Returns the numbers of documents and of truth clusters.
pub fn write_passages(
    corpus: &dyn Corpus,
    options: &PassageOptions,
    dir: &Path,
    existing: Existing,
) -> Result<(u64, u64)> {
    validate(options)?;
    write_folder_atomically(dir, existing, |tmp| {
        let corpus_path = tmp.join("corpus.jsonl");
        let truth_path = tmp.join("passages.jsonl");
        let mut docs = create(&corpus_path)?;
        let mut planter = Planter::new(corpus, options);
        let mut count = 0u64;
        while (count as usize) < options.docs {
            let (id, text) = planter.next_document(count)?;
            #[derive(serde::Serialize)]
            struct DocOut<'a> {
                id: &'a str,
                text: &'a str,
            }
            json_line(
                &mut docs,
                &DocOut {
                    id: &id,
                    text: &text,
                },
            )
            .map_err(|e| Error::io(&corpus_path, e))?;
            count += 1;
        }
        let mut truth = create(&truth_path)?;
        let clusters = planter.clusters();
        for cluster in &clusters {
            json_line(&mut truth, cluster).map_err(|e| Error::io(&truth_path, e))?;
        }
        finish(docs, &corpus_path)?;
        finish(truth, &truth_path)?;
        Ok((count, clusters.len() as u64))
    })
}

fn validate(options: &PassageOptions) -> Result<()> {
    let shares = [
        options.doubled,
        options.captioned,
        options.copied,
        options.edit_rate,
        options.boilerplate,
    ];
    if shares.iter().any(|s| !(0.0..=1.0).contains(s)) {
        return Err(Error::Config {
            setting: Setting::Share,
            problem: "shares and the edit rate must be in [0, 1]".to_string(),
        });
    }
    if options.words.0 == 0 || options.words.0 > options.words.1 {
        return Err(Error::Config {
            setting: Setting::Words,
            problem: "word range must be 1 ≤ min ≤ max".to_string(),
        });
    }
    Ok(())
}

/// A paragraph that later documents may copy: its text, and the truth
/// cluster it will head once copied.
struct PoolEntry {
    text: String,
    span: TruthSpan,
    cluster: Option<usize>,
}

/// Builds the documents and gathers their truth.
struct Planter<'a> {
    options: &'a PassageOptions,
    rng: Rng,
    paragraphs: Paragraphs<'a>,
    vocabulary: Vec<String>,
    pool: Vec<PoolEntry>,
    /// Truth clusters so far, by number.
    clusters: Vec<TruthCluster>,
    /// The cluster of each boilerplate line, once used.
    boilerplate: HashMap<usize, usize>,
    scratch: String,
}

impl<'a> Planter<'a> {
    fn new(corpus: &'a dyn Corpus, options: &'a PassageOptions) -> Self {
        Planter {
            options,
            rng: Rng::new(options.seed),
            paragraphs: Paragraphs::new(corpus),
            vocabulary: Vec::new(),
            pool: Vec::new(),
            clusters: Vec::new(),
            boilerplate: HashMap::new(),
            scratch: String::new(),
        }
    }

    /// The truth clusters, numbered in order, with more than one member.
    fn clusters(self) -> Vec<TruthCluster> {
        let mut out: Vec<TruthCluster> = self
            .clusters
            .into_iter()
            .filter(|c| c.members.len() > 1)
            .collect();
        for (i, cluster) in out.iter_mut().enumerate() {
            cluster.cluster = i as u64;
        }
        out
    }

    fn trigrams(&mut self, text: &str) -> ShingleSet {
        normalize(text, &Normalization::default(), &mut self.scratch);
        let trigrams = Shingling {
            n: 3,
            ..Shingling::default()
        };
        ShingleSet::new(&self.scratch, &trigrams, 0)
    }

    /// Paragraphs of about the target length, as single lines. Never
    /// recombined from used ones, as document benchmarks may be: a
    /// paragraph printed twice would be a repeat the truth does not hold.
    fn base(&mut self, produced: u64) -> Result<Vec<String>> {
        let (least, most) = self.options.words;
        let target = least + self.rng.below(most - least + 1);
        let Some(base) = self.paragraphs.next_document(target, least)? else {
            return Err(Error::OutOfText {
                produced: produced as usize,
                wanted: self.options.docs,
                skipped: std::mem::take(&mut self.paragraphs.skipped),
                recombined: true,
            });
        };
        Ok(base
            .iter()
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect())
    }

    /// Document number `n`: its id and text, its planted spans recorded.
    fn next_document(&mut self, n: u64) -> Result<(String, String)> {
        let id = format!("p{n:08}");
        let mut body = self.base(n)?;
        for paragraph in &body {
            if self.vocabulary.len() < 50_000 {
                self.vocabulary
                    .extend(paragraph.split(' ').take(4).map(str::to_string));
            }
        }
        // The headline: the first words of the first paragraph, whose
        // rest (if long enough to be prose) opens the body.
        let first: Vec<&str> = body[0].split(' ').collect();
        let length = (4 + self.rng.below(13)).min(first.len());
        let headline = first[..length].join(" ");
        let rest = first[length..].join(" ");
        if rest.split(' ').count() >= 6 {
            body[0] = rest;
        } else {
            body.remove(0);
        }

        let mut lines: Vec<(String, Option<Planted>)> = vec![(headline.clone(), None)];
        let doubled = self.rng.unit() < self.options.doubled;
        if doubled {
            lines.push((headline.clone(), Some(Planted::Repeat)));
        }
        let body_start = lines.len();
        lines.extend(body.into_iter().map(|p| (p, None)));
        let captioned = self.rng.unit() < self.options.captioned;
        if captioned {
            let at = (body_start + 1).min(lines.len());
            lines.insert(at, (format!("Caption: {headline}"), Some(Planted::Caption)));
        }
        if self.rng.unit() < self.options.copied && !self.pool.is_empty() {
            let source = self.rng.below(self.pool.len());
            let copy = self.edited(&self.pool[source].text.clone());
            let at = body_start + self.rng.below(lines.len() - body_start + 1);
            lines.insert(at, (copy, Some(Planted::Copy(source))));
        }
        if self.rng.unit() < self.options.boilerplate {
            let count = 1 + self.rng.below(3);
            let mut picked: Vec<usize> = Vec::new();
            while picked.len() < count {
                let line = self.rng.below(BOILERPLATE.len());
                if !picked.contains(&line) {
                    picked.push(line);
                }
            }
            for line in picked {
                lines.push((
                    BOILERPLATE[line].to_string(),
                    Some(Planted::Boilerplate(line)),
                ));
            }
        }

        // The text, and each line's span.
        let mut text = String::new();
        let mut spans = Vec::with_capacity(lines.len());
        for (i, (line, _)) in lines.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            spans.push((text.len(), text.len() + line.len()));
            text.push_str(line);
        }
        let span = |i: usize, role: Role, jaccard: f64| TruthSpan {
            id: id.clone(),
            start: spans[i].0,
            end: spans[i].1,
            role,
            jaccard,
        };

        if doubled || captioned {
            let kind = match (doubled, captioned) {
                (true, true) => "doubled+caption",
                (true, false) => "doubled",
                _ => "caption",
            };
            let mut members = vec![span(0, Role::Headline, 1.0)];
            for (i, (_, planted)) in lines.iter().enumerate() {
                match planted {
                    Some(Planted::Repeat) => members.push(span(i, Role::Repeat, 1.0)),
                    Some(Planted::Caption) => {
                        let jaccard = self.similarity(&headline, &lines[i].0);
                        members.push(span(i, Role::Caption, jaccard));
                    }
                    _ => {}
                }
            }
            self.clusters.push(TruthCluster {
                cluster: 0,
                kind,
                members,
            });
        }
        for (i, (line, planted)) in lines.iter().enumerate() {
            match planted {
                Some(Planted::Copy(source)) => {
                    let jaccard = self.similarity(&self.pool[*source].text.clone(), line);
                    let cluster = match self.pool[*source].cluster {
                        Some(cluster) => cluster,
                        None => {
                            self.clusters.push(TruthCluster {
                                cluster: 0,
                                kind: "copy",
                                members: vec![self.pool[*source].span.clone()],
                            });
                            self.pool[*source].cluster = Some(self.clusters.len() - 1);
                            self.clusters.len() - 1
                        }
                    };
                    self.clusters[cluster]
                        .members
                        .push(span(i, Role::Copy, jaccard));
                }
                Some(Planted::Boilerplate(line)) => {
                    let cluster = *self.boilerplate.entry(*line).or_insert_with(|| {
                        self.clusters.push(TruthCluster {
                            cluster: 0,
                            kind: "boilerplate",
                            members: Vec::new(),
                        });
                        self.clusters.len() - 1
                    });
                    self.clusters[cluster]
                        .members
                        .push(span(i, Role::Boilerplate, 1.0));
                }
                _ => {}
            }
        }
        // One body paragraph (not planted, long enough to be a
        // paragraph) may be copied by later documents.
        let candidates: Vec<usize> = (body_start..lines.len())
            .filter(|&i| lines[i].1.is_none() && lines[i].0.split(' ').count() >= 12)
            .collect();
        if !candidates.is_empty() {
            let i = candidates[self.rng.below(candidates.len())];
            let entry = PoolEntry {
                text: lines[i].0.clone(),
                span: span(i, Role::Source, 1.0),
                cluster: None,
            };
            if self.pool.len() < POOL {
                self.pool.push(entry);
            } else {
                // Replace one that was never copied, if any.
                let slot = self.rng.below(POOL);
                if self.pool[slot].cluster.is_none() {
                    self.pool[slot] = entry;
                }
            }
        }
        Ok((id, text))
    }

    /// `text` with a share of its words (at least one) replaced by words
    /// of the input.
    fn edited(&mut self, text: &str) -> String {
        let mut words: Vec<String> = text.split(' ').map(str::to_string).collect();
        let changes = ((words.len() as f64 * self.options.edit_rate).round() as usize).max(1);
        for _ in 0..changes {
            let at = self.rng.below(words.len());
            let mut with = "changed".to_string();
            // A word of the input, unless every try gives the same word.
            for _ in 0..8 {
                if let Some(word) = self
                    .vocabulary
                    .get(self.rng.below(self.vocabulary.len().max(1)))
                {
                    if *word != words[at] {
                        with = word.clone();
                        break;
                    }
                }
            }
            words[at] = with;
        }
        words.join(" ")
    }

    fn similarity(&mut self, a: &str, b: &str) -> f64 {
        let (a, b) = (self.trigrams(a), self.trigrams(b));
        (a.jaccard(&b) * 1e6).round() / 1e6
    }
}

/// What a line was planted as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Planted {
    Repeat,
    Caption,
    /// A copy of pool entry `n`.
    Copy(usize),
    /// Boilerplate line `n`.
    Boilerplate(usize),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Document;

    fn prose() -> Vec<Document> {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/devils-dictionary.txt"
        ))
        .unwrap();
        vec![Document::new("dict", text)]
    }

    #[test]
    fn every_planted_span_is_what_its_role_says() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("bench");
        let options = PassageOptions {
            docs: 250,
            ..PassageOptions::default()
        };
        let (docs, clusters) = write_passages(&prose(), &options, &out, Existing::Refuse).unwrap();
        assert_eq!(docs, 250);
        assert!(clusters > 50, "{clusters}");
        let texts: HashMap<String, String> = std::fs::read_to_string(out.join("corpus.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["id"].as_str().unwrap().into(),
                    v["text"].as_str().unwrap().into(),
                )
            })
            .collect();
        let mut kinds = HashMap::new();
        for line in std::fs::read_to_string(out.join("passages.jsonl"))
            .unwrap()
            .lines()
        {
            let cluster: serde_json::Value = serde_json::from_str(line).unwrap();
            *kinds
                .entry(cluster["kind"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
            let members = cluster["members"].as_array().unwrap();
            assert!(members.len() >= 2);
            let text_of = |m: &serde_json::Value| {
                let text = &texts[m["id"].as_str().unwrap()];
                let (s, e) = (
                    m["start"].as_u64().unwrap() as usize,
                    m["end"].as_u64().unwrap() as usize,
                );
                text[s..e].to_string()
            };
            let first = text_of(&members[0]);
            for m in members {
                let span = text_of(m);
                assert!(!span.contains('\n'), "a span is one line");
                match m["role"].as_str().unwrap() {
                    "repeat" | "boilerplate" | "headline" | "source" => assert_eq!(span, first),
                    "caption" => assert_eq!(span, format!("Caption: {first}")),
                    "copy" => {
                        assert_ne!(span, first, "a copy is edited");
                        assert_eq!(span.split(' ').count(), first.split(' ').count());
                    }
                    role => panic!("unknown role {role}"),
                }
            }
        }
        for kind in [
            "doubled",
            "caption",
            "doubled+caption",
            "copy",
            "boilerplate",
        ] {
            assert!(
                kinds.get(kind).copied().unwrap_or(0) > 0,
                "{kind}: {kinds:?}"
            );
        }
        // Deterministic.
        let again = dir.path().join("again");
        write_passages(&prose(), &options, &again, Existing::Refuse).unwrap();
        for file in ["corpus.jsonl", "passages.jsonl"] {
            assert_eq!(
                std::fs::read(out.join(file)).unwrap(),
                std::fs::read(again.join(file)).unwrap()
            );
        }
    }
}
