//! Passage splitting and removal extents: char boundaries, order, the text rebuilt.
//! The invariants are asserted by `textdup::fuzz::passages`, which
//! `tests/it/fuzz_replay.rs` also runs on the committed corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| textdup::fuzz::passages(data));
