//! The `textdup` command: arguments in, library calls, messages out.
//!
//! Everything here is glue. Arguments become a [`textdup::Config`] and
//! [`textdup::ReadOptions`] once; the library does the work; this module
//! prints the summary and errors and picks the exit status.

mod args;
mod progress;
mod staged;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use textdup::eval::{evaluate, Clustering};
use textdup::report::html::{self, HtmlOptions};
use textdup::report::{write_annotations, write_clusters, write_json, write_removed};
use textdup::synth::SynthOptions;
use textdup::write::{
    check_distinct, check_output, write_corpus, write_file_atomically, write_stream_atomically,
    Cleaning, Existing,
};
use textdup::{Error, Files, ReadOptions, Report, Resources};

use args::{
    Cli, Command, Common, DedupArgs, EvalArgs, LevelArg, OutputFormat, ProgressArg, RunArgs,
    ScanArgs, SynthArgs,
};
use progress::Bars;

/// Exit status when the run finished but some inputs were skipped.
const EXIT_SKIPPED: u8 = 2;
/// Exit status after Ctrl-C, as shells report a SIGINT death.
const EXIT_INTERRUPTED: u8 = 130;

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
    progress::stop_on_ctrl_c();
    match run(cli) {
        Ok(code) => code,
        Err(Failure::Error(Error::Interrupted)) => {
            say("textdup: interrupted; temporary files removed\n");
            ExitCode::from(EXIT_INTERRUPTED)
        }
        Err(Failure::Error(e)) => {
            let hint = match e {
                Error::OutputExists { .. } => " (use --force to replace it)",
                _ => "",
            };
            say(&format!("textdup: error: {e}{hint}\n"));
            ExitCode::FAILURE
        }
        // Whoever read our output has gone (`textdup scan … | head`):
        // not an error, nothing more to say.
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
    }
}

/// Writes to stderr. A closed stderr is no reason to fail (or panic, as
/// `eprint!` would): the messages are for a person who is not listening.
pub(crate) fn say(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
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
        Command::Scan(args) => scan(args),
        Command::Dedup(args) => dedup(args),
        Command::Eval(args) => eval(args),
        Command::Synth(args) => synth(args),
        Command::Sketch(args) => staged::sketch(args),
        Command::Cluster(args) => staged::cluster(args),
        Command::Filter(args) => staged::filter(args),
    }
}

/// What scan and dedup share: thread pool, configuration, progress bars.
fn prepare(common: &Common, level: LevelArg) -> Result<(textdup::Config, Bars), Failure> {
    let bars = start(&common.run)?;
    let config = common.config(level);
    config.validate()?;
    Ok((config, bars))
}

/// Starts the thread pool and the progress bars `run` asks for.
fn start(run: &RunArgs) -> Result<Bars, Failure> {
    if let Some(threads) = run.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .map_err(|e| Error::Config(format!("cannot start {threads} threads: {e}")))?;
    }
    Ok(Bars::new(match (run.quiet, run.progress) {
        (true, _) | (_, ProgressArg::Never) => Some(false),
        (false, ProgressArg::Always) => Some(true),
        (false, ProgressArg::Auto) => None,
    }))
}

fn existing(force: bool) -> Existing {
    if force {
        Existing::Replace
    } else {
        Existing::Refuse
    }
}

fn scan(args: &ScanArgs) -> Result<ExitCode, Failure> {
    let common = &args.common;
    let (config, bars) = prepare(common, args.level)?;
    // Report files the user names are replaced like any output file, but
    // never when they are inputs.
    let outputs: Vec<&Path> = common
        .report
        .clusters
        .iter()
        .chain(&common.report.annotate)
        .chain(&common.report.html)
        .map(PathBuf::as_path)
        .collect();
    check_distinct(&outputs)?;
    for output in &outputs {
        check_output(&common.input.paths, output, Existing::Replace)?;
    }
    let (files, report) = read_and_run(common, &config, &bars)?;
    write_report(
        common,
        &report,
        common.report.clusters.as_deref(),
        Existing::Replace,
    )?;
    if let Some(path) = &common.report.annotate {
        write_stream_atomically(path, Existing::Replace, |out| {
            write_annotations(&report, out)
        })?;
    }
    write_html(common, &files, &report, Existing::Replace)?;
    if !common.run.quiet {
        say(&report.summary.to_text());
    }
    Ok(exit_code(report.summary.skipped))
}

fn dedup(args: &DedupArgs) -> Result<ExitCode, Failure> {
    let common = &args.common;
    let (config, bars) = prepare(common, args.level)?;
    let existing = existing(args.force);
    // Refuse bad outputs before spending the run.
    let removed = removed_path(args);
    let mut outputs = vec![args.output.as_path(), removed.as_path()];
    outputs.extend(common.report.clusters.as_deref());
    outputs.extend(common.report.annotate.as_deref());
    outputs.extend(common.report.html.as_deref());
    check_distinct(&outputs)?;
    for output in &outputs {
        check_output(&common.input.paths, output, existing)?;
    }
    let (files, report) = read_and_run(common, &config, &bars)?;
    let cleaning = Cleaning::plan(&report, &config);
    let written = write_corpus(&files, &report, &cleaning, &args.output, existing, &bars)?;
    for problem in &written.problems {
        say(&format!(
            "textdup: warning: {problem} (not fully copied to the output)\n"
        ));
    }
    const SPARED_NOTES: usize = 20;
    for spared in cleaning.spared.iter().take(SPARED_NOTES) {
        say(&format!(
            "textdup: note: {}: kept whole: its repeated passages are {:.0}% of its text (--max-cut {})\n",
            report.id(spared.doc),
            spared.share * 100.0,
            config.passage.max_cut
        ));
    }
    if cleaning.spared.len() > SPARED_NOTES {
        say(&format!(
            "textdup: note: {} more documents kept whole for the same reason\n",
            cleaning.spared.len() - SPARED_NOTES
        ));
    }
    for emptied in &written.emptied {
        say(&format!(
            "textdup: note: {emptied}: nothing left after removing repeated passages (written empty)\n"
        ));
    }
    write_stream_atomically(&removed, existing, |out| {
        write_removed(&report, &cleaning, &written.cuts, out)
    })?;
    if let Some(clusters) = &common.report.clusters {
        write_report(common, &report, Some(clusters), existing)?;
    }
    if let Some(path) = &common.report.annotate {
        write_stream_atomically(path, existing, |out| write_annotations(&report, out))?;
    }
    write_html(common, &files, &report, existing)?;
    if !common.run.quiet {
        say(&report.summary.to_text());
        say(&format!(
            "  wrote:      {} ({} files, {} documents removed, {} passages cut from {} documents, {} left empty, {} kept whole); removed list {}\n",
            args.output.display(),
            written.files,
            written.removed,
            cleaning.passages.len(),
            written.edited,
            written.emptied.len(),
            cleaning.spared.len(),
            removed.display()
        ));
    }
    Ok(exit_code(
        report.summary.skipped + written.problems.len() as u64,
    ))
}

/// Writes the HTML report, if asked for.
fn write_html(
    common: &Common,
    files: &Files,
    report: &Report,
    existing: Existing,
) -> Result<(), Failure> {
    let Some(path) = &common.report.html else {
        return Ok(());
    };
    let options = HtmlOptions {
        max_clusters: common.report.html_max_clusters,
        max_members: common.report.html_max_members,
        max_documents: common.report.html_max_documents,
        // args_os: a path that is not UTF-8 must not panic here.
        command: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" "),
        ..HtmlOptions::default()
    };
    write_file_atomically(path, existing, |tmp| {
        let file = std::fs::File::create(tmp).map_err(|e| Error::Io {
            path: path.clone(),
            source: e,
        })?;
        let mut out = io::BufWriter::new(file);
        html::write(report, files, &options, &mut out)?;
        out.flush().map_err(|e| Error::Io {
            path: path.clone(),
            source: e,
        })
    })?;
    Ok(())
}

/// Opens the inputs and runs the pipeline over them.
fn read_and_run(
    common: &Common,
    config: &textdup::Config,
    bars: &Bars,
) -> Result<(Files, Report), Failure> {
    let files = Files::open(
        &common.input.paths,
        common.input.read_options(),
        common.input.tmp_dir.as_deref(),
    )?;
    let resources = Resources {
        memory: common.memory.memory,
        tmp_dir: common.input.tmp_dir.clone(),
        ..Resources::default()
    };
    let report = textdup::run_with(&files, config, &resources, bars)?;
    Ok((files, report))
}

fn exit_code(problems: u64) -> ExitCode {
    if problems > 0 {
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
        scores.to_json()
    } else {
        scores.to_text()
    };
    write_stdout(|out| out.write_all(text.as_bytes()))?;
    Ok(ExitCode::SUCCESS)
}

fn synth(args: &SynthArgs) -> Result<ExitCode, Failure> {
    let mut options = SynthOptions {
        docs: args.docs,
        seed: args.seed,
        share: args.share,
        max_copies: args.max_copies,
        truth_threshold: args.truth_threshold,
        words: args.words,
        recombine: args.recombine,
        ..SynthOptions::default()
    };
    if !args.edits.is_empty() {
        options.edits = args.edits.clone();
    }
    let read = ReadOptions {
        text_field: args.text_field.clone(),
        ..ReadOptions::default()
    };
    let existing = existing(args.force);
    check_output(&args.from, &args.output, existing)?;
    let files = Files::open(&args.from, read, None)?;
    let written = textdup::synth::write(&files, &options, &args.output, existing)?;
    say(&format!(
        "textdup: wrote {written} documents to {} and their truth to {}\n",
        args.output.join("corpus.jsonl").display(),
        args.output.join("truth.jsonl").display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// Writes the clusters in the chosen format to `path`, or to stdout.
fn write_report(
    common: &Common,
    report: &Report,
    path: Option<&Path>,
    existing: Existing,
) -> Result<(), Failure> {
    let fill = |out: &mut dyn Write| match common.report.format {
        OutputFormat::Jsonl => write_clusters(report, out),
        OutputFormat::Json => write_json(report, out),
    };
    match path {
        Some(path) => write_stream_atomically(path, existing, fill)?,
        None => write_stdout(fill)?,
    }
    Ok(())
}

fn write_stdout(fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    fill(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| Error::Io {
            path: PathBuf::from("<stdout>"),
            source: e,
        })
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
