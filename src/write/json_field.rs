//! Editing one field of a JSON line: the text field's value is replaced
//! and every other byte of the line (other fields, key order, spacing, the
//! line ending) stays as it was, so that a cleaned JSON Lines file differs
//! from its input only where passages were cut.

/// Replaces the value of `field` in a JSON line with `edit` of its text,
/// leaving every other byte of the line as it was. Returns the new line
/// and whether the new text is blank; `None` if the line does not hold the
/// field as a string (it was then skipped when read, and is copied as is).
pub(super) fn rewrite_text_field(
    line: &[u8],
    field: &str,
    edit: impl FnOnce(&str) -> String,
) -> Option<(Vec<u8>, bool)> {
    let body = crate::read::trim_line_end(line);
    let ending = &line[body.len()..];
    let text = std::str::from_utf8(body).ok()?;
    let raw = find(text, field)?;
    let value: String = serde_json::from_str(raw).ok()?;
    let cleaned = edit(&value);
    let empty = cleaned.trim().is_empty();
    let start = raw.as_ptr() as usize - text.as_ptr() as usize;
    let mut out = Vec::with_capacity(line.len());
    out.extend_from_slice(&body[..start]);
    out.extend_from_slice(serde_json::to_string(&cleaned).ok()?.as_bytes());
    out.extend_from_slice(&body[start + raw.len()..]);
    out.extend_from_slice(ending);
    Some((out, empty))
}

/// The raw value of `field` in the JSON object `text`, found as the reader
/// finds it: a field with the whole name, or else, for a dotted name
/// (`metadata.content`), the path through nested objects. The last
/// occurrence of a repeated key wins, as when reading.
fn find<'a>(text: &'a str, field: &str) -> Option<&'a str> {
    let value = |text: &'a str, name: &str| -> Option<&'a str> {
        let RawFields(fields) = serde_json::from_str(text).ok()?;
        let raw = fields.into_iter().rev().find(|(k, _)| k == name)?.1;
        Some(raw.get())
    };
    if let Some(raw) = value(text, field) {
        return Some(raw);
    }
    let mut parts = field.split('.');
    let mut raw = value(text, parts.next()?)?;
    let mut nested = false;
    for part in parts {
        raw = value(raw, part)?;
        nested = true;
    }
    nested.then_some(raw)
}

/// A JSON object's fields in order, each value as its raw text.
struct RawFields<'a>(Vec<(String, &'a serde_json::value::RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for RawFields<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = RawFields<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawFields<'de>, A::Error> {
                let mut fields = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    fields.push((key, map.next_value::<&'de serde_json::value::RawValue>()?));
                }
                Ok(RawFields(fields))
            }
        }
        de.deserialize_map(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_text_field_is_edited_in_place() {
        let line = b"{\"id\": 1, \"meta\": {\"content\": \"a b\", \"n\": 2}, \"z\": 3}\n";
        let (out, empty) =
            rewrite_text_field(line, "meta.content", |t| t.replace('b', "c")).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"id\": 1, \"meta\": {\"content\": \"a c\", \"n\": 2}, \"z\": 3}\n"
        );
        assert!(!empty);
        // The whole name wins over the path, as when reading.
        let line = br#"{"meta.content": "x", "meta": {"content": "y"}}"#;
        let (out, _) = rewrite_text_field(line, "meta.content", |_| "w".to_string()).unwrap();
        assert_eq!(out, br#"{"meta.content": "w", "meta": {"content": "y"}}"#);
        // No such path: not edited.
        assert!(rewrite_text_field(line, "meta.missing", |_| String::new()).is_none());
    }
}
