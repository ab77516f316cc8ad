//! The --memory size parser against an independent reading.
//! The invariants are asserted by `textdup::fuzz::size`, which
//! `tests/it/fuzz_replay.rs` also runs on the committed corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| textdup::fuzz::size(data));
