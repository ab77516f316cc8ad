//! The JSON Lines reader: every line a document, a skip or blank.
//! The invariants are asserted by `textdup::fuzz::jsonl`, which
//! `tests/it/fuzz_replay.rs` also runs on the committed corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| textdup::fuzz::jsonl(data));
