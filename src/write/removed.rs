//! The removed list of `dedup`: what cleaning took out, one JSON line
//! each, so that a cleaning can be audited and undone (format version 1,
//! as the report's).

use std::io::{self, Write};

use serde::Serialize;

use crate::report::{round, Report, FORMAT_VERSION};
use crate::write::{Cleaning, Cut};

#[derive(Serialize)]
struct RemovedPassageOut<'a> {
    version: u32,
    level: &'static str,
    id: &'a str,
    start: usize,
    end: usize,
    text: &'a str,
    cut_start: usize,
    cut_end: usize,
    cut: &'a str,
    cluster: u32,
    boilerplate: bool,
}

#[derive(Serialize)]
struct RemovedOut<'a> {
    version: u32,
    level: &'static str,
    id: &'a str,
    kept: &'a str,
    cluster: u32,
    similarity: f64,
}

/// Writes what `cleaning` removes, one JSON line each: removed documents
/// with the document kept in their place
/// (`{"version", "level": "document", "id", "kept", "cluster", "similarity"}`),
/// then every passage cut (`cuts`, from writing the cleaned corpus) with
/// its span in the original text and the exact bytes deleted
/// (`{"version", "level": "passage", "id", "start", "end", "text", "cut_start", "cut_end", "cut", "cluster", "boilerplate"}`):
/// inserting each `cut` back at `cut_start`, last first, restores the
/// original text.
pub fn write_removed(
    report: &Report,
    cleaning: &Cleaning,
    cuts: &[Cut],
    out: &mut dyn Write,
) -> io::Result<()> {
    for removal in report.removed() {
        if cleaning.documents.binary_search(&removal.doc).is_err() {
            continue;
        }
        let line = RemovedOut {
            version: FORMAT_VERSION,
            level: "document",
            id: report.id(removal.doc),
            kept: report.id(removal.kept),
            cluster: removal.cluster.0,
            similarity: round(removal.similarity),
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    for cut in cuts {
        let removal = &cut.removal;
        let line = RemovedPassageOut {
            version: FORMAT_VERSION,
            level: "passage",
            id: report.id(removal.doc),
            start: removal.span.start,
            end: removal.span.end,
            text: report.member_text(removal.doc, removal.span),
            cut_start: cut.extent.start,
            cut_end: cut.extent.end,
            cut: &cut.deleted,
            cluster: removal.cluster,
            boilerplate: removal.boilerplate,
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_lines_name_the_kept_document() {
        let mut out = Vec::new();
        let report = crate::report::tests::sample();
        let config = crate::Config {
            level: crate::Level::Document,
            ..crate::Config::default()
        };
        let cleaning = Cleaning::plan(&report, &config);
        write_removed(&report, &cleaning, &[], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                r#"{"version":1,"level":"document","id":"a","kept":"b","cluster":0,"similarity":0.833333}"#,
                r#"{"version":1,"level":"document","id":"d","kept":"b","cluster":0,"similarity":1.0}"#,
            ]
        );
    }
}
