//! Writing one JSON document of records from the lines the JSON Lines
//! filter keeps.
//!
//! The reader sees a JSON array as one line per element
//! ([`ArrayLines`](crate::read::json_array::ArrayLines)); the filter then
//! leaves out removed lines as for JSON Lines. [`LinesAsArray`] turns the
//! kept lines back into an array: `[`, the elements one per line joined by
//! commas, `]`. Each kept element is as it was but for line ends between
//! its tokens, which became spaces. One object (not in an array) is
//! written as itself.

use std::io::{self, Write};

/// A writer that takes JSON Lines and writes a JSON array of them (or, for
/// a document that was one object, the object).
pub(crate) struct LinesAsArray<W> {
    inner: W,
    array: bool,
    /// No element written yet.
    first: bool,
    /// The next byte starts a line.
    line_start: bool,
}

impl<W: Write> LinesAsArray<W> {
    pub(crate) fn new(inner: W, array: bool) -> Self {
        LinesAsArray {
            inner,
            array,
            first: true,
            line_start: true,
        }
    }

    /// Closes the array and gives back the writer under it.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        let end: &[u8] = match (self.array, self.first) {
            (true, true) => b"[]\n",
            (true, false) => b"\n]\n",
            (false, true) => b"",
            (false, false) => b"\n",
        };
        self.inner.write_all(end)?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for LinesAsArray<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for piece in buf.split_inclusive(|&b| b == b'\n') {
            let (body, ends) = match piece.strip_suffix(b"\n") {
                Some(body) => (body.strip_suffix(b"\r").unwrap_or(body), true),
                None => (piece, false),
            };
            if !body.is_empty() {
                if self.line_start {
                    let separator: &[u8] = match (self.array, self.first) {
                        (true, true) => b"[\n",
                        (true, false) => b",\n",
                        (false, true) => b"",
                        // A second top-level value: kept apart.
                        (false, false) => b"\n",
                    };
                    self.inner.write_all(separator)?;
                    self.first = false;
                    self.line_start = false;
                }
                self.inner.write_all(body)?;
            }
            if ends {
                self.line_start = true;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array(lines: &[&str], array: bool) -> String {
        let mut out = LinesAsArray::new(Vec::new(), array);
        for line in lines {
            // In pieces, as a stream gives them.
            let (a, b) = line.split_at(line.len() / 2);
            out.write_all(a.as_bytes()).unwrap();
            out.write_all(b.as_bytes()).unwrap();
        }
        String::from_utf8(out.finish().unwrap()).unwrap()
    }

    #[test]
    fn kept_lines_become_an_array() {
        assert_eq!(
            array(&["{\"a\": 1}\n", "\n", "{\"b\": 2}\r\n"], true),
            "[\n{\"a\": 1},\n{\"b\": 2}\n]\n"
        );
        assert_eq!(array(&[], true), "[]\n");
        assert_eq!(array(&["{\"a\": 1}\n"], false), "{\"a\": 1}\n");
        assert_eq!(array(&[], false), "");
    }
}
