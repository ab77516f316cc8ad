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

/// A `.json` file that holds one JSON document (an array, an object over
/// several lines) or no JSON at all is one text document, and a note says
/// so rather than reading it as something it is not in silence.
#[test]
fn one_json_document_is_read_whole_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.json");
    fs::write(&path, format!("[\n  {{\"text\": \"{ARTICLE}\"}}\n]\n")).unwrap();
    let out = textdup()
        .args(["scan", "--level", "document"])
        .arg(&path)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("1 read = 1 kept"), "{stderr}");
    assert!(
        stderr.contains("records.json: one JSON document, not JSON Lines"),
        "{stderr}"
    );
    // Asked for, JSON Lines it is: the array's first line is not an object.
    let out = textdup()
        .args(["scan", "--level", "document", "--input-format", "jsonl"])
        .arg(&path)
        .assert();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!stderr.contains("one JSON document"), "{stderr}");
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
