use std::fs;
use std::path::Path;

use crate::common::{json_lines, seed_corpus, textdup, write_jsonl};

/// Runs `scan -q --level document` on `path` and returns its cluster lines.
fn scan_documents(path: &Path) -> Vec<serde_json::Value> {
    let out = textdup()
        .args(["scan", "-q", "--level", "document"])
        .arg(path)
        .assert()
        .success();
    json_lines(&out.get_output().stdout)
}

#[test]
fn seed_articles_are_not_near_duplicates_of_each_other() {
    let out = textdup()
        .args(["scan", "--level", "document", "--progress", "never"])
        .arg(seed_corpus())
        .assert()
        .success();
    let output = out.get_output();
    assert!(
        output.stdout.is_empty(),
        "no clusters expected: {:?}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("4 read = 4 kept + 0 removed + 0 skipped; 0 clusters"),
        "{stderr}"
    );
}

#[test]
fn an_edited_copy_with_boilerplate_joins_its_original() {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(seed_corpus()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "txt") {
            fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let original = fs::read_to_string(seed_corpus().join("001_af054400539c3e20.txt")).unwrap();
    let copy = original
        .replacen("Russia", "Moscow", 1)
        .replacen("security", "safety", 1)
        + "\nSubscribe to our newsletter for more news.\n";
    fs::write(dir.path().join("zz_copy.txt"), copy).unwrap();

    let clusters = scan_documents(dir.path());
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    let cluster = &clusters[0];
    assert_eq!(cluster["version"], 1);
    assert_eq!(cluster["level"], "document");
    assert_eq!(cluster["size"], 2);
    let members = cluster["members"].as_array().unwrap();
    assert_eq!(members[0]["id"], "001_af054400539c3e20.txt");
    assert_eq!(members[0]["kept"], true);
    assert_eq!(members[0]["similarity"], 1.0);
    assert_eq!(members[1]["id"], "zz_copy.txt");
    assert_eq!(members[1]["kept"], false);
    let similarity = members[1]["similarity"].as_f64().unwrap();
    assert!((0.8..1.0).contains(&similarity), "{similarity}");
}

#[test]
fn json_format_carries_summary_and_parameters() {
    let out = textdup()
        .args(["scan", "-q", "--format", "json"])
        .arg(seed_corpus())
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report["version"], 1);
    let summary = &report["summary"];
    assert_eq!(summary["read"], 4, "three articles and corpus/README.md");
    assert_eq!(summary["kept"], 4);
    let params = &summary["parameters"];
    assert_eq!(params["bands"], 18);
    assert_eq!(params["rows"], 6);
    assert_eq!(params["num_perm"], 128);
    assert_eq!(
        params["normalization"],
        "nfkc,lowercase,hyphens,punctuation,whitespace"
    );
    assert_eq!(params["candidate_probability"].as_array().unwrap().len(), 4);
    assert_eq!(report["clusters"].as_array().unwrap().len(), 0);
}

#[test]
fn jsonl_input_from_stdin_with_ids() {
    let base = "the monitoring mission reported shelling near the contact line on tuesday evening";
    let input = format!(
        "{}\n{}\n{}\n",
        serde_json::json!({"id": "a", "text": base}),
        serde_json::json!({"id": "b", "text": format!("{base}.")}),
        serde_json::json!({"text": "a completely unrelated sentence about football results"}),
    );
    let out = textdup()
        .args(["scan", "-q", "--level", "document", "-"])
        .write_stdin(input)
        .assert()
        .success();
    let clusters = json_lines(&out.get_output().stdout);
    assert_eq!(clusters.len(), 1);
    let ids: Vec<&str> = clusters[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn ids_default_to_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = "one two three four five six seven eight nine ten";
    fs::write(
        dir.path().join("d.jsonl"),
        format!(
            "{}\n\n{}\n",
            serde_json::json!({"text": text}),
            serde_json::json!({"text": text})
        ),
    )
    .unwrap();
    let clusters = scan_documents(dir.path());
    assert_eq!(clusters[0]["members"][0]["id"], "d.jsonl:1");
    assert_eq!(clusters[0]["members"][1]["id"], "d.jsonl:3");
}

#[test]
fn compressed_inputs_read_like_plain_ones() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let text = "alpha beta gamma delta epsilon zeta eta theta iota kappa";
    let line = format!("{}\n", serde_json::json!({"text": text}));
    // Two gzip members back to back: a multi-member stream.
    let mut gz = Vec::new();
    for _ in 0..2 {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(line.as_bytes()).unwrap();
        gz.extend(enc.finish().unwrap());
    }
    fs::write(dir.path().join("a.jsonl.gz"), gz).unwrap();
    fs::write(
        dir.path().join("b.txt.zst"),
        zstd::encode_all(text.as_bytes(), 3).unwrap(),
    )
    .unwrap();
    let clusters = scan_documents(dir.path());
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0]["size"], 3);
    assert_eq!(clusters[0]["members"][2]["id"], "b.txt.zst");
}

#[test]
fn help_explains_the_commands() {
    let out = textdup().arg("--help").assert().success();
    let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for word in ["scan", "dedup", "Exit status"] {
        assert!(help.contains(word), "{word} missing from --help");
    }
}

#[test]
fn bad_arguments_fail_with_status_1() {
    for (args, message) in [
        (
            &["--threshold", "1.5"][..],
            "threshold must be in (0, 1], got 1.5 (--threshold)",
        ),
        (
            &["--bands", "30", "--rows", "5"][..],
            "exceeds num_perm 128 (--bands, --rows)",
        ),
        (&["--min-span", "1"][..], "(--min-span)"),
        (
            &["--normalize", "lowercse"][..],
            "unknown normalization step",
        ),
    ] {
        let out = textdup()
            .arg("scan")
            .args(args)
            .arg(seed_corpus())
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

/// The passage grain's steps after its two passes (grouping, collecting
/// member texts) and the writing of the clusters report progress too:
/// on a large corpus they are minutes.
#[test]
fn progress_through_the_passage_grain_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = textdup()
        .args(["scan", "--level", "all", "--progress", "always"])
        .args(["--progress-every", "0", "--clusters"])
        .arg(dir.path().join("clusters.jsonl"))
        .arg(seed_corpus())
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    for stage in [
        "sketching passages",
        "finding spans",
        "grouping passages",
        "collecting texts",
        "writing clusters",
    ] {
        // The stage's last line says all of it is done: "N/N (".
        let last = stderr
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix(&format!("textdup: {stage}: ")))
            .unwrap_or_else(|| panic!("no {stage} in {stderr}"));
        let (done, total) = last.split(' ').next().unwrap().split_once('/').unwrap();
        assert_eq!(done, total, "{stage}: {last}");
        assert_ne!(done, "0", "{stage}: {last}");
    }
}

/// `--progress always` where stderr is not a terminal (a Slurm or nohup
/// log) prints plain progress lines, with whole rates, instead of nothing.
#[test]
fn progress_lines_when_stderr_is_not_a_terminal() {
    let out = textdup()
        .args([
            "scan",
            "--level",
            "document",
            "--progress",
            "always",
            "--progress-every",
            "0",
        ])
        .arg(seed_corpus())
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("textdup: sketching: "))
        .collect();
    assert!(!lines.is_empty(), "{stderr}");
    for line in lines {
        let rate = line
            .split('(')
            .nth(1)
            .and_then(|r| r.split("/s").next())
            .unwrap();
        assert!(
            rate.chars().all(|c| c.is_ascii_digit() || c == ','),
            "{line}"
        );
    }
    // Not asked for, none.
    let out = textdup()
        .args(["scan", "--level", "document"])
        .arg(seed_corpus())
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!stderr.contains("textdup: sketching"), "{stderr}");
}

/// Chinese and Japanese are written without spaces: with a word per
/// character, the default word 5-grams find their lightly edited copies.
/// Korean is spaced, and read as before.
#[test]
fn chinese_japanese_and_korean_near_duplicates_are_found_by_default() {
    let zh = "欧洲安全与合作组织今天在维也纳表示，将继续在乌克兰东部开展特别监测工作。该组织的发言人说，监测人员每天都会记录停火协议的执行情况，并向所有成员国通报。各方都应当保证监测人员的安全，并允许他们自由进入相关地区。";
    let ja = "欧州安全保障協力機構は本日ウィーンで、ウクライナ東部での特別監視活動を続けると発表した。報道官によると、監視団は毎日停戦合意の履行状況を記録し、すべての加盟国に報告している。各当事者は監視員の安全を保証し、関係地域への自由な立ち入りを認めるべきだという。";
    let ko = "유럽안보협력기구는 오늘 빈에서 우크라이나 동부에서의 특별 감시 활동을 계속하겠다고 발표했다. 대변인에 따르면 감시단은 매일 휴전 합의의 이행 상황을 기록하고 모든 회원국에 보고하고 있다. 각 당사자는 감시요원의 안전을 보장하고 관련 지역에 자유롭게 출입할 수 있도록 허용해야 한다고 밝혔다.";
    let docs = [
        ("zh-1", zh.to_string()),
        ("zh-2", zh.replace("今天", "周二")),
        ("ja-1", ja.to_string()),
        (
            "ja-2",
            ja.replace("本日", "今日").replace("続ける", "継続する"),
        ),
        ("ko-1", ko.to_string()),
        ("ko-2", format!("{ko} 구독하기")),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cjk.jsonl");
    let docs: Vec<(String, String)> = docs
        .iter()
        .map(|(i, t)| (i.to_string(), t.clone()))
        .collect();
    write_jsonl(&path, &docs);
    let out = textdup()
        .args(["scan", "-q", "--level", "document"])
        .arg(&path)
        .assert()
        .success();
    let clusters: Vec<Vec<String>> = json_lines(&out.get_output().stdout)
        .iter()
        .map(|c| {
            c["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    assert_eq!(
        clusters,
        [["zh-1", "zh-2"], ["ja-1", "ja-2"], ["ko-1", "ko-2"]],
        "one cluster per language"
    );
}

/// Thai and Lao need a dictionary to find word breaks: a run over them
/// with word shingles says once to use character shingles.
#[test]
fn thai_draws_a_note_about_character_shingles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("th.jsonl");
    let thai = "องค์การเพื่อความมั่นคงและความร่วมมือในยุโรปแถลงว่าจะดำเนินภารกิจติดตามสถานการณ์ต่อไป";
    let docs: Vec<(String, String)> = (0..3)
        .map(|i| (format!("th-{i}"), format!("{thai} {i}")))
        .collect();
    write_jsonl(&path, &docs);
    let run = |unit: &str| {
        let out = textdup()
            .args(["scan", "-q", "--level", "document", "--unit", unit])
            .arg(&path)
            .assert()
            .success();
        String::from_utf8_lossy(&out.get_output().stderr).into_owned()
    };
    let stderr = run("word");
    assert_eq!(stderr.matches("Thai or Lao").count(), 1, "{stderr}");
    assert!(stderr.contains("character shingles"), "{stderr}");
    assert!(!run("char").contains("Thai"));
}
