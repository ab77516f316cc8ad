//! Turning files into records: one per text file, one per JSON line.

use std::fmt;
use std::io::BufRead;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use crate::read::source::{open_decoded, Compression};
use crate::read::{Document, Files, Format, Origin, Origins, Record, Shard, Skip, SkipReason};

/// The stream of records of a [`Files`] corpus, in source order.
pub struct FileRecords<'a> {
    files: &'a Files,
    listing_skips: std::slice::Iter<'a, Skip>,
    next_source: usize,
    shard: Shard,
    lines: Option<Lines>,
    buf: Vec<u8>,
}

/// An open JSON Lines source.
struct Lines {
    source: u32,
    reader: Box<dyn BufRead + Send>,
    compression: Compression,
    line: u64,
}

impl<'a> FileRecords<'a> {
    pub(crate) fn new(files: &'a Files, shard: Shard) -> Self {
        let listing_skips = if shard.index == 0 {
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
        let (compression, mut reader) = match open_decoded(&src.path) {
            Ok(opened) => opened,
            Err(e) => return self.skipped(source, None, SkipReason::Unreadable(e.to_string())),
        };
        self.buf.clear();
        if let Err(e) = reader.read_to_end(&mut self.buf) {
            return self.skipped(source, None, read_failure(compression, e));
        }
        let bytes = std::mem::take(&mut self.buf);
        if bytes.contains(&0) {
            return self.skipped(source, None, SkipReason::Binary);
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                self.buf = e.into_bytes();
                return self.skipped(source, None, SkipReason::InvalidUtf8 { offset });
            }
        };
        if text.trim().is_empty() {
            return self.skipped(source, None, SkipReason::Empty);
        }
        Ok(Document {
            id: src.name.clone(),
            text,
            origin: Origin { source, line: 0 },
        })
    }

    /// Opens a JSON Lines source, or says why it cannot be read.
    fn open_lines(&mut self, source: u32) -> Option<Record> {
        let src = &self.files.sources()[source as usize];
        let (compression, mut reader) = match open_decoded(&src.path) {
            Ok(opened) => opened,
            Err(e) => {
                return Some(self.skipped(source, None, SkipReason::Unreadable(e.to_string())))
            }
        };
        // A binary file with a .jsonl name would otherwise give one
        // warning per "line"; one warning for the file is what helps.
        match reader.fill_buf() {
            Ok(head) if head.contains(&0) => {
                return Some(self.skipped(source, None, SkipReason::Binary));
            }
            Ok(_) => {}
            Err(e) => return Some(self.skipped(source, None, read_failure(compression, e))),
        }
        self.lines = Some(Lines {
            source,
            reader,
            compression,
            line: 0,
        });
        None
    }

    /// The next record of the open JSON Lines source, or `None` at its end.
    fn next_line(&mut self) -> Option<Record> {
        loop {
            let lines = self.lines.as_mut()?;
            self.buf.clear();
            match lines.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.lines = None;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    let (source, line, compression) =
                        (lines.source, lines.line + 1, lines.compression);
                    self.lines = None;
                    return Some(self.skipped(source, Some(line), read_failure(compression, e)));
                }
            }
            lines.line += 1;
            let (source, line) = (lines.source, lines.line);
            if let Some(record) = self.line_record(source, line) {
                return Some(record);
            }
        }
    }

    /// The record of the JSON line in `self.buf`; `None` for a blank line,
    /// which is not a document.
    fn line_record(&self, source: u32, line: u64) -> Option<Record> {
        let options = self.files.options();
        let raw = trim_line_end(&self.buf);
        if raw.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text,
            Err(e) => {
                let reason = SkipReason::InvalidUtf8 {
                    offset: e.valid_up_to(),
                };
                return Some(self.skipped(source, Some(line), reason));
            }
        };
        let fields = match parse_line(text, &options.text_field, &options.id_field) {
            Ok(fields) => fields,
            Err(reason) => return Some(self.skipped(source, Some(line), reason)),
        };
        if fields.text.trim().is_empty() {
            return Some(self.skipped(source, Some(line), SkipReason::Empty));
        }
        let id = fields
            .id
            .unwrap_or_else(|| format!("{}:{}", self.files.sources()[source as usize].name, line));
        Some(Ok(Document {
            id,
            text: fields.text,
            origin: Origin { source, line },
        }))
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
    }
}

impl Iterator for RecordsAt<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            let wanted = *self.origins.peek()?;
            let source = wanted.source;
            let open = self.records.lines.as_ref().map(|l| l.source);
            if open != Some(source) {
                self.records.lines = None;
                let Some(src) = self.records.files.sources().get(source as usize) else {
                    self.pass_source(source);
                    continue;
                };
                if src.format == Format::Text {
                    self.origins.next();
                    return Some(self.records.text_record(source));
                }
                match open_decoded(&src.path) {
                    Ok((compression, reader)) => {
                        self.records.lines = Some(Lines {
                            source,
                            reader,
                            compression,
                            line: 0,
                        })
                    }
                    Err(e) => {
                        self.pass_source(source);
                        let reason = SkipReason::Unreadable(e.to_string());
                        return Some(self.records.skipped(source, None, reason));
                    }
                }
            }
            let lines = self.records.lines.as_mut().expect("opened above");
            self.records.buf.clear();
            match lines.reader.read_until(b'\n', &mut self.records.buf) {
                Ok(0) => {
                    // The wanted line is gone: whoever asked will notice.
                    self.pass_source(source);
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    let (line, compression) = (lines.line + 1, lines.compression);
                    self.pass_source(source);
                    let reason = read_failure(compression, e);
                    return Some(self.records.skipped(source, Some(line), reason));
                }
            }
            lines.line += 1;
            if lines.line == wanted.line {
                self.origins.next();
                if let Some(record) = self.records.line_record(source, wanted.line) {
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
            let sources = self.files.sources();
            if self.next_source >= sources.len() {
                return None;
            }
            let source = self.next_source as u32;
            self.next_source += 1;
            if !self.shard.holds(source) {
                continue;
            }
            match sources[source as usize].format {
                Format::Text => return Some(self.text_record(source)),
                Format::Jsonl => {
                    if let Some(record) = self.open_lines(source) {
                        return Some(record);
                    }
                }
            }
        }
    }
}

fn read_failure(compression: Compression, e: std::io::Error) -> SkipReason {
    match compression {
        Compression::None => SkipReason::Unreadable(e.to_string()),
        Compression::Gzip | Compression::Zstd => SkipReason::Corrupt(e.to_string()),
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
        .map_err(|e| SkipReason::MalformedJson(e.to_string()))?;
    let text = match found.text {
        None => return Err(SkipReason::MissingField(text_field.to_string())),
        Some(serde_json::Value::String(text)) => text,
        Some(other) => {
            return Err(SkipReason::NotAString {
                field: text_field.to_string(),
                found: json_kind(&other),
            })
        }
    };
    let id = match found.id {
        Some(serde_json::Value::String(id)) => Some(id),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    Ok(Fields { text, id })
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

struct Found {
    text: Option<serde_json::Value>,
    id: Option<serde_json::Value>,
}

struct FieldSeed<'a> {
    text_field: &'a str,
    id_field: &'a str,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = Found;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Found, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        let mut found = Found {
            text: None,
            id: None,
        };
        while let Some(key) = map.next_key_seed(KeySeed(&self))? {
            match key {
                Key::Text => found.text = Some(map.next_value()?),
                Key::Id => found.id = Some(map.next_value()?),
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
        Ok(if key == self.0.text_field {
            Key::Text
        } else if key == self.0.id_field {
            Key::Id
        } else {
            Key::Other
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
        ];
        for (line, want) in cases {
            let got = parse_line(line, "text", "id");
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{line}"),
                (Err(got), Err(kind)) => assert_eq!(got.kind(), kind, "{line}"),
                (got, want) => panic!("{line}: got {got:?}, want {want:?}"),
            }
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
    fn line_ends_are_trimmed() {
        assert_eq!(trim_line_end(b"a\r\n"), b"a");
        assert_eq!(trim_line_end(b"a\n"), b"a");
        assert_eq!(trim_line_end(b"a"), b"a");
    }
}
