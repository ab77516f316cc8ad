//! The sketch and plan file readers on damaged files.
//! The invariants are asserted by `textdup::fuzz::stage_file`, which
//! `tests/it/fuzz_replay.rs` also runs on the committed corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| textdup::fuzz::stage_file(data));
