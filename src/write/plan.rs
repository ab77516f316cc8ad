//! What `dedup` takes out: the documents a run removes whole and the
//! passages it cuts from documents that stay, decided once from a
//! [`Report`] and then applied by the writer, one source at a time.

use crate::config::Config;
use crate::core::DocId;
use crate::passage::{removal_extent, PassageUnit, Span};
use crate::report::Report;

/// What `dedup` takes out of the corpus.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cleaning {
    /// Documents removed whole (near-duplicates of a kept one), sorted.
    pub documents: Vec<DocId>,
    /// Passages cut out of documents that stay, sorted by document and
    /// position.
    pub passages: Vec<PassageRemoval>,
    /// How passages were cut, which decides how much to delete around one.
    pub unit: PassageUnit,
    /// Documents kept whole although they hold repeated passages: cutting
    /// them would take more than [`PassageConfig::max_cut`] of their text.
    ///
    /// [`PassageConfig::max_cut`]: crate::PassageConfig::max_cut
    pub spared: Vec<Spared>,
}

/// A document that passage cleaning left whole, and the share of its text
/// that cleaning would have cut.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spared {
    /// The document.
    pub doc: DocId,
    /// Bytes of its repeated passages over bytes of its text.
    pub share: f64,
}

/// A passage cut out of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PassageRemoval {
    /// The document.
    pub doc: DocId,
    /// The passage's span in the original text.
    pub span: Span,
    /// Its passage cluster.
    pub cluster: u32,
    /// True when removed as boilerplate (every copy goes), false when it
    /// repeats an earlier passage (the first copy stays).
    pub boilerplate: bool,
}

impl Cleaning {
    /// The cleaning `report` calls for at `config.level`: at the document
    /// level, every removed document; at the passage level, every passage
    /// of a cluster but the first one in corpus order that is in a
    /// document still there, and every passage of a boilerplate cluster,
    /// except in documents where those passages are more than
    /// `config.passage.max_cut` of the text: those stay whole (and are
    /// listed in [`Cleaning::spared`]), since a page made mostly of
    /// repeated passages is better flagged than gutted.
    pub fn plan(report: &Report, config: &Config) -> Cleaning {
        let (level, unit) = (config.level, config.passage.unit);
        let mut documents: Vec<DocId> = if level.documents() {
            report.removed().map(|r| r.doc).collect()
        } else {
            Vec::new()
        };
        documents.sort_unstable();
        let gone = |doc: DocId| documents.binary_search(&doc).is_ok();
        let mut passages = Vec::new();
        if level.passages() {
            for cluster in &report.passage_clusters {
                let mut remaining = cluster.members.iter().filter(|m| !gone(m.doc));
                if !cluster.boilerplate {
                    remaining.next(); // the first occurrence stays
                }
                // A passage holding much more than the repeat stays, even as boilerplate.
                let remaining = remaining.filter(|m| m.removable);
                passages.extend(remaining.map(|m| PassageRemoval {
                    doc: m.doc,
                    span: m.span,
                    cluster: cluster.id,
                    boilerplate: cluster.boilerplate,
                }));
            }
        }
        passages.sort_unstable();
        let mut spared = Vec::new();
        for removals in passages.chunk_by(|a, b| a.doc == b.doc) {
            let doc = removals[0].doc;
            let bytes: usize = removals.iter().map(|r| r.span.len()).sum();
            let share = bytes as f64 / report.bytes[doc.index()].max(1) as f64;
            if share > config.passage.max_cut {
                spared.push(Spared { doc, share });
            }
        }
        // In place: a second list of what stays cut held every removal
        // twice (ten million of them per gigabyte of web-like text).
        // `spared` is in document order, as the chunks were.
        passages.retain(|r| spared.binary_search_by_key(&r.doc, |s| s.doc).is_err());
        passages.shrink_to_fit();
        Cleaning {
            documents,
            passages,
            unit,
            spared,
        }
    }

    /// `text` with the given passages (of one document, sorted) removed;
    /// everything else byte for byte as it was. Each removal's exact cut
    /// is appended to `cuts`.
    pub fn apply(&self, text: &str, removals: &[PassageRemoval], cuts: &mut Vec<Cut>) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for removal in removals {
            let extent = removal_extent(text, removal.span, self.unit);
            if extent.start > at {
                out.push_str(&text[at..extent.start]);
            }
            cuts.push(Cut {
                removal: *removal,
                extent,
                deleted: extent.of(text).to_string(),
            });
            at = at.max(extent.end);
        }
        out.push_str(&text[at.min(text.len())..]);
        out
    }
}

/// What removing one passage deleted: with the passage's line ending (or
/// indentation), which is what undoing the cleaning must put back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    /// The removal.
    pub removal: PassageRemoval,
    /// The bytes deleted, in the original text.
    pub extent: Span,
    /// Those bytes.
    pub deleted: String,
}
