//! Writing a Parquet source without its removed rows.
//!
//! The cleaned file keeps the input's schema (every column and its type,
//! nested ones included) and the file's key-value metadata, each column's
//! compression codec, and row groups of the input's size. Only removed
//! rows are left out; with passages cut, only the text column is
//! rewritten, and only in the rows that lost a passage.
//!
//! It streams: a batch of rows is decoded, filtered and handed to the
//! writer, which holds one row group at most. A row group is ended early
//! when its encoded size passes the input's largest (and 256 MiB at
//! most), so that memory follows the input's row groups, never the file.

use std::borrow::Cow;
use std::fs::File;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BinaryArray, BinaryViewArray, BooleanArray, LargeBinaryArray,
    LargeStringArray, RecordBatch, StringArray, StringViewArray, StructArray,
};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::properties::WriterProperties;

use super::{Failure, Filtered, SourceCopy};
use crate::fsutil::OutputFile;
use crate::read::parquet::{column, find, text_at, Cell, BATCH_ROWS};

/// The most encoded bytes a row group holds before it is ended, whatever
/// the input's row groups hold.
const MAX_ROW_GROUP_BYTES: usize = 256 << 20;

/// Copies the Parquet source of `copy` into `out` as its plan says.
pub(super) fn filter_parquet(copy: &SourceCopy<'_>, out: OutputFile) -> Result<Filtered, Failure> {
    let read = |e: parquet::errors::ParquetError| Failure::Read(std::io::Error::other(e));
    let written = |e: parquet::errors::ParquetError| match e {
        parquet::errors::ParquetError::External(e) => match e.downcast::<std::io::Error>() {
            Ok(e) => Failure::Write(*e),
            Err(e) => Failure::Write(std::io::Error::other(e)),
        },
        e => Failure::Write(std::io::Error::other(e)),
    };
    let file = File::open(&copy.source.path).map_err(Failure::Read)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(read)?;
    let metadata = Arc::clone(builder.metadata());
    let schema = Arc::clone(builder.schema());
    let text = find(schema.fields(), copy.text_field).map(|c| c.path);
    let reader = builder.with_batch_size(BATCH_ROWS).build().map_err(read)?;
    let mut writer = ArrowWriter::try_new(out, Arc::clone(&schema), Some(properties(&metadata)))
        .map_err(written)?;
    let group_bytes = metadata
        .row_groups()
        .iter()
        .map(|g| usize::try_from(g.compressed_size()).unwrap_or(0))
        .max()
        .unwrap_or(0)
        .clamp(1 << 20, MAX_ROW_GROUP_BYTES);

    let mut done = Filtered::default();
    let mut removed = copy.plan.removed.iter().copied().peekable();
    let mut first = 1u64; // the number of the batch's first row
    for batch in reader {
        if (copy.stop)() {
            return Err(Failure::Stopped);
        }
        let batch = batch.map_err(|e| Failure::Read(std::io::Error::other(e)))?;
        let rows = batch.num_rows() as u64;
        let end = first + rows;
        let mut keep = vec![true; batch.num_rows()];
        let mut dropped = 0;
        while let Some(row) = removed.next_if(|&r| r < end) {
            if row >= first {
                keep[(row - first) as usize] = false;
                dropped += 1;
            }
        }
        let mut batch = batch;
        if let Some(text) = &text {
            let edited = edit_rows(copy, &batch, text, first, &keep, &mut done);
            if let Some(edited) = edited {
                batch = edited.map_err(read)?;
            }
        }
        if dropped > 0 {
            batch = arrow_select::filter::filter_record_batch(&batch, &BooleanArray::from(keep))
                .map_err(|e| Failure::Read(std::io::Error::other(e)))?;
            done.left_out += dropped;
        }
        writer.write(&batch).map_err(written)?;
        if writer.in_progress_size() >= group_bytes {
            writer.flush().map_err(written)?;
        }
        first = end;
    }
    let out = writer.into_inner().map_err(written)?;
    out.finish().map_err(Failure::Write)?;
    Ok(done)
}

/// The writer's settings from the input's: its key-value metadata (the
/// Arrow schema aside, which the writer makes again), each column's
/// codec, and its largest row group's row count.
fn properties(metadata: &ParquetMetaData) -> WriterProperties {
    let mut props = WriterProperties::builder();
    let rows = metadata.row_groups().iter().map(|g| g.num_rows()).max();
    if let Some(rows) = rows
        .and_then(|r| usize::try_from(r).ok())
        .filter(|&r| r > 0)
    {
        props = props.set_max_row_group_size(rows);
    }
    if let Some(group) = metadata.row_groups().first() {
        for (i, chunk) in group.columns().iter().enumerate() {
            if i == 0 {
                props = props.set_compression(chunk.compression());
            }
            props = props.set_column_compression(chunk.column_path().clone(), chunk.compression());
        }
    }
    let kept: Vec<_> = metadata
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .filter(|kv| kv.key != "ARROW:schema")
        .cloned()
        .collect();
    if !kept.is_empty() {
        props = props.set_key_value_metadata(Some(kept));
    }
    props.build()
}

/// The batch with its kept rows' passages cut, or `None` when no kept row
/// of it loses one.
fn edit_rows(
    copy: &SourceCopy<'_>,
    batch: &RecordBatch,
    text: &[String],
    first: u64,
    keep: &[bool],
    done: &mut Filtered,
) -> Option<Result<RecordBatch, parquet::errors::ParquetError>> {
    let edited_row = |i: usize| {
        let row = first + i as u64;
        keep[i].then(|| copy.plan.edits.get(&row)).flatten()
    };
    if !(0..batch.num_rows()).any(|i| edited_row(i).is_some()) {
        return None;
    }
    let old = column(batch, text)?;
    let mut values: Vec<Option<Cow<'_, [u8]>>> = Vec::with_capacity(old.len());
    for i in 0..old.len() {
        values.push(match (text_at(old.as_ref(), i), edited_row(i)) {
            (Cell::Text(t), Some(removals)) => {
                let cleaned = copy.cleaning.apply(t, removals, &mut done.cuts);
                if cleaned.trim().is_empty() {
                    done.emptied
                        .push(format!("{}:{}", copy.source.name, first + i as u64));
                }
                done.edited += 1;
                Some(Cow::Owned(cleaned.into_bytes()))
            }
            // Null and non-UTF-8 cells were skipped when read: nothing was
            // found in them, and nothing is cut.
            _ => bytes_at(old.as_ref(), i).map(Cow::Borrowed),
        });
    }
    let new = rebuilt(old.data_type(), &values)?;
    Some(replaced(batch, text, new))
}

/// Row `i` of a text column as bytes (`None` when null).
fn bytes_at(array: &dyn Array, i: usize) -> Option<&[u8]> {
    use arrow_array::cast::AsArray;
    if array.is_null(i) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(i).as_bytes(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(i).as_bytes(),
        DataType::Utf8View => array.as_string_view().value(i).as_bytes(),
        DataType::Binary => array.as_binary::<i32>().value(i),
        DataType::LargeBinary => array.as_binary::<i64>().value(i),
        DataType::BinaryView => array.as_binary_view().value(i),
        _ => return None,
    })
}

/// A text column of `data_type` holding `values` (UTF-8 for string
/// types: what was read from one, or cleaned text).
fn rebuilt(data_type: &DataType, values: &[Option<Cow<'_, [u8]>>]) -> Option<ArrayRef> {
    let bytes = || values.iter().map(|v| v.as_deref());
    let strings = || bytes().map(|v| v.map(String::from_utf8_lossy));
    Some(match data_type {
        DataType::Utf8 => Arc::new(StringArray::from_iter(strings())),
        DataType::LargeUtf8 => Arc::new(LargeStringArray::from_iter(strings())),
        DataType::Utf8View => Arc::new(StringViewArray::from_iter(strings())),
        DataType::Binary => Arc::new(BinaryArray::from_iter(bytes())),
        DataType::LargeBinary => Arc::new(LargeBinaryArray::from_iter(bytes())),
        DataType::BinaryView => Arc::new(BinaryViewArray::from_iter(bytes())),
        _ => return None,
    })
}

/// `batch` with the column at `path` (nested fields included) replaced.
fn replaced(
    batch: &RecordBatch,
    path: &[String],
    new: ArrayRef,
) -> Result<RecordBatch, parquet::errors::ParquetError> {
    let general =
        |e: arrow_schema::ArrowError| parquet::errors::ParquetError::General(e.to_string());
    let mut columns = batch.columns().to_vec();
    let Some(index) = batch.schema().index_of(&path[0]).ok() else {
        return Ok(batch.clone());
    };
    columns[index] = replaced_in(&columns[index], &path[1..], new).map_err(general)?;
    RecordBatch::try_new(batch.schema(), columns).map_err(general)
}

fn replaced_in(
    array: &ArrayRef,
    path: &[String],
    new: ArrayRef,
) -> Result<ArrayRef, arrow_schema::ArrowError> {
    let Some((name, rest)) = path.split_first() else {
        return Ok(new);
    };
    let Some(parent) = array.as_any().downcast_ref::<StructArray>() else {
        return Ok(Arc::clone(array));
    };
    let (fields, mut children, nulls) = parent.clone().into_parts();
    if let Some(i) = fields.iter().position(|f| f.name() == name) {
        children[i] = replaced_in(&children[i], rest, new)?;
    }
    Ok(Arc::new(StructArray::try_new(fields, children, nulls)?))
}
