//! Arrow in and out, through the Arrow PyCapsule interface: texts are read
//! from the caller's buffers where they lie (no Python `str` per row), and
//! results go back as record batches any Arrow library can import.

use std::ffi::CString;
use std::sync::Arc;

use arrow_array::builder::LargeStringBuilder;
use arrow_array::ffi::{from_ffi, to_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::{
    make_array, Array, ArrayRef, LargeStringArray, RecordBatch, StringArray, StringViewArray,
    StructArray,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods, PyString, PyTuple};

use textdup::{Corpus, Document, Origin, Record, Skip, SkipReason};

/// Imports one Arrow array from an object with `__arrow_c_array__` (a
/// pyarrow `Array`, a polars `Series` chunk, ...).
pub fn import_array(object: &Bound<'_, PyAny>) -> PyResult<ArrayRef> {
    let capsules = object
        .call_method0("__arrow_c_array__")
        .map_err(|_| PyTypeError::new_err("expected an Arrow array (__arrow_c_array__)"))?;
    let capsules = capsules.cast::<PyTuple>()?;
    let schema = capsules.get_item(0)?;
    let array = capsules.get_item(1)?;
    let schema = schema.cast::<PyCapsule>()?;
    let array = array.cast::<PyCapsule>()?;
    let schema_ptr = schema.pointer_checked(Some(c"arrow_schema"))?;
    let array_ptr = array.pointer_checked(Some(c"arrow_array"))?;
    // SAFETY: the capsules are named as the PyCapsule interface names
    // them, so they hold an ArrowSchema and an ArrowArray. The array is
    // moved out, leaving a released one for the capsule's destructor, as
    // the interface asks of a consumer; the schema is only borrowed.
    let data = unsafe {
        let array = std::ptr::replace(
            array_ptr.as_ptr().cast::<FFI_ArrowArray>(),
            FFI_ArrowArray::empty(),
        );
        let schema = &*schema_ptr.as_ptr().cast::<FFI_ArrowSchema>();
        from_ffi(array, schema)
    }
    .map_err(|e| PyValueError::new_err(format!("cannot import the Arrow array: {e}")))?;
    Ok(make_array(data))
}

/// A string column, whichever of Arrow's three layouts it comes in.
#[derive(Clone, Debug)]
pub enum Strings {
    Utf8(StringArray),
    Large(LargeStringArray),
    View(StringViewArray),
}

impl Strings {
    /// The column `array` as strings, or a type error naming what it is.
    pub fn of(array: &ArrayRef, what: &str) -> PyResult<Strings> {
        let any = array.as_any();
        if let Some(a) = any.downcast_ref::<StringArray>() {
            Ok(Strings::Utf8(a.clone()))
        } else if let Some(a) = any.downcast_ref::<LargeStringArray>() {
            Ok(Strings::Large(a.clone()))
        } else if let Some(a) = any.downcast_ref::<StringViewArray>() {
            Ok(Strings::View(a.clone()))
        } else {
            Err(PyTypeError::new_err(format!(
                "the {what} column holds {}, not strings",
                array.data_type()
            )))
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Strings::Utf8(a) => a.len(),
            Strings::Large(a) => a.len(),
            Strings::View(a) => a.len(),
        }
    }

    /// Row `i`, or `None` for a null.
    pub fn get(&self, i: usize) -> Option<&str> {
        match self {
            Strings::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::View(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}

/// The texts (and ids, if any item is an `(id, text)` pair) of a Python
/// iterable, as Arrow columns. A text that is not a `str` is a null (a
/// skipped row); an id is `str(id)`, and an item without one is numbered
/// by its position, from 0.
pub fn from_items(items: &Bound<'_, PyAny>) -> PyResult<(Strings, Option<Strings>)> {
    let mut texts = LargeStringBuilder::new();
    let mut ids = LargeStringBuilder::new();
    let mut pairs = false;
    for (n, item) in items.try_iter()?.enumerate() {
        let item = item?;
        let text = match item.cast::<PyTuple>() {
            Ok(pair) if pair.len() == 2 => {
                pairs = true;
                ids.append_value(pair.get_item(0)?.str()?.to_cow()?);
                pair.get_item(1)?
            }
            _ => {
                ids.append_value(n.to_string());
                item
            }
        };
        match text.cast::<PyString>() {
            // A copy on the way (the limited API of Python 3.9 lends no UTF-8
            // view of a str), but no Python object is made per row.
            Ok(text) => texts.append_value(text.to_cow()?),
            Err(_) => texts.append_null(),
        }
    }
    let ids = pairs.then(|| Strings::Large(ids.finish()));
    Ok((Strings::Large(texts.finish()), ids))
}

/// Rows of texts (and ids) in Arrow chunks, as a corpus. Row `r` (counted
/// across chunks from 0) is origin line `r + 1` of source 0, as the
/// library numbers the documents of an in-memory slice; a row without a
/// text is a skip, as a JSON line without one is.
pub struct ArrowCorpus {
    texts: Vec<Strings>,
    ids: Option<Vec<Strings>>,
    rows: usize,
}

/// Where a skipped row is reported from.
const SOURCE: &str = "<arrow>";

impl ArrowCorpus {
    /// The corpus of `texts`, with `ids` chunked the same way if given.
    pub fn new(texts: Vec<Strings>, ids: Option<Vec<Strings>>) -> PyResult<ArrowCorpus> {
        if let Some(ids) = &ids {
            let lengths = |c: &[Strings]| c.iter().map(Strings::len).collect::<Vec<_>>();
            if lengths(ids) != lengths(&texts) {
                return Err(PyValueError::new_err(
                    "the id column is not chunked as the text column",
                ));
            }
        }
        let rows = texts.iter().map(Strings::len).sum();
        Ok(ArrowCorpus { texts, ids, rows })
    }

    /// The text of input row `row`, if it has one.
    pub fn text(&self, mut row: usize) -> Option<&str> {
        for chunk in &self.texts {
            if row < chunk.len() {
                return chunk.get(row);
            }
            row -= chunk.len();
        }
        None
    }

    /// The number of rows, skipped ones included.
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn record(&self, chunk: usize, i: usize, row: usize) -> Record {
        let line = row as u64 + 1;
        let skip = |reason| Skip {
            source: SOURCE.to_string(),
            line: Some(line),
            reason,
        };
        let Some(text) = self.texts[chunk].get(i) else {
            return Err(skip(SkipReason::NotAString {
                field: "text".to_string(),
                found: "null",
            }));
        };
        if text.trim().is_empty() {
            return Err(skip(SkipReason::Empty));
        }
        let id = match self.ids.as_ref().and_then(|ids| ids[chunk].get(i)) {
            Some(id) => id.to_string(),
            None => row.to_string(),
        };
        let mut doc = Document::new(id, text);
        doc.origin = Origin { source: 0, line };
        Ok(doc)
    }

    /// The chunk and index within it of every row, in order.
    fn positions(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.texts
            .iter()
            .enumerate()
            .flat_map(|(c, chunk)| (0..chunk.len()).map(move |i| (c, i)))
    }
}

impl Corpus for ArrowCorpus {
    fn records(&self) -> Box<dyn Iterator<Item = Record> + Send + '_> {
        Box::new(
            self.positions()
                .enumerate()
                .map(|(row, (c, i))| self.record(c, i, row)),
        )
    }

    fn records_at<'a>(
        &'a self,
        origins: Box<dyn Iterator<Item = Origin> + Send + 'a>,
    ) -> Option<Box<dyn Iterator<Item = Record> + Send + 'a>> {
        let starts: Vec<usize> = self
            .texts
            .iter()
            .scan(0, |next, chunk| {
                let start = *next;
                *next += chunk.len();
                Some(start)
            })
            .collect();
        Some(Box::new(origins.map(move |origin| {
            let row = (origin.line - 1) as usize;
            let chunk = starts.partition_point(|&s| s <= row) - 1;
            self.record(chunk, row - starts[chunk], row)
        })))
    }
}

/// A record batch on its way to Python: `__arrow_c_array__` hands it to
/// pyarrow (or any Arrow library) without a copy.
#[pyclass(module = "textdup._textdup", name = "ArrowBatch")]
pub struct ArrowBatch {
    batch: Option<RecordBatch>,
}

impl ArrowBatch {
    pub fn new(batch: RecordBatch) -> ArrowBatch {
        ArrowBatch { batch: Some(batch) }
    }
}

#[pymethods]
impl ArrowBatch {
    /// The Arrow PyCapsule interface: (schema, array) capsules of a struct
    /// array whose fields are the batch's columns. The batch can be
    /// exported once.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &mut self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let _ = requested_schema; // the batch's own schema is the only one offered
        let batch = self
            .batch
            .take()
            .ok_or_else(|| PyValueError::new_err("this batch was exported already"))?;
        let data = StructArray::from(batch).into_data();
        let (array, schema) = to_ffi(&data)
            .map_err(|e| PyValueError::new_err(format!("cannot export the batch: {e}")))?;
        let schema = PyCapsule::new(py, schema, Some(CString::from(c"arrow_schema")))?;
        let array = PyCapsule::new(py, array, Some(CString::from(c"arrow_array")))?;
        PyTuple::new(py, [schema.into_any(), array.into_any()])
    }
}

/// A batch of the given named columns.
pub fn batch(columns: Vec<(&str, ArrayRef)>) -> PyResult<ArrowBatch> {
    let batch = RecordBatch::try_from_iter(
        columns
            .into_iter()
            .map(|(name, column)| (name.to_string(), column)),
    )
    .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(ArrowBatch::new(batch))
}

/// Shorthand for an `Arc`ed array.
pub fn column(array: impl Array + 'static) -> ArrayRef {
    Arc::new(array)
}
