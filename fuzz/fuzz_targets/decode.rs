//! The decompressing reader (gzip, zstd or plain, by magic bytes), as text and as JSON Lines.
//! The invariants are asserted by `textdup::fuzz::decode`, which
//! `tests/it/fuzz_replay.rs` also runs on the committed corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| textdup::fuzz::decode(data));
