//! The JSON array reader: see `textdup::fuzz::json_array` for the invariants, which
//! `tests/it/fuzz_replay.rs` also runs on the committed corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| textdup::fuzz::json_array(data));
