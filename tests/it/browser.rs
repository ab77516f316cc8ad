//! The HTML report in a real browser: headless Chromium renders the page
//! of the seed corpus (plus an edited copy and a document that tries to
//! inject a script), and the rendered DOM must hold the clusters and
//! highlights, no script error, and no trace of the injected script
//! having run. Also saves a screenshot (target/report-screenshot.png).
//!
//! CI installs Chromium (`.ci/run`); elsewhere, without it, the test says
//! so and passes. With CI=true a missing Chromium fails it.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{seed_corpus, textdup};

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(args: &[&str], page: &Path) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    // `timeout` so that a hung browser fails the test instead of CI.
    Command::new("timeout")
        .arg("120")
        .arg(CHROMIUM)
        .args([
            "--disable-dev-shm-usage",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
}

#[test]
fn the_report_renders_in_chromium_without_running_corpus_scripts() {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install Chromium ({CHROMIUM})"
        );
        eprintln!("skipping: {CHROMIUM} not installed (apt-get install chromium)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus");
    fs::create_dir(&input).unwrap();
    for entry in fs::read_dir(seed_corpus()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "txt") {
            fs::copy(&path, input.join(path.file_name().unwrap())).unwrap();
        }
    }
    let article = fs::read_to_string(seed_corpus().join("001_af054400539c3e20.txt")).unwrap();
    fs::write(
        input.join("copy.txt"),
        article.replacen("Russia", "Moscow", 3),
    )
    .unwrap();
    let evil = "Breaking <script>document.body.dataset.pwned = 'yes'</script> news\n\n";
    fs::write(input.join("evil.txt"), evil.repeat(2)).unwrap();

    let page = dir.path().join("report.html");
    textdup()
        .args(["scan", "-q", "--min-span", "6", "--html"])
        .arg(&page)
        .arg(&input)
        .assert()
        .success();

    let dump = chromium(&["--dump-dom"], &page);
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let dom = String::from_utf8_lossy(&dump.stdout).into_owned();
    assert!(
        dom.contains("data-ready=\"yes\""),
        "the page's script ran to its end"
    );
    assert!(
        dom.contains("id=\"script-errors\" class=\"hidden\"></pre>"),
        "no script error"
    );
    assert!(
        !dom.contains("data-pwned"),
        "the corpus's script must not run"
    );
    assert!(
        dom.contains("&lt;script&gt;document.body.dataset.pwned"),
        "it shows as text"
    );
    assert!(
        dom.contains("<details class=\"cluster\""),
        "a document cluster"
    );
    assert!(dom.contains("<ins>Moscow</ins>"), "the diff marks the edit");
    assert!(
        dom.contains("; 2 copies, all in this document\">OSCE Denies Data Exchange Misconduct in Ukraine</mark>"),
        "000's doubled headline is highlighted"
    );
    assert!(
        dom.contains("; 3 copies, all in this document\">Caption: </mark>"),
        "002's caption, its headline part marked as the repeated span"
    );
    assert!(dom.contains("Europe (OSCE)</mark>"), "the OSCE span");
    assert!(dom.contains("<svg"), "charts");

    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    fs::create_dir_all(&target).unwrap();
    let shot = target.join("report-screenshot.png");
    let made = chromium(
        &[
            "--window-size=1280,2000",
            &format!("--screenshot={}", shot.display()),
        ],
        &page,
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(
        fs::metadata(&shot).unwrap().len() > 10_000,
        "a real screenshot"
    );
}
