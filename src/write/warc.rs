//! Writing a WARC (or WET) source without its removed records.
//!
//! Every kept record is written as it was read: header and block byte
//! for byte, then the two line ends that close a record. Gzip input is
//! written one gzip member per record, as WARC files are meant to be
//! compressed (a reader can seek to any record); Zstandard input as one
//! stream. A record that loses passages gets its new block, its
//! `Content-Length` set to the block's new size, and its digests
//! (`WARC-Block-Digest`, `WARC-Payload-Digest`) left out: they no longer
//! hold, and a wrong digest is worse than none.
//!
//! Blocks of kept records that are not edited stream through; only an
//! edited record's block is held in memory.

use std::io::{self, BufRead, Read, Write};

use super::{Failure, Filtered, SourceCopy};
use crate::fsutil::OutputFile;
use crate::read::warc::{read_block, read_head, Head};
use crate::read::Compression;

/// Where kept records go, compressed as the input was.
enum Sink {
    Plain(OutputFile),
    /// A gzip member per record.
    Gzip(OutputFile),
    Zstd(zstd::stream::write::Encoder<'static, OutputFile>),
}

impl Sink {
    fn new(out: OutputFile, compression: Compression) -> io::Result<Sink> {
        Ok(match compression {
            Compression::None => Sink::Plain(out),
            Compression::Gzip => Sink::Gzip(out),
            Compression::Zstd => Sink::Zstd(zstd::stream::write::Encoder::new(out, 0)?),
        })
    }

    /// Writes one record through `write`.
    fn record(
        &mut self,
        write: impl FnOnce(&mut dyn Write) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        match self {
            Sink::Plain(out) => write(out),
            Sink::Zstd(out) => write(out),
            Sink::Gzip(out) => {
                let mut member = flate2::write::GzEncoder::new(out, flate2::Compression::default());
                write(&mut member)?;
                member.finish().map(drop).map_err(Failure::Write)
            }
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Plain(out) | Sink::Gzip(out) => out.finish(),
            Sink::Zstd(out) => out.finish()?.finish(),
        }
    }
}

/// Copies the WARC source of `copy`, decoded from `reader`, into `out` as
/// its plan says.
pub(super) fn filter_warc(
    copy: &SourceCopy<'_>,
    reader: &mut dyn BufRead,
    out: OutputFile,
    compression: Compression,
) -> Result<Filtered, Failure> {
    let mut sink = Sink::new(out, compression).map_err(Failure::Write)?;
    let mut done = Filtered::default();
    let mut removed = copy.plan.removed.iter().copied().peekable();
    let mut number = 0u64;
    let mut block = Vec::new();
    loop {
        if number % 1024 == 0 && (copy.stop)() {
            return Err(Failure::Stopped);
        }
        let head = match read_head(reader).map_err(Failure::Read)? {
            Ok(Some(head)) => head,
            Ok(None) => break,
            Err(problem) => return Err(Failure::Read(io::Error::other(problem))),
        };
        number += 1;
        let cut_short =
            || Failure::Read(io::Error::other("the input ends inside a record's block"));
        if removed.next_if_eq(&number).is_some() {
            if !read_block(reader, head.length, None).map_err(Failure::Read)? {
                return Err(cut_short());
            }
            done.left_out += 1;
            continue;
        }
        if let Some(removals) = copy.plan.edits.get(&number) {
            if !read_block(reader, head.length, Some(&mut block)).map_err(Failure::Read)? {
                return Err(cut_short());
            }
            let text = String::from_utf8_lossy(&block);
            let cleaned = copy.cleaning.apply(&text, removals, &mut done.cuts);
            if cleaned.trim().is_empty() {
                done.emptied.push(format!("{}:{number}", copy.source.name));
            }
            done.edited += 1;
            let header = edited_header(&head, cleaned.len());
            sink.record(|out| {
                out.write_all(&header)
                    .and_then(|()| out.write_all(cleaned.as_bytes()))
                    .and_then(|()| out.write_all(b"\r\n\r\n"))
                    .map_err(Failure::Write)
            })?;
            continue;
        }
        sink.record(|out| {
            out.write_all(&head.raw).map_err(Failure::Write)?;
            let mut block = Read::take(&mut *reader, head.length);
            let copied = copy_block(&mut block, out)?;
            if copied != head.length {
                return Err(cut_short());
            }
            out.write_all(b"\r\n\r\n").map_err(Failure::Write)
        })?;
    }
    sink.finish().map_err(Failure::Write)?;
    Ok(done)
}

/// Copies `block` to `out`, telling read failures from write failures.
fn copy_block(block: &mut dyn Read, out: &mut dyn Write) -> Result<u64, Failure> {
    let mut buf = [0u8; 64 * 1024];
    let mut copied = 0;
    loop {
        let n = match block.read(&mut buf) {
            Ok(0) => return Ok(copied),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Read(e)),
        };
        out.write_all(&buf[..n]).map_err(Failure::Write)?;
        copied += n as u64;
    }
}

/// `head`'s header for a block of `length` bytes: `Content-Length` set,
/// digests left out, every other line as it was.
fn edited_header(head: &Head, length: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.raw.len());
    for line in head.raw.split_inclusive(|&b| b == b'\n') {
        let name = line
            .split(|&b| b == b':')
            .next()
            .unwrap_or_default()
            .trim_ascii()
            .to_ascii_lowercase();
        match name.as_slice() {
            b"content-length" => {
                let end = if line.ends_with(b"\r\n") {
                    "\r\n"
                } else {
                    "\n"
                };
                out.extend_from_slice(format!("Content-Length: {length}{end}").as_bytes());
            }
            b"warc-block-digest" | b"warc-payload-digest" => {}
            _ => out.extend_from_slice(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_header_has_the_new_length_and_no_digests() {
        let head = Head {
            raw: b"WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Block-Digest: sha1:AAAA\r\nContent-Length: 120\r\nWARC-Payload-Digest: sha1:BBBB\r\n\r\n".to_vec(),
            ..Head::default()
        };
        assert_eq!(
            edited_header(&head, 42),
            b"WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: 42\r\n\r\n"
        );
    }
}
