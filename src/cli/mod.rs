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
use textdup::report::{write_clusters, write_json, write_removed};
use textdup::write::{check_output, write_corpus, write_file_atomically};
use textdup::{Error, Files, Report};

use args::{Cli, Command, Common, DedupArgs, OutputFormat, ProgressArg};
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
    let common = match &cli.command {
        Command::Scan(scan) => &scan.common,
        Command::Dedup(dedup) => &dedup.common,
    };
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

    if let Command::Dedup(dedup) = &cli.command {
        // Refuse bad outputs before spending the run.
        check_output(&common.paths, &dedup.output, dedup.force)?;
        check_output(&common.paths, &removed_path(dedup), dedup.force)?;
    }
    if let Some(clusters) = &common.clusters {
        let replace = !matches!(&cli.command, Command::Dedup(d) if !d.force);
        check_output(&common.paths, clusters, replace)?;
    }

    let files = Files::open(
        &common.paths,
        common.read_options(),
        common.tmp_dir.as_deref(),
    )?;
    let report = textdup::run(&files, &config, &bars)?;

    match &cli.command {
        Command::Scan(_) => {
            // A report file the user names is replaced like any output
            // file; check_output above has made sure it is not an input.
            write_report(common, &report, common.clusters.as_deref(), true)?;
            if !common.quiet {
                eprint!("{}", report.summary.to_text());
            }
        }
        Command::Dedup(dedup) => {
            let written = write_corpus(&files, &report, &dedup.output, dedup.force, &bars)?;
            let removed = removed_path(dedup);
            write_file_atomically(&removed, dedup.force, |out| write_removed(&report, out))?;
            if let Some(clusters) = &common.clusters {
                write_report(common, &report, Some(clusters), dedup.force)?;
            }
            if !common.quiet {
                eprint!("{}", report.summary.to_text());
                eprintln!(
                    "  wrote:      {} ({} files, {} documents removed); removed list {}",
                    dedup.output.display(),
                    written.files,
                    written.removed,
                    removed.display()
                );
            }
        }
    }
    Ok(if report.summary.skipped > 0 {
        ExitCode::from(EXIT_SKIPPED)
    } else {
        ExitCode::SUCCESS
    })
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
