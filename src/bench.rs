//! Stage entry points for the benchmarks in `benches/`, which time one
//! stage at a time. Not API: hidden from the docs and free to change.

pub use crate::cluster::components;
pub use crate::lsh::candidates;
pub use crate::normalize::{words, Word};
pub use crate::passage::spans::{self, Occurrence, SeenTwice};
