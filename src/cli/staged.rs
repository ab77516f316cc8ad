//! The staged commands: `sketch`, `cluster`, `filter`. Each is a thin
//! layer over [`textdup::staged`] and the work
//! folder's file names.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use textdup::output::{Commit, Destination, Existing};
use textdup::report::write_clusters;
use textdup::staged::{
    cluster_options, cluster_sketches, filter_shard, read_plan, removal_plan, sketch_shard,
    write_plan, CorpusPrint, Shard,
};
use textdup::write::{write_removed, Cleaning};
use textdup::{Error, Files, Level, OutputProblem, Resources, StagedProblem};

use super::args::{ClusterArgs, FilterArgs, InputArgs, SketchArgs};
use super::{exit_code, say, say_summary, start, Failure};

const CLUSTERS: &str = "clusters.jsonl";
const REMOVED: &str = "removed.jsonl";
const PLAN: &str = "removal.plan";

fn sketch_name(shard: Shard) -> String {
    format!("sketch-{:04}-of-{:04}.bin", shard.index(), shard.count())
}

fn open(input: &InputArgs) -> Result<Files, Failure> {
    on_disk(input)?;
    Ok(Files::open(
        &input.paths,
        input.read_options(),
        input.tmp_dir.as_deref(),
    )?)
}

/// Refuses standard input: every step of a staged run reads the same
/// files, so they must be on disk. Checked before anything is made.
fn on_disk(input: &InputArgs) -> Result<(), Failure> {
    if input.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(Error::Staged(StagedProblem::Stdin).into());
    }
    Ok(())
}

pub fn sketch(args: &SketchArgs) -> Result<ExitCode, Failure> {
    let bars = start(&args.run)?;
    let config = args.matching.config();
    config.validate()?;
    on_disk(&args.input)?;
    std::fs::create_dir_all(&args.work).map_err(|e| Error::Io {
        path: args.work.clone(),
        source: e,
    })?;
    let files = open(&args.input)?;
    let path = args.work.join(sketch_name(args.shard));
    let sketched = sketch_shard(&files, args.shard, &config, &path, &bars);
    bars.flush_skips();
    match sketched? {
        None => {
            if !args.run.quiet {
                say(&format!(
                    "textdup: {} exists: shard {} is already sketched\n",
                    path.display(),
                    args.shard
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(done) => {
            if !args.run.quiet {
                say(&format!(
                    "textdup: shard {}: {} documents ({} MB), {} skipped → {}\n",
                    args.shard,
                    done.documents,
                    done.bytes / 1_000_000,
                    done.skipped,
                    path.display()
                ));
            }
            Ok(exit_code(done.skipped))
        }
    }
}

/// The sketch files in `work`, all of one shard count.
fn sketches(work: &Path) -> Result<Vec<PathBuf>, Failure> {
    let entries = std::fs::read_dir(work).map_err(|e| Error::Io {
        path: work.to_path_buf(),
        source: e,
    })?;
    let mut found = Vec::new();
    let mut counts = std::collections::BTreeSet::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix("sketch-")
            .and_then(|r| r.strip_suffix(".bin"))
        else {
            continue;
        };
        if let Some((_, count)) = rest.split_once("-of-") {
            counts.insert(count.to_string());
            found.push(entry.path());
        }
    }
    if counts.len() > 1 {
        let counts: Vec<String> = counts.into_iter().collect();
        return Err(Error::Staged(StagedProblem::MixedShardCounts {
            work: work.to_path_buf(),
            counts: counts.join(", "),
        })
        .into());
    }
    found.sort();
    Ok(found)
}

/// The `; `-separated fields of two option lines that differ, as
/// "FIELD then, now NEW".
fn differences(then: &str, now: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (then.split("; ").collect(), now.split("; ").collect());
    if a.len() != b.len() {
        return format!("{then:?}, now {now:?}");
    }
    a.iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| format!("{x} then, {y} now"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn cluster(args: &ClusterArgs) -> Result<ExitCode, Failure> {
    let bars = start(&args.run)?;
    let config = args.matching.config();
    config.validate()?;
    debug_assert_eq!(config.level, Level::Document);
    let clusters = args.work.join(CLUSTERS);
    let plan = args.work.join(PLAN);
    let files = open(&args.input)?;
    let print = CorpusPrint::of(&files)?;
    let options = cluster_options(&config);
    if clusters.exists() && plan.exists() {
        // Done, but for this corpus and with these options? A plan for
        // another would mislead filter; one made otherwise is not this run.
        let done = read_plan(&plan, print)?;
        if done.options != options {
            return Err(Error::StageFile {
                path: plan,
                message: format!(
                    "clustered with other options ({}); remove it, or use another work folder, to cluster again",
                    differences(&done.options, &options)
                ),
            }
            .into());
        }
        if !args.run.quiet {
            say(&format!(
                "textdup: {} and {} exist, made with the same options: already clustered\n",
                clusters.display(),
                plan.display()
            ));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let resources = Resources {
        memory: args.memory.memory,
        tmp_dir: args.input.tmp_dir.clone(),
        ..Resources::default()
    };
    let sketches = sketches(&args.work)?;
    let report = cluster_sketches(&files, &sketches, &config, &resources, &bars)?;
    let writing = std::time::Instant::now();
    // One commit: the plan's presence says the step is done, and it must
    // never stand beside clusters of another run.
    let mut commit = Commit::new(Existing::Replace);
    commit.write(&clusters, |out| write_clusters(&report, out))?;
    let cleaning = Cleaning::plan(&report, &config);
    commit.write(&args.work.join(REMOVED), |out| {
        write_removed(&report, &cleaning, &[], out)
    })?;
    match commit.file(&plan)? {
        Destination::Staged(tmp) => write_plan(&tmp, print, &options, &removal_plan(&report))?,
        _ => {
            return Err(Error::Output {
                path: plan,
                problem: OutputProblem::NotAFile,
            }
            .into())
        }
    }
    drop(commit.commit(|| files.check_unchanged())?);
    if !args.run.quiet {
        say_summary(&report, writing);
        say(&format!(
            "  wrote:      {} and {}\n",
            clusters.display(),
            plan.display()
        ));
    }
    Ok(exit_code(report.summary().skipped))
}

pub fn filter(args: &FilterArgs) -> Result<ExitCode, Failure> {
    let bars = start(&args.run)?;
    let files = open(&args.input)?;
    let plan_path = args.work.join(PLAN);
    if !plan_path.exists() {
        return Err(Error::Staged(StagedProblem::MissingPlan(plan_path)).into());
    }
    let removed = read_plan(&plan_path, CorpusPrint::of(&files)?)?.removed;
    let written = filter_shard(&files, &removed, args.shard, &args.output, &bars)?;
    // The removed list is the whole corpus's, made by `cluster`: the first
    // shard to finish puts a copy beside the output.
    let removed_list = args.removed.clone().unwrap_or_else(|| {
        let mut name = args.output.file_name().unwrap_or_default().to_os_string();
        name.push(".removed.jsonl");
        args.output.with_file_name(name)
    });
    let listed = if removed_list.exists() {
        false
    } else {
        let made = args.work.join(REMOVED);
        let mut commit = Commit::new(Existing::Refuse);
        commit.write(&removed_list, |out| {
            std::io::copy(&mut std::fs::File::open(&made)?, out).map(drop)
        })?;
        match commit.commit(|| Ok(())) {
            Ok(receipt) => {
                drop(receipt);
                true
            }
            // Another shard was quicker: the same list is there.
            Err(Error::OutputExists { .. } | Error::Busy(_)) => false,
            Err(e) => return Err(e.into()),
        }
    };
    for problem in &written.problems {
        say(&format!(
            "textdup: warning: {problem} (not fully copied to the output)\n"
        ));
    }
    if !args.run.quiet {
        if written.files == 0 && written.already > 0 && !listed {
            say(&format!(
                "textdup: shard {}: already done ({} files in {})\n",
                args.shard,
                written.already,
                args.output.display()
            ));
        } else {
            say(&format!(
                "textdup: shard {}: wrote {} files to {}, {} documents removed{}\n",
                args.shard,
                written.files,
                args.output.display(),
                written.removed,
                if listed {
                    format!("; removed list {}", removed_list.display())
                } else {
                    String::new()
                }
            ));
        }
    }
    Ok(exit_code(written.problems.len() as u64))
}
