//! The index commands (`index build|add|stats|compact|verify`) and the
//! `--against` runs of `scan` and `dedup`: a thin layer over
//! [`textdup::index`].

use std::path::Path;
use std::process::ExitCode;

use textdup::index::{write_matches, AddOptions, Added, Index, IndexWriter, Matches, Settings};
use textdup::output::Commit;
use textdup::report::stage_times;
use textdup::write::{write_corpus, Cleaning};
use textdup::{Config, Files, Resources};

use super::args::{
    Common, DedupArgs, IndexAddArgs, IndexBuildArgs, IndexCommand, IndexPathArgs, IndexStatsArgs,
    InputArgs, LevelArg, ScanArgs,
};
use super::progress::Bars;
use super::{
    check_outputs, count, existing, exit_code, finish_interrupted, removed_path, run_label, say,
    start, unchanged, write_stdout, Explicit, Failure,
};

pub fn run(command: &IndexCommand) -> Result<ExitCode, Failure> {
    match command {
        IndexCommand::Build(args) => build(args),
        IndexCommand::Add(args) => add(args),
        IndexCommand::Stats(args) => stats(args),
        IndexCommand::Compact(args) => compact(args),
        IndexCommand::Verify(args) => verify(args),
    }
}

fn open_input(input: &InputArgs) -> Result<Files, Failure> {
    Ok(Files::open(
        &input.paths,
        input.read_options(),
        input.tmp_dir.as_deref(),
    )?)
}

fn resources(input: &InputArgs) -> Resources {
    Resources {
        tmp_dir: input.tmp_dir.clone(),
        ..Resources::default()
    }
}

fn build(args: &IndexBuildArgs) -> Result<ExitCode, Failure> {
    let bars = start(&args.run)?;
    let config = args.matching.config();
    config.validate()?;
    let settings = Settings {
        spans: args.spans.map(|k| k as u32),
        ..Settings::of(&config)
    };
    let files = open_input(&args.input)?;
    let options = AddOptions {
        all: args.all,
        keep: config.keep,
    };
    let added = IndexWriter::build(
        &args.index,
        &files,
        &settings,
        &options,
        &resources(&args.input),
        &bars,
    );
    bars.flush_skips();
    let added = added?;
    if !args.run.quiet {
        say(&added_text("built", &args.index, &added));
    }
    Ok(exit_code(added.summary.skipped))
}

fn add(args: &IndexAddArgs) -> Result<ExitCode, Failure> {
    let bars = start(&args.run)?;
    let mut writer = IndexWriter::open(&args.index)?;
    let files = open_input(&args.input)?;
    let options = AddOptions {
        all: args.all,
        keep: args.keep.keep(),
    };
    let added = writer.add(&files, &options, &resources(&args.input), &bars);
    bars.flush_skips();
    let added = added?;
    if !args.run.quiet {
        say(&added_text("added to", &args.index, &added));
    }
    Ok(exit_code(added.summary.skipped))
}

fn added_text(verb: &str, path: &Path, added: &Added) -> String {
    let s = &added.summary;
    format!(
        "textdup: {verb} {}: {} read, {} indexed ({} duplicated the index, {} an earlier document); {} in the index; {:.1} s\n",
        path.display(),
        count(s.documents, "document"),
        added.indexed,
        s.removed_by_index,
        s.removed_within,
        count(added.total, "document"),
        s.elapsed.as_secs_f64() + added.write_time.as_secs_f64(),
    )
}

fn stats(args: &IndexStatsArgs) -> Result<ExitCode, Failure> {
    let index = Index::open(&args.index)?;
    let stats = index.stats();
    let text = if args.json {
        let mut text = serde_json::to_string_pretty(&stats)
            .map_err(|e| Failure::Message(format!("cannot write the stats: {e}")))?;
        text.push('\n');
        text
    } else {
        let s = &stats.settings;
        let mut text = format!(
            "index:       {}\ndocuments:   {} ({} MB of text)\nsegments:    {} ({} MB on disk, {} bytes per document)\nsettings:    threshold {}; {} {}-grams; normalize {}; {} permutations, {} bands × {} rows; seed {}; {}\n",
            args.index.display(),
            stats.documents,
            stats.text_bytes / 1_000_000,
            stats.segments.len(),
            stats.bytes / 1_000_000,
            stats.bytes.checked_div(stats.documents).unwrap_or(0),
            s.threshold,
            s.unit,
            s.ngram,
            s.normalization,
            s.permutations,
            s.bands,
            s.rows,
            s.seed,
            s.scheme,
        );
        if let Some(k) = s.spans {
            text.push_str(&format!("spans:       every {k}-word window indexed\n"));
        }
        for seg in &stats.segments {
            text.push_str(&format!(
                "  {}  {} documents, {} bytes\n",
                seg.file, seg.documents, seg.bytes
            ));
        }
        text
    };
    write_stdout(|out| out.write_all(text.as_bytes()))?;
    Ok(ExitCode::SUCCESS)
}

fn compact(args: &IndexPathArgs) -> Result<ExitCode, Failure> {
    let bars = start(&args.run)?;
    let mut writer = IndexWriter::open(&args.index)?;
    let done = writer.compact(&bars)?;
    if !args.run.quiet {
        say(&format!(
            "textdup: compacted {}: {} segments → {}, {}, {} → {} bytes\n",
            args.index.display(),
            done.before,
            done.after,
            count(done.documents, "document"),
            done.bytes.0,
            done.bytes.1
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(args: &IndexPathArgs) -> Result<ExitCode, Failure> {
    let bars = start(&args.run)?;
    let index = Index::open(&args.index)?;
    let verified = index.verify(&bars)?;
    if !args.run.quiet {
        say(&format!(
            "textdup: {} is sound: {}, {}, {} bytes checked\n",
            args.index.display(),
            count(verified.segments, "segment"),
            count(verified.documents, "document"),
            verified.bytes
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The configuration of a run against `index`: the index's settings,
/// where the command line gave a matching option explicitly that option
/// (so that a mismatch is refused by name rather than silently ignored).
fn against_config(index: &Index, common: &Common, explicit: &Explicit) -> Result<Config, Failure> {
    let given = common.config(LevelArg::Document);
    let mut config = index.config(&given)?;
    if explicit.has("normalize") {
        config.normalization = given.normalization;
    }
    if explicit.has("unit") {
        config.shingling.unit = given.shingling.unit;
    }
    if explicit.has("ngram") {
        config.shingling.n = given.shingling.n;
    }
    if explicit.has("num_perm") {
        config.num_perm = given.num_perm;
        config.banding = given.banding;
    }
    if explicit.has("seed") {
        config.seed = given.seed;
    }
    if explicit.has("threshold") {
        config.threshold = given.threshold;
        config.banding = given.banding;
    }
    if explicit.has("bands") {
        config.banding = given.banding;
    }
    config.verification = given.verification;
    index.check(&config)?;
    Ok(config)
}

/// Refuses what a run against an index does not do, and says whether it
/// looks for span windows.
fn span_level(
    level: LevelArg,
    explicit: &Explicit,
    common: &Common,
    index: &Index,
) -> Result<bool, Failure> {
    if common.report.html.is_some() || common.report.annotate.is_some() {
        return Err(Failure::Message(
            "--against reports matches, not clusters: --html and --annotate do not apply"
                .to_string(),
        ));
    }
    if !explicit.has("level") {
        return Ok(false);
    }
    match level {
        LevelArg::Document => Ok(false),
        LevelArg::Span => {
            if explicit.has("min_span") {
                let given = common.passages.min_span;
                if index.settings().spans != Some(given as u32) {
                    return Err(Failure::Message(format!(
                        "--min-span {given}: the index holds {}; span windows are matched at the length they were indexed with",
                        index
                            .settings()
                            .spans
                            .map_or("no span windows".to_string(), |k| format!("{k}-word windows"))
                    )));
                }
            }
            Ok(true)
        }
        LevelArg::Passage | LevelArg::All => Err(Failure::Message(
            "--against compares whole documents (--level document) or span windows (--level span)"
                .to_string(),
        )),
    }
}

/// Refuses --level span without --against.
pub fn refuse_span_level(level: LevelArg) -> Result<(), Failure> {
    if level == LevelArg::Span {
        return Err(Failure::Message(
            "--level span looks for windows of an index: give --against INDEX (an index built with --spans N)"
                .to_string(),
        ));
    }
    Ok(())
}

fn summary_text(index: &Path, matches: &Matches, spans: Option<u32>) -> String {
    let s = matches.summary();
    let mut text = match spans {
        Some(k) => format!(
            "textdup: {} against {} ({} indexed): {} share a {k}-word window with the index, {} do not; {:.1} s\n",
            count(s.documents, "document"),
            index.display(),
            s.indexed,
            s.removed_by_index,
            s.kept,
            s.elapsed.as_secs_f64()
        ),
        None => format!(
        "textdup: {} against {} ({} indexed): {} removed ({} found in the index, {} repeating earlier documents), {} kept; {:.1} s\n",
        count(s.documents, "document"),
        index.display(),
        s.indexed,
        s.removed_by_index + s.removed_within,
        s.removed_by_index,
        s.removed_within,
        s.kept,
        s.elapsed.as_secs_f64()
        ),
    };
    if let Some(times) = stage_times(&s.stages, s.elapsed) {
        text.push_str(&format!("  stages:     {times}\n"));
    }
    if s.skipped > 0 {
        let reasons: Vec<String> = s
            .skipped_by_reason
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        text.push_str(&format!(
            "  skipped:    {} ({})\n",
            s.skipped,
            reasons.join(", ")
        ));
    }
    text
}

/// What `scan` and `dedup` against an index share: the progress bars,
/// the index, whether it is asked for span windows, the run's settings.
struct Against {
    bars: Bars,
    index: Index,
    spans: bool,
    config: Config,
}

impl Against {
    fn open(
        common: &Common,
        level: LevelArg,
        against: &Path,
        explicit: &Explicit,
    ) -> Result<Against, Failure> {
        let bars = start(&common.run)?;
        let index = Index::open(against)?;
        let spans = span_level(level, explicit, common, &index)?;
        let config = against_config(&index, common, explicit)?;
        Ok(Against {
            bars,
            index,
            spans,
            config,
        })
    }

    /// The matches of `files` against the index.
    fn matches(&self, common: &Common, files: &Files) -> Result<Matches, Failure> {
        let matches = if self.spans {
            self.index.spans(files, &self.config, &self.bars)
        } else {
            let resources = super::resources(common);
            self.index
                .query_with(files, &self.config, &resources, &self.bars)
        };
        self.bars.flush_skips();
        Ok(matches?)
    }

    /// The summary line, for `matches` of this run against `path`.
    fn summary(&self, path: &Path, matches: &Matches) -> String {
        summary_text(
            path,
            matches,
            self.index.settings().spans.filter(|_| self.spans),
        )
    }
}

pub fn scan_against(
    args: &ScanArgs,
    against: &Path,
    explicit: &Explicit,
) -> Result<ExitCode, Failure> {
    let common = &args.common;
    let run = Against::open(common, args.level, against, explicit)?;
    let (bars, config) = (&run.bars, &run.config);
    let existing = existing(args.force);
    let outputs: Vec<&Path> = common.report.clusters.iter().map(|p| p.as_path()).collect();
    let files = super::open_inputs(common, config)?;
    check_outputs(&files, &outputs, existing)?;
    let matches = run.matches(common, &files)?;
    if let Some(path) = &common.report.clusters {
        let mut commit = Commit::new(existing).label(&run_label(&files));
        commit.write(path, |out| write_matches(&matches, out))?;
        drop(commit.commit(|| unchanged(&files, bars))?);
    } else {
        write_stdout(|out| write_matches(&matches, out))?;
    }
    if !common.run.quiet {
        say(&run.summary(against, &matches));
    }
    Ok(exit_code(matches.summary().skipped))
}

pub fn dedup_against(
    args: &DedupArgs,
    against: &Path,
    explicit: &Explicit,
) -> Result<ExitCode, Failure> {
    let common = &args.common;
    let run = Against::open(common, args.level, against, explicit)?;
    let (bars, config) = (&run.bars, &run.config);
    let existing = existing(args.force);
    let removed = removed_path(args)?;
    let mut outputs = vec![args.output.as_path(), removed.as_path()];
    outputs.extend(common.report.clusters.as_deref());
    let files = super::open_inputs(common, config)?;
    let label = run_label(&files);
    if let Some(code) = finish_interrupted(&outputs, &label)? {
        return Ok(code);
    }
    check_outputs(&files, &outputs, existing)?;
    textdup::write::check_output_name(&files, &args.output)?;
    let matches = run.matches(common, &files)?;
    let report = matches.report();
    let cleaning = Cleaning {
        documents: matches.removed(),
        ..Cleaning::default()
    };
    let mut commit = Commit::new(existing).label(&label);
    let written = write_corpus(&files, &report, &cleaning, &args.output, &mut commit, bars)?;
    commit.write(&removed, |out| write_matches(&matches, out))?;
    if let Some(path) = &common.report.clusters {
        commit.write(path, |out| write_matches(&matches, out))?;
    }
    let receipt = commit.commit(|| unchanged(&files, bars))?;
    for problem in &written.problems {
        say(&format!(
            "textdup: warning: {problem} (not fully copied to the output)\n"
        ));
    }
    if !common.run.quiet {
        say(&run.summary(against, &matches));
        say(&format!(
            "  wrote:      {} ({}, {} removed); removed list {}\n",
            args.output.display(),
            count(written.files, "file"),
            count(written.removed, "document"),
            removed.display()
        ));
    }
    drop(receipt);
    Ok(exit_code(
        matches.summary().skipped + written.problems.len() as u64,
    ))
}
