//! `textdup._textdup.Index`: the persistent index from Python. Each call
//! opens the index afresh (reading its manifest and segment footers, a
//! small fraction of it), so a Python object never holds a stale view or
//! the writer's lock between calls.

use std::path::PathBuf;

use arrow_array::builder::{BooleanBuilder, Float64Builder, StringBuilder, UInt64Builder};
use arrow_array::ArrayRef;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use textdup::index::{write_matches, AddOptions, Index, IndexWriter, Kept, Matches, Settings};
use textdup::output::{check_distinct, check_output, Commit, Existing};
use textdup::write::{check_output_name, write_corpus, Cleaning};
use textdup::{Config, Corpus, DocId, Files, Resources};

use crate::arrow::{batch, column, from_items, ArrowBatch, ArrowCorpus};
use crate::progress::PyProgress;
use crate::{detached, keep_of, open_files, py_error, strings, thread_pool, Deduper};

/// An index on disk.
#[pyclass(module = "textdup._textdup", name = "Index", frozen)]
pub struct PyIndex {
    path: PathBuf,
    resources: Resources,
    pool: Option<rayon::ThreadPool>,
}

/// The caller's data as a corpus: the Python `_Input`'s paths, items or
/// Arrow chunks.
enum Source {
    Files(Files),
    Arrow(ArrowCorpus),
}

impl Source {
    fn corpus(&self) -> &dyn Corpus {
        match self {
            Source::Files(files) => files,
            Source::Arrow(corpus) => corpus,
        }
    }

    /// The input row of a document: its row for Arrow input, its place
    /// among the documents read for files.
    fn row(&self, matches: &Matches, doc: DocId) -> u64 {
        match self {
            Source::Files(_) => doc.index() as u64,
            Source::Arrow(_) => matches.origin(doc).line - 1,
        }
    }

    fn rows(&self, matches: &Matches) -> usize {
        match self {
            Source::Files(_) => matches.documents(),
            Source::Arrow(corpus) => corpus.rows(),
        }
    }
}

impl PyIndex {
    fn detached<T: Send>(&self, py: Python<'_>, work: impl FnOnce() -> T + Send) -> T {
        detached(py, &self.pool, work)
    }

    fn open(&self, py: Python<'_>) -> PyResult<Index> {
        py.detach(|| Index::open(&self.path)).map_err(py_error)
    }

    /// Reads the Python `_Input` `source` into a corpus.
    fn source(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        text_field: &str,
        id_field: &str,
    ) -> PyResult<Source> {
        let paths: Option<Vec<PathBuf>> = source.getattr("paths")?.extract()?;
        if let Some(paths) = paths {
            let tmp = self.resources.tmp_dir.as_deref();
            let files = open_files(py, &paths, text_field, id_field, tmp)?;
            return Ok(Source::Files(files));
        }
        let items = source.getattr("items")?;
        if !items.is_none() {
            let (texts, ids) = from_items(&items)?;
            return Ok(Source::Arrow(ArrowCorpus::new(
                vec![texts],
                ids.map(|ids| vec![ids]),
            )?));
        }
        let texts = strings(&source.getattr("texts")?, "text")?;
        let ids = source.getattr("ids")?;
        let ids = if ids.is_none() {
            None
        } else {
            Some(strings(&ids, "id")?)
        };
        Ok(Source::Arrow(ArrowCorpus::new(texts, ids)?))
    }

    /// The configuration of a query: `deduper`'s, which must fit the
    /// index, or the index's own.
    fn config(index: &Index, deduper: Option<&Deduper>) -> PyResult<Config> {
        match deduper {
            Some(d) => {
                index.check(&d.config).map_err(py_error)?;
                Ok(d.config.clone())
            }
            None => index.config(&Config::default()).map_err(py_error),
        }
    }
}

#[pymethods]
impl PyIndex {
    /// Opens the index at `path`, or makes an empty one there with
    /// `deduper`'s settings (and `spans`) when nothing is there.
    #[new]
    #[pyo3(signature = (path, deduper=None, spans=None, tmp_dir=None, threads=None))]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        deduper: Option<PyRef<'_, Deduper>>,
        spans: Option<u32>,
        tmp_dir: Option<PathBuf>,
        threads: Option<usize>,
    ) -> PyResult<PyIndex> {
        let pool = thread_pool(threads)?;
        let config = deduper
            .as_ref()
            .map_or_else(Config::default, |d| d.config.clone());
        if path.join("manifest.json").exists() {
            let index = py.detach(|| Index::open(&path)).map_err(py_error)?;
            if deduper.is_some() {
                index.check(&config).map_err(py_error)?;
            }
            if spans.is_some() && spans != index.settings().spans {
                return Err(PyValueError::new_err(format!(
                    "{}: the index holds {}, not {}-word windows",
                    path.display(),
                    index
                        .settings()
                        .spans
                        .map_or("no span windows".to_string(), |k| format!(
                            "{k}-word windows"
                        )),
                    spans.unwrap_or(0)
                )));
            }
        } else {
            let settings = Settings {
                spans,
                ..Settings::of(&config)
            };
            py.detach(|| IndexWriter::create(&path, &settings).map(drop))
                .map_err(py_error)?;
        }
        Ok(PyIndex {
            path,
            resources: Resources {
                tmp_dir,
                ..Resources::default()
            },
            pool,
        })
    }

    /// The index's folder.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Counts, sizes and settings, as `textdup index stats --json` prints them.
    fn stats_json(&self, py: Python<'_>) -> PyResult<String> {
        let index = self.open(py)?;
        serde_json::to_string(&index.stats()).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    /// Adds the source's documents; returns what was done, as JSON.
    #[pyo3(signature = (source, text_field="text", id_field="id", all=false, keep="first", progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn add(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        text_field: &str,
        id_field: &str,
        all: bool,
        keep: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<String> {
        let keep = keep_of(keep)?;
        let source = self.source(py, source, text_field, id_field)?;
        let progress = PyProgress::new(progress);
        let options = AddOptions { all, keep };
        let added = self.detached(py, || -> textdup::Result<_> {
            let mut writer = IndexWriter::open(&self.path)?;
            writer.add(source.corpus(), &options, &self.resources, &progress)
        });
        if let Some(err) = progress.take_error() {
            return Err(err);
        }
        let added = added.map_err(py_error)?;
        let s = &added.summary;
        Ok(serde_json::json!({
            "read": s.documents,
            "skipped": s.skipped,
            "indexed": added.indexed,
            "duplicates_of_index": s.removed_by_index,
            "duplicates_within": s.removed_within,
            "documents": added.total,
            "segment": added.segment,
            "seconds": (s.elapsed + added.write_time).as_secs_f64(),
        })
        .to_string())
    }

    /// Matches the source against the index (span windows with
    /// `spans=True`), with `deduper`'s settings (which must be the
    /// index's) or the index's own. With `output` (paths only), also
    /// writes the cleaned corpus there and the matches beside it, as
    /// `dedup --against` does.
    #[pyo3(signature = (source, text_field="text", id_field="id", deduper=None, spans=false, output=None, force=false, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn query(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        text_field: &str,
        id_field: &str,
        deduper: Option<PyRef<'_, Deduper>>,
        spans: bool,
        output: Option<PathBuf>,
        force: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<IndexQuery> {
        let index = self.open(py)?;
        let config = Self::config(&index, deduper.as_deref())?;
        let source = self.source(py, source, text_field, id_field)?;
        let existing = if force {
            Existing::Replace
        } else {
            Existing::Refuse
        };
        let removed_list = output.as_ref().map(|output| {
            let mut name = output.file_name().unwrap_or_default().to_os_string();
            name.push(".removed.jsonl");
            output.with_file_name(name)
        });
        if let (Some(output), Some(removed)) = (&output, &removed_list) {
            let Source::Files(files) = &source else {
                return Err(PyValueError::new_err(
                    "output= is for files and folders; other data comes back filtered",
                ));
            };
            check_distinct(&[output, removed]).map_err(py_error)?;
            for out in [output, removed] {
                check_output(files.roots(), out, existing).map_err(py_error)?;
            }
            check_output_name(files, output).map_err(py_error)?;
        }
        let progress = PyProgress::new(progress);
        let matches = self.detached(py, || {
            if spans {
                index.spans(source.corpus(), &config, &progress)
            } else {
                index.query_with(source.corpus(), &config, &self.resources, &progress)
            }
        });
        if let Some(err) = progress.take_error() {
            return Err(err);
        }
        let matches = matches.map_err(py_error)?;
        if let (Some(output), Some(removed), Source::Files(files)) =
            (&output, &removed_list, &source)
        {
            let written = self.detached(py, || -> textdup::Result<()> {
                let report = matches.report();
                let cleaning = Cleaning {
                    documents: matches.removed(),
                    ..Cleaning::default()
                };
                let mut commit = Commit::new(existing);
                write_corpus(files, &report, &cleaning, output, &mut commit, &progress)?;
                commit.write(removed, |out| write_matches(&matches, out))?;
                drop(commit.commit(|| files.check_unchanged())?);
                Ok(())
            });
            // An exception in the callback stopped the writing: it, not
            // the interruption it caused, is what the caller sees.
            if let Some(err) = progress.take_error() {
                return Err(err);
            }
            written.map_err(py_error)?;
        }
        Ok(IndexQuery { matches, source })
    }

    /// Merges the segments into one; returns what was done, as JSON.
    #[pyo3(signature = (progress=None))]
    fn compact(&self, py: Python<'_>, progress: Option<Py<PyAny>>) -> PyResult<String> {
        let progress = PyProgress::new(progress);
        let done = self.detached(py, || IndexWriter::open(&self.path)?.compact(&progress));
        if let Some(err) = progress.take_error() {
            return Err(err);
        }
        let done = done.map_err(py_error)?;
        Ok(serde_json::json!({
            "segments_before": done.before,
            "segments_after": done.after,
            "documents": done.documents,
            "bytes_before": done.bytes.0,
            "bytes_after": done.bytes.1,
        })
        .to_string())
    }

    /// Checks every block against its checksum; returns what was checked, as JSON.
    #[pyo3(signature = (progress=None))]
    fn verify(&self, py: Python<'_>, progress: Option<Py<PyAny>>) -> PyResult<String> {
        let index = self.open(py)?;
        let progress = PyProgress::new(progress);
        let verified = self.detached(py, || index.verify(&progress));
        if let Some(err) = progress.take_error() {
            return Err(err);
        }
        let verified = verified.map_err(py_error)?;
        Ok(serde_json::json!({
            "segments": verified.segments,
            "documents": verified.documents,
            "bytes": verified.bytes,
        })
        .to_string())
    }
}

/// What a query found.
#[pyclass(module = "textdup._textdup", name = "IndexQuery", frozen)]
pub struct IndexQuery {
    matches: Matches,
    source: Source,
}

#[pymethods]
impl IndexQuery {
    /// One row per matched document: id, row, then for documents the kept
    /// id, where it is kept (index or input) and the similarity; for span
    /// windows the bytes of the window, its text, and the indexed id.
    fn matches(&self) -> PyResult<ArrowBatch> {
        let m = &self.matches;
        let (mut id, mut row, mut kept, mut kept_in) = (
            StringBuilder::new(),
            UInt64Builder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
        );
        let mut similarity = Float64Builder::new();
        let (mut start, mut end, mut text) = (
            UInt64Builder::new(),
            UInt64Builder::new(),
            StringBuilder::new(),
        );
        for found in m.matches() {
            id.append_value(m.id(found.doc));
            row.append_value(self.source.row(m, found.doc));
            match &found.kept {
                Kept::Indexed(k) => {
                    kept.append_value(k);
                    kept_in.append_value("index");
                }
                Kept::Input(doc) => {
                    kept.append_value(m.id(*doc));
                    kept_in.append_value("input");
                }
            }
            similarity.append_value(found.similarity);
            start.append_null();
            end.append_null();
            text.append_null();
        }
        for found in m.spans() {
            id.append_value(m.id(found.doc));
            row.append_value(self.source.row(m, found.doc));
            kept.append_value(&found.indexed);
            kept_in.append_value("index");
            similarity.append_null();
            start.append_value(found.span.start as u64);
            end.append_value(found.span.end as u64);
            text.append_value(&found.text);
        }
        batch(vec![
            ("id", column(id.finish())),
            ("row", column(row.finish())),
            ("kept", column(kept.finish())),
            ("kept_in", column(kept_in.finish())),
            ("similarity", column(similarity.finish())),
            ("start", column(start.finish())),
            ("end", column(end.finish())),
            ("text", column(text.finish())),
        ])
    }

    /// True for every input row to keep.
    fn keep(&self) -> PyResult<ArrowBatch> {
        let rows = self.source.rows(&self.matches);
        let mut keep = vec![true; rows];
        for doc in self.matches.removed() {
            keep[self.source.row(&self.matches, doc) as usize] = false;
        }
        let mut out = BooleanBuilder::with_capacity(rows);
        out.append_slice(&keep);
        let keep: ArrayRef = column(out.finish());
        batch(vec![("keep", keep)])
    }

    /// The counts, as JSON.
    fn summary_json(&self) -> PyResult<String> {
        let s = self.matches.summary();
        Ok(serde_json::json!({
            "read": s.documents + s.skipped,
            "documents": s.documents,
            "skipped": s.skipped,
            "removed": s.removed_by_index + s.removed_within,
            "removed_by_index": s.removed_by_index,
            "removed_within": s.removed_within,
            "kept": s.kept,
            "indexed": s.indexed,
            "candidate_pairs": s.candidate_pairs,
            "seconds": s.elapsed.as_secs_f64(),
            "stages": s
                .stages
                .iter()
                .map(|t| serde_json::json!({"stage": t.stage.name(), "seconds": t.elapsed.as_secs_f64()}))
                .collect::<Vec<_>>(),
        })
        .to_string())
    }

    /// The JSON Lines `scan --against` prints.
    fn lines(&self) -> PyResult<String> {
        let mut out = Vec::new();
        write_matches(&self.matches, &mut out).map_err(|e| PyOSError::new_err(e.to_string()))?;
        String::from_utf8(out).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }
}
