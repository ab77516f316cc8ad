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
use crate::shingle::shingle;
use crate::verify::Verification;

/// What pass 1 keeps of one document.
pub(super) struct Sketch {
    /// Hash of the normalized text; `None` when that is empty.
    pub(super) exact: Option<u128>,
    pub(super) keys: Vec<BandKey>,
    pub(super) slots: Option<Vec<u32>>,
    /// The low bits of its shingle hashes, while the set cache has room
    /// (see [`SetCache`]).
    pub(super) set: Option<Vec<u32>>,
}

/// What pass 1 hands on: a skipped input, or a batch of documents with
/// their sketches, in corpus order.
pub(super) enum Sketched {
    Skipped(Skip),
    Batch(Vec<Document>, Vec<Sketch>),
}

/// Pass 1: every document to band keys (and exact-text hash), batch by
/// batch in corpus order, to `each`.
///
/// `keep_sets` says, before each batch, whether its shingle sets are kept.
pub(super) fn sketch_corpus(
    corpus: &dyn Corpus,
    config: &Config,
    hasher: &MinHasher,
    banding: Banding,
    progress: &dyn Progress,
    keep_sets: &dyn Fn() -> bool,
    mut each: impl FnMut(Sketched) -> Result<()>,
) -> Result<()> {
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
        let keep_set = keep_sets();
        let sketches: Vec<Sketch> = batch
            .par_iter()
            .map_init(
                || Scratch::new(hasher),
                |scratch, doc| sketch(doc, config, hasher, banding, keep_set, scratch),
            )
            .collect();
        each(Sketched::Batch(batch, sketches))
    })
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
    doc: &Document,
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
    normalize(&doc.text, &config.normalization, &mut scratch.text);
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
