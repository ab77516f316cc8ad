//! Entry points for the fuzz targets in `fuzz/` and for their replay test
//! (`tests/it/fuzz_replay.rs`, which runs every committed corpus and
//! regression input through them on stable Rust). Not API: hidden from
//! the docs and free to change.
//!
//! Each function takes arbitrary bytes, runs one reader or stage on them
//! and panics when one of its invariants fails, so a fuzz target is one
//! call and a crash the fuzzer finds is a test that fails here. Bad input
//! is expected: an error or a skip is a failure only where a function
//! says so.

use std::io::{Cursor, Read};
use std::path::Path;

use crate::config::parse_size;
use crate::error::Error;
use crate::normalize::{every_normalization, fold, fold_ascii, normalize as normalize_text, words};
use crate::passage::{removal_extent, split, PassageUnit, Span};
use crate::read::{
    decoded, read_text, trim_line_end, Compression, Lines, ReadOptions, SkipReason, BOM,
};
use crate::stagefile::{plan_from, CorpusPrint, Input, SketchReader};

/// The name fuzzed inputs are read under.
const NAME: &str = "fuzz.jsonl";

/// Decompressed bytes read from one input, at most: a few kilobytes of
/// zstd can say "a gigabyte of zeros", and reading them all would test
/// the fuzzer's patience, not the reader.
const DECODED_LIMIT: u64 = 16 << 20;

/// The JSON Lines reader on `data` as a plain file: every line is a
/// document, a skip naming its line, or blank (blank lines are not
/// documents); lines are reported once, in order; documents have text and
/// the id the line gives or `FILE:LINE`.
pub fn jsonl(data: &[u8]) {
    let options = ReadOptions::default();
    let lines = Lines::new(0, NAME, &options, Compression::None, Box::new(data));
    let reported = check_lines(lines);
    let pieces: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
    let mut reported = reported.into_iter().peekable();
    for (i, piece) in pieces.iter().enumerate() {
        let line = i as u64 + 1;
        if reported.next_if_eq(&line).is_some() {
            continue;
        }
        let mut body = trim_line_end(piece);
        if line == 1 {
            body = body.strip_prefix(BOM).unwrap_or(body);
        }
        assert!(
            body.iter().all(u8::is_ascii_whitespace),
            "line {line} is neither a document nor a skip: {:?}",
            String::from_utf8_lossy(piece)
        );
    }
    assert_eq!(reported.next(), None, "a line past the end was reported");
}

/// Reads every record of `lines` and checks what each says of itself.
/// Returns the line numbers reported, ascending. After a read failure's
/// skip nothing more is read.
fn check_lines(mut lines: Lines) -> Vec<u64> {
    let mut buf = Vec::new();
    let mut reported: Vec<u64> = Vec::new();
    let mut failed = false;
    while let Some(record) = lines.next_record(&mut buf) {
        assert!(!failed, "a record after a read failure");
        let line = match record {
            Ok(doc) => {
                assert!(!doc.text.trim().is_empty(), "a blank document");
                assert_eq!(doc.origin.source, 0);
                doc.origin.line
            }
            Err(skip) => {
                assert_eq!(skip.source, NAME);
                failed = matches!(skip.reason, SkipReason::Corrupt(_));
                skip.line.expect("a JSON line's skip names its line")
            }
        };
        // None sorts before any Some.
        assert!(
            reported.last().copied() < Some(line),
            "line {line} reported after lines {reported:?}"
        );
        reported.push(line);
    }
    reported
}

/// The WARC reader on `data` as a plain file: records are reported in
/// order of their numbers; documents have text, found in `data`; nothing
/// follows a damaged record; and each document read alone, as a later
/// pass reads it, is the same document.
pub fn warc(data: &[u8]) {
    use crate::read::warc::Records;
    const WARC: &str = "fuzz.warc";
    let options = ReadOptions {
        max_document_bytes: Some(1 << 16),
        ..ReadOptions::default()
    };
    let open = || Records::new(0, WARC, &options, Compression::None, Box::new(data));
    let mut records = open();
    let (mut docs, mut last, mut damaged) = (Vec::new(), 0, false);
    while let Some(record) = records.next_record(None) {
        assert!(!damaged, "a record after a damaged one");
        let number = match &record {
            Ok(doc) => {
                assert!(!doc.text.trim().is_empty(), "a blank document");
                assert!(
                    memchr::memmem::find(data, doc.text.as_bytes()).is_some(),
                    "a document's text is not in the file"
                );
                doc.origin.line
            }
            Err(skip) => {
                assert_eq!(skip.source, WARC);
                damaged = matches!(skip.reason, SkipReason::Corrupt(_));
                skip.line.expect("a record's skip names its number")
            }
        };
        assert!(number > last, "record {number} reported after {last}");
        last = number;
        if let Ok(doc) = record {
            docs.push(doc);
        }
    }
    for doc in docs {
        let alone = open().next_record(Some(doc.origin.line));
        assert_eq!(alone, Some(Ok(doc)), "read alone, a record differs");
    }
}

/// The JSON array reader on `data`: for a JSON array, its lines are the
/// elements, in order; for one object, one line that is it; and the lines
/// written back as the writer writes them are the same JSON document.
/// Any other bytes only must not panic.
pub fn json_array(data: &[u8]) {
    use serde_json::Value;
    let mut lines = Vec::new();
    crate::read::json_array::ArrayLines::new(data)
        .read_to_end(&mut lines)
        .expect("reading from memory does not fail");
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let elements: Vec<Value> = lines
        .split(|&b| b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .map(|line| serde_json::from_slice(line).expect("each element's line parses"))
        .collect();
    let array = match &value {
        Value::Array(items) => {
            assert_eq!(&elements, items, "the lines are not the elements");
            true
        }
        Value::Object(_) => {
            assert_eq!(
                elements,
                std::slice::from_ref(&value),
                "the line is not the object"
            );
            false
        }
        _ => return,
    };
    assert_eq!(crate::read::json_array::is_array(&mut &data[..]), array);
    let mut written = crate::write::LinesAsArray::new(Vec::new(), array);
    std::io::Write::write_all(&mut written, &lines).expect("writing to memory does not fail");
    let written = written.finish().expect("writing to memory does not fail");
    let back: Value = serde_json::from_slice(&written).expect("what is written parses");
    assert_eq!(back, value, "written back, the document differs");
}

/// The decompressing reader on `data`, whatever its first bytes say:
/// opening it, reading it whole as a text file and line by line as JSON
/// Lines never panic; failures are skips of the expected kinds.
pub fn decode(data: &[u8]) {
    let Ok((compression, reader)) = decoded(data) else {
        // Turned into a skip of the file ("cannot read") by the caller.
        return;
    };
    let mut capped = reader.take(DECODED_LIMIT);
    let mut buf = Vec::new();
    match read_text(compression, &mut capped, &mut buf, DECODED_LIMIT / 2) {
        Ok(text) => assert!(!text.trim().is_empty() && text.len() as u64 <= DECODED_LIMIT / 2),
        Err(SkipReason::Corrupt(_)) => assert_ne!(compression, Compression::None),
        Err(
            SkipReason::Binary
            | SkipReason::InvalidUtf8 { .. }
            | SkipReason::Empty
            | SkipReason::TooLarge { .. },
        ) => {}
        Err(other) => panic!("a text file skipped as {other:?}"),
    }
    let Ok((compression, reader)) = decoded(data) else {
        panic!("the second opening of the same bytes failed");
    };
    let options = ReadOptions::default();
    let lines = Lines::new(
        0,
        NAME,
        &options,
        compression,
        Box::new(reader.take(DECODED_LIMIT)),
    );
    check_lines(lines);
}

/// The normalizer: on ASCII text (each byte's top bit cleared) its fast
/// path gives what the general path gives, for all 32 option sets. On
/// any UTF-8 text, for every option set, normalizing twice gives what
/// normalizing once gives, and [`words`] finds the words of the whole
/// text's normal form, each pointing back into the text.
pub fn normalize(data: &[u8]) {
    let ascii: Vec<u8> = data.iter().map(|b| b & 0x7f).collect();
    let text = std::str::from_utf8(&ascii).expect("bytes below 0x80 are UTF-8");
    let (mut fast, mut general) = (String::new(), String::new());
    for options in every_normalization() {
        fold_ascii(text.as_bytes(), &options, &mut fast);
        let mut folded = Vec::new();
        let _ = fold(text.chars(), &options, &mut folded);
        assert_eq!(fast.as_bytes(), folded, "{text:?} under {options:?}");
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (mut twice, mut joined, mut found) = (String::new(), String::new(), Vec::new());
    for options in every_normalization() {
        normalize_text(text, &options, &mut general);
        normalize_text(&general, &options, &mut twice);
        assert_eq!(twice, general, "{text:?} under {options:?}");

        words(text, &options, &mut joined, &mut found);
        let whole: Vec<&str> = general
            .split(char::is_whitespace)
            .filter(|w| !w.is_empty())
            .collect();
        let pieces: Vec<&str> = found
            .iter()
            .map(|w| &joined[w.normalized.0..w.normalized.1])
            .collect();
        assert_eq!(pieces, whole, "{text:?} under {options:?}");
        for w in &found {
            assert!(text.get(w.original.0..w.original.1).is_some(), "{w:?}");
        }
    }
}

/// Passage splitting of `data` (as UTF-8, bad bytes replaced) by every
/// unit: spans are non-blank, trimmed, on character boundaries, in order
/// and apart, and with the white space between them rebuild the text; a
/// span's removal extent lies on character boundaries and holds the span,
/// and cutting a line's extent leaves the other lines as they were.
pub fn passages(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    for unit in [
        PassageUnit::Line,
        PassageUnit::Paragraph,
        PassageUnit::Sentence,
    ] {
        let spans = split(text, unit);
        let mut rebuilt = String::with_capacity(text.len());
        let mut end = 0;
        for span in &spans {
            assert!(span.fits(text), "{span:?} of {text:?}");
            assert!(end <= span.start, "{span:?} overlaps the one before");
            let gap = &text[end..span.start];
            assert!(gap.trim().is_empty(), "{gap:?} left out by {unit:?}");
            let piece = span.of(text);
            assert!(!piece.is_empty() && piece.trim() == piece, "{piece:?}");
            rebuilt.push_str(gap);
            rebuilt.push_str(piece);
            end = span.end;

            let extent = removal_extent(text, *span, unit);
            assert!(extent.fits(text), "{extent:?} of {text:?}");
            assert!(extent.start <= span.start && span.end <= extent.end);
        }
        assert!(text[end..].trim().is_empty());
        rebuilt.push_str(&text[end..]);
        assert_eq!(rebuilt, text);
        if unit == PassageUnit::Line {
            // Quadratic: the first lines are enough to find a bad cut.
            for (i, span) in spans.iter().enumerate().take(32) {
                let extent = removal_extent(text, *span, unit);
                let cut = format!("{}{}", &text[..extent.start], &text[extent.end..]);
                let left: Vec<&str> = split(&cut, unit).iter().map(|s| s.of(&cut)).collect();
                let others: Vec<&str> = spans
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, s)| s.of(text))
                    .collect();
                assert_eq!(left, others, "cutting {:?} from {text:?}", span.of(text));
            }
        }
    }
    // A span from another text must not panic either.
    let outside = Span {
        start: text.len() / 2,
        end: text.len() + 1,
    };
    let _ = removal_extent(text, outside, PassageUnit::Line);
}

/// The stage-file readers on `data`: the sketch reader reads its header
/// and every record, and the plan reader reads a plan (for the corpus
/// print the bytes hold where a plan keeps it), without panicking and
/// without allocating more than the file could hold; every failure is
/// [`Error::StageFile`] naming the file.
pub fn stage_file(data: &[u8]) {
    let path = Path::new("fuzz.stage");
    let input = || {
        Input::new(
            Box::new(Cursor::new(data.to_vec())),
            data.len() as u64,
            path,
        )
    };
    let check = |e: Error| {
        assert!(
            matches!(&e, Error::StageFile { path: p, .. } if p == path),
            "{e:?}"
        );
    };
    match SketchReader::new(input()) {
        Ok(mut reader) => loop {
            match reader.next_record() {
                Ok(Some(_)) => {}
                Ok(None) => {
                    assert_eq!(
                        reader.next_record().ok(),
                        Some(None),
                        "records after the end"
                    );
                    break;
                }
                Err(e) => break check(e),
            }
        },
        Err(e) => check(e),
    }
    let field = |at: usize, n: usize| data.get(at..at + n).unwrap_or(&[0; 8][..n]);
    let corpus = CorpusPrint {
        sources: u32::from_le_bytes(field(12, 4).try_into().expect("4 bytes")),
        hash: u64::from_le_bytes(field(16, 8).try_into().expect("8 bytes")),
    };
    match plan_from(input(), corpus) {
        Ok(plan) => assert!(plan.removed.len() * 12 + plan.options.len() <= data.len()),
        Err(e) => check(e),
    }
}

/// The `--memory` size parser on `data` (as UTF-8): never panics, and a
/// size it accepts is what an independent reading (a float times the
/// unit) says, to within rounding, and reads back from its digits.
pub fn size(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_size(text);
    if let Err(message) = &parsed {
        assert!(message.contains(&format!("{text:?}")), "{message}");
    }
    let expected = expected_size(text);
    match (parsed, expected) {
        (Ok(bytes), Some(expected)) => {
            let error = (bytes as f64 - expected).abs();
            assert!(
                error <= 1.0 + expected * 1e-12,
                "{text:?}: {bytes}, not about {expected}"
            );
            assert_eq!(parse_size(&bytes.to_string()), Ok(bytes));
            assert_eq!(parse_size(&format!("{bytes} B")), Ok(bytes));
        }
        (Ok(bytes), None) => panic!("{text:?} is not a size, yet it parsed as {bytes}"),
        (Err(message), Some(expected)) => assert!(
            // Too large, or close enough to the limit for the float to
            // be unsure.
            message.contains("too large") && expected >= u64::MAX as f64 * (1.0 - 1e-12),
            "{text:?} is about {expected} bytes, yet: {message}"
        ),
        (Err(_), None) => {}
    }
}

/// What `text` means as a size, read independently of [`parse_size`]:
/// digits with at most one point, then white space and a unit or none.
fn expected_size(text: &str) -> Option<f64> {
    let t = text.trim();
    let unit_at = t
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let (number, unit) = t.split_at(unit_at);
    let number = number.trim_end();
    let digits = number.bytes().filter(u8::is_ascii_digit).count();
    let points = number.bytes().filter(|&b| b == b'.').count();
    if digits == 0 || points > 1 || digits + points != number.len() {
        return None;
    }
    let scale = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024f64.powi(2),
        "g" | "gib" => 1024f64.powi(3),
        "t" | "tib" => 1024f64.powi(4),
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => return None,
    };
    let value: f64 = number.parse().ok()?;
    Some(value * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-made inputs of each kind pass (the corpora under `fuzz/`
    /// are replayed by `tests/it/fuzz_replay.rs`).
    #[test]
    fn entry_points_accept_good_input() {
        jsonl(b"\xef\xbb\xbf{\"text\":\"a\"}\n\n{\"text\":1}\r\n   \n{\"text\":\"b\",\"id\":{}}");
        decode(b"\x1f\x8b\x08\x00garbage");
        decode(b"plain text");
        normalize(b"Co-operation's \xc3\x89COLE, now!");
        passages(b"A\r\n\r\n B. C?\n\nD");
        size(b"1.5GiB");
        size(b"1e400G");
        stage_file(b"TXDPLAN1\x01\x00\x00\x00");
    }
}
