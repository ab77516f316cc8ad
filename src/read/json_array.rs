//! One JSON document of records (`[{...}, {...}]`, or one `{...}`), read
//! as JSON Lines.
//!
//! [`ArrayLines`] turns the document, as it streams, into one line per
//! element: the array's brackets and the commas between elements are
//! dropped, and line ends between tokens inside an element become spaces
//! (a line end inside a string is not valid JSON, so none is lost). The
//! JSON Lines reader then numbers, parses and skips elements exactly as
//! it does lines: an element's number is its line. Nothing is held but
//! the buffer, so an array of any size streams.

use std::io::{self, BufRead, Read};

/// Where the scanner is in the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the first token.
    Start,
    /// Inside the top-level array.
    Array,
    /// Inside one top-level object (the document is one record).
    Single,
    /// Past the end of the document.
    Done,
}

/// A JSON array (or one object) as JSON Lines: see the module docs.
pub(crate) struct ArrayLines<R> {
    inner: R,
    scan: Scanner,
}

/// What [`ArrayLines`] knows of the document so far.
struct Scanner {
    state: State,
    /// Brackets open inside the current element.
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// Whether the current element has had a byte.
    open: bool,
    /// A line end inside an element was just made a space: the
    /// indentation after it is dropped.
    indented: bool,
}

impl<R: BufRead> ArrayLines<R> {
    pub(crate) fn new(inner: R) -> Self {
        ArrayLines {
            inner,
            scan: Scanner {
                state: State::Start,
                depth: 0,
                in_string: false,
                escaped: false,
                open: false,
                indented: false,
            },
        }
    }
}

impl Scanner {
    /// What byte `b` of the document becomes: nothing, itself, a space or
    /// a line end.
    fn map(&mut self, b: u8) -> Option<u8> {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return Some(b);
        }
        match self.state {
            State::Start => match b {
                b'[' => {
                    self.state = State::Array;
                    None
                }
                b'{' => {
                    self.state = State::Single;
                    self.depth = 1;
                    Some(b)
                }
                // White space and a byte order mark's bytes.
                b' ' | b'\t' | b'\r' | b'\n' | 0xef | 0xbb | 0xbf => None,
                _ => {
                    // Not an array or an object: passed on for the JSON
                    // Lines reader to reject.
                    self.state = State::Done;
                    Some(b)
                }
            },
            State::Single => {
                self.token(b);
                if self.depth == 0 {
                    self.state = State::Done;
                    return Some(b);
                }
                self.inside(b)
            }
            State::Array if self.depth == 0 => match b {
                // An empty element (`[1,,2]`) is still a line, so that
                // every reader numbers the elements alike.
                b',' => {
                    self.open = false;
                    Some(b'\n')
                }
                b']' => {
                    self.state = State::Done;
                    std::mem::take(&mut self.open).then_some(b'\n')
                }
                // Only around elements: a scalar is one token.
                b' ' | b'\t' | b'\r' | b'\n' => None,
                _ => {
                    self.open = true;
                    self.token(b);
                    Some(b)
                }
            },
            State::Array => {
                self.token(b);
                self.inside(b)
            }
            // White space after the document is not a record.
            State::Done => (!b.is_ascii_whitespace()).then_some(b),
        }
    }

    /// Byte `b` between tokens inside an element: a line end becomes one
    /// space, and the indentation after it goes.
    fn inside(&mut self, b: u8) -> Option<u8> {
        match b {
            b'\n' | b'\r' => {
                let first = !self.indented;
                self.indented = true;
                first.then_some(b' ')
            }
            b' ' | b'\t' if self.indented => None,
            _ => {
                self.indented = false;
                Some(b)
            }
        }
    }

    /// Follows strings and brackets.
    fn token(&mut self, b: u8) {
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }
}

impl<R: BufRead> Read for ArrayLines<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < out.len() {
            let scan = &mut self.scan;
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                // A document cut short still ends its last line.
                if scan.open || scan.state == State::Single {
                    scan.open = false;
                    if scan.state == State::Single {
                        scan.state = State::Done;
                    }
                    out[written] = b'\n';
                    written += 1;
                }
                break;
            }
            let mut used = 0;
            for &b in available {
                if written == out.len() {
                    break;
                }
                used += 1;
                if let Some(mapped) = scan.map(b) {
                    out[written] = mapped;
                    written += 1;
                }
            }
            self.inner.consume(used);
            if written > 0 {
                break;
            }
        }
        Ok(written)
    }
}

/// Whether the document `reader` holds starts as an array (rather than
/// one object), from its first bytes, without consuming them.
pub(crate) fn is_array(reader: &mut dyn BufRead) -> bool {
    reader.fill_buf().is_ok_and(|head| {
        head.iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0xef | 0xbb | 0xbf))
            == Some(&b'[')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(doc: &str) -> String {
        let mut out = String::new();
        ArrayLines::new(io::BufReader::with_capacity(3, doc.as_bytes()))
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn an_array_of_records_becomes_one_line_each() {
        let doc = "\u{feff}[\n  {\"text\": \"a, [b]\",\n   \"id\": 1},\n  {\"text\": \"say \\\"hi\\\"\"}\n]\n";
        assert_eq!(
            lines(doc),
            "{\"text\": \"a, [b]\", \"id\": 1}\n{\"text\": \"say \\\"hi\\\"\"}\n"
        );
        assert_eq!(lines("[]"), "");
        assert_eq!(lines("[1,,\"x\"]"), "1\n\n\"x\"\n");
    }

    #[test]
    fn one_object_is_one_line() {
        assert_eq!(
            lines("{\n  \"text\": \"one\",\n  \"meta\": {\"a\": [1, 2]}\n}\n"),
            "{ \"text\": \"one\", \"meta\": {\"a\": [1, 2]} }"
        );
    }

    #[test]
    fn a_document_cut_short_ends_its_last_line() {
        assert_eq!(
            lines("[{\"text\": \"a\"}, {\"te"),
            "{\"text\": \"a\"}\n{\"te\n"
        );
    }
}
