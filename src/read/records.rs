//! Turning files into records: one per text file, one per JSON line.

use std::fmt;
use std::io::{BufRead, Read};

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use crate::core::number;
use crate::read::json_array::ArrayLines;
use crate::read::parquet::Rows;
use crate::read::source::{open_decoded, Compression};
use crate::read::warc;
use crate::read::{
    Document, Files, Format, Origin, Origins, ReadOptions, Record, Shard, Skip, SkipReason,
};

/// The stream of records of a [`Files`] corpus, in source order.
pub struct FileRecords<'a> {
    files: &'a Files,
    listing_skips: std::slice::Iter<'a, Skip>,
    next_source: usize,
    shard: Shard,
    lines: Option<Lines<'a>>,
    rows: Option<Rows<'a>>,
    warc: Option<warc::Records<'a>>,
    buf: Vec<u8>,
}

/// The byte order mark some Windows tools put at the start of UTF-8 files.
/// It is not part of the text: a JSON line that starts with it would not
/// parse.
pub(crate) const BOM: &[u8] = b"\xef\xbb\xbf";

/// An open JSON Lines source: its lines, numbered from 1, turned into
/// records one at a time. Both the first pass ([`FileRecords`]) and the
/// later ones ([`RecordsAt`]) read through it, so they number and parse
/// lines alike.
pub(crate) struct Lines<'a> {
    source: u32,
    /// The source's name, for skips and `FILE:LINE` ids.
    name: &'a str,
    options: &'a ReadOptions,
    reader: Box<dyn BufRead + Send + 'a>,
    compression: Compression,
    /// The number of the line last read.
    line: u64,
    /// Set after a read failure: a damaged stream is not read past.
    failed: bool,
    /// Lines whose id field holds something that cannot name a document
    /// (they are named `FILE:LINE`), and the first of them with what it
    /// held: worth one warning per file, not one per line.
    bad_ids: std::cell::Cell<(u64, u64, &'static str)>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(
        source: u32,
        name: &'a str,
        options: &'a ReadOptions,
        compression: Compression,
        reader: Box<dyn BufRead + Send + 'a>,
    ) -> Self {
        Lines {
            source,
            name,
            options,
            reader,
            compression,
            line: 0,
            failed: false,
            bad_ids: std::cell::Cell::new((0, 0, "")),
        }
    }

    /// What to say about this file's unusable ids once it is read, if
    /// anything.
    pub(crate) fn note(&self) -> Option<String> {
        let (count, first, found) = self.bad_ids.get();
        (count > 0).then(|| {
            format!(
                "{}: {count} line{} with field {:?} holding {found} (first at line {first}), not a string or a number; named FILE:LINE instead",
                self.name,
                if count == 1 { "" } else { "s" },
                self.options.id_field
            )
        })
    }

    /// Reads the next line, terminator included, into `buf`: `Ok(false)`
    /// at the end, a skip for the line a read fails on (after which the
    /// source is at its end).
    fn read(&mut self, buf: &mut Vec<u8>) -> Result<bool, Skip> {
        buf.clear();
        if self.failed {
            return Ok(false);
        }
        let limit = self.options.max_document_bytes.unwrap_or(u64::MAX);
        match read_line(&mut *self.reader, buf, limit) {
            Ok(LineRead::End) => Ok(false),
            Ok(LineRead::Line) => {
                self.line += 1;
                Ok(true)
            }
            Ok(LineRead::TooLong) => {
                self.line += 1;
                Err(self.skip(Some(self.line), SkipReason::TooLarge { limit }))
            }
            Err(e) => {
                self.failed = true;
                let reason = read_failure(self.compression, e);
                Err(self.skip(Some(self.line + 1), reason))
            }
        }
    }

    /// The next record, or `None` at the end of the source.
    pub(crate) fn next_record(&mut self, buf: &mut Vec<u8>) -> Option<Record> {
        // A too-long line is a skip of its own; reading goes on after it.
        loop {
            match self.read(buf) {
                Ok(false) => return None,
                Ok(true) => {
                    if let Some(record) = self.record(buf) {
                        return Some(record);
                    }
                }
                Err(skip) => return Some(Err(skip)),
            }
        }
    }

    fn skip(&self, line: Option<u64>, reason: SkipReason) -> Skip {
        Skip {
            source: self.name.to_string(),
            line,
            reason,
        }
    }

    /// The record of the line last read, held in `buf`; `None` for a blank
    /// line, which is not a document.
    fn record(&self, buf: &[u8]) -> Option<Record> {
        let line = self.line;
        let mut raw = trim_line_end(buf);
        if line == 1 {
            raw = raw.strip_prefix(BOM).unwrap_or(raw);
        }
        if raw.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let skipped = |reason| Some(Err(self.skip(Some(line), reason)));
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text,
            Err(e) => {
                let offset = e.valid_up_to();
                return skipped(SkipReason::InvalidUtf8 { offset });
            }
        };
        let fields = match parse_line(text, &self.options.text_field, &self.options.id_field) {
            Ok(fields) => fields,
            Err(reason) => return skipped(reason),
        };
        if fields.text.trim().is_empty() {
            return skipped(SkipReason::Empty);
        }
        if let Some(found) = fields.bad_id {
            let (count, first, kind) = self.bad_ids.get();
            self.bad_ids.set(if count == 0 {
                (1, line, found)
            } else {
                (count + 1, first, kind)
            });
        }
        let id = fields
            .id
            .unwrap_or_else(|| format!("{}:{}", self.name, line));
        Some(Ok(Document {
            id,
            text: fields.text,
            origin: Origin {
                source: self.source,
                line,
            },
        }))
    }
}

impl<'a> FileRecords<'a> {
    pub(crate) fn new(files: &'a Files, shard: Shard) -> Self {
        let listing_skips = if shard.index() == 0 {
            files.listing_skips()
        } else {
            &[]
        };
        FileRecords {
            files,
            listing_skips: listing_skips.iter(),
            next_source: 0,
            shard,
            lines: None,
            rows: None,
            warc: None,
            buf: Vec::new(),
        }
    }

    fn skipped(&self, source: u32, line: Option<u64>, reason: SkipReason) -> Record {
        Err(Skip {
            source: self.files.sources()[source as usize].name.clone(),
            line,
            reason,
        })
    }

    /// Reads the whole of a text source as one document.
    fn text_record(&mut self, source: u32) -> Record {
        let src = &self.files.sources()[source as usize];
        let limit = self.files.options().max_document_bytes.unwrap_or(u64::MAX);
        let read = match open_decoded(&src.path) {
            Ok((compression, mut reader)) => {
                let text = read_text(compression, &mut reader, &mut self.buf, limit);
                if let (Compression::None, Ok(text)) = (compression, &text) {
                    // The writer copies this file again: it must be these bytes.
                    self.files.note_text(source as usize, text.as_bytes());
                }
                text
            }
            Err(e) => Err(SkipReason::Unreadable(e.to_string())),
        };
        match read {
            Ok(text) => Ok(Document {
                id: src.name.clone(),
                text,
                origin: Origin { source, line: 0 },
            }),
            Err(reason) => self.skipped(source, None, reason),
        }
    }

    /// Opens a JSON Lines source, or says why it cannot be read.
    fn open_lines(&mut self, source: u32) -> Option<Record> {
        let files = self.files;
        let src = &files.sources()[source as usize];
        match open_decoded(&src.path) {
            Ok((compression, reader)) => {
                let reader: Box<dyn BufRead + Send + 'a> = if src.format == Format::Json {
                    Box::new(std::io::BufReader::new(ArrayLines::new(reader)))
                } else {
                    reader
                };
                // No sniffing for binary content here, unlike text files:
                // a NUL byte is bad JSON, which costs its line only.
                self.lines = Some(Lines::new(
                    source,
                    &src.name,
                    files.options(),
                    compression,
                    reader,
                ));
                None
            }
            Err(e) => Some(self.skipped(source, None, SkipReason::Unreadable(e.to_string()))),
        }
    }

    /// Opens a Parquet source to read every row (`wanted: None`) or only
    /// the wanted ones, or says why it cannot be read.
    fn open_rows(&mut self, source: u32, wanted: Option<Vec<u64>>) -> Option<Record> {
        let files = self.files;
        let src = &files.sources()[source as usize];
        match Rows::open(source, &src.name, &src.path, files.options(), wanted) {
            Ok(rows) => {
                self.rows = Some(rows);
                None
            }
            Err(reason) => Some(self.skipped(source, None, reason)),
        }
    }

    /// Opens a WARC source, or says why it cannot be read.
    fn open_warc(&mut self, source: u32) -> Option<Record> {
        let files = self.files;
        let src = &files.sources()[source as usize];
        match open_decoded(&src.path) {
            Ok((compression, reader)) => {
                self.warc = Some(warc::Records::new(
                    source,
                    &src.name,
                    files.options(),
                    compression,
                    reader,
                ));
                None
            }
            Err(e) => Some(self.skipped(source, None, SkipReason::Unreadable(e.to_string()))),
        }
    }

    /// The next record of the open WARC source (only record `wanted`, if
    /// given), or `None` at its end.
    fn next_warc(&mut self, wanted: Option<u64>) -> Option<Record> {
        let record = self.warc.as_mut()?.next_record(wanted);
        if record.is_none() && wanted.is_none() {
            if let Some(warc) = self.warc.take() {
                if let Some(note) = warc.note() {
                    self.files.note(warc.source, note);
                }
            }
        }
        record
    }

    /// The next record of the open Parquet source, or `None` at its end.
    fn next_row(&mut self) -> Option<Record> {
        let record = self.rows.as_mut()?.next_record();
        if record.is_none() {
            if let Some(rows) = self.rows.take() {
                if let Some(note) = rows.note() {
                    self.files.note(rows.source, note);
                }
            }
        }
        record
    }

    /// The next record of the open JSON Lines source, or `None` at its end.
    fn next_line(&mut self) -> Option<Record> {
        let record = self.lines.as_mut()?.next_record(&mut self.buf);
        if record.is_none() {
            if let Some(lines) = self.lines.take() {
                if let Some(note) = lines.note() {
                    self.files.note(lines.source, note);
                }
            }
        }
        record
    }

    /// The records at `origins` (sorted, from earlier reads of this corpus),
    /// one at a time, reading their sources but parsing only the wanted
    /// lines. A source that cannot be read gives its skip once.
    pub(crate) fn at(self, origins: Origins<'a>) -> RecordsAt<'a> {
        RecordsAt {
            records: self,
            origins: origins.peekable(),
        }
    }
}

/// The text of a whole-file document read from `reader`, or why it cannot
/// be one. `buf` is scratch space, reused from file to file.
///
/// A byte order mark at the start stays in the text: passage spans are
/// offsets into the file's bytes, which the cleaned copy is cut by. To
/// matching it is one more character of the first word.
pub(crate) fn read_text(
    compression: Compression,
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    limit: u64,
) -> Result<String, SkipReason> {
    buf.clear();
    // One byte past the limit tells a document that is too large, without
    // reading the rest of it.
    if let Err(e) = Read::take(&mut *reader, limit.saturating_add(1)).read_to_end(buf) {
        return Err(read_failure(compression, e));
    }
    if buf.len() as u64 > limit {
        buf.clear();
        buf.shrink_to(1 << 20);
        return Err(SkipReason::TooLarge { limit });
    }
    let bytes = std::mem::take(buf);
    if bytes.contains(&0) {
        *buf = bytes;
        return Err(SkipReason::Binary);
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            *buf = e.into_bytes();
            return Err(SkipReason::InvalidUtf8 { offset });
        }
    };
    if text.trim().is_empty() {
        return Err(SkipReason::Empty);
    }
    Ok(text)
}

/// The records at given origins ([`Corpus::records_at`](crate::Corpus::records_at)
/// of a [`Files`] corpus): only those lines are parsed.
pub struct RecordsAt<'a> {
    records: FileRecords<'a>,
    origins: std::iter::Peekable<Origins<'a>>,
}

impl RecordsAt<'_> {
    /// Gives up on the rest of the wanted lines of `source`.
    fn pass_source(&mut self, source: u32) {
        while self.origins.next_if(|o| o.source == source).is_some() {}
        self.records.lines = None;
        self.records.warc = None;
    }

    /// The wanted rows of Parquet source `source`: a row selection needs
    /// them all before the first is decoded.
    fn rows_of(&mut self, source: u32) -> Vec<u64> {
        let mut rows = Vec::new();
        while let Some(origin) = self.origins.next_if(|o| o.source == source) {
            rows.push(origin.line);
        }
        rows
    }
}

impl Iterator for RecordsAt<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if self.records.rows.is_some() {
                if let Some(record) = self.records.next_row() {
                    return Some(record);
                }
            }
            let wanted = *self.origins.peek()?;
            let source = wanted.source;
            if self
                .records
                .warc
                .as_ref()
                .is_some_and(|w| w.source == source)
            {
                self.origins.next();
                match self.records.next_warc(Some(wanted.line)) {
                    Some(Err(skip)) => {
                        // A damaged file gives its skip once.
                        self.pass_source(source);
                        return Some(Err(skip));
                    }
                    Some(record) => return Some(record),
                    None => continue, // gone: whoever asked will notice
                }
            }
            let open = self.records.lines.as_ref().map(|l| l.source);
            if open != Some(source) {
                self.records.lines = None;
                self.records.warc = None;
                let Some(src) = self.records.files.sources().get(source as usize) else {
                    self.pass_source(source);
                    continue;
                };
                match src.format {
                    Format::Text => {
                        self.origins.next();
                        return Some(self.records.text_record(source));
                    }
                    Format::Parquet => {
                        let rows = self.rows_of(source);
                        if let Some(skip) = self.records.open_rows(source, Some(rows)) {
                            return Some(skip);
                        }
                        continue;
                    }
                    Format::Warc => {
                        if let Some(skip) = self.records.open_warc(source) {
                            self.pass_source(source);
                            return Some(skip);
                        }
                        continue;
                    }
                    Format::Jsonl | Format::Json => {}
                }
                if let Some(skip) = self.records.open_lines(source) {
                    self.pass_source(source);
                    return Some(skip);
                }
            }
            let lines = self.records.lines.as_mut().expect("opened above");
            match lines.read(&mut self.records.buf) {
                Ok(true) => {}
                Ok(false) => {
                    // The wanted line is gone: whoever asked will notice.
                    self.pass_source(source);
                    continue;
                }
                Err(skip) => {
                    self.pass_source(source);
                    return Some(Err(skip));
                }
            }
            if lines.line == wanted.line {
                self.origins.next();
                if let Some(record) = lines.record(&self.records.buf) {
                    return Some(record);
                }
            }
        }
    }
}

impl Iterator for FileRecords<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        if let Some(skip) = self.listing_skips.next() {
            return Some(Err(skip.clone()));
        }
        loop {
            if self.lines.is_some() {
                if let Some(record) = self.next_line() {
                    return Some(record);
                }
            }
            if self.rows.is_some() {
                if let Some(record) = self.next_row() {
                    return Some(record);
                }
            }
            if self.warc.is_some() {
                if let Some(record) = self.next_warc(None) {
                    return Some(record);
                }
            }
            let sources = self.files.sources();
            if self.next_source >= sources.len() {
                return None;
            }
            let source = number(self.next_source);
            self.next_source += 1;
            if !self.shard.holds(source) {
                continue;
            }
            match sources[source as usize].format {
                Format::Text => return Some(self.text_record(source)),
                Format::Jsonl | Format::Json => {
                    if let Some(record) = self.open_lines(source) {
                        return Some(record);
                    }
                }
                Format::Parquet => {
                    if let Some(record) = self.open_rows(source, None) {
                        return Some(record);
                    }
                }
                Format::Warc => {
                    if let Some(record) = self.open_warc(source) {
                        return Some(record);
                    }
                }
            }
        }
    }
}

/// What [`read_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineRead {
    /// No more lines.
    End,
    /// A line, in the buffer with its terminator.
    Line,
    /// A line longer than the limit, passed over: the buffer is empty.
    TooLong,
}

/// Reads the next line, terminator included, into `buf`, unless it is
/// longer than `limit` bytes: then the rest of it is read past without
/// being kept, so one huge line costs no memory.
pub(crate) fn read_line(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    limit: u64,
) -> std::io::Result<LineRead> {
    let (mut any, mut too_long) = (false, false);
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            // Room for a "\r\n" past the limit: the limit is on the line
            // without it, checked below.
            if (buf.len() + take) as u64 > limit.saturating_add(2) {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&available[..take]);
            }
        }
        reader.consume(take);
        if done {
            break;
        }
    }
    // The limit is on the line without its terminator.
    if !too_long && trim_line_end(buf).len() as u64 > limit {
        too_long = true;
        buf.clear();
    }
    Ok(match (any, too_long) {
        (false, _) => LineRead::End,
        (true, false) => LineRead::Line,
        (true, true) => LineRead::TooLong,
    })
}

fn read_failure(compression: Compression, e: std::io::Error) -> SkipReason {
    match compression {
        Compression::None => SkipReason::Unreadable(e.to_string()),
        Compression::Gzip | Compression::Zstd => {
            SkipReason::Corrupt(format!("compressed data: {e}"))
        }
    }
}

/// Strips the line terminator, `\n` or `\r\n`.
pub(crate) fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The two fields textdup needs from a JSON line.
#[derive(Debug, PartialEq)]
struct Fields {
    text: String,
    id: Option<String>,
    /// What the id field held when it cannot name a document.
    bad_id: Option<&'static str>,
}

/// Parses one JSON line, keeping only the text and id fields; every other
/// field is skipped without being built (the writer copies lines verbatim,
/// so nothing is lost by not keeping them).
fn parse_line(line: &str, text_field: &str, id_field: &str) -> Result<Fields, SkipReason> {
    let mut de = serde_json::Deserializer::from_str(line);
    let seed = FieldSeed {
        text_field,
        id_field,
    };
    let found = seed
        .deserialize(&mut de)
        .and_then(|found| de.end().map(|()| found))
        .map_err(|e| SkipReason::MalformedJson(json_error(line, &e)))?;
    let found = found.resolved(text_field, id_field);
    let text = match found.text {
        None => {
            return Err(SkipReason::MissingField {
                field: text_field.to_string(),
                present: field_names(line),
            })
        }
        Some(serde_json::Value::String(text)) => text,
        Some(other) => {
            return Err(SkipReason::NotAString {
                field: text_field.to_string(),
                found: json_kind(&other),
            })
        }
    };
    // A string or a number names the document; null or no field leaves
    // it to `FILE:LINE`. Anything else (an object, an array, a boolean) is
    // worth hearing about (the wrong id field, most likely), but the
    // document is still a document: it is named `FILE:LINE` too.
    let (id, bad_id) = match found.id {
        None | Some(serde_json::Value::Null) => (None, None),
        Some(serde_json::Value::String(id)) => (Some(id), None),
        Some(serde_json::Value::Number(n)) => (Some(n.to_string()), None),
        Some(other) => (None, Some(json_kind(&other))),
    };
    Ok(Fields { text, id, bad_id })
}

/// The first field names of a JSON object line (at most ten), for a
/// message about a field it lacks. Only on that path: the hot one never
/// builds a key.
fn field_names(line: &str) -> Vec<String> {
    const SHOWN: usize = 10;
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str::<serde_json::Value>(line)
    else {
        return Vec::new();
    };
    let mut names: Vec<String> = object.keys().take(SHOWN).cloned().collect();
    if object.len() > SHOWN {
        names.push("…".to_string());
    }
    names
}

/// What is wrong with a line serde_json refused, in serde_json's words,
/// except for a lone UTF-16 surrogate escape, which it reports as a
/// malformed escape ("unexpected end of hex escape") when the escape is
/// well formed but names no character.
fn json_error(line: &str, e: &serde_json::Error) -> String {
    let message = e.to_string();
    let about_surrogates = message.starts_with("unexpected end of hex escape")
        || message.starts_with("lone leading surrogate in hex escape");
    if about_surrogates {
        // serde_json's column is the byte just past what it read last.
        if let Some((at, escape)) = lone_surrogate(line, e.column()) {
            return format!(
                "invalid JSON string: lone surrogate {escape} (not a character) at column {}",
                at + 1
            );
        }
    }
    message
}

/// The last lone surrogate escape (`\uD800` to `\uDFFF` not in a
/// leading-trailing pair) found by byte `end` of a JSON line: its byte
/// offset and its text. Only strings are looked into, escape by escape,
/// so `\\ud800` (an escaped backslash) is not mistaken for one.
fn lone_surrogate(line: &str, end: usize) -> Option<(usize, &str)> {
    let bytes = line.as_bytes();
    let hex = |at: usize| -> Option<u16> {
        let digits = line.get(at..at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u16::from_str_radix(digits, 16).ok()
    };
    let mut found = None;
    // A leading surrogate waiting for its trailing half: where it is.
    let mut pending: Option<usize> = None;
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() && i <= end {
        let b = bytes[i];
        if !in_string {
            in_string = b == b'"';
            i += 1;
            continue;
        }
        let unit = if b == b'\\' && bytes.get(i + 1) == Some(&b'u') {
            hex(i + 2)
        } else {
            None
        };
        match unit {
            Some(0xD800..=0xDBFF) => {
                if let Some(lead) = pending {
                    found = Some(lead);
                }
                pending = Some(i);
            }
            Some(0xDC00..=0xDFFF) => {
                if pending.take().is_none() {
                    found = Some(i);
                }
            }
            _ => {
                if let Some(lead) = pending.take() {
                    found = Some(lead);
                }
            }
        }
        i += match (b, unit) {
            (_, Some(_)) => 6,
            (b'\\', None) => 2,
            (b'"', None) => {
                in_string = false;
                1
            }
            _ => 1,
        };
    }
    found.map(|at| (at, &line[at..at + 6]))
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

struct WantedFields {
    text: Option<serde_json::Value>,
    id: Option<serde_json::Value>,
    /// The values of the first parts of dotted text and id names
    /// (`metadata` of `metadata.content`), when there are such fields.
    text_head: Option<serde_json::Value>,
    id_head: Option<serde_json::Value>,
}

impl WantedFields {
    /// A dotted name (`metadata.content`) names a field inside objects
    /// when no field has the whole name: the text and id found by path
    /// where not found by name.
    fn resolved(mut self, text_field: &str, id_field: &str) -> WantedFields {
        if self.text.is_none() {
            self.text = self.text_head.take().and_then(|v| nested(v, text_field));
        }
        if self.id.is_none() {
            self.id = self.id_head.take().and_then(|v| nested(v, id_field));
        }
        self
    }
}

/// The part of a dotted field name after its first dot, looked up in
/// `value` (the first part's value), object by object.
fn nested(mut value: serde_json::Value, field: &str) -> Option<serde_json::Value> {
    let (_, rest) = field.split_once('.')?;
    for part in rest.split('.') {
        value = match value {
            serde_json::Value::Object(mut object) => object.remove(part)?,
            _ => return None,
        };
    }
    Some(value)
}

struct FieldSeed<'a> {
    text_field: &'a str,
    id_field: &'a str,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = WantedFields;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<WantedFields, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = WantedFields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WantedFields, A::Error> {
        let mut found = WantedFields {
            text: None,
            id: None,
            text_head: None,
            id_head: None,
        };
        while let Some(key) = map.next_key_seed(KeySeed(&self))? {
            match key {
                Key::Text => found.text = Some(map.next_value()?),
                Key::Id => found.id = Some(map.next_value()?),
                Key::Heads { text, id } => {
                    let value: serde_json::Value = map.next_value()?;
                    if text && id {
                        found.id_head = Some(value.clone());
                    } else if id {
                        found.id_head = Some(value);
                        continue;
                    }
                    found.text_head = Some(value);
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

enum Key {
    Text,
    Id,
    /// The first part of a dotted text or id name, or of both.
    Heads {
        text: bool,
        id: bool,
    },
    Other,
}

/// Classifies a key without allocating it.
struct KeySeed<'s, 'a>(&'s FieldSeed<'a>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = Key;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Key, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Key, E> {
        let head = |field: &str| field.split_once('.').is_some_and(|(head, _)| head == key);
        Ok(if key == self.0.text_field {
            Key::Text
        } else if key == self.0.id_field {
            Key::Id
        } else {
            let (text, id) = (head(self.0.text_field), head(self.0.id_field));
            if text || id {
                Key::Heads { text, id }
            } else {
                Key::Other
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_line_table() {
        let ok = |text: &str, id: Option<&str>| {
            Ok(Fields {
                text: text.to_string(),
                id: id.map(str::to_string),
                bad_id: None,
            })
        };
        let bad_id = |found: &'static str| {
            Ok(Fields {
                text: "a".to_string(),
                id: None,
                bad_id: Some(found),
            })
        };
        let cases: Vec<(&str, Result<Fields, &str>)> = vec![
            (r#"{"text":"a b","id":"x"}"#, ok("a b", Some("x"))),
            (r#"{"id":7,"text":"a"}"#, ok("a", Some("7"))),
            (r#"{"text":"a","meta":{"text":"nested"}}"#, ok("a", None)),
            (r#"{"text":"a","id":null}"#, ok("a", None)),
            (r#"{"text":"caf\u00e9"}"#, ok("café", None)),
            (r#"{"id":"x"}"#, Err("missing-field")),
            (r#"{"text":3}"#, Err("not-a-string")),
            (r#"{"text":"a""#, Err("malformed-json")),
            (r#"["text"]"#, Err("malformed-json")),
            (r#"{"text":"a"} trailing"#, Err("malformed-json")),
            (r#"{"text":"a","id":1.5}"#, ok("a", Some("1.5"))),
            (r#"{"text":"a","id":true}"#, bad_id("a boolean")),
            (r#"{"text":"a","id":[1]}"#, bad_id("an array")),
            (r#"{"id":{"url":"x"},"text":"a"}"#, bad_id("an object")),
            (r#"{"text":"\\ud800"}"#, ok("\\ud800", None)),
            (r#"{"text":"\ud83d\ude00"}"#, ok("😀", None)),
            (r#"{"text":"a","meta":"\ud800"}"#, ok("a", None)),
        ];
        for (line, want) in cases {
            let got = parse_line(line, "text", "id");
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{line}"),
                (Err(got), Err(kind)) => assert_eq!(got.kind(), kind, "{line}"),
                (got, want) => panic!("{line}: got {got:?}, want {want:?}"),
            }
        }
        // Dotted names reach into objects; a field with the whole name wins.
        let nested: Vec<(&str, Result<Fields, &str>)> = vec![
            (r#"{"meta":{"content":"a","url":"u"}}"#, ok("a", Some("u"))),
            (
                r#"{"meta":{"url":"u"},"body":{"content":"a"}}"#,
                Err("missing-field"),
            ),
            (
                r#"{"meta.content":"whole","meta":{"content":"a"}}"#,
                ok("whole", None),
            ),
            (r#"{"meta":{"content":{"deep":"a"}}}"#, Err("not-a-string")),
            (r#"{"meta":"flat"}"#, Err("missing-field")),
        ];
        for (line, want) in nested {
            let got = parse_line(line, "meta.content", "meta.url");
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{line}"),
                (Err(got), Err(kind)) => assert_eq!(got.kind(), kind, "{line}"),
                (got, want) => panic!("{line}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn lone_surrogates_are_named() {
        let cases = [
            (r#"{"text":"a\ud800"}"#, r"\ud800", 11),
            (r#"{"text":"a\uD800 b"}"#, r"\uD800", 11),
            (r#"{"text":"\udc00"}"#, r"\udc00", 10),
            (r#"{"text":"\ud800\u0041"}"#, r"\ud800", 10),
            (r#"{"text":"\ud800\n"}"#, r"\ud800", 10),
            (r#"{"text":"\ud800\ud800\udc00"}"#, r"\ud800", 10),
            // A lone surrogate in an ignored field is not the one at fault.
            (r#"{"x":"\ud800","text":"\\\udfff"}"#, r"\udfff", 25),
        ];
        for (line, escape, column) in cases {
            let Err(SkipReason::MalformedJson(message)) = parse_line(line, "text", "id") else {
                panic!("{line} parsed");
            };
            let want = format!(
                "invalid JSON string: lone surrogate {escape} (not a character) at column {column}"
            );
            assert_eq!(message, want, "{line}");
        }
    }

    #[test]
    fn records_at_reads_only_what_it_is_asked_for() {
        use crate::read::{Corpus, ReadOptions};
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for i in 0..50 {
            if i == 7 {
                writeln!(gz).unwrap(); // a blank line shifts numbering
            }
            writeln!(
                gz,
                "{}",
                serde_json::json!({"id": format!("j{i}"), "text": format!("text {i}")})
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("a.jsonl.gz"), gz.finish().unwrap()).unwrap();
        std::fs::write(dir.path().join("b.txt"), "a whole file").unwrap();
        let files = Files::open(&[dir.path().to_path_buf()], ReadOptions::default(), None).unwrap();
        let all: Vec<Document> = files.records().filter_map(|r| r.ok()).collect();
        let picks = [0usize, 8, 9, 49, 50];
        let origins: Vec<Origin> = picks.iter().map(|&i| all[i].origin).collect();
        let fetched: Vec<Document> = files
            .records_at(Box::new(origins.clone().into_iter()))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let expected: Vec<Document> = picks.iter().map(|&i| all[i].clone()).collect();
        assert_eq!(fetched, expected);
        assert_eq!(fetched[4].id, "b.txt");
    }

    #[test]
    fn lines_past_the_limit_are_passed_over() {
        let text = b"short\na line that is far too long\n\nlast".to_vec();
        // A buffer smaller than a line: the limit holds across refills.
        let mut reader = std::io::BufReader::with_capacity(4, std::io::Cursor::new(text));
        let mut buf = Vec::new();
        let mut got = Vec::new();
        loop {
            buf.clear();
            match read_line(&mut reader, &mut buf, 8).unwrap() {
                LineRead::End => break,
                LineRead::Line => got.push(String::from_utf8(buf.clone()).unwrap()),
                LineRead::TooLong => {
                    assert!(buf.is_empty());
                    got.push("<too long>".to_string());
                }
            }
        }
        assert_eq!(got, ["short\n", "<too long>", "\n", "last"]);
        // Exactly at the limit is fine, the terminator not counted.
        let mut reader = std::io::Cursor::new(b"12345678\r\n".to_vec());
        assert_eq!(read_line(&mut reader, &mut buf, 8).unwrap(), LineRead::Line);
    }

    #[test]
    fn line_ends_are_trimmed() {
        assert_eq!(trim_line_end(b"a\r\n"), b"a");
        assert_eq!(trim_line_end(b"a\n"), b"a");
        assert_eq!(trim_line_end(b"a"), b"a");
    }
}
