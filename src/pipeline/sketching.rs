//! Pass 1: every document to its sketch (band keys, exact-text hash, and
//! the signature or shingle set a run keeps), batch by batch in corpus
//! order, the batch sketched in parallel.
//!
//! A document's sketch depends on its text and the configuration only,
//! never on the batch it is in: staged runs sketch shards apart and get
//! what one run gets.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_128_with_seed;

use crate::config::Config;
use crate::error::Result;
use crate::lsh::{BandKey, Banding};
use crate::minhash::MinHasher;
use crate::normalize::normalize;
use crate::progress::{check, Progress};
use crate::read::stream::batches;
use crate::read::{Corpus, Document, Skip};
use crate::shingle::{shingle, ShingleSet, Unit};
use crate::verify::Verification;

/// What pass 1 keeps of one document.
pub(crate) struct Sketch {
    /// Hash of the normalized text; `None` when that is empty.
    pub(crate) exact: Option<u128>,
    pub(crate) keys: Vec<BandKey>,
    pub(crate) slots: Option<Vec<u32>>,
    /// The low bits of its shingle hashes, while the set cache has room
    /// (see [`SetCache`](super::SetCache)).
    pub(crate) set: Option<Vec<u32>>,
}

/// What pass 1 hands on: a skipped input, or a batch of documents with
/// their sketches, in corpus order.
pub(crate) enum Sketched {
    Skipped(Skip),
    Batch(Vec<Document>, Vec<Sketch>),
}

/// Pass 1: every document to band keys (and exact-text hash), batch by
/// batch in corpus order, to `each`.
///
/// `keep_sets` says, before each batch, whether its shingle sets are kept.
pub(crate) fn sketch_corpus(
    corpus: &dyn Corpus,
    config: &Config,
    hasher: &MinHasher,
    banding: Banding,
    progress: &dyn Progress,
    keep_sets: &dyn Fn() -> bool,
    mut each: impl FnMut(Sketched) -> Result<()>,
) -> Result<()> {
    // Said once per run: word shingles cannot see the words of Thai or Lao.
    let mut warned = config.shingling.unit != Unit::Word;
    batches(corpus, |records| {
        check(progress)?;
        let mut batch: Vec<Document> = Vec::with_capacity(records.len());
        for record in records {
            match record {
                Ok(doc) => batch.push(doc),
                Err(skip) => {
                    progress.skipped(&skip);
                    each(Sketched::Skipped(skip))?;
                }
            }
        }
        progress.advance(batch.len() as u64);
        if !warned && batch.par_iter().any(|doc| needs_a_dictionary(&doc.text)) {
            warned = true;
            progress.note(
                "some documents are in Thai or Lao, written without spaces between words: word shingles see whole phrases there, and character shingles (unit char) find their near-duplicates",
            );
        }
        let keep_set = keep_sets();
        let sketches: Vec<Sketch> = batch
            .par_iter()
            .map_init(
                || Scratch::new(hasher),
                |scratch, doc| sketch(&doc.text, config, hasher, banding, keep_set, scratch),
            )
            .collect();
        each(Sketched::Batch(batch, sketches))
    })
}

/// Whether `text` is (at its start) in Thai or Lao: scripts without spaces
/// whose word breaks take a dictionary to find. Looking at the first few
/// kilobytes is enough to tell, and keeps the check cheap.
fn needs_a_dictionary(text: &str) -> bool {
    let mut end = text.len().min(4096);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    !head.is_ascii() && head.chars().any(|c| matches!(c, '\u{0E00}'..='\u{0EFF}'))
}

/// Buffers one worker reuses from document to document.
pub(crate) struct Scratch {
    pub text: String,
    pub hashes: Vec<u64>,
    pub slots: Vec<u32>,
}

impl Scratch {
    pub fn new(hasher: &MinHasher) -> Self {
        Scratch {
            text: String::new(),
            hashes: Vec::new(),
            slots: hasher.empty(),
        }
    }

    /// Sketches the normalized text in `self.text` into `self.slots`.
    pub fn sketch(&mut self, shingling: &crate::shingle::Shingling, seed: u64, hasher: &MinHasher) {
        self.hashes.clear();
        let hashes = &mut self.hashes;
        shingle(&self.text, shingling, seed, |h| hashes.push(h));
        self.slots.fill(u32::MAX);
        hasher.sketch_into(&self.hashes, &mut self.slots);
    }
}

/// Normalizes, shingles and sketches one document.
pub(super) fn sketch(
    text: &str,
    config: &Config,
    hasher: &MinHasher,
    banding: Banding,
    keep_set: bool,
    scratch: &mut Scratch,
) -> Sketch {
    if !config.level.documents() {
        // Passages only: pass 1 just names and counts the documents.
        return Sketch {
            exact: None,
            keys: Vec::new(),
            slots: None,
            set: None,
        };
    }
    normalize(text, &config.normalization, &mut scratch.text);
    scratch.sketch(&config.shingling, config.seed, hasher);
    let mut keys = Vec::with_capacity(banding.bands);
    banding.keys(&scratch.slots, &mut keys);
    let text = &scratch.text;
    Sketch {
        exact: (!text.is_empty()).then(|| xxh3_128_with_seed(text.as_bytes(), config.seed)),
        keys,
        // Estimated verification compares signatures; exact needs none.
        slots: (config.verification == Verification::Estimate).then(|| scratch.slots.clone()),
        // Unsorted: only the few that verification needs are sorted, later.
        set: (keep_set && !text.is_empty())
            .then(|| scratch.hashes.iter().map(|&h| h as u32).collect()),
    }
}

/// What a run keeps of one text to find its near-duplicates: the hash of
/// its normalized text and its LSH band keys. Exactly what a sketch file
/// records for a document, so sketches made apart (on the workers of a
/// distributed engine, say) can be joined as one run joins them.
///
/// Two texts with the same `exact` hash are exact duplicates after
/// normalization; two that share a band key (at the same band position)
/// are a candidate pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextSketch {
    /// XXH3-128 of the normalized text, seeded with the run's seed; `None`
    /// when the normalized text is empty (nothing to compare).
    pub exact: Option<u128>,
    /// One key per band, in band order; empty when `exact` is `None`.
    pub band_keys: Vec<BandKey>,
}

/// The document grain's per-text steps (normalize, shingle, MinHash, band
/// keys) for callers that sketch texts themselves, with a run's settings.
///
/// ```
/// use textdup::{Config, Sketcher};
///
/// let sketcher = Sketcher::new(&Config::default())?;
/// let a = sketcher.sketch("The OSCE has addressed recent allegations made against its staff.");
/// let b = sketcher.sketch("the OSCE has addressed recent allegations made against its staff");
/// assert_eq!(a.exact, b.exact); // the same text once normalized
/// assert_eq!(a.band_keys.len(), sketcher.banding().bands);
/// assert_eq!(sketcher.similarity("a b c d e f", "a b c d e f"), 1.0);
/// # Ok::<(), textdup::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sketcher {
    config: Config,
    hasher: MinHasher,
    banding: Banding,
}

impl Sketcher {
    /// A sketcher with `config`'s normalization, shingling, seed,
    /// permutations and banding.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for an invalid `config`.
    pub fn new(config: &Config) -> Result<Sketcher> {
        config.validate()?;
        Ok(Sketcher {
            config: Config {
                level: crate::config::Level::Document,
                ..config.clone()
            },
            hasher: MinHasher::new(config.num_perm, config.seed),
            banding: config.banding(),
        })
    }

    /// The bands and rows the keys are made with.
    pub fn banding(&self) -> Banding {
        self.banding
    }

    /// The sketch of one text.
    pub fn sketch(&self, text: &str) -> TextSketch {
        let mut scratch = Scratch::new(&self.hasher);
        self.sketch_with(text, &mut scratch)
    }

    /// The sketches of many texts, in order, made in parallel.
    pub fn sketch_all(&self, texts: &[&str]) -> Vec<TextSketch> {
        texts
            .par_iter()
            .map_init(
                || Scratch::new(&self.hasher),
                |scratch, text| self.sketch_with(text, scratch),
            )
            .collect()
    }

    fn sketch_with(&self, text: &str, scratch: &mut Scratch) -> TextSketch {
        let sketch = sketch(
            text,
            &self.config,
            &self.hasher,
            self.banding,
            false,
            scratch,
        );
        TextSketch {
            band_keys: if sketch.exact.is_some() {
                sketch.keys
            } else {
                Vec::new()
            },
            exact: sketch.exact,
        }
    }

    /// The exact shingle set of one text: what exact verification compares.
    pub fn shingles(&self, text: &str) -> ShingleSet {
        let mut normalized = String::new();
        normalize(text, &self.config.normalization, &mut normalized);
        ShingleSet::new(&normalized, &self.config.shingling, self.config.seed)
    }

    /// The exact Jaccard similarity of two texts' shingle sets, as
    /// verification computes it.
    pub fn similarity(&self, a: &str, b: &str) -> f64 {
        self.shingles(a).jaccard(&self.shingles(b))
    }
}
