//! WARC and WET in and out: text records as documents, the rest kept.

use std::io::Read;
use std::path::Path;

use crate::common::{json_lines, planted_corpus, textdup};

/// One WARC record, as Common Crawl writes them.
pub(crate) fn record(kind: &str, uri: Option<&str>, id: usize, block: &str) -> Vec<u8> {
    let content_type = match kind {
        "conversion" => "text/plain",
        "response" => "application/http; msgtype=response",
        _ => "application/warc-fields",
    };
    let mut head = format!("WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Date: 2024-02-20T10:00:00Z\r\n");
    if let Some(uri) = uri {
        head += &format!("WARC-Target-URI: {uri}\r\n");
    }
    head += &format!(
        "WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{id:012}>\r\nWARC-Block-Digest: sha1:AAAAAAAA\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        block.len()
    );
    [head.as_bytes(), block.as_bytes(), b"\r\n\r\n"].concat()
}

/// A WET file's records: a warcinfo record, then a conversion record per
/// planted document (and a response record every 50), each document named
/// by a URI of its index.
pub(crate) fn wet_records(seed: u64, count: usize) -> Vec<Vec<u8>> {
    let mut records = vec![record("warcinfo", None, 0, "software: textdup tests\r\n")];
    for (i, (_, text)) in planted_corpus(seed, count, 3, 0.3).iter().enumerate() {
        let uri = format!("https://example.org/{seed}/{i}");
        records.push(record("conversion", Some(&uri), i + 1, text));
        if i % 50 == 7 {
            records.push(record(
                "response",
                Some(&uri),
                100_000 + i,
                "HTTP/1.1 200 OK\r\n\r\n<p>hi</p>",
            ));
        }
    }
    records
}

/// `records`, one gzip member each, as `.warc.wet.gz` files come.
pub(crate) fn gzip_members(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for record in records {
        let mut member = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut member, record).unwrap();
        out.extend(member.finish().unwrap());
    }
    out
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The removed ids of a dedup run, from its removed list.
fn removed_ids(list: &Path) -> std::collections::HashSet<String> {
    json_lines(&std::fs::read(list).unwrap())
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// `dedup` of a WET file writes WET: every record but the removed ones,
/// byte for byte, a gzip member each; and reading it back gives the kept
/// documents.
#[test]
fn dedup_leaves_out_removed_records_and_copies_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("CC-MAIN-00000.warc.wet.gz");
    let records = wet_records(4, 200);
    std::fs::write(&input, gzip_members(&records)).unwrap();
    let out = dir.path().join("clean.warc.wet.gz");
    let run = textdup()
        .args(["dedup", "-o"])
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    let is = |kind: &str| {
        let start = format!("WARC/1.0\r\nWARC-Type: {kind}\r\n");
        move |r: &&Vec<u8>| r.starts_with(start.as_bytes())
    };
    let responses = records.iter().filter(is("response")).count();
    let first = records.iter().position(|r| is("response")(&r)).unwrap() + 1;
    let note = format!("{responses} response records (first: record {first}) passed over");
    assert!(stderr.contains(&note), "{stderr}");
    let documents = records.iter().filter(is("conversion")).count();

    let removed = removed_ids(&dir.path().join("clean.warc.wet.gz.removed.jsonl"));
    assert!(removed.len() > 20, "{}", removed.len());
    let expected: Vec<u8> = records
        .iter()
        .filter(|r| {
            // Responses are not documents: kept whatever their URI.
            let text = String::from_utf8_lossy(r);
            !is("conversion")(r)
                || !removed
                    .iter()
                    .any(|id| text.contains(&format!("WARC-Target-URI: {id}\r\n")))
        })
        .flatten()
        .copied()
        .collect();
    let written = std::fs::read(&out).unwrap();
    let unzipped = gunzip(&written);
    assert!(
        unzipped == expected,
        "kept records, byte for byte: {} bytes written, {} expected",
        unzipped.len(),
        expected.len()
    );
    // One gzip member per record: each starts with the gzip magic, and
    // there are as many as records.
    let members = written.windows(3).filter(|w| w == &[0x1f, 0x8b, 8]).count();
    let kept = records.len() - removed.len();
    assert!(members >= kept, "{members} members for {kept} records");

    // Read back: the kept documents, and nothing more to remove.
    let again = textdup()
        .args(["scan", "--level", "document", "--format", "json", "-q"])
        .arg(&out)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["summary"]["read"], documents - removed.len());
    assert_eq!(report["summary"]["removed"], 0);
}

/// A record cut short, or bytes that are not WARC, is one skip; the
/// records before it are read, and `dedup` copies up to the damage and
/// says so.
#[test]
fn a_damaged_record_is_skipped_with_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let records = wet_records(5, 30);
    let mut bytes: Vec<u8> = records[..20].concat();
    let cut = &records[20];
    bytes.extend_from_slice(&cut[..cut.len() - 30]);
    std::fs::write(data.join("cut.warc"), &bytes).unwrap();
    std::fs::write(data.join("junk.wet"), "not a WARC file at all\n").unwrap();
    let out = textdup()
        .args(["scan", "--level", "document", "--format", "json"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cut.warc:21: corrupt WARC record: the input ends inside a record's block"),
        "{stderr}"
    );
    assert!(
        stderr.contains("junk.wet:1: corrupt WARC record: expected a WARC record, found \"not a WARC file at all\""),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let conversions = records[..20]
        .iter()
        .filter(|r| r.starts_with(b"WARC/1.0\r\nWARC-Type: conversion"))
        .count();
    assert_eq!(report["summary"]["skipped"], 2);
    assert_eq!(report["summary"]["read"], conversions + 2);
}

/// `--input-format warc` reads a file of any name (standard input too).
#[test]
fn the_format_can_be_forced() {
    let records = wet_records(6, 40);
    let documents = records
        .iter()
        .filter(|r| r.starts_with(b"WARC/1.0\r\nWARC-Type: conversion"))
        .count();
    let records = records.concat();
    let out = textdup()
        .args([
            "scan",
            "-",
            "--input-format",
            "warc",
            "--level",
            "document",
            "--format",
            "json",
            "-q",
        ])
        .write_stdin(records)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["read"], documents);
    let id = report["clusters"][0]["members"][0]["id"].as_str().unwrap();
    assert!(id.starts_with("https://example.org/6/"), "{id}");
}

/// At the passage grain a record that loses passages is written with
/// its new length and without its stale digest.
#[test]
fn an_edited_record_has_its_new_length() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("news.warc");
    let mut records = vec![record("warcinfo", None, 0, "software: test\r\n")];
    let mut paths: Vec<_> = std::fs::read_dir(crate::common::seed_corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for (i, path) in paths.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap();
        records.push(record(
            "conversion",
            Some(&format!("https://news/{i}")),
            i + 1,
            &text,
        ));
    }
    std::fs::write(&input, records.concat()).unwrap();
    let out = dir.path().join("clean.warc");
    textdup()
        .args(["dedup", "-q", "--level", "passage", "-o"])
        .arg(&out)
        .arg(&input)
        .assert()
        .success();
    let written = std::fs::read(&out).unwrap();
    assert!(written.len() < records.concat().len(), "headlines were cut");
    assert!(
        written.starts_with(&records[0]),
        "the warcinfo record as it was"
    );
    // Every record's length is its block's: the file reads back whole.
    let again = textdup()
        .args(["scan", "--level", "document", "--format", "json", "-q"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["summary"]["read"], paths.len());
    let text = String::from_utf8_lossy(&written);
    let digests = text.matches("WARC-Block-Digest").count();
    assert!(digests < records.len(), "edited records lose their digest");
}
