//! Parquet in and out: rows as documents, every column kept by `dedup`.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, StructArray,
};
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::common::{json_lines, planted_corpus, textdup};

/// A row of the test files: an id, a text, a nested struct with a URL and
/// a body, and a score; `None` makes the struct null.
pub(crate) struct Row {
    id: i64,
    text: Option<String>,
    url: Option<String>,
    score: f64,
}

fn schema() -> Arc<Schema> {
    let meta = Fields::from(vec![
        Field::new("url", DataType::Utf8, true),
        Field::new("body", DataType::Utf8, true),
    ]);
    Arc::new(
        Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("text", DataType::Utf8, true),
            Field::new("meta", DataType::Struct(meta), true),
            Field::new("score", DataType::Float64, false),
        ])
        .with_metadata([("origin".to_string(), "textdup tests".to_string())].into()),
    )
}

/// Writes `rows` to `path`, Zstandard-compressed, `group` rows a row group.
pub(crate) fn write_parquet(path: &Path, rows: &[Row], group: usize) {
    let schema = schema();
    let DataType::Struct(meta_fields) = schema.field(2).data_type().clone() else {
        unreachable!()
    };
    let texts: Vec<Option<&str>> = rows.iter().map(|r| r.text.as_deref()).collect();
    let urls: Vec<Option<&str>> = rows.iter().map(|r| r.url.as_deref()).collect();
    let meta = StructArray::try_new(
        meta_fields,
        vec![
            Arc::new(StringArray::from(urls.clone())) as ArrayRef,
            Arc::new(StringArray::from(texts.clone())),
        ],
        Some(urls.iter().map(Option::is_some).collect::<Vec<_>>().into()),
    )
    .unwrap();
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.id))),
            Arc::new(StringArray::from(texts)),
            Arc::new(meta),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.score))),
        ],
    )
    .unwrap();
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_size(group)
        .build();
    let mut writer =
        ArrowWriter::try_new(File::create(path).unwrap(), schema, Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// Every row of a Parquet file, one batch, with the file's row group
/// sizes and first column's codec.
fn read_parquet(path: &Path) -> (RecordBatch, Vec<i64>, Compression) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let groups = builder
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.num_rows())
        .collect();
    let codec = builder.metadata().row_group(0).column(0).compression();
    let schema = Arc::clone(builder.schema());
    let batches: Vec<RecordBatch> = builder.build().unwrap().collect::<Result<_, _>>().unwrap();
    (
        arrow_select::concat::concat_batches(&schema, &batches).unwrap(),
        groups,
        codec,
    )
}

/// Rows of planted near-duplicates, with every tenth row's struct null.
pub(crate) fn planted_rows(count: usize) -> Vec<Row> {
    planted_corpus(9, count, 3, 0.3)
        .into_iter()
        .enumerate()
        .map(|(i, (_, text))| Row {
            id: 1000 + i as i64,
            text: Some(text),
            url: (i % 10 != 3).then(|| format!("https://example.org/{i}")),
            score: i as f64 / 4.0,
        })
        .collect()
}

fn ids(batch: &RecordBatch) -> Vec<i64> {
    let ids = batch.column_by_name("id").unwrap();
    let ids = ids.as_any().downcast_ref::<Int64Array>().unwrap();
    ids.values().to_vec()
}

fn texts(batch: &RecordBatch) -> Vec<Option<String>> {
    let texts = batch.column_by_name("text").unwrap();
    let texts = texts.as_any().downcast_ref::<StringArray>().unwrap();
    texts.iter().map(|t| t.map(str::to_string)).collect()
}

/// `dedup` of a Parquet file writes Parquet: the kept rows, every column
/// and type and the schema's metadata as they were, the same codec and
/// row groups of the input's size; and the kept rows are what `scan`
/// keeps.
#[test]
fn dedup_keeps_every_column_of_the_kept_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("train.parquet");
    let rows = planted_rows(240);
    write_parquet(&input, &rows, 50);
    let out = dir.path().join("clean.parquet");
    let clusters = dir.path().join("clusters.jsonl");
    textdup()
        .args(["dedup", "-q", "--keep", "first", "-o"])
        .arg(&out)
        .arg("--clusters")
        .arg(&clusters)
        .arg(&input)
        .assert()
        .success();

    // What was removed, by id: the rows ids name in the cluster report.
    let mut removed = std::collections::HashSet::new();
    for cluster in json_lines(&std::fs::read(&clusters).unwrap()) {
        for member in cluster["members"].as_array().unwrap() {
            if member["kept"] == false {
                removed.insert(member["id"].as_str().unwrap().parse::<i64>().unwrap());
            }
        }
    }
    assert!(removed.len() > 20, "planted copies are found: {removed:?}");

    let (before, _, _) = read_parquet(&input);
    let (after, groups, codec) = read_parquet(&out);
    assert_eq!(after.schema(), before.schema(), "schema and its metadata");
    let kept: Vec<usize> = (0..before.num_rows())
        .filter(|&i| !removed.contains(&ids(&before)[i]))
        .collect();
    assert_eq!(after.num_rows(), kept.len());
    let indices = arrow_array::UInt32Array::from_iter_values(kept.iter().map(|&i| i as u32));
    for (column, (a, b)) in after.columns().iter().zip(before.columns()).enumerate() {
        let expected = arrow_select::take::take(b.as_ref(), &indices, None).unwrap();
        assert_eq!(a.to_data(), expected.to_data(), "column {column}");
    }
    assert_eq!(codec, Compression::ZSTD(ZstdLevel::default()));
    assert!(groups.iter().all(|&g| g <= 50), "{groups:?}");
    assert!(groups.len() >= kept.len().div_ceil(50), "{groups:?}");
}

/// Rows are named by their id column (integers too), and rows without a
/// usable text are skipped with their row number.
#[test]
fn rows_are_documents_named_by_their_id() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rows.parquet");
    let seed =
        std::fs::read_to_string(crate::common::seed_corpus().join("000_8bf7a08f72736e5e.txt"))
            .unwrap();
    let rows = vec![
        Row {
            id: 7,
            text: Some(seed.clone()),
            url: None,
            score: 0.0,
        },
        Row {
            id: 8,
            text: None,
            url: None,
            score: 0.0,
        },
        Row {
            id: 9,
            text: Some("  ".into()),
            url: None,
            score: 0.0,
        },
        Row {
            id: 10,
            text: Some(seed),
            url: Some("u".into()),
            score: 0.0,
        },
    ];
    write_parquet(&input, &rows, 2);
    let out = textdup()
        .args(["scan", "--level", "document"])
        .arg(&input)
        .output()
        .unwrap();
    let stdout = json_lines(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout.len(), 1, "{stderr}");
    assert_eq!(stdout[0]["members"][0]["id"], "7");
    assert_eq!(stdout[0]["members"][1]["id"], "10");
    assert!(
        stderr.contains("rows.parquet:2: field \"text\" is null"),
        "{stderr}"
    );
    assert!(
        stderr.contains("rows.parquet:3: empty document"),
        "{stderr}"
    );
    assert!(
        stderr.contains("4 read = 1 kept + 1 removed + 2 skipped"),
        "{stderr}"
    );
}

/// A dotted text field reads a struct column's field; a missing column
/// stops the run before any work and lists the string columns there are.
#[test]
fn the_text_column_may_be_nested_and_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("nested.parquet");
    let rows = planted_rows(60);
    write_parquet(&input, &rows, 25);
    let nested = textdup()
        .args(["scan", "-q", "--level", "document", "--format", "json"])
        .args(["--text-field", "meta.body", "--id-field", "meta.url"])
        .arg(&input)
        .output()
        .unwrap();
    // Exit status 2: some inputs were skipped.
    assert_eq!(nested.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&nested.stdout).unwrap();
    // Rows whose struct is null have no body: skipped, as null text.
    let null = rows.iter().filter(|r| r.url.is_none()).count();
    assert!(null > 0);
    assert_eq!(report["summary"]["read"], rows.len());
    assert_eq!(report["summary"]["skipped"], null);
    assert!(report["summary"]["removed"].as_u64().unwrap() > 0);
    let first = &report["clusters"][0]["members"][0]["id"];
    assert!(
        first.as_str().unwrap().starts_with("https://example.org/"),
        "{first}"
    );

    let missing = textdup()
        .args(["scan", "--text-field", "content"])
        .arg(&input)
        .assert()
        .failure()
        .code(1);
    let stderr = String::from_utf8_lossy(&missing.get_output().stderr).to_string();
    assert!(
        stderr.contains("nested.parquet: no column \"content\"; its string columns: text, meta.url, meta.body (--text-field"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let wrong = textdup()
        .args(["scan", "--text-field", "score"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("column \"score\" holds Float64, not text"),
        "{stderr}"
    );
}

/// A damaged file is skipped with one warning, and the files beside it
/// are read.
#[test]
fn a_truncated_file_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let rows = planted_rows(40);
    write_parquet(&data.join("a.parquet"), &rows[..20], 10);
    write_parquet(&data.join("b.parquet"), &rows[20..], 10);
    let bytes = std::fs::read(data.join("b.parquet")).unwrap();
    std::fs::write(data.join("b.parquet"), &bytes[..bytes.len() - 9]).unwrap();
    let out = textdup()
        .args(["scan", "--level", "document", "--format", "json"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("b.parquet: corrupt Parquet file"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["read"], 21, "20 rows and a skip");
    assert_eq!(report["summary"]["skipped_by_reason"]["corrupt"], 1);
    // dedup carries the damaged file over as it is: it is not a duplicate.
    let clean = dir.path().join("clean");
    textdup()
        .args(["dedup", "-q", "-o"])
        .arg(&clean)
        .arg(&data)
        .assert()
        .code(2);
    assert_eq!(
        std::fs::read(clean.join("b.parquet")).unwrap(),
        &bytes[..bytes.len() - 9]
    );
}

/// The passage grain rewrites the text column of the rows that lose a
/// passage, and nothing else.
#[test]
fn passages_are_cut_from_the_text_column_only() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("articles.parquet");
    let mut rows = Vec::new();
    for (i, entry) in std::fs::read_dir(crate::common::seed_corpus())
        .unwrap()
        .enumerate()
    {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        rows.push(Row {
            id: i as i64,
            text: Some(text),
            url: Some(format!("u{i}")),
            score: 1.0,
        });
    }
    rows.sort_by_key(|r| r.text.clone());
    write_parquet(&input, &rows, 2);
    let out = dir.path().join("clean.parquet");
    textdup()
        .args(["dedup", "-q", "--level", "passage", "-o"])
        .arg(&out)
        .arg(&input)
        .assert()
        .success();
    let (before, _, _) = read_parquet(&input);
    let (after, _, _) = read_parquet(&out);
    assert_eq!(after.num_rows(), before.num_rows());
    for column in ["id", "meta", "score"] {
        assert_eq!(
            after.column_by_name(column).unwrap().to_data(),
            before.column_by_name(column).unwrap().to_data(),
            "{column}"
        );
    }
    let (old, new) = (texts(&before), texts(&after));
    let shorter = old
        .iter()
        .zip(&new)
        .filter(|(o, n)| n.as_ref().unwrap().len() < o.as_ref().unwrap().len())
        .count();
    assert!(shorter >= 2, "the doubled headlines are cut");
    // The cleaned text is what the text format's cleaning gives.
    for (o, n) in old.iter().zip(&new) {
        let (o, n) = (o.as_ref().unwrap(), n.as_ref().unwrap());
        let words = |t: &str| t.split_whitespace().count();
        assert!(words(n) <= words(o));
        let headline = o.lines().next().unwrap();
        assert!(
            n.contains(headline.trim()),
            "one copy of the headline stays"
        );
    }
}

/// A text column of bytes: rows that are not UTF-8 are skipped when read
/// and written back as they were, while the other rows of their batch
/// lose their repeated passages.
#[test]
fn a_binary_text_column_keeps_its_bad_rows_and_cuts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bytes.parquet");
    let mut paths: Vec<_> = std::fs::read_dir(crate::common::seed_corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut texts: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    texts.insert(1, b"not \xff UTF-8".to_vec());
    let column = arrow_array::BinaryArray::from_iter_values(texts.iter());
    let batch = RecordBatch::try_from_iter([("text", Arc::new(column) as ArrayRef)]).unwrap();
    let mut writer =
        ArrowWriter::try_new(File::create(&input).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();

    let out = dir.path().join("clean.parquet");
    let run = textdup()
        .args(["dedup", "--level", "passage", "-o"])
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bytes.parquet:2: invalid UTF-8 at byte 4"),
        "{stderr}"
    );
    let (after, _, _) = read_parquet(&out);
    let after = after
        .column(0)
        .as_any()
        .downcast_ref::<arrow_array::BinaryArray>()
        .unwrap();
    assert_eq!(after.len(), texts.len());
    assert_eq!(after.value(1), texts[1], "the bad row as it was");
    let cut = (0..texts.len())
        .filter(|&i| after.value(i).len() < texts[i].len())
        .count();
    assert!(cut >= 2, "the doubled headlines are cut: {cut}");
}
