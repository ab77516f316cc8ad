//! Parquet sources: one document per row, its text from one column.
//!
//! Only the text column and the id column are decoded (a projection), a
//! batch of rows at a time, so memory follows the batch, not the file.
//! Rows are numbered from 1 across the file: a row's number is its
//! [`Origin::line`], and names a document that has no id (`FILE:ROW`).
//! A later pass decodes only the rows it wants, by a row selection.
//!
//! The text column is found when the corpus is opened
//! ([`check_columns`]): a file without it stops the run before any work,
//! naming the string columns it does have. A file whose footer cannot be
//! read is bad input, not a mistake: it is skipped when it is read.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Fields};
use parquet::arrow::arrow_reader::{
    ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};
use parquet::arrow::ProjectionMask;

use crate::error::{ColumnProblem, Error};
use crate::read::{Document, Origin, ReadOptions, Record, Skip, SkipReason};

/// Rows decoded at a time: a few MB of typical web text, and a stop
/// request or a progress tick is never far away.
pub(crate) const BATCH_ROWS: usize = 1024;

/// A column of a file's schema, found by a (possibly dotted) name: the
/// field names from the top, and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) path: Vec<String>,
    pub(crate) data_type: DataType,
}

/// Finds `name` among `fields`: the field of that whole name, else, at
/// each dot from the left, a struct field named by what comes before it
/// holding what comes after. A column named `meta.url` is found before a
/// struct `meta` with a field `url`, as for JSON Lines.
pub(crate) fn find(fields: &Fields, name: &str) -> Option<Column> {
    if let Some(field) = fields.iter().find(|f| f.name() == name) {
        return Some(Column {
            path: vec![name.to_string()],
            data_type: field.data_type().clone(),
        });
    }
    for (dot, _) in name.match_indices('.') {
        let (head, tail) = (&name[..dot], &name[dot + 1..]);
        let Some(field) = fields.iter().find(|f| f.name() == head) else {
            continue;
        };
        if let DataType::Struct(children) = field.data_type() {
            if let Some(mut column) = find(children, tail) {
                column.path.insert(0, head.to_string());
                return Some(column);
            }
        }
    }
    None
}

/// Whether a column of this type holds text (UTF-8 strings, or bytes
/// that are checked to be UTF-8 row by row).
fn holds_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
    )
}

/// The dotted names of every string column, nested ones included: what
/// the text field may have been meant to name.
pub(crate) fn string_columns(fields: &Fields) -> Vec<String> {
    fn walk(fields: &Fields, prefix: &str, out: &mut Vec<String>) {
        for field in fields {
            let name = format!("{prefix}{}", field.name());
            match field.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => out.push(name),
                DataType::Struct(children) => walk(children, &format!("{name}."), out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(fields, "", &mut out);
    out
}

/// The text and id columns of one file, and the projection that reads
/// only them.
struct Columns {
    text: Column,
    id: Option<Column>,
    mask: ProjectionMask,
}

/// Finds the columns `options` names in the file `builder` opened.
fn columns(
    builder: &ParquetRecordBatchReaderBuilder<File>,
    options: &ReadOptions,
) -> Result<Columns, ColumnProblem> {
    let fields = builder.schema().fields();
    let text = find(fields, &options.text_field).ok_or_else(|| ColumnProblem::Missing {
        field: options.text_field.clone(),
        strings: string_columns(fields),
    })?;
    if !holds_text(&text.data_type) {
        return Err(ColumnProblem::NotText {
            field: options.text_field.clone(),
            found: text.data_type.to_string(),
        });
    }
    let id = find(fields, &options.id_field);
    let leaves = builder.parquet_schema().columns();
    let leaf = |column: &Column| leaves.iter().position(|c| c.path().parts() == column.path);
    let text_leaf = leaf(&text).ok_or_else(|| ColumnProblem::NotText {
        field: options.text_field.clone(),
        found: text.data_type.to_string(),
    })?;
    // An id that is not one leaf (a list, a struct) cannot name a row.
    let id_leaf = id.as_ref().and_then(leaf);
    let id = id.filter(|_| id_leaf.is_some());
    let mask = ProjectionMask::leaves(
        builder.parquet_schema(),
        std::iter::once(text_leaf).chain(id_leaf),
    );
    Ok(Columns { text, id, mask })
}

/// Opens `path` far enough to read its footer.
fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>, SkipReason> {
    let file = File::open(path).map_err(|e| SkipReason::Unreadable(e.to_string()))?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| SkipReason::Corrupt(format!("Parquet file: {e}")))
}

/// Checks, when the corpus is opened, that the Parquet file at `path` has
/// the text column: a run over files without it would find nothing. A
/// file that cannot be read at all is left for the read to skip.
///
/// # Errors
/// [`Error::Column`] when the column is missing or holds no text.
pub(crate) fn check_columns(path: &Path, options: &ReadOptions) -> crate::error::Result<()> {
    let Ok(builder) = builder(path) else {
        return Ok(());
    };
    columns(&builder, options)
        .map(drop)
        .map_err(|problem| Error::Column {
            path: path.to_path_buf(),
            problem,
        })
}

/// The row numbers a reader yields: every row, or the chosen ones.
enum Numbers {
    Every { next: u64 },
    Chosen(std::vec::IntoIter<u64>),
}

impl Numbers {
    fn next(&mut self) -> Option<u64> {
        match self {
            Numbers::Every { next } => {
                *next += 1;
                Some(*next)
            }
            Numbers::Chosen(rows) => rows.next(),
        }
    }
}

/// An open Parquet source: its rows turned into records one at a time.
pub(crate) struct Rows<'a> {
    pub(crate) source: u32,
    name: &'a str,
    options: &'a ReadOptions,
    text: Column,
    id: Option<Column>,
    reader: ParquetRecordBatchReader,
    /// The batch being read: its text and id columns, and the next row.
    batch: Option<(ArrayRef, Option<ArrayRef>)>,
    at: usize,
    numbers: Numbers,
    /// The number of the row last read.
    row: u64,
    /// Set after a read failure: a damaged file is not read past.
    failed: bool,
    /// Rows whose id cannot name a document: how many, the first, and
    /// what it held (one note per file, as for JSON Lines).
    bad_ids: (u64, u64, &'static str),
}

impl<'a> Rows<'a> {
    /// Opens source `source` (named `name`, at `path`) to read every row,
    /// or only `wanted` (1-based row numbers, ascending).
    pub(crate) fn open(
        source: u32,
        name: &'a str,
        path: &Path,
        options: &'a ReadOptions,
        wanted: Option<Vec<u64>>,
    ) -> Result<Rows<'a>, SkipReason> {
        let builder = builder(path)?;
        let columns = columns(&builder, options).map_err(|problem| match problem {
            ColumnProblem::Missing { field, strings } => SkipReason::MissingField {
                field,
                present: strings,
            },
            ColumnProblem::NotText { field, .. } => SkipReason::NotAString {
                field,
                found: "a column of another type",
            },
        })?;
        let mut builder = builder
            .with_projection(columns.mask)
            .with_batch_size(BATCH_ROWS);
        let numbers = match wanted {
            None => Numbers::Every { next: 0 },
            Some(rows) => {
                builder = builder.with_row_selection(selection(&rows));
                Numbers::Chosen(rows.into_iter())
            }
        };
        let reader = builder
            .build()
            .map_err(|e| SkipReason::Corrupt(format!("Parquet file: {e}")))?;
        Ok(Rows {
            source,
            name,
            options,
            text: columns.text,
            id: columns.id,
            reader,
            batch: None,
            at: 0,
            numbers,
            row: 0,
            failed: false,
            bad_ids: (0, 0, ""),
        })
    }

    /// What to say about this file's unusable ids once it is read.
    pub(crate) fn note(&self) -> Option<String> {
        let (count, first, found) = self.bad_ids;
        (count > 0).then(|| {
            format!(
                "{}: {count} row{} with column {:?} holding {found} (first at row {first}), not a string or an integer; named FILE:ROW instead",
                self.name,
                if count == 1 { "" } else { "s" },
                self.options.id_field
            )
        })
    }

    /// The next record, or `None` at the end of the file.
    pub(crate) fn next_record(&mut self) -> Option<Record> {
        if self.failed {
            return None;
        }
        // Batches without rows (or without the column) are passed over.
        while self.at >= self.batch.as_ref().map_or(0, |(text, _)| text.len()) {
            match self.reader.next()? {
                Ok(batch) => self.take(&batch),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(self.skip(
                        Some(self.row + 1),
                        SkipReason::Corrupt(format!("Parquet file: {e}")),
                    )));
                }
            }
            self.at = 0;
        }
        let at = self.at;
        self.at += 1;
        self.row = self.numbers.next()?;
        Some(self.record(at))
    }

    /// Keeps the text and id columns of a freshly decoded batch.
    fn take(&mut self, batch: &RecordBatch) {
        let text = column(batch, &self.text.path);
        let id = self.id.as_ref().and_then(|id| column(batch, &id.path));
        self.batch = text.map(|text| (text, id));
    }

    fn skip(&self, row: Option<u64>, reason: SkipReason) -> Skip {
        Skip {
            source: self.name.to_string(),
            line: row,
            reason,
        }
    }

    /// The record of row `at` of the batch.
    fn record(&mut self, at: usize) -> Record {
        let row = self.row;
        let (text, id) = self.batch.as_ref().expect("a batch with this row");
        let skipped = |reason| Err(self.skip(Some(row), reason));
        let limit = self.options.max_document_bytes.unwrap_or(u64::MAX);
        let text = match text_at(text.as_ref(), at) {
            Cell::Text(text) if text.len() as u64 > limit => {
                return skipped(SkipReason::TooLarge { limit })
            }
            Cell::Text(text) if text.trim().is_empty() => return skipped(SkipReason::Empty),
            Cell::Text(text) => text.to_string(),
            Cell::Null => {
                return skipped(SkipReason::NotAString {
                    field: self.options.text_field.clone(),
                    found: "null",
                })
            }
            Cell::NotUtf8(offset) => return skipped(SkipReason::InvalidUtf8 { offset }),
        };
        let id = match id.as_ref().map(|id| id_at(id.as_ref(), at)) {
            Some(Id::Named(id)) => Some(id),
            None | Some(Id::Null) => None,
            Some(Id::Unusable(found)) => {
                let (count, first, kind) = self.bad_ids;
                self.bad_ids = if count == 0 {
                    (1, row, found)
                } else {
                    (count + 1, first, kind)
                };
                None
            }
        };
        Ok(Document {
            id: id.unwrap_or_else(|| format!("{}:{row}", self.name)),
            text,
            origin: Origin {
                source: self.source,
                line: row,
            },
        })
    }
}

/// The selection of `rows` (1-based, ascending) out of a file.
fn selection(rows: &[u64]) -> RowSelection {
    let mut selectors = Vec::new();
    let mut next = 1u64; // the first row not yet covered
    for &row in rows {
        if row < next {
            continue; // a repeat
        }
        if row > next {
            selectors.push(RowSelector::skip(usize_of(row - next)));
        }
        selectors.push(RowSelector::select(1));
        next = row + 1;
    }
    RowSelection::from(selectors)
}

fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The column at `path` (top-level name, then struct fields) of `batch`.
pub(crate) fn column(batch: &RecordBatch, path: &[String]) -> Option<ArrayRef> {
    let (first, rest) = path.split_first()?;
    let mut array = batch.column_by_name(first)?.clone();
    // Decoded from definition levels, a field of a null struct is null
    // itself: no need to merge the parents' null masks.
    for name in rest {
        array = array.as_struct_opt()?.column_by_name(name)?.clone();
    }
    Some(array)
}

/// What one cell of a text column holds.
pub(crate) enum Cell<'a> {
    Text(&'a str),
    Null,
    /// Bytes that are not UTF-8; the offset of the first bad byte.
    NotUtf8(usize),
}

/// Row `i` of a text column (a type [`holds_text`] accepts).
pub(crate) fn text_at(array: &dyn Array, i: usize) -> Cell<'_> {
    if array.is_null(i) {
        return Cell::Null;
    }
    let bytes: &[u8] = match array.data_type() {
        DataType::Utf8 => return Cell::Text(array.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => return Cell::Text(array.as_string::<i64>().value(i)),
        DataType::Utf8View => return Cell::Text(array.as_string_view().value(i)),
        DataType::Binary => array.as_binary::<i32>().value(i),
        DataType::LargeBinary => array.as_binary::<i64>().value(i),
        DataType::BinaryView => array.as_binary_view().value(i),
        _ => return Cell::Null,
    };
    match std::str::from_utf8(bytes) {
        Ok(text) => Cell::Text(text),
        Err(e) => Cell::NotUtf8(e.valid_up_to()),
    }
}

/// What one cell of an id column holds.
enum Id {
    Named(String),
    Null,
    Unusable(&'static str),
}

fn id_at(array: &dyn Array, i: usize) -> Id {
    use arrow_array::types::*;
    if array.is_null(i) {
        return Id::Null;
    }
    let named = |id: String| Id::Named(id);
    match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => match text_at(array, i) {
            Cell::Text(text) => named(text.to_string()),
            _ => Id::Null,
        },
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            match text_at(array, i) {
                Cell::Text(text) => named(text.to_string()),
                _ => Id::Unusable("bytes that are not UTF-8"),
            }
        }
        DataType::Int8 => named(array.as_primitive::<Int8Type>().value(i).to_string()),
        DataType::Int16 => named(array.as_primitive::<Int16Type>().value(i).to_string()),
        DataType::Int32 => named(array.as_primitive::<Int32Type>().value(i).to_string()),
        DataType::Int64 => named(array.as_primitive::<Int64Type>().value(i).to_string()),
        DataType::UInt8 => named(array.as_primitive::<UInt8Type>().value(i).to_string()),
        DataType::UInt16 => named(array.as_primitive::<UInt16Type>().value(i).to_string()),
        DataType::UInt32 => named(array.as_primitive::<UInt32Type>().value(i).to_string()),
        DataType::UInt64 => named(array.as_primitive::<UInt64Type>().value(i).to_string()),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => Id::Unusable("a float"),
        DataType::Boolean => Id::Unusable("a boolean"),
        _ => Id::Unusable("a value of another type"),
    }
}
