//! `textdup._textdup`: the native half of the Python package. Thin on
//! purpose: every result comes from the Rust library, and this layer only
//! turns Python options into a [`Config`], Arrow columns into a corpus,
//! and a [`Report`] into Arrow record batches. The Python half
//! (`textdup/__init__.py`) turns the caller's data types into Arrow.
//!
//! The GIL is released while the library works, so Python threads (and
//! the progress callback) keep running.

mod arrow;
mod index;
mod progress;

use std::path::PathBuf;

use arrow_array::builder::{
    BooleanBuilder, FixedSizeBinaryBuilder, FixedSizeListBuilder, Float64Builder, ListBuilder,
    StringBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, BooleanArray};
use pyo3::exceptions::{
    PyFileNotFoundError, PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;

use textdup::output::{check_distinct, check_output, Commit, Existing};
use textdup::report::{write_clusters, write_summary};
use textdup::write::{check_output_name, write_corpus, write_removed, Cleaning};
use textdup::{
    parse_size, run_with, Banding, Config, Corpus, DocId, Error, Files, IndexProblem, Keep, Level,
    Normalization, PassageUnit, ReadOptions, Report, Resources, ShingleSet, Shingling, Sketcher,
    Unit, Verification,
};

use arrow::{batch, column, import_array, ArrowBatch, ArrowCorpus, Strings};
use progress::PyProgress;

/// The library's error as the Python exception that fits it, with the
/// message the CLI prints.
fn py_error(e: Error) -> PyErr {
    match e {
        Error::Config { .. } => PyValueError::new_err(e.to_string()),
        Error::Io { .. } | Error::OutputExists { .. } | Error::InputModified { .. } => {
            PyOSError::new_err(e.to_string())
        }
        Error::Interrupted => PyKeyboardInterrupt::new_err("interrupted"),
        Error::Index {
            problem: IndexProblem::Missing,
            ..
        } => PyFileNotFoundError::new_err(e.to_string()),
        Error::Index {
            problem: IndexProblem::Settings | IndexProblem::Exists,
            ..
        } => PyValueError::new_err(e.to_string()),
        _ => PyRuntimeError::new_err(e.to_string()),
    }
}

/// One name among `names`, or a ValueError listing them.
fn choose<T: Copy>(what: &str, given: &str, names: &[(&str, T)]) -> PyResult<T> {
    names
        .iter()
        .find(|(name, _)| *name == given)
        .map(|&(_, value)| value)
        .ok_or_else(|| {
            let valid: Vec<&str> = names.iter().map(|(name, _)| *name).collect();
            PyValueError::new_err(format!(
                "unknown {what} {given:?} (expected one of: {})",
                valid.join(", ")
            ))
        })
}

/// A run's settings, made once and used for any number of runs.
#[pyclass(module = "textdup._textdup", name = "Deduper", frozen)]
struct Deduper {
    config: Config,
    resources: Resources,
    pool: Option<rayon::ThreadPool>,
}

/// Runs `work` with the GIL released, on `pool` when there is one (else
/// on the global pool).
fn detached<T: Send>(
    py: Python<'_>,
    pool: &Option<rayon::ThreadPool>,
    work: impl FnOnce() -> T + Send,
) -> T {
    py.detach(|| match pool {
        Some(pool) => pool.install(work),
        None => work(),
    })
}

/// A pool of `threads` threads, or `None` for the global pool.
fn thread_pool(threads: Option<usize>) -> PyResult<Option<rayon::ThreadPool>> {
    threads
        .map(|n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| PyRuntimeError::new_err(format!("cannot start {n} threads: {e}")))
        })
        .transpose()
}

/// The keep policy named `keep`.
fn keep_of(keep: &str) -> PyResult<Keep> {
    choose(
        "keep policy",
        keep,
        &[
            ("first", Keep::First),
            ("longest", Keep::Longest),
            ("shortest", Keep::Shortest),
        ],
    )
}

/// The corpus of files and folders `paths`, listed as the CLI lists them
/// (standard input copied to `tmp`).
fn open_files(
    py: Python<'_>,
    paths: &[PathBuf],
    text_field: &str,
    id_field: &str,
    tmp: Option<&std::path::Path>,
) -> PyResult<Files> {
    let options = ReadOptions {
        text_field: text_field.to_string(),
        id_field: id_field.to_string(),
        ..ReadOptions::default()
    };
    py.detach(|| Files::open(paths, options, tmp))
        .map_err(py_error)
}

impl Deduper {
    /// Runs `work` with the GIL released, on this deduper's thread pool.
    fn detached<T: Send>(&self, py: Python<'_>, work: impl FnOnce() -> T + Send) -> T {
        detached(py, &self.pool, work)
    }

    /// The corpus of files and folders `paths`, as the CLI reads them.
    fn open_files(
        &self,
        py: Python<'_>,
        paths: &[PathBuf],
        text_field: &str,
        id_field: &str,
    ) -> PyResult<Files> {
        let tmp = self.resources.tmp_dir.as_deref();
        open_files(py, paths, text_field, id_field, tmp)
    }

    /// A run of `level` over `corpus`.
    fn run(
        &self,
        py: Python<'_>,
        corpus: &dyn Corpus,
        level: Level,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Report> {
        self.run_telling(py, corpus, level, &PyProgress::new(progress))
    }

    /// [`run`](Self::run), telling `progress`, which the caller may go
    /// on using.
    fn run_telling(
        &self,
        py: Python<'_>,
        corpus: &dyn Corpus,
        level: Level,
        progress: &PyProgress,
    ) -> PyResult<Report> {
        let config = Config {
            level,
            ..self.config.clone()
        };
        let result = self.detached(py, || run_with(corpus, &config, &self.resources, progress));
        if let Some(err) = progress.take_error() {
            return Err(err);
        }
        result.map_err(py_error)
    }
}

fn level_of(level: &str) -> PyResult<Level> {
    choose(
        "level",
        level,
        &[
            ("document", Level::Document),
            ("passage", Level::Passage),
            ("all", Level::All),
        ],
    )
}

/// Every row of a chunked string column, in order (`None` for a null).
fn rows(chunks: &[Strings]) -> Vec<Option<&str>> {
    chunks
        .iter()
        .flat_map(|chunk| (0..chunk.len()).map(move |i| chunk.get(i)))
        .collect()
}

/// Imports each chunk of a text (or id) column.
fn strings(chunks: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<Strings>> {
    chunks
        .try_iter()?
        .map(|chunk| Strings::of(&import_array(&chunk?)?, what))
        .collect()
}

#[pymethods]
impl Deduper {
    #[new]
    #[pyo3(signature = (
        threshold=0.8, ngram=5, unit="word", num_perm=128, seed=1,
        normalize="nfkc,lowercase,hyphens,punctuation,whitespace", keep="first",
        verify="exact", bands=None, rows=None, passage="line", passage_ngram=3,
        passage_threshold=0.8, min_span=10, boilerplate_min_docs=3, memory=None,
        tmp_dir=None, threads=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        threshold: f64,
        ngram: usize,
        unit: &str,
        num_perm: usize,
        seed: u64,
        normalize: &str,
        keep: &str,
        verify: &str,
        bands: Option<usize>,
        rows: Option<usize>,
        passage: &str,
        passage_ngram: usize,
        passage_threshold: f64,
        min_span: usize,
        boilerplate_min_docs: usize,
        memory: Option<&Bound<'_, PyAny>>,
        tmp_dir: Option<PathBuf>,
        threads: Option<usize>,
    ) -> PyResult<Deduper> {
        let banding = match (bands, rows) {
            (Some(bands), Some(rows)) => Some(Banding { bands, rows }),
            (None, None) => None,
            _ => return Err(PyValueError::new_err("give bands and rows together")),
        };
        let defaults = Config::default();
        let config = Config {
            normalization: Normalization::parse(normalize).map_err(PyValueError::new_err)?,
            shingling: Shingling {
                unit: choose("unit", unit, &[("word", Unit::Word), ("char", Unit::Char)])?,
                n: ngram,
            },
            num_perm,
            seed,
            threshold,
            banding,
            verification: choose(
                "verification",
                verify,
                &[
                    ("exact", Verification::Exact),
                    ("estimate", Verification::Estimate),
                ],
            )?,
            keep: keep_of(keep)?,
            level: Level::Document,
            passage: textdup::PassageConfig {
                unit: choose(
                    "passage unit",
                    passage,
                    &[
                        ("line", PassageUnit::Line),
                        ("paragraph", PassageUnit::Paragraph),
                        ("sentence", PassageUnit::Sentence),
                    ],
                )?,
                ngram: passage_ngram,
                threshold: passage_threshold,
                min_span,
                boilerplate_min_docs,
                ..defaults.passage
            },
        };
        config.validate().map_err(py_error)?;
        let memory = match memory {
            None => None,
            Some(m) => Some(match m.extract::<u64>() {
                Ok(bytes) => bytes,
                Err(_) => parse_size(&m.extract::<String>()?).map_err(PyValueError::new_err)?,
            }),
        };
        let resources = Resources {
            memory,
            tmp_dir,
            ..Resources::default()
        };
        resources.validate().map_err(py_error)?;
        let pool = thread_pool(threads)?;
        Ok(Deduper {
            config,
            resources,
            pool,
        })
    }

    /// The bands and rows this deduper's LSH uses.
    fn banding(&self) -> (usize, usize) {
        let b = self.config.banding();
        (b.bands, b.rows)
    }

    /// Runs over Arrow chunks of texts (and of ids, chunked alike).
    #[pyo3(signature = (texts, ids=None, level="document", progress=None))]
    fn scan_arrow(
        &self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
        ids: Option<&Bound<'_, PyAny>>,
        level: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Scan> {
        let level = level_of(level)?;
        let ids = ids.map(|ids| strings(ids, "id")).transpose()?;
        let corpus = ArrowCorpus::new(strings(texts, "text")?, ids)?;
        let report = self.run(py, &corpus, level, progress)?;
        Ok(Scan {
            rows: Some(corpus.rows()),
            texts: Some(corpus),
            report,
        })
    }

    /// Runs over a Python sequence of texts, or of (id, text) pairs: each
    /// text is copied once, into an Arrow buffer; an item that is not a
    /// string (None, a number) is a skipped row.
    #[pyo3(signature = (items, level="document", progress=None))]
    fn scan_items(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        level: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Scan> {
        let level = level_of(level)?;
        let (texts, ids) = arrow::from_items(items)?;
        let corpus = ArrowCorpus::new(vec![texts], ids.map(|ids| vec![ids]))?;
        let report = self.run(py, &corpus, level, progress)?;
        Ok(Scan {
            rows: Some(corpus.rows()),
            texts: Some(corpus),
            report,
        })
    }

    /// Runs over files and folders, read as the CLI reads them.
    #[pyo3(signature = (paths, text_field="text", id_field="id", level="document", progress=None))]
    fn scan_paths(
        &self,
        py: Python<'_>,
        paths: Vec<PathBuf>,
        text_field: &str,
        id_field: &str,
        level: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Scan> {
        let level = level_of(level)?;
        let files = self.open_files(py, &paths, text_field, id_field)?;
        let report = self.run(py, &files, level, progress)?;
        Ok(Scan {
            rows: None,
            texts: None,
            report,
        })
    }

    /// Writes the cleaned corpus of files and folders to `output` (and the
    /// removed list beside it, `OUTPUT.removed.jsonl`), as the CLI's
    /// `dedup` does: committed together, an existing output replaced only
    /// when `force`. Returns the scan.
    #[pyo3(signature = (paths, output, text_field="text", id_field="id", level="document", force=false, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn dedup_paths(
        &self,
        py: Python<'_>,
        paths: Vec<PathBuf>,
        output: PathBuf,
        text_field: &str,
        id_field: &str,
        level: &str,
        force: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Scan> {
        let level = level_of(level)?;
        let files = self.open_files(py, &paths, text_field, id_field)?;
        let existing = if force {
            Existing::Replace
        } else {
            Existing::Refuse
        };
        let mut name = output.file_name().unwrap_or_default().to_os_string();
        name.push(".removed.jsonl");
        let removed = output.with_file_name(name);
        check_distinct(&[&output, &removed]).map_err(py_error)?;
        for out in [&output, &removed] {
            check_output(files.roots(), out, existing).map_err(py_error)?;
        }
        check_output_name(&files, &output).map_err(py_error)?;
        // The same callback hears of the writing: on a large corpus it
        // takes as long as a stage of the run.
        let progress = PyProgress::new(progress);
        let report = self.run_telling(py, &files, level, &progress)?;
        let config = Config {
            level,
            ..self.config.clone()
        };
        let written = self.detached(py, || -> textdup::Result<()> {
            let cleaning = Cleaning::plan(&report, &config);
            let mut commit = Commit::new(existing);
            let written =
                write_corpus(&files, &report, &cleaning, &output, &mut commit, &progress)?;
            commit.write(&removed, |out| {
                write_removed(&report, &cleaning, &written.cuts, out)
            })?;
            drop(commit.commit(|| files.check_unchanged())?);
            Ok(())
        });
        // An exception in the callback stopped the writing: it, not the
        // interruption it caused, is what the caller sees.
        if let Some(err) = progress.take_error() {
            return Err(err);
        }
        written.map_err(py_error)?;
        Ok(Scan {
            rows: None,
            texts: None,
            report,
        })
    }

    /// Band keys and exact-text hashes of Arrow chunks of texts.
    fn sketch_arrow(&self, py: Python<'_>, texts: &Bound<'_, PyAny>) -> PyResult<ArrowBatch> {
        let sketcher = Sketcher::new(&self.config).map_err(py_error)?;
        let bands = sketcher.banding().bands;
        let texts = strings(texts, "text")?;
        let sketches = self.detached(py, || {
            let texts: Vec<&str> = rows(&texts)
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect();
            sketcher.sketch_all(&texts)
        });
        let width = i32::try_from(bands).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let mut exact = FixedSizeBinaryBuilder::with_capacity(sketches.len(), 16);
        let mut keys = FixedSizeListBuilder::new(UInt64Builder::new(), width);
        for sketch in &sketches {
            match sketch.exact {
                Some(hash) => {
                    exact
                        .append_value(hash.to_le_bytes())
                        .map_err(|e| PyValueError::new_err(e.to_string()))?;
                    keys.values().append_slice(&sketch.band_keys);
                    keys.append(true);
                }
                None => {
                    exact.append_null();
                    for _ in 0..bands {
                        keys.values().append_null();
                    }
                    keys.append(false);
                }
            }
        }
        batch(vec![
            ("exact", column(exact.finish())),
            ("band_keys", column(keys.finish())),
        ])
    }

    /// The exact shingle sets (sorted 32-bit hashes) of Arrow chunks of texts.
    fn shingles_arrow(&self, py: Python<'_>, texts: &Bound<'_, PyAny>) -> PyResult<ArrowBatch> {
        let sketcher = Sketcher::new(&self.config).map_err(py_error)?;
        let texts = strings(texts, "text")?;
        let sets = self.detached(py, || {
            use rayon::prelude::*;
            rows(&texts)
                .par_iter()
                .map(|text| text.map(|t| sketcher.shingles(t)))
                .collect::<Vec<_>>()
        });
        let mut out = ListBuilder::new(UInt32Builder::new());
        for set in &sets {
            match set {
                Some(set) => {
                    out.values().append_slice(set.hashes());
                    out.append(true);
                }
                None => out.append(false),
            }
        }
        batch(vec![("shingles", column(out.finish()))])
    }

    /// Exact Jaccard similarities of aligned Arrow chunks of text pairs.
    fn similarity_arrow(
        &self,
        py: Python<'_>,
        a: &Bound<'_, PyAny>,
        b: &Bound<'_, PyAny>,
    ) -> PyResult<ArrowBatch> {
        let sketcher = Sketcher::new(&self.config).map_err(py_error)?;
        let (a, b) = (strings(a, "first text")?, strings(b, "second text")?);
        let (a, b) = (rows(&a), rows(&b));
        aligned(a.len(), b.len())?;
        let scores = self.detached(py, || {
            use rayon::prelude::*;
            a.par_iter()
                .zip(&b)
                .map(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => Some(sketcher.similarity(a, b)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        });
        let mut out = Float64Builder::with_capacity(scores.len());
        out.extend(scores);
        batch(vec![("similarity", column(out.finish()))])
    }
}

/// What a scan found.
#[pyclass(module = "textdup._textdup", name = "Scan", frozen)]
struct Scan {
    report: Report,
    /// Input rows (skipped ones included) for an Arrow input.
    rows: Option<usize>,
    texts: Option<ArrowCorpus>,
}

impl Scan {
    /// The row of a document: its input row for Arrow input, its place
    /// among the documents read otherwise.
    fn row(&self, doc: DocId) -> u64 {
        match self.rows {
            Some(_) => self.report.origin(doc).line - 1,
            None => doc.index() as u64,
        }
    }
}

#[pymethods]
impl Scan {
    /// One row per clustered document: cluster, id, row, similarity to
    /// the kept member, kept.
    fn clusters(&self) -> PyResult<ArrowBatch> {
        let (mut cluster, mut id, mut row) = (
            UInt32Builder::new(),
            StringBuilder::new(),
            UInt64Builder::new(),
        );
        let (mut similarity, mut kept) = (Float64Builder::new(), BooleanBuilder::new());
        for c in self.report.clusters() {
            for m in &c.members {
                cluster.append_value(c.id.0);
                id.append_value(self.report.id(m.doc));
                row.append_value(self.row(m.doc));
                similarity.append_value(m.similarity);
                kept.append_value(m.kept);
            }
        }
        batch(vec![
            ("cluster", column(cluster.finish())),
            ("id", column(id.finish())),
            ("row", column(row.finish())),
            ("similarity", column(similarity.finish())),
            ("kept", column(kept.finish())),
        ])
    }

    /// True for every row to keep: all but the removed duplicates (rows
    /// that were skipped are kept; they are no one's duplicate).
    fn keep(&self) -> PyResult<ArrowBatch> {
        let rows = self.rows.unwrap_or(self.report.documents());
        let mut keep = vec![true; rows];
        for removal in self.report.removed() {
            keep[self.row(removal.doc) as usize] = false;
        }
        let keep: ArrayRef = column(BooleanArray::from(keep));
        batch(vec![("keep", keep)])
    }

    /// The summary as JSON, as the CLI's `--format json` writes it.
    fn summary_json(&self) -> PyResult<String> {
        let mut out = Vec::new();
        write_summary(&self.report, &mut out).map_err(|e| PyOSError::new_err(e.to_string()))?;
        String::from_utf8(out).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    /// The cluster lines the CLI's `--clusters` file holds.
    fn cluster_lines(&self) -> PyResult<String> {
        let mut out = Vec::new();
        write_clusters(&self.report, &mut out).map_err(|e| PyOSError::new_err(e.to_string()))?;
        String::from_utf8(out).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    /// One row per member of a passage or span cluster: id, row, byte
    /// offsets (and, for Arrow input, character offsets) into the original
    /// text, the text, cluster, level, match and similarity.
    fn passages(&self) -> PyResult<ArrowBatch> {
        let mut t = PieceTable::default();
        for c in self.report.passage_clusters() {
            for m in &c.members {
                t.push(
                    self,
                    m.doc,
                    m.span,
                    c.id,
                    "passage",
                    m.kind.name(),
                    m.similarity,
                );
            }
        }
        for c in self.report.span_clusters() {
            for m in &c.members {
                t.push(self, m.doc, m.span, c.id, "span", "exact", 1.0);
            }
        }
        t.finish()
    }
}

/// The columns of [`Scan::passages`], filled row by row.
#[derive(Default)]
struct PieceTable {
    id: StringBuilder,
    row: UInt64Builder,
    start: UInt64Builder,
    end: UInt64Builder,
    char_start: UInt64Builder,
    char_end: UInt64Builder,
    text: StringBuilder,
    cluster: UInt32Builder,
    level: StringBuilder,
    kind: StringBuilder,
    similarity: Float64Builder,
}

impl PieceTable {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        scan: &Scan,
        doc: DocId,
        span: textdup::Span,
        cluster: u32,
        level: &str,
        kind: &str,
        similarity: f64,
    ) {
        let report = &scan.report;
        self.id.append_value(report.id(doc));
        let row = scan.row(doc);
        self.row.append_value(row);
        self.start.append_value(span.start as u64);
        self.end.append_value(span.end as u64);
        match scan.texts.as_ref().and_then(|t| t.text(row as usize)) {
            Some(text) => {
                let start = text[..span.start].chars().count();
                let len = text[span.start..span.end].chars().count();
                self.char_start.append_value(start as u64);
                self.char_end.append_value((start + len) as u64);
            }
            None => {
                self.char_start.append_null();
                self.char_end.append_null();
            }
        }
        self.text.append_value(report.member_text(doc, span));
        self.cluster.append_value(cluster);
        self.level.append_value(level);
        self.kind.append_value(kind);
        self.similarity.append_value(similarity);
    }

    fn finish(mut self) -> PyResult<ArrowBatch> {
        batch(vec![
            ("id", column(self.id.finish())),
            ("row", column(self.row.finish())),
            ("start", column(self.start.finish())),
            ("end", column(self.end.finish())),
            ("char_start", column(self.char_start.finish())),
            ("char_end", column(self.char_end.finish())),
            ("text", column(self.text.finish())),
            ("cluster", column(self.cluster.finish())),
            ("level", column(self.level.finish())),
            ("match", column(self.kind.finish())),
            ("similarity", column(self.similarity.finish())),
        ])
    }
}

/// The bands and rows the library picks for `threshold` and `num_perm`.
#[pyfunction]
fn banding(threshold: f64, num_perm: usize) -> PyResult<(usize, usize)> {
    let config = Config {
        threshold,
        num_perm,
        ..Config::default()
    };
    config.validate().map_err(py_error)?;
    let b = config.banding();
    Ok((b.bands, b.rows))
}

/// The sets of a list column of 32-bit shingle hashes, row by row (a
/// null row is `None`); signed or unsigned, as engines without unsigned
/// types (Spark) store them.
fn sets_of(array: &ArrayRef, what: &str) -> PyResult<Vec<Option<Vec<u32>>>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int32Type, UInt32Type};
    use arrow_schema::DataType;
    let rows = |at: usize| -> Option<ArrayRef> {
        if array.is_null(at) {
            return None;
        }
        match array.data_type() {
            DataType::List(_) => Some(array.as_list::<i32>().value(at)),
            DataType::LargeList(_) => Some(array.as_list::<i64>().value(at)),
            _ => None,
        }
    };
    // Packed: each set's hashes as little-endian bytes (engines whose
    // joins cannot carry list columns, Ray's).
    if let Some(packed) = array.as_binary_opt::<i32>() {
        return unpack(packed.iter(), what);
    }
    if let Some(packed) = array.as_binary_opt::<i64>() {
        return unpack(packed.iter(), what);
    }
    if !matches!(
        array.data_type(),
        DataType::List(_) | DataType::LargeList(_)
    ) {
        return Err(PyValueError::new_err(format!(
            "{what}: expected a list of 32-bit shingle hashes, got {}",
            array.data_type()
        )));
    }
    (0..array.len())
        .map(|at| {
            let Some(values) = rows(at) else {
                return Ok(None);
            };
            let hashes: Vec<u32> = match values.data_type() {
                DataType::UInt32 => values.as_primitive::<UInt32Type>().values().to_vec(),
                // The same bits: Spark's IntegerType holds them signed.
                DataType::Int32 => values
                    .as_primitive::<Int32Type>()
                    .values()
                    .iter()
                    .map(|&h| h as u32)
                    .collect(),
                other => {
                    return Err(PyValueError::new_err(format!(
                        "{what}: expected 32-bit shingle hashes, got lists of {other}"
                    )))
                }
            };
            Ok(Some(hashes))
        })
        .collect()
}

/// Sets packed as little-endian bytes, four per hash.
fn unpack<'a>(
    rows: impl Iterator<Item = Option<&'a [u8]>>,
    what: &str,
) -> PyResult<Vec<Option<Vec<u32>>>> {
    rows.map(|bytes| {
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        if bytes.len() % 4 != 0 {
            return Err(PyValueError::new_err(format!(
                "{what}: packed sets must be whole 4-byte hashes, got {} bytes",
                bytes.len()
            )));
        }
        Ok(Some(
            bytes
                .chunks_exact(4)
                .map(|h| u32::from_le_bytes([h[0], h[1], h[2], h[3]]))
                .collect(),
        ))
    })
    .collect()
}

/// Exact Jaccard similarities of aligned shingle sets (as `shingles_arrow`
/// gives them): what verification computes from the texts, without
/// normalizing and shingling them again. Null where either set is null.
#[pyfunction]
fn jaccard_arrow(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
) -> PyResult<ArrowBatch> {
    let (a, b) = (
        sets_of(&import_array(a)?, "first sets")?,
        sets_of(&import_array(b)?, "second sets")?,
    );
    aligned(a.len(), b.len())?;
    let scores: Vec<Option<f64>> = py.detach(|| {
        use rayon::prelude::*;
        a.into_par_iter()
            .zip(b)
            .map(|pair| match pair {
                (Some(a), Some(b)) => {
                    let (a, b) = (ShingleSet::from_low_bits(a), ShingleSet::from_low_bits(b));
                    Some(a.jaccard(&b))
                }
                _ => None,
            })
            .collect()
    });
    let mut out = Float64Builder::with_capacity(scores.len());
    out.extend(scores);
    batch(vec![("similarity", column(out.finish()))])
}

/// Candidate pairs of the buckets that the aligned columns `band`, `key`
/// and `order` hold (one row per unit and band; rows in any order), each
/// bucket paired as a run pairs it ([`textdup::bucket_pairs`]): columns
/// `a` < `b`, sorted, without repeats.
#[pyfunction]
fn bucket_pairs_arrow(
    py: Python<'_>,
    band: &Bound<'_, PyAny>,
    key: &Bound<'_, PyAny>,
    order: &Bound<'_, PyAny>,
) -> PyResult<ArrowBatch> {
    use arrow_array::Int64Array;
    let columns = [
        int64s(&import_array(band)?, "band")?,
        int64s(&import_array(key)?, "key")?,
        int64s(&import_array(order)?, "order")?,
    ];
    let [band, key, order] = &columns;
    if band.len() != key.len() || key.len() != order.len() {
        return Err(PyValueError::new_err(
            "band, key and order differ in length",
        ));
    }
    let pairs = py.detach(|| {
        let mut rows: Vec<(i64, i64, i64)> = (0..band.len())
            .map(|i| (band[i], key[i], order[i]))
            .collect();
        rows.sort_unstable();
        let mut pairs = Vec::new();
        let mut bucket = Vec::new();
        for run in rows.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
            bucket.clear();
            bucket.extend(run.iter().map(|r| r.2));
            bucket.dedup();
            textdup::bucket_pairs(&bucket, &mut pairs);
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    });
    batch(vec![
        (
            "a",
            column(pairs.iter().map(|p| p.first).collect::<Int64Array>()),
        ),
        (
            "b",
            column(pairs.iter().map(|p| p.second).collect::<Int64Array>()),
        ),
    ])
}

/// Fails unless two aligned columns have as many rows.
fn aligned(a: usize, b: usize) -> PyResult<()> {
    if a == b {
        return Ok(());
    }
    Err(PyValueError::new_err(format!(
        "the two columns have {a} and {b} rows"
    )))
}

/// The values of a 64-bit integer column without nulls.
fn int64s(array: &ArrayRef, what: &str) -> PyResult<Vec<i64>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    if array.data_type() != &arrow_schema::DataType::Int64 || array.null_count() > 0 {
        return Err(PyValueError::new_err(format!(
            "{what}: expected 64-bit integers without nulls, got {}",
            array.data_type()
        )));
    }
    Ok(array.as_primitive::<Int64Type>().values().to_vec())
}

/// Connected components of the graph whose edges are the aligned rows of
/// two integer columns: per node, the least node of its component (its
/// root). Union-find in one process, for engines that gather the verified
/// pairs on one worker (Ray); nodes come out in ascending order.
#[pyfunction]
fn components_arrow(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
) -> PyResult<ArrowBatch> {
    use arrow_array::Int64Array;
    let (a, b) = (
        int64s(&import_array(a)?, "first nodes")?,
        int64s(&import_array(b)?, "second nodes")?,
    );
    aligned(a.len(), b.len())?;
    let (nodes, roots) = py.detach(|| -> PyResult<(Vec<i64>, Vec<i64>)> {
        let mut nodes: Vec<i64> = a.iter().chain(b.iter()).copied().collect();
        nodes.sort_unstable();
        nodes.dedup();
        let n = nodes.len();
        if u32::try_from(n).is_err() {
            return Err(PyValueError::new_err("more than 2^32 nodes"));
        }
        // Every node is in `nodes`: the search always finds it.
        let index = |x: i64| DocId::at(nodes.binary_search(&x).unwrap_or_default());
        let edges = a.iter().zip(&b).map(|(&x, &y)| (index(x), index(y)));
        let groups = textdup::components(n, edges);
        let mut out = Vec::with_capacity(n);
        for group in &groups {
            let root = nodes[group[0].index()];
            out.extend(group.iter().map(|d| (nodes[d.index()], root)));
        }
        out.sort_unstable();
        Ok(out.into_iter().unzip())
    })?;
    batch(vec![
        ("node", column(Int64Array::from(nodes))),
        ("root", column(Int64Array::from(roots))),
    ])
}

#[pymodule]
fn _textdup(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Deduper>()?;
    m.add_class::<Scan>()?;
    m.add_class::<ArrowBatch>()?;
    m.add_class::<index::PyIndex>()?;
    m.add_class::<index::IndexQuery>()?;
    m.add_function(wrap_pyfunction!(banding, m)?)?;
    m.add_function(wrap_pyfunction!(jaccard_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(components_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(bucket_pairs_arrow, m)?)?;
    m.add("HASH_SCHEME", textdup::HASH_SCHEME)?;
    m.add("BUCKET_ALL_PAIRS", textdup::BUCKET_ALL_PAIRS)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
