//! The `textdup` command: arguments in, library calls, messages out.
//!
//! Everything here is glue. Arguments become a [`textdup::Config`] and
//! [`textdup::ReadOptions`] once; the library does the work; this module
//! prints the summary and errors and picks the exit status.

mod args;
mod progress;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use textdup::eval::{evaluate, Clustering};
use textdup::report::{write_clusters, write_json, write_removed};
use textdup::write::{check_output, write_corpus, write_file_atomically};
use textdup::{Error, Files, Report};

use args::{Cli, Command, Common, DedupArgs, EvalArgs, OutputFormat, ProgressArg};
use progress::Bars;

/// Exit status when the run finished but some inputs were skipped.
const EXIT_SKIPPED: u8 = 2;

/// Runs the command line and returns the process exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap exits with 2 on bad arguments, but 2 means "inputs were
            // skipped" here: bad arguments are fatal, status 1.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(Failure::Error(e)) => {
            let hint = match e {
                Error::OutputExists { .. } => " (use --force to replace it)",
                _ => "",
            };
            eprintln!("textdup: error: {e}{hint}");
            ExitCode::FAILURE
        }
        // Whoever read our output has gone (`textdup scan … | head`):
        // not an error, nothing more to say.
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
    }
}

enum Failure {
    Error(Error),
    BrokenPipe,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match &e {
            Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe => {
                Failure::BrokenPipe
            }
            _ => Failure::Error(e),
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match &cli.command {
        Command::Scan(args) => scan(&args.common),
        Command::Dedup(args) => dedup(args),
        Command::Eval(args) => eval(args),
    }
}

/// What scan and dedup share: thread pool, configuration, progress bars.
fn prepare(common: &Common) -> Result<(textdup::Config, Bars), Failure> {
    if let Some(threads) = common.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .map_err(|e| Error::Config(format!("cannot start {threads} threads: {e}")))?;
    }
    let config = common.config();
    config.validate()?;
    let bars = Bars::new(match (common.quiet, common.progress) {
        (true, _) | (_, ProgressArg::Never) => Some(false),
        (false, ProgressArg::Always) => Some(true),
        (false, ProgressArg::Auto) => None,
    });
    Ok((config, bars))
}

fn scan(common: &Common) -> Result<ExitCode, Failure> {
    let (config, bars) = prepare(common)?;
    if let Some(clusters) = &common.clusters {
        // A report file the user names is replaced like any output file,
        // but never when it is one of the inputs.
        check_output(&common.paths, clusters, true)?;
    }
    let files = Files::open(
        &common.paths,
        common.read_options(),
        common.tmp_dir.as_deref(),
    )?;
    let report = textdup::run(&files, &config, &bars)?;
    write_report(common, &report, common.clusters.as_deref(), true)?;
    if !common.quiet {
        eprint!("{}", report.summary.to_text());
    }
    Ok(exit_code(&report))
}

fn dedup(args: &DedupArgs) -> Result<ExitCode, Failure> {
    let common = &args.common;
    let (config, bars) = prepare(common)?;
    // Refuse bad outputs before spending the run.
    let removed = removed_path(args);
    check_output(&common.paths, &args.output, args.force)?;
    check_output(&common.paths, &removed, args.force)?;
    if let Some(clusters) = &common.clusters {
        check_output(&common.paths, clusters, args.force)?;
    }
    let files = Files::open(
        &common.paths,
        common.read_options(),
        common.tmp_dir.as_deref(),
    )?;
    let report = textdup::run(&files, &config, &bars)?;
    let written = write_corpus(&files, &report, &args.output, args.force, &bars)?;
    write_file_atomically(&removed, args.force, |out| write_removed(&report, out))?;
    if let Some(clusters) = &common.clusters {
        write_report(common, &report, Some(clusters), args.force)?;
    }
    if !common.quiet {
        eprint!("{}", report.summary.to_text());
        eprintln!(
            "  wrote:      {} ({} files, {} documents removed); removed list {}",
            args.output.display(),
            written.files,
            written.removed,
            removed.display()
        );
    }
    Ok(exit_code(&report))
}

fn exit_code(report: &Report) -> ExitCode {
    if report.summary.skipped > 0 {
        ExitCode::from(EXIT_SKIPPED)
    } else {
        ExitCode::SUCCESS
    }
}

fn eval(args: &EvalArgs) -> Result<ExitCode, Failure> {
    let truth = Clustering::read(&args.truth)?;
    let pred = Clustering::read(&args.pred)?;
    let scores = evaluate(&truth, &pred)?;
    let text = if args.json {
        serde_json::to_string_pretty(&scores).expect("scores serialize") + "\n"
    } else {
        scores.to_text()
    };
    io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Error::Io {
            path: PathBuf::from("<stdout>"),
            source: e,
        })?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the clusters in the chosen format to `path`, or to stdout.
fn write_report(
    common: &Common,
    report: &Report,
    path: Option<&Path>,
    replace: bool,
) -> Result<(), Failure> {
    let fill = |out: &mut dyn Write| match common.format {
        OutputFormat::Jsonl => write_clusters(report, out),
        OutputFormat::Json => write_json(report, out),
    };
    match path {
        Some(path) => write_file_atomically(path, replace, fill)?,
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            fill(&mut out)
                .and_then(|()| out.flush())
                .map_err(|e| Error::Io {
                    path: PathBuf::from("<stdout>"),
                    source: e,
                })?;
        }
    }
    Ok(())
}

/// `--removed`, or OUT.removed.jsonl beside OUT.
fn removed_path(dedup: &DedupArgs) -> PathBuf {
    dedup.removed.clone().unwrap_or_else(|| {
        let mut name = dedup
            .output
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "output".into());
        name.push(".removed.jsonl");
        dedup.output.with_file_name(name)
    })
}
