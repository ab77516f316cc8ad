//! Input formats: how a file's name, and for `.json` its content, decide
//! how it is read, and that `dedup` writes each back in its own shape.

use std::fs;
use std::io::Write;

use crate::common::textdup;

const ARTICLE: &str = "The Organization for Security and Co-operation in Europe has addressed recent allegations made against its staff in Ukraine";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn lines() -> String {
    [
        format!(r#"{{"id": "a", "text": "{ARTICLE}."}}"#),
        format!(r#"{{"id": "b", "text": "{ARTICLE}!"}}"#),
        r#"{"id": "c", "text": "Russia has triggered a diplomatic crisis by deploying troops near the border."}"#
            .to_string(),
    ]
    .join("\n")
        + "\n"
}

/// Dolma, C4 and DCLM name their JSON Lines shards `.json.gz`: read as
/// records, not as one document, and written back as gzipped JSON Lines.
#[test]
fn json_lines_named_json_are_read_as_records() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    fs::write(
        input.join("c4-train.00000-of-01024.json.gz"),
        gzip(lines().as_bytes()),
    )
    .unwrap();
    fs::write(input.join("plain.json"), lines()).unwrap();

    let out = textdup()
        .args(["scan", "--level", "document"])
        .arg(&input)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    // Both files' three records: a and b are one document normalized, and
    // the second file copies the first.
    assert!(stderr.contains("6 read = 2 kept + 4 removed"), "{stderr}");

    let clean = dir.path().join("clean");
    textdup()
        .args(["dedup", "-q", "--level", "document"])
        .arg(&input)
        .arg("-o")
        .arg(&clean)
        .assert()
        .success();
    let shard = fs::read(clean.join("c4-train.00000-of-01024.json.gz")).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&shard[..]), &mut text)
        .unwrap();
    let all = lines();
    let expected: Vec<&str> = all.lines().filter(|l| !l.contains(r#""b""#)).collect();
    assert_eq!(text.lines().collect::<Vec<_>>(), expected);
}

/// A `.json` file that holds one JSON document of records (an array of
/// objects, pretty-printed as `json.dump(indent=2)` writes it, or one
/// object over several lines) is read as records, one per element, with
/// a note; `dedup` writes an array of the kept elements. An array of
/// other values, or no JSON at all, is one text document, with a note.
#[test]
fn one_json_document_of_records_is_read_as_records() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    let records: Vec<serde_json::Value> = lines()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pretty = serde_json::to_string_pretty(&records).unwrap();
    fs::write(input.join("records.json"), &pretty).unwrap();
    let one = serde_json::to_string_pretty(&records[0]).unwrap();
    fs::write(input.join("one.json"), gzip(one.as_bytes())).unwrap();
    fs::write(input.join("values.json"), format!("[\"{ARTICLE}\"]")).unwrap();
    let out = textdup()
        .args(["scan", "--level", "document", "--format", "json"])
        .arg(&input)
        .assert()
        .success();
    let output = out.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    for note in [
        "records.json: a JSON array of records, not JSON Lines: read as one record per element",
        "one.json: one JSON object, not JSON Lines: read as one record",
        "values.json: a JSON array of values, not of records: read as one text document",
    ] {
        assert!(stderr.contains(note), "{note}: {stderr}");
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["read"], 5);
    let cluster: Vec<&str> = report["clusters"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    // "a" twice (its own file, the array), "b", and the array of values.
    assert_eq!(cluster.len(), 4, "{cluster:?}");

    let clean = dir.path().join("clean.json");
    textdup()
        .args(["dedup", "-q", "--level", "document", "-o"])
        .arg(&clean)
        .arg(input.join("records.json"))
        .assert()
        .success();
    let kept: Vec<serde_json::Value> =
        serde_json::from_str(&fs::read_to_string(&clean).unwrap()).unwrap();
    assert_eq!(kept, vec![records[0].clone(), records[2].clone()]);

    // Asked for, JSON Lines it is: the array's first line is not an object.
    let out = textdup()
        .args(["scan", "--level", "document", "--input-format", "jsonl"])
        .arg(input.join("records.json"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("records.json:1: malformed JSON"),
        "{stderr}"
    );
}

/// Plain text piped in is read as JSON Lines (what a pipe of records
/// needs), and a note says once that it is not, and what to ask for.
#[test]
fn plain_text_on_stdin_is_named_once() {
    let out = textdup()
        .args(["scan", "-q", "--level", "document", "-"])
        .write_stdin("plain text here\nmore plain text\n")
        .assert();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(
        stderr.matches("stdin is not JSON Lines").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("text input format"), "{stderr}");
    // JSON Lines on stdin draw no such note.
    let out = textdup()
        .args(["scan", "-q", "--level", "document", "-"])
        .write_stdin(format!("{{\"text\": \"{ARTICLE}\"}}\n"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!stderr.contains("not JSON Lines"), "{stderr}");
}

/// `--text-field meta.content` and `--id-field meta.url` reach into
/// nested objects, to read and to cut passages in place.
#[test]
fn dotted_field_names_reach_into_objects() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("nested.jsonl");
    let headline = "EU invites Russia to take security concerns to OSCE";
    let line = |url: &str, text: &str| {
        serde_json::json!({"meta": {"url": url, "content": text}, "n": 1}).to_string()
    };
    fs::write(
        &input,
        [
            line("https://a.example", &format!("{ARTICLE}.")),
            line("https://b.example", &format!("{ARTICLE}!")),
            line(
                "https://c.example",
                &format!("{headline}\n{headline}\nThe rest of it."),
            ),
        ]
        .join("\n")
            + "\n",
    )
    .unwrap();
    let fields = ["--text-field", "meta.content", "--id-field", "meta.url"];
    let out = textdup()
        .args(["scan", "-q", "--level", "document"])
        .args(fields)
        .arg(&input)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains(r#""id":"https://a.example""#)
            && stdout.contains(r#""id":"https://b.example""#),
        "{stdout}"
    );

    let clean = dir.path().join("clean.jsonl");
    textdup()
        .args(["dedup", "-q", "--level", "all"])
        .args(fields)
        .arg(&input)
        .arg("-o")
        .arg(&clean)
        .assert()
        .success();
    let kept: Vec<serde_json::Value> = fs::read_to_string(&clean)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(kept.len(), 2);
    assert_eq!(
        kept[1]["meta"]["content"],
        format!("{headline}\nThe rest of it.")
    );
    assert_eq!(kept[1]["n"], 1);
}

/// One output file's compression follows its name (`.gz`, `.zst`, or
/// neither), whatever the input's; a name that says another format is
/// refused before any work.
#[test]
fn output_compression_follows_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("in.jsonl");
    let gz = dir.path().join("in.jsonl.gz");
    fs::write(&plain, lines()).unwrap();
    fs::write(&gz, gzip(lines().as_bytes())).unwrap();
    let all = lines();
    let expected: Vec<&str> = all.lines().filter(|l| !l.contains(r#""b""#)).collect();
    let dedup = |input: &std::path::Path, out: &str| {
        let path = dir.path().join(out);
        textdup()
            .args(["dedup", "-q", "--level", "document"])
            .arg(input)
            .arg("-o")
            .arg(&path)
            .assert()
            .success();
        fs::read(path).unwrap()
    };
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    let gunzip = |bytes: Vec<u8>| {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
            .unwrap();
        out
    };
    let unzstd = |bytes: Vec<u8>| text(zstd::decode_all(&bytes[..]).unwrap());

    for (input, out, decode) in [
        (&plain, "a.jsonl.gz", &gunzip as &dyn Fn(Vec<u8>) -> String),
        (&gz, "b.jsonl", &text),
        (&gz, "c.jsonl.zst", &unzstd),
        (&plain, "d.jsonl", &text),
        (&gz, "e.jsonl.gz", &gunzip),
    ] {
        let got = decode(dedup(input, out));
        assert_eq!(got.lines().collect::<Vec<_>>(), expected, "{out}");
    }
    // Nothing removed, still recompressed as named.
    let one = dir.path().join("one.jsonl");
    fs::write(&one, format!("{{\"text\": \"{ARTICLE}\"}}\n")).unwrap();
    assert!(gunzip(dedup(&one, "one.jsonl.gz")).contains(ARTICLE));

    for (out, says) in [("x.parquet", "Parquet"), ("x.txt.gz", "text")] {
        let out_path = dir.path().join(out);
        let run = textdup()
            .args(["dedup", "--level", "document"])
            .arg(&plain)
            .arg("-o")
            .arg(&out_path)
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
        assert!(
            stderr.contains(&format!(
                "its name says {says}, but it is written as JSON Lines"
            )),
            "{stderr}"
        );
        assert!(
            !stderr.contains("read ="),
            "refused before the run: {stderr}"
        );
        assert!(!out_path.exists());
    }
}

/// A Hugging Face dataset's root holds its card beside the data: named as
/// the input, the card (and a licence) is read as a document like any
/// file of a folder, and a warning says so, naming it, once.
#[test]
fn plain_text_beside_records_is_read_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dataset");
    fs::create_dir_all(root.join("data")).unwrap();
    fs::write(root.join("data").join("train.jsonl"), lines()).unwrap();
    fs::write(root.join("LICENSE"), "Released under CC-BY 4.0.\n").unwrap();
    fs::write(root.join("README.md"), "# A dataset\n\nNews articles.\n").unwrap();

    let scan = |input: &std::path::Path| {
        let out = textdup()
            .args(["scan", "--level", "document"])
            .arg(input)
            .assert()
            .success();
        String::from_utf8_lossy(&out.get_output().stderr).into_owned()
    };
    let stderr = scan(&root);
    // Three records and the two plain files.
    assert!(stderr.contains("5 read = 4 kept + 1 removed"), "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("read as plain text"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("LICENSE and 1 other file"), "{stderr}");
    assert!(warnings[0].contains("beside 1 file of records"), "{stderr}");

    // The data folder alone, a folder of plain text only, or text
    // documents beside records: no warning.
    for input in [
        root.join("data"),
        {
            let texts = dir.path().join("texts");
            fs::create_dir(&texts).unwrap();
            fs::write(texts.join("a.txt"), ARTICLE).unwrap();
            texts
        },
        {
            let mixed = dir.path().join("mixed");
            fs::create_dir(&mixed).unwrap();
            fs::write(mixed.join("a.txt"), ARTICLE).unwrap();
            fs::write(mixed.join("b.jsonl"), lines()).unwrap();
            mixed
        },
    ] {
        let stderr = scan(&input);
        assert!(!stderr.contains("read as plain text"), "{stderr}");
    }
}
