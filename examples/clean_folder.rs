//! A small program that uses only textdup's public API: it finds the
//! near-duplicate documents of a folder, prints its clusters and writes a
//! cleaned copy. `cargo test` builds it, so a change that takes away
//! something a library user needs fails the build.
//!
//! ```text
//! cargo run --example clean_folder -- corpus cleaned
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use textdup::output::{Commit, Existing};
use textdup::report::write_clusters;
use textdup::write::{write_corpus, Cleaning};
use textdup::{run_with, Config, Files, NoProgress, ReadOptions, Resources};

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: clean_folder INPUT OUTPUT");
        return ExitCode::FAILURE;
    };
    match clean(input, output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("clean_folder: {e}");
            ExitCode::FAILURE
        }
    }
}

fn clean(input: &Path, output: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let files = Files::open(&[input.to_path_buf()], ReadOptions::default(), None)?;
    let config = Config {
        threshold: 0.8,
        ..Config::default()
    };
    let report = run_with(&files, &config, &Resources::default(), &NoProgress)?;

    let mut stdout = std::io::stdout().lock();
    write_clusters(&report, &mut stdout)?;
    let summary = report.summary();
    for cluster in report.clusters() {
        let kept = report.id(cluster.kept());
        for member in cluster.members.iter().filter(|m| !m.kept) {
            writeln!(
                stdout,
                "{} ~ {} ({:.2})",
                report.id(member.doc),
                kept,
                member.similarity
            )?;
        }
    }

    let mut commit = Commit::new(Existing::Refuse);
    let written = write_corpus(
        &files,
        &report,
        &Cleaning::plan(&report, &config),
        output,
        &mut commit,
        &NoProgress,
    )?;
    drop(commit.commit(|| Ok(()))?);
    eprintln!(
        "read {}, kept {}, removed {}; wrote {} files",
        summary.read, summary.kept, summary.removed, written.files
    );
    Ok(())
}
