//! The bottom layer: the nouns every stage shares, importing nothing else
//! of the crate.
//!
//! The library is layered; a module imports only from layers below its
//! own (checked by `tests/it/layers.rs`). From the bottom up:
//!
//! 1. `core`, `error`: ids, spans, the error type;
//! 2. `normalize`, `shingle`, `fsutil`: text to shingles; files that appear whole;
//! 3. `minhash`, `lsh`, `cluster`: sketches, candidates, components;
//! 4. `verify`, `passage`, `read`: pairs checked, passages, corpora read;
//! 5. `progress`, `config`, `synth`: what a run reports, its settings; benchmark corpora;
//! 6. `stagefile`, `report`: files between stages, results and their formats;
//! 7. `pipeline`, `write`, `eval`: the run, the cleaned corpus, scores;
//! 8. `output`, `staged`, `bench`: facades that choose the public API.
//!
//! The binary (`cli`) sits on top.

mod ids;
mod span;

/// White-space separated tokens with their byte offsets: the one
/// definition of a word that normalization and word shingles share.
pub(crate) fn tokens(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(char::is_whitespace)
        .filter(|t| !t.is_empty())
        .map(move |t| (t.as_ptr() as usize - text.as_ptr() as usize, t))
}

pub(crate) use ids::{number, push_lean};
pub use ids::{DocId, Ids, Numbered};
pub use span::Span;
