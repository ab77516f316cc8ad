//! Spans: byte ranges of a document's original text.

/// A byte range `[start, end)` in a document's original text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The text the span covers; empty if it does not fit `text` (a span
    /// from another version of the text must not panic).
    pub fn of<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or("")
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether it covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the span lies within `text` on character boundaries.
    pub fn fits(&self, text: &str) -> bool {
        self.start <= self.end && text.get(self.start..self.end).is_some()
    }
}
