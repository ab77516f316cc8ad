//! The normalizer: its ASCII fast path against the general path, for every option set.
//! The invariants are asserted by `textdup::fuzz::normalize`, which
//! `tests/it/fuzz_replay.rs` also runs on the committed corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| textdup::fuzz::normalize(data));
