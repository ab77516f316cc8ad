//! WARC and WET sources: one document per text record.
//!
//! A WARC file is a sequence of records, each a version line
//! (`WARC/1.0`), header lines, a blank line, a block of `Content-Length`
//! bytes and two line ends. Common Crawl's WET files hold `conversion`
//! records whose blocks are the text extracted from pages; a WARC may
//! hold `resource` records of text. Those are documents. `response`
//! records hold HTTP responses (HTML): extracting text from them is
//! another tool's job, so they are passed over and counted, with one note
//! per file. Other records (`warcinfo`, `request`, `metadata`, ...) hold
//! no document.
//!
//! Records are numbered from 1 in file order, every kind counted: a
//! record's number is its [`Origin::line`], so that the writer can leave
//! out a removed record by number. A document is named by its
//! `WARC-Target-URI`, or by its `WARC-Record-ID` when the URI is missing
//! or was seen before in the file.
//!
//! A record that cannot be parsed (no version line, no `Content-Length`,
//! a block cut short) is a [`SkipReason::Corrupt`], and the file is not
//! read past it: without a length, where the next record starts is
//! unknown. Blocks are read one at a time, and one longer than the
//! document limit is passed over without being held.

use std::collections::HashSet;
use std::io::{self, BufRead, Read};

use crate::read::source::Compression;
use crate::read::{Document, Origin, ReadOptions, Record, Skip, SkipReason};

/// The header of one record.
#[derive(Debug, Default)]
pub(crate) struct Head {
    /// The header's bytes as read: version line through the blank line.
    pub(crate) raw: Vec<u8>,
    /// `WARC-Type`, lowercased.
    pub(crate) kind: String,
    pub(crate) uri: Option<String>,
    pub(crate) record_id: Option<String>,
    /// `Content-Type`, lowercased.
    pub(crate) content_type: String,
    /// `Content-Length`: the block's size.
    pub(crate) length: u64,
}

impl Head {
    /// Whether the record's block is a document's text.
    pub(crate) fn is_text(&self) -> bool {
        match self.kind.as_str() {
            "conversion" => true,
            "resource" => self.content_type.starts_with("text/") || self.content_type.is_empty(),
            _ => false,
        }
    }
}

/// Reads one line, terminator included, into `line`, giving up past
/// `limit` bytes (a header line is short; a long one means this is not a
/// header). `Ok(false)` at the end of the input.
fn header_line(reader: &mut dyn BufRead, line: &mut Vec<u8>) -> io::Result<bool> {
    const LIMIT: u64 = 64 * 1024;
    line.clear();
    let n = Read::take(&mut *reader, LIMIT).read_until(b'\n', line)?;
    Ok(n > 0)
}

/// Reads the next record's header. `Ok(None)` at a clean end of the
/// input; `Err(message)` in the outer result's `Ok` when the bytes are not
/// a WARC header.
pub(crate) fn read_head(reader: &mut dyn BufRead) -> io::Result<Result<Option<Head>, String>> {
    let mut line = Vec::new();
    // Blank lines between records (the two line ends after each block
    // included) are not part of either.
    loop {
        if !header_line(reader, &mut line)? {
            return Ok(Ok(None));
        }
        if !line.trim_ascii().is_empty() {
            break;
        }
    }
    if !line.starts_with(b"WARC/") {
        let shown = String::from_utf8_lossy(&line[..line.len().min(40)])
            .trim()
            .to_string();
        return Ok(Err(format!("expected a WARC record, found {shown:?}")));
    }
    let mut head = Head::default();
    let mut length = None;
    head.raw.extend_from_slice(&line);
    loop {
        if !header_line(reader, &mut line)? {
            return Ok(Err("the input ends inside a record's header".to_string()));
        }
        head.raw.extend_from_slice(&line);
        if !line.ends_with(b"\n") && line.len() >= 64 * 1024 {
            return Ok(Err("a header line longer than 64 KiB".to_string()));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else {
            // A continuation line or junk: nothing textdup needs.
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "warc-type" => head.kind = value.to_ascii_lowercase(),
            "warc-target-uri" => {
                let uri = value.trim_start_matches('<').trim_end_matches('>');
                head.uri = (!uri.is_empty()).then(|| uri.to_string());
            }
            "warc-record-id" => head.record_id = Some(value.to_string()),
            "content-type" => head.content_type = value.to_ascii_lowercase(),
            "content-length" => length = value.parse::<u64>().ok(),
            _ => {}
        }
    }
    match length {
        Some(length) => {
            head.length = length;
            Ok(Ok(Some(head)))
        }
        None => Ok(Err("a record without a valid Content-Length".to_string())),
    }
}

/// Reads a block of `length` bytes into `buf`, or passes over it when
/// `buf` is `None`. `Ok(false)` when the input ends first.
pub(crate) fn read_block(
    reader: &mut dyn BufRead,
    length: u64,
    buf: Option<&mut Vec<u8>>,
) -> io::Result<bool> {
    let mut limited = Read::take(reader, length);
    let got = match buf {
        Some(buf) => {
            buf.clear();
            limited.read_to_end(buf)? as u64
        }
        None => io::copy(&mut limited, &mut io::sink())?,
    };
    Ok(got == length)
}

/// An open WARC source: its records turned into documents one at a time.
pub(crate) struct Records<'a> {
    pub(crate) source: u32,
    name: &'a str,
    options: &'a ReadOptions,
    reader: Box<dyn BufRead + Send + 'a>,
    compression: Compression,
    /// The number of the record last read.
    pub(crate) number: u64,
    failed: bool,
    /// URIs seen so far in the file: a repeated one cannot name a
    /// document alone.
    uris: HashSet<String>,
    /// `response` records passed over, and the first of them.
    responses: (u64, u64),
    buf: Vec<u8>,
}

impl<'a> Records<'a> {
    pub(crate) fn new(
        source: u32,
        name: &'a str,
        options: &'a ReadOptions,
        compression: Compression,
        reader: Box<dyn BufRead + Send + 'a>,
    ) -> Self {
        Records {
            source,
            name,
            options,
            reader,
            compression,
            number: 0,
            failed: false,
            uris: HashSet::new(),
            responses: (0, 0),
            buf: Vec::new(),
        }
    }

    /// What to say once the file is read: the responses passed over.
    pub(crate) fn note(&self) -> Option<String> {
        let (count, first) = self.responses;
        (count > 0).then(|| {
            format!(
                "{}: {count} response record{} (first: record {first}) passed over: textdup reads text (WET conversion records, text resources), not HTML; extract the text first",
                self.name,
                if count == 1 { "" } else { "s" },
            )
        })
    }

    fn skip(&self, reason: SkipReason) -> Skip {
        Skip {
            source: self.name.to_string(),
            line: Some(self.number),
            reason,
        }
    }

    fn corrupt(&mut self, problem: String) -> Option<Record> {
        self.failed = true;
        Some(Err(self.skip(SkipReason::Corrupt(format!(
            "WARC record: {problem}"
        )))))
    }

    fn read_failed(&mut self, e: io::Error) -> Option<Record> {
        self.failed = true;
        let reason = match self.compression {
            Compression::None => SkipReason::Unreadable(e.to_string()),
            _ => SkipReason::Corrupt(format!("compressed data: {e}")),
        };
        Some(Err(self.skip(reason)))
    }

    /// The next document (or skip), or `None` at the end of the file.
    /// With `wanted`, only the record numbered so is made into one; the
    /// others are passed over unread (`Some(Ok)` is never returned for
    /// them).
    pub(crate) fn next_record(&mut self, wanted: Option<u64>) -> Option<Record> {
        while !self.failed {
            if wanted.is_some_and(|w| self.number >= w) {
                return None;
            }
            let head = match read_head(&mut *self.reader) {
                Ok(Ok(Some(head))) => head,
                Ok(Ok(None)) => return None,
                Ok(Err(problem)) => {
                    self.number += 1;
                    return self.corrupt(problem);
                }
                Err(e) => {
                    self.number += 1;
                    return self.read_failed(e);
                }
            };
            self.number += 1;
            let limit = self.options.max_document_bytes.unwrap_or(u64::MAX);
            let is_text = head.is_text();
            let read = is_text && head.length <= limit && wanted.map_or(true, |w| w == self.number);
            let mut buf = std::mem::take(&mut self.buf);
            let complete = read_block(&mut *self.reader, head.length, read.then_some(&mut buf));
            let record = match complete {
                Err(e) => return self.read_failed(e),
                Ok(false) => return self.corrupt("the input ends inside a record's block".into()),
                Ok(true) => self.record(&head, read, &mut buf, limit, wanted),
            };
            self.buf = buf;
            if record.is_some() {
                return record;
            }
        }
        None
    }

    /// The record made of `head` and its block in `buf` (read when
    /// `read`), if it is a document or a skip.
    fn record(
        &mut self,
        head: &Head,
        read: bool,
        buf: &mut Vec<u8>,
        limit: u64,
        wanted: Option<u64>,
    ) -> Option<Record> {
        if head.kind == "response" {
            if wanted.is_none() {
                let (count, first) = self.responses;
                self.responses = (count + 1, if count == 0 { self.number } else { first });
            }
            return None;
        }
        // The id is decided on every pass: a repeated URI depends on
        // the records before.
        let uri = head.uri.as_ref().filter(|uri| !self.uris.contains(*uri));
        let id = uri.or(head.record_id.as_ref()).cloned();
        if let Some(uri) = &head.uri {
            if head.is_text() && !self.uris.contains(uri) {
                self.uris.insert(uri.clone());
            }
        }
        if !head.is_text() || wanted.is_some_and(|w| w != self.number) {
            return None;
        }
        if !read {
            return Some(Err(self.skip(SkipReason::TooLarge { limit })));
        }
        let text = match String::from_utf8(std::mem::take(buf)) {
            Ok(text) => text,
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                *buf = e.into_bytes();
                return Some(Err(self.skip(SkipReason::InvalidUtf8 { offset })));
            }
        };
        if text.trim().is_empty() {
            return Some(Err(self.skip(SkipReason::Empty)));
        }
        Some(Ok(Document {
            id: id.unwrap_or_else(|| format!("{}:{}", self.name, self.number)),
            text,
            origin: Origin {
                source: self.source,
                line: self.number,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, uri: &str, block: &str) -> String {
        format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\nWARC-Record-ID: <urn:uuid:{kind}-{}>\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{block}\r\n\r\n",
            block.len(),
            block.len()
        )
    }

    fn read_all(bytes: &str, options: &ReadOptions) -> (Vec<Record>, Option<String>) {
        let reader: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(bytes.as_bytes().to_vec()));
        let mut records = Records::new(0, "a.warc", options, Compression::None, reader);
        let mut out = Vec::new();
        while let Some(r) = records.next_record(None) {
            out.push(r);
        }
        (out, records.note())
    }

    #[test]
    fn conversion_records_are_documents_named_by_uri() {
        let file = [
            record("warcinfo", "", "software: test"),
            record("conversion", "http://a/", "First page text."),
            record("response", "http://a/", "<html>...</html>"),
            record("conversion", "http://b/", "Second ünïcode text."),
            record("conversion", "http://a/", "The same URI again."),
        ]
        .concat();
        let (records, note) = read_all(&file, &ReadOptions::default());
        let docs: Vec<_> = records.into_iter().map(Result::unwrap).collect();
        let ids: Vec<_> = docs.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["http://a/", "http://b/", "<urn:uuid:conversion-19>"]);
        assert_eq!(docs[1].text, "Second ünïcode text.");
        let lines: Vec<_> = docs.iter().map(|d| d.origin.line).collect();
        assert_eq!(lines, [2, 4, 5]);
        assert!(note
            .unwrap()
            .contains("1 response record (first: record 3)"));
    }

    #[test]
    fn a_damaged_record_is_a_skip_and_the_end_of_the_file() {
        let good = record("conversion", "http://a/", "Some text here.");
        let cut = &good[..good.len() - 10];
        let (records, _) = read_all(&format!("{good}{cut}"), &ReadOptions::default());
        assert_eq!(records.len(), 2);
        let skip = records[1].as_ref().unwrap_err();
        assert_eq!(skip.line, Some(2));
        assert!(matches!(skip.reason, SkipReason::Corrupt(_)), "{skip}");
        let (records, _) = read_all("not a warc file\n", &ReadOptions::default());
        let skip = records[0].as_ref().unwrap_err();
        assert!(
            skip.to_string().contains("expected a WARC record"),
            "{skip}"
        );
        let no_length = "WARC/1.0\r\nWARC-Type: conversion\r\n\r\nabc\r\n\r\n";
        let (records, _) = read_all(no_length, &ReadOptions::default());
        assert!(records[0]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("Content-Length"));
    }

    #[test]
    fn wanted_records_are_read_alone() {
        let file = [
            record("conversion", "http://a/", "One."),
            record("conversion", "http://b/", "Two."),
            record("conversion", "http://c/", "Three."),
        ]
        .concat();
        let options = ReadOptions::default();
        let reader: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(file.into_bytes()));
        let mut records = Records::new(0, "a.warc", &options, Compression::None, reader);
        let third = records.next_record(Some(3)).unwrap().unwrap();
        assert_eq!(
            (third.id.as_str(), third.text.as_str()),
            ("http://c/", "Three.")
        );
        assert!(records.next_record(Some(4)).is_none());
    }
}
