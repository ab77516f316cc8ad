//! Span queries: the documents of a new corpus that share a window of `k`
//! consecutive words with an indexed document. With an index of benchmark
//! data built with `--spans 13`, this is the usual 13-gram
//! decontamination of training data.
//!
//! Windows are hashed exactly as the passage grain hashes them (normalized
//! words, XXH3-64 with the run's seed), so spelling variants that
//! normalization folds still meet. A new document matches at its first
//! window found in the index; the match names that window's bytes in the
//! original text and the indexed document that holds it.
//!
//! The index's window hashes are looked up in a hash map built once when
//! they are few enough (an evaluation set is: 16 million windows take
//! about 400 MB), else by binary search in each segment's mapped table.

use std::collections::HashMap;
use std::time::Instant;

use rayon::prelude::*;

use crate::config::Config;
use crate::core::{push_lean, DocId, Ids, Span};
use crate::error::{Error, Result};
use crate::index::query::{MatchSummary, Matches, SpanMatch};
use crate::index::{Index, IndexDoc};
use crate::normalize::words;
use crate::passage::spans::windows;
use crate::progress::{check, Progress, Stage, Timed};
use crate::read::stream::batches;
use crate::read::{Corpus, Origin};

/// Window hashes up to this many are looked up in memory.
const IN_MEMORY: usize = 16 << 20;

/// How window hashes are looked up.
enum Lookup<'a> {
    Map(HashMap<u64, IndexDoc, ahash::RandomState>),
    Segments(&'a Index),
}

impl Lookup<'_> {
    /// A lookup in memory when the index holds at most `in_memory` window
    /// hashes, else in the segments.
    fn new(index: &Index, in_memory: usize) -> Result<Lookup<'_>> {
        let total: usize = index.segments.iter().map(|s| s.window_count()).sum();
        if total > in_memory {
            return Ok(Lookup::Segments(index));
        }
        let mut map = HashMap::with_capacity_and_hasher(total, ahash::RandomState::new());
        for (i, segment) in index.segments.iter().enumerate() {
            for (hash, local) in segment.window_entries()? {
                // Earlier segments first: the first document keeps a hash.
                map.entry(hash).or_insert(IndexDoc {
                    segment: i as u32,
                    local,
                });
            }
        }
        Ok(Lookup::Map(map))
    }

    fn get(&self, hash: u64) -> Result<Option<IndexDoc>> {
        match self {
            Lookup::Map(map) => Ok(map.get(&hash).copied()),
            Lookup::Segments(index) => {
                for (i, segment) in index.segments.iter().enumerate() {
                    if let Some(local) = segment.window(hash)? {
                        return Ok(Some(IndexDoc {
                            segment: i as u32,
                            local,
                        }));
                    }
                }
                Ok(None)
            }
        }
    }
}

/// Every document of `corpus` that shares a `k`-word window with `index`.
pub(crate) fn span_query(
    index: &Index,
    corpus: &dyn Corpus,
    config: &Config,
    k: usize,
    progress: &dyn Progress,
) -> Result<Matches> {
    let started = Instant::now();
    let timed = Timed::new(progress);
    let progress = &timed;
    let lookup = Lookup::new(index, IN_MEMORY)?;
    let mut summary = MatchSummary {
        indexed: index.documents(),
        ..MatchSummary::default()
    };
    let mut ids = Ids::default();
    let mut sizes: Vec<u64> = Vec::new();
    let mut origins: Vec<Origin> = Vec::new();
    let mut found: Vec<(DocId, Span, String, IndexDoc)> = Vec::new();
    progress.begin(Stage::Sketch, None);
    batches(corpus, |records| {
        check(progress)?;
        let mut docs = Vec::with_capacity(records.len());
        for record in records {
            match record {
                Ok(doc) => docs.push(doc),
                Err(skip) => {
                    progress.skipped(&skip);
                    summary.skip(skip.reason.kind());
                }
            }
        }
        progress.advance(docs.len() as u64);
        let hits: Vec<Option<(Span, IndexDoc)>> = docs
            .par_iter()
            .map_init(
                || (String::new(), Vec::new()),
                |(normalized, found), doc| -> Result<Option<(Span, IndexDoc)>> {
                    words(&doc.text, &config.normalization, normalized, found);
                    let mut hashes = Vec::new();
                    windows(normalized, found, k, config.seed, |i, h| {
                        hashes.push((i, h))
                    });
                    for (i, hash) in hashes {
                        if let Some(indexed) = lookup.get(hash)? {
                            let span = Span {
                                start: found[i].original.0,
                                end: found[i + k - 1].original.1,
                            };
                            return Ok(Some((span, indexed)));
                        }
                    }
                    Ok(None)
                },
            )
            .collect::<Result<_>>()?;
        for (doc, hit) in docs.iter().zip(hits) {
            let id = DocId(u32::try_from(ids.len()).map_err(|_| Error::TooManyDocuments)?);
            ids.push(&doc.id);
            push_lean(&mut sizes, doc.text.len() as u64);
            push_lean(&mut origins, doc.origin);
            summary.bytes += doc.text.len() as u64;
            if let Some((span, indexed)) = hit {
                found.push((id, span, span.of(&doc.text).to_string(), indexed));
            }
        }
        Ok(())
    })?;
    progress.end();
    for note in corpus.notes() {
        progress.note(&note);
    }
    let spans = found
        .into_iter()
        .map(|(doc, span, text, indexed)| {
            Ok(SpanMatch {
                doc,
                span,
                text,
                indexed: index.doc(indexed)?.id.to_string(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    summary.documents = ids.len() as u64;
    summary.removed_by_index = spans.len() as u64;
    summary.kept = summary.documents - summary.removed_by_index;
    summary.elapsed = started.elapsed();
    summary.stages = timed.times();
    Ok(Matches {
        ids,
        bytes: sizes,
        origins,
        matches: Vec::new(),
        spans,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{AddOptions, IndexWriter, Settings};
    use crate::read::Document;
    use crate::Resources;

    #[test]
    fn both_lookups_find_the_first_document_of_a_window() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tdx");
        let config = Config::default();
        let settings = Settings {
            spans: Some(3),
            ..Settings::of(&config)
        };
        let mut writer = IndexWriter::create(&path, &settings).unwrap();
        let all = AddOptions {
            all: true,
            ..AddOptions::default()
        };
        let first = vec![Document::new("a", "one two three four five six seven")];
        let second = vec![
            Document::new("b", "five six seven eight nine ten eleven"),
            Document::new("c", "twelve thirteen fourteen"),
        ];
        writer
            .add(&first, &all, &Resources::default(), &crate::NoProgress)
            .unwrap();
        writer
            .add(&second, &all, &Resources::default(), &crate::NoProgress)
            .unwrap();
        let index = writer.index();
        let hash = |text: &str| {
            let (mut normalized, mut found) = (String::new(), Vec::new());
            words(text, &config.normalization, &mut normalized, &mut found);
            let mut out = Vec::new();
            windows(&normalized, &found, 3, config.seed, |_, h| out.push(h));
            out[0]
        };
        let memory = Lookup::new(index, IN_MEMORY).unwrap();
        let mapped = Lookup::new(index, 0).unwrap();
        assert!(matches!(memory, Lookup::Map(_)) && matches!(mapped, Lookup::Segments(_)));
        for lookup in [&memory, &mapped] {
            let doc = |text| lookup.get(hash(text)).unwrap();
            let a = Some(IndexDoc {
                segment: 0,
                local: 0,
            });
            assert_eq!(
                doc("five six seven"),
                a,
                "in both segments: the first holds it"
            );
            assert_eq!(doc("Two, three; FOUR"), a, "normalized as the index was");
            assert_eq!(
                doc("eight nine ten"),
                Some(IndexDoc {
                    segment: 1,
                    local: 0
                })
            );
            assert_eq!(
                doc("twelve thirteen fourteen"),
                Some(IndexDoc {
                    segment: 1,
                    local: 1
                })
            );
            assert_eq!(
                doc("seven eight nine ten"),
                Some(IndexDoc {
                    segment: 1,
                    local: 0
                })
            );
            assert_eq!(doc("three five four"), None);
        }
    }
}
