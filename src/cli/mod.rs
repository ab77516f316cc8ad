//! The `textdup` command: arguments in, library calls, messages out.
//!
//! Everything here is glue. Arguments become a [`textdup::Config`] and
//! [`textdup::ReadOptions`] once; the library does the work; this module
//! prints the summary and errors and picks the exit status.

mod args;
mod index;
mod progress;
mod staged;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use textdup::eval::{evaluate, Clustering};
use textdup::output::{check_distinct, check_output, is_stream, recover, Commit, Existing};
use textdup::report::html::{self, CapNames, HtmlOptions};
use textdup::report::{write_annotations, write_clusters_with, write_json};
use textdup::synth::SynthOptions;
use textdup::write::{check_output_name, write_corpus, write_removed, Cleaning};
use textdup::{
    Error, Files, OutputProblem, Progress, ReadOptions, Report, Resources, Setting, Stage,
    StagedProblem,
};

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
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|matches| Ok((Cli::from_arg_matches(&matches)?, Explicit::of(&matches))));
    let (cli, explicit) = match parsed {
        Ok(parsed) => parsed,
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
    match run(cli, &explicit) {
        Ok(code) => code,
        Err(Failure::Error(Error::Interrupted)) => {
            say("textdup: interrupted; temporary files removed\n");
            ExitCode::from(EXIT_INTERRUPTED)
        }
        Err(Failure::Error(e)) => {
            let hint = match &e {
                Error::OutputExists { .. } => " (use --force to replace it)".to_string(),
                Error::OutOfText { recombined, .. } => if *recombined {
                    " (--from, --docs)"
                } else {
                    " (--from, --docs, --recombine)"
                }
                .to_string(),
                Error::Staged(StagedProblem::MissingShard { index, count }) => {
                    format!(": run `textdup sketch --shard {index}/{count}` first")
                }
                Error::Staged(StagedProblem::MissingPlan(_)) => {
                    ": run `textdup cluster` first".to_string()
                }
                Error::Staged(StagedProblem::Stdin) => " (-)".to_string(),
                Error::Output {
                    problem: OutputProblem::NeedsRemovedList,
                    ..
                } => " with --removed FILE".to_string(),
                Error::Config { setting, .. } => match flag(*setting) {
                    Some(flag) => format!(" ({flag})"),
                    None => String::new(),
                },
                Error::Column { .. } => " (--text-field names the text column)".to_string(),
                Error::MemoryLimit { .. } => {
                    " (--memory sets the limit; --level document leaves the passage grain out)"
                        .to_string()
                }
                _ => String::new(),
            };
            say(&format!("textdup: error: {e}{hint}\n"));
            ExitCode::FAILURE
        }
        Err(Failure::Message(message)) => {
            say(&format!("textdup: error: {message}\n"));
            ExitCode::FAILURE
        }
        // Whoever read our output has gone (`textdup scan … | head`):
        // not an error, nothing more to say.
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
    }
}

/// `n` and the noun, plural unless `n` is 1.
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The flag that sets `setting`, if one does.
fn flag(setting: Setting) -> Option<&'static str> {
    Some(match setting {
        Setting::Threshold => "--threshold",
        Setting::NumPerm => "--num-perm",
        Setting::ShingleSize => "--ngram",
        Setting::Banding => "--bands, --rows",
        Setting::PassageThreshold => "--passage-threshold",
        Setting::PassageShingleSize => "--passage-ngram",
        Setting::MinSpan => "--min-span",
        Setting::MaxCut => "--max-cut",
        Setting::BoilerplateDocs => "--boilerplate-min-docs",
        Setting::Memory => "--memory",
        Setting::Share => "--share",
        Setting::MaxCopies => "--max-copies",
        Setting::Edits => "--edit",
        Setting::Words => "--words",
        _ => return None,
    })
}

/// Writes to stderr. A closed stderr is no reason to fail (or panic, as
/// `eprint!` would): the messages are for a person who is not listening.
pub(crate) fn say(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// Says `report`'s summary, its outputs' writing (begun at `writing`,
/// now done) counted as its last stage.
pub(crate) fn say_summary(report: &Report, writing: Instant) {
    let summary = report
        .summary()
        .followed_by(Stage::Write, writing.elapsed());
    say(&summary.to_text());
}

enum Failure {
    Error(Error),
    /// A failure of the binary's own, not of the library.
    Message(String),
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

/// The options the command line gave explicitly (not by default), of the
/// (sub)command that runs: a run against an index takes the index's
/// settings for the others.
pub(crate) struct Explicit(Vec<String>);

impl Explicit {
    fn of(matches: &ArgMatches) -> Explicit {
        let mut leaf = matches;
        while let Some((_, sub)) = leaf.subcommand() {
            leaf = sub;
        }
        Explicit(
            leaf.ids()
                .filter(|id| leaf.value_source(id.as_str()) == Some(ValueSource::CommandLine))
                .map(|id| id.as_str().to_string())
                .collect(),
        )
    }

    fn has(&self, id: &str) -> bool {
        self.0.iter().any(|given| given == id)
    }
}

fn run(cli: Cli, explicit: &Explicit) -> Result<ExitCode, Failure> {
    match &cli.command {
        Command::Scan(args) => match &args.against {
            Some(against) => index::scan_against(args, against, explicit),
            None => scan(args),
        },
        Command::Dedup(args) => match &args.against {
            Some(against) => index::dedup_against(args, against, explicit),
            None => dedup(args),
        },
        Command::Index(args) => index::run(&args.command),
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
    resources(common).validate()?;
    Ok((config, bars))
}

/// Starts the thread pool and the progress bars `run` asks for.
fn start(run: &RunArgs) -> Result<Bars, Failure> {
    if let Some(threads) = run.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .map_err(|e| Failure::Message(format!("cannot start {threads} threads: {e}")))?;
    }
    let enabled = match (run.quiet, run.progress) {
        (true, _) | (_, ProgressArg::Never) => Some(false),
        (false, ProgressArg::Always) => Some(true),
        (false, ProgressArg::Auto) => None,
    };
    let every = Duration::try_from_secs_f64(run.progress_every)
        .map_err(|e| Failure::Message(format!("--progress-every: {e}")))?;
    Ok(Bars::new(enabled, every))
}

fn existing(force: bool) -> Existing {
    if force {
        Existing::Replace
    } else {
        Existing::Refuse
    }
}

fn scan(args: &ScanArgs) -> Result<ExitCode, Failure> {
    index::refuse_span_level(args.level)?;
    let common = &args.common;
    let (config, bars) = prepare(common, args.level)?;
    let existing = existing(args.force);
    let report_files = &common.report;
    let outputs: Vec<&Path> = report_files
        .clusters
        .iter()
        .chain(&report_files.annotate)
        .chain(&report_files.html)
        .map(PathBuf::as_path)
        .collect();
    let files = open_inputs(common, &config)?;
    let label = run_label(&files);
    if let Some(code) = finish_interrupted(&outputs, &label)? {
        return Ok(code);
    }
    check_outputs(&files, &outputs, existing)?;
    let report = run_pipeline(common, &files, &config, &bars)?;
    let writing = Instant::now();
    let mut commit = Commit::new(existing).label(&label);
    if let Some(path) = &report_files.clusters {
        commit.write(path, |out| write_report(common, &report, out, &bars))?;
    }
    if let Some(path) = &report_files.annotate {
        commit.write(path, |out| write_annotations(&report, out))?;
    }
    write_html(common, &files, &report, &mut commit, &bars)?;
    let receipt = commit.commit(|| unchanged(&files, &bars))?;
    if report_files.clusters.is_none() {
        match write_stdout(|out| write_report(common, &report, out, &bars)) {
            // Whoever read the clusters has gone (`textdup scan … | head`):
            // not an error, and the summary is still worth printing.
            Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => {}
            other => other?,
        }
    }
    if !common.run.quiet {
        say_summary(&report, writing);
    }
    drop(receipt);
    Ok(exit_code(report.summary().skipped))
}

fn dedup(args: &DedupArgs) -> Result<ExitCode, Failure> {
    index::refuse_span_level(args.level)?;
    let common = &args.common;
    let (config, bars) = prepare(common, args.level)?;
    let existing = existing(args.force);
    let removed = removed_path(args)?;
    let mut outputs = vec![args.output.as_path(), removed.as_path()];
    outputs.extend(common.report.clusters.as_deref());
    outputs.extend(common.report.annotate.as_deref());
    outputs.extend(common.report.html.as_deref());
    let files = open_inputs(common, &config)?;
    let label = run_label(&files);
    if let Some(code) = finish_interrupted(&outputs, &label)? {
        return Ok(code);
    }
    // Refuse bad outputs before spending the run.
    check_outputs(&files, &outputs, existing)?;
    check_output_name(&files, &args.output)?;
    let report = run_pipeline(common, &files, &config, &bars)?;
    let cleaning = Cleaning::plan(&report, &config);
    let writing = Instant::now();
    let mut commit = Commit::new(existing).label(&label);
    let written = write_corpus(&files, &report, &cleaning, &args.output, &mut commit, &bars)?;
    commit.write(&removed, |out| {
        write_removed(&report, &cleaning, &written.cuts, out)
    })?;
    if let Some(path) = &common.report.clusters {
        commit.write(path, |out| write_report(common, &report, out, &bars))?;
    }
    if let Some(path) = &common.report.annotate {
        commit.write(path, |out| write_annotations(&report, out))?;
    }
    write_html(common, &files, &report, &mut commit, &bars)?;
    let receipt = commit.commit(|| unchanged(&files, &bars))?;
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
    if !common.run.quiet {
        say_summary(&report, writing);
        say(&format!(
            "  wrote:      {} ({}, {} removed, {} cut from {}, {} left empty, {} kept whole); removed list {}\n",
            args.output.display(),
            count(written.files, "file"),
            count(written.removed, "document"),
            count(cleaning.passages.len() as u64, "passage"),
            count(written.edited, "document"),
            written.emptied.len(),
            cleaning.spared.len(),
            removed.display()
        ));
    }
    drop(receipt);
    Ok(exit_code(
        report.summary().skipped + written.problems.len() as u64,
    ))
}

/// What a run's outputs are labelled with in a commit journal: the
/// working folder, the command line and the inputs' fingerprint. A rerun
/// with the same label would write the same outputs.
fn run_label(files: &Files) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut text = format!("{cwd:?}");
    for arg in std::env::args_os() {
        text.push_str(&format!("\t{arg:?}"));
    }
    let command = xxhash_rust::xxh3::xxh3_128(text.as_bytes());
    format!("{command:032x}-{:032x}", files.fingerprint())
}

/// Finishes what an interrupted run left committed beside the first of
/// `outputs`. When that run was this very command over the same inputs,
/// its outputs are now in place and there is nothing left to do: the exit
/// status to return.
fn finish_interrupted(outputs: &[&Path], label: &str) -> Result<Option<ExitCode>, Failure> {
    let Some(first) = outputs.iter().find(|p| !is_stream(p)) else {
        return Ok(None);
    };
    let Some(recovered) = recover(first)? else {
        return Ok(None);
    };
    let names: Vec<String> = recovered
        .outputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    if recovered.label == label {
        say(&format!(
            "textdup: finished writing the outputs of an interrupted run of this command: {}\n",
            names.join(", ")
        ));
        return Ok(Some(ExitCode::SUCCESS));
    }
    say(&format!(
        "textdup: note: finished writing the outputs of an interrupted earlier run: {}\n",
        names.join(", ")
    ));
    Ok(None)
}

/// Refuses outputs that clash with each other or the inputs, or exist.
fn check_outputs(files: &Files, outputs: &[&Path], existing: Existing) -> Result<(), Failure> {
    check_distinct(outputs)?;
    for output in outputs {
        check_output(files.roots(), output, existing)?;
    }
    Ok(())
}

/// The last check before a commit: no Ctrl-C, and every input as it was
/// when the run began.
fn unchanged(files: &Files, bars: &Bars) -> Result<(), Error> {
    if textdup::Progress::cancelled(bars) {
        return Err(Error::Interrupted);
    }
    files.check_unchanged()
}

/// Writes the HTML report, if asked for, as part of `commit`.
fn write_html(
    common: &Common,
    files: &Files,
    report: &Report,
    commit: &mut Commit,
    bars: &Bars,
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
        cap_names: CapNames {
            clusters: "--html-max-clusters".to_string(),
            members: "--html-max-members".to_string(),
            documents: "--html-max-documents".to_string(),
        },
        ..HtmlOptions::default()
    };
    let destination = commit.file(path)?;
    let mut out = destination.create().map_err(|e| Error::Io {
        path: path.clone(),
        source: e,
    })?;
    html::write(report, files, &options, bars, &mut out)?;
    out.finish().map_err(|e| Error::Io {
        path: path.clone(),
        source: e,
    })?;
    Ok(())
}

/// Opens the inputs.
fn open_inputs(common: &Common, config: &textdup::Config) -> Result<Files, Failure> {
    let mut options = common.input.read_options();
    if options.max_document_bytes.is_none() {
        options.max_document_bytes = resources(common).max_document_bytes(config);
    }
    Ok(Files::open(
        &common.input.paths,
        options,
        common.input.tmp_dir.as_deref(),
    )?)
}

/// Runs the pipeline over the opened inputs.
fn run_pipeline(
    common: &Common,
    files: &Files,
    config: &textdup::Config,
    bars: &Bars,
) -> Result<Report, Failure> {
    let report = textdup::run_with(files, config, &resources(common), bars);
    bars.flush_skips();
    Ok(report?)
}

/// The resources the arguments allow.
fn resources(common: &Common) -> Resources {
    Resources {
        memory: common.memory.memory,
        tmp_dir: common.input.tmp_dir.clone(),
        ..Resources::default()
    }
}

fn exit_code(problems: u64) -> ExitCode {
    if problems > 0 {
        ExitCode::from(EXIT_SKIPPED)
    } else {
        ExitCode::SUCCESS
    }
}

fn eval(args: &EvalArgs) -> Result<ExitCode, Failure> {
    if args.passages {
        let scores = textdup::eval::evaluate_passages(&args.truth, &args.pred)?;
        let text = if args.json {
            scores.to_json()
        } else {
            scores.to_text()
        };
        write_stdout(|out| out.write_all(text.as_bytes()))?;
        return Ok(ExitCode::SUCCESS);
    }
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
    if args.passages {
        return synth_passages(args);
    }
    let mut options = SynthOptions {
        docs: args.docs,
        seed: args.seed,
        share: args.share,
        max_copies: args.max_copies,
        truth_threshold: args.truth_threshold,
        words: args.words.unwrap_or(SynthOptions::default().words),
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

/// `textdup synth --passages`: a passage benchmark and its truth.
fn synth_passages(args: &SynthArgs) -> Result<ExitCode, Failure> {
    if args.recombine {
        return Err(Failure::Message(
            "--recombine does not apply to --passages: a reused paragraph would be a repeat the truth does not hold; give more text".to_string(),
        ));
    }
    let defaults = textdup::synth::PassageOptions::default();
    let options = textdup::synth::PassageOptions {
        docs: args.docs,
        seed: args.seed,
        words: args.words.unwrap_or(defaults.words),
        ..defaults
    };
    let read = ReadOptions {
        text_field: args.text_field.clone(),
        ..ReadOptions::default()
    };
    let existing = existing(args.force);
    check_output(&args.from, &args.output, existing)?;
    let files = Files::open(&args.from, read, None)?;
    let (docs, clusters) =
        textdup::synth::write_passages(&files, &options, &args.output, existing)?;
    say(&format!(
        "textdup: wrote {docs} documents to {} and {clusters} clusters of planted passages to {}\n",
        args.output.join("corpus.jsonl").display(),
        args.output.join("passages.jsonl").display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// Writes the clusters in the chosen format.
fn write_report(
    common: &Common,
    report: &Report,
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> io::Result<()> {
    match common.report.format {
        OutputFormat::Jsonl => write_clusters_with(report, out, progress),
        OutputFormat::Json => write_json(report, out),
    }
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
fn removed_path(dedup: &DedupArgs) -> Result<PathBuf, Error> {
    if let Some(removed) = &dedup.removed {
        return Ok(removed.clone());
    }
    if dedup.output.as_os_str() == "-" {
        return Err(Error::Output {
            path: PathBuf::from("-"),
            problem: OutputProblem::NeedsRemovedList,
        });
    }
    let mut name = dedup
        .output
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "output".into());
    name.push(".removed.jsonl");
    Ok(dedup.output.with_file_name(name))
}
