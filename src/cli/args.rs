//! Command-line arguments. clap types stop here: [`Common::config`] and
//! [`Common::read_options`] turn them into the library's settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use textdup::staged::Shard;
use textdup::synth::{Edit, EditKind};
use textdup::InputFormat;
use textdup::PassageUnit;
use textdup::{
    Banding, Config, Keep, Level, Normalization, PassageConfig, ReadOptions, Shingling, Unit,
    Verification,
};

/// Find repeated and near-duplicate text at scale.
///
/// textdup reads a corpus (text files, JSON Lines and JSON arrays, Parquet,
/// WARC/WET, .gz/.zst, stdin), normalizes and shingles every document,
/// sketches it with MinHash, finds candidate pairs with LSH, verifies them
/// with exact Jaccard similarity and groups them into clusters.
///
/// Exit status: 0 when all went well, 1 on a fatal error, 2 when the run
/// finished but some inputs were skipped.
#[derive(Debug, Parser)]
#[command(name = "textdup", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report near-duplicate clusters without changing anything.
    ///
    /// Writes one JSON line per cluster to stdout (or --clusters FILE) and a
    /// summary to stderr.
    ///
    /// Example: textdup scan corpus/
    Scan(ScanArgs),
    /// Write a cleaned copy of the corpus without its near-duplicates.
    ///
    /// One input file gives one output file of the same format; folders or
    /// several files give an output folder that mirrors them. Each cluster
    /// keeps one member (see --keep). The removed list (--removed) names,
    /// for each removed document, the document kept in its place. Inputs
    /// are never modified.
    ///
    /// Example: textdup dedup data.jsonl.gz -o clean.jsonl.gz
    Dedup(DedupArgs),
    /// Score a clustering against labelled truth.
    ///
    /// Each file is JSON Lines: either one {"id", "cluster"} per document (singletons
    /// included), or textdup's own cluster report (documents absent from it are singletons).
    /// Prints pairwise precision, recall and F1, the adjusted Rand index, B-cubed precision
    /// and recall, and removal counts; extra truth fields (an edit kind, a true Jaccard) break
    /// recall down by value.
    ///
    /// Example: textdup scan corpus.jsonl > pred.jsonl && textdup eval --truth truth.jsonl --pred pred.jsonl
    Eval(EvalArgs),
    /// Build a benchmark corpus with planted near-duplicates from real text.
    ///
    /// Base documents are stitched from consecutive paragraphs of the input (each paragraph used
    /// once); a share of them get copies with one kind of scraping noise each. Writes
    /// DIR/corpus.jsonl ({"id", "text"}) and DIR/truth.jsonl ({"id", "cluster", "original",
    /// "kind", "strength", "jaccard"}, where jaccard is the true word-5-gram Jaccard similarity to
    /// the original). Deterministic for a given seed.
    ///
    /// Edit kinds: words, reorder, drop-paragraphs, boilerplate, doubled-headline, noise,
    /// truncate.
    ///
    /// Example: textdup synth --from tests/data/devils-dictionary.txt --docs 300 -o bench/
    Synth(SynthArgs),
    /// Staged run, step 1 of 3: sketch one shard of the corpus into the work folder.
    ///
    /// A staged run does what `dedup --level document` does, in steps that run as separate
    /// processes and resume after a kill: `sketch` once per shard (side by side, or on machines
    /// sharing the folders), then `cluster` once, then `filter` once per shard. A shard is every
    /// N-th input file in the order textdup reads them, so give a folder or several files. Each
    /// step writes under a temporary name and renames when done, and skips outputs that exist:
    /// after a kill, run the same commands again. Give every step the same inputs and matching
    /// options; sketch files record them and a mismatch is refused.
    ///
    /// Writes WORK/sketch-I-of-N.bin: a versioned little-endian format, documented in
    /// src/stagefile.rs.
    ///
    /// Example: for i in 0 1 2 3; do textdup sketch data/ --shard $i/4 --work run/ & done; wait
    Sketch(SketchArgs),
    /// Staged run, step 2 of 3: cluster the sketches of every shard.
    ///
    /// Reads every WORK/sketch-*-of-N.bin, verifies candidate pairs against the corpus, and
    /// writes WORK/clusters.jsonl (what `scan --level document` writes) and WORK/removal.plan
    /// (what `filter` leaves out). Does nothing when both exist.
    ///
    /// Example: textdup cluster data/ --work run/
    Cluster(ClusterArgs),
    /// Staged run, step 3 of 3: write one shard of the cleaned corpus.
    ///
    /// Writes the shard's files, minus the documents WORK/removal.plan removes, into OUT: a
    /// folder that mirrors the inputs (one input file gives one output file). Files already in
    /// OUT are skipped. Together the shards write what `dedup -o OUT` writes, byte for byte.
    ///
    /// Example: textdup filter data/ --shard 0/4 --work run/ -o clean/
    Filter(FilterArgs),
    /// A persistent index: keep what earlier runs saw, and deduplicate new data against it.
    ///
    /// An index is a folder of immutable segments (sorted band keys, exact-text hashes, ids and
    /// shingle sets) and a manifest. `build` makes one from a corpus, `add` adds documents to it,
    /// and `dedup --against` / `scan --against` remove or report the documents of a new corpus
    /// that the index (or an earlier new document) already holds, without reading the old
    /// corpus again. The index records its settings; runs against it use them.
    ///
    /// Example: textdup index build archive.tdx data/2025/ && textdup dedup --against
    /// archive.tdx new.jsonl -o clean.jsonl
    Index(IndexArgs),
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    #[command(subcommand)]
    pub command: IndexCommand,
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Make a new index from a corpus.
    ///
    /// The corpus is deduplicated as `dedup` does it, and the documents it keeps are indexed
    /// (--all indexes near-duplicates too). The index is written under a temporary name and
    /// appears whole when done; INDEX must not exist.
    ///
    /// Example: textdup index build archive.tdx data/2025/
    Build(IndexBuildArgs),
    /// Add documents to an index.
    ///
    /// Each new document is matched against the index and the new documents before it; the
    /// ones that stay are written as a new segment (--all: every one but exact copies), which
    /// becomes visible at once, whole. A killed add leaves the index as it was. One writer at a
    /// time; queries may run meanwhile.
    ///
    /// Example: textdup index add archive.tdx data/2026-01/
    Add(IndexAddArgs),
    /// Print an index's documents, segments, size on disk and settings.
    ///
    /// Example: textdup index stats archive.tdx --json
    Stats(IndexStatsArgs),
    /// Merge an index's segments into one, which makes lookups cheaper.
    ///
    /// Queries give the same answers before and after; queries running meanwhile are not
    /// disturbed. Every block is checked against its checksum on the way.
    ///
    /// Example: textdup index compact archive.tdx
    Compact(IndexPathArgs),
    /// Check every byte of an index against its checksums.
    ///
    /// Queries check what they read as they go; this reads all of it. Exit status 1 names the
    /// damaged segment.
    ///
    /// Example: textdup index verify archive.tdx
    Verify(IndexPathArgs),
}

#[derive(Debug, Args)]
pub struct IndexBuildArgs {
    /// The index to make (a folder; must not exist).
    #[arg(value_name = "INDEX")]
    pub index: PathBuf,

    #[command(flatten)]
    pub input: InputArgs,

    /// Index every document but exact copies, near-duplicates included [default: only the
    /// documents deduplication keeps].
    #[arg(long)]
    pub all: bool,

    /// Also index every N-word window of the documents, for `--level span --against`
    /// (decontamination: 13 is the usual N). Use with --all, so that no document's windows
    /// are left out.
    #[arg(long, value_name = "N")]
    pub spans: Option<usize>,

    #[command(flatten)]
    pub matching: MatchArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct IndexAddArgs {
    /// The index to add to.
    #[arg(value_name = "INDEX")]
    pub index: PathBuf,

    #[command(flatten)]
    pub input: InputArgs,

    /// Index every new document but exact copies, near-duplicates included [default: only the
    /// documents deduplication keeps].
    #[arg(long)]
    pub all: bool,

    /// Which of the new documents that only duplicate each other stays and is indexed.
    #[arg(long, value_enum, default_value_t = KeepArg::First, help_heading = "Output")]
    pub keep: KeepArg,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct IndexStatsArgs {
    /// The index.
    #[arg(value_name = "INDEX")]
    pub index: PathBuf,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IndexPathArgs {
    /// The index.
    #[arg(value_name = "INDEX")]
    pub index: PathBuf,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct SketchArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Which shard to sketch, I/N: the input files whose index is I modulo N.
    #[arg(long, default_value = "0/1", value_name = "I/N")]
    pub shard: Shard,

    /// The work folder the steps share (made if missing).
    #[arg(long, value_name = "DIR")]
    pub work: PathBuf,

    #[command(flatten)]
    pub matching: MatchArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// The work folder the steps share.
    #[arg(long, value_name = "DIR")]
    pub work: PathBuf,

    #[command(flatten)]
    pub matching: MatchArgs,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub memory: MemoryArgs,
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Which shard to write, I/N, as in `sketch`.
    #[arg(long, default_value = "0/1", value_name = "I/N")]
    pub shard: Shard,

    /// The work folder the steps share.
    #[arg(long, value_name = "DIR")]
    pub work: PathBuf,

    /// Where to write the cleaned corpus (shared by the shards).
    #[arg(short, long, value_name = "OUT", value_parser = output_path)]
    pub output: PathBuf,

    /// Where to write the removed list, as `dedup` does [default: OUT.removed.jsonl]. Each
    /// shard writes it if it is not there yet: it lists the whole corpus's removed documents.
    #[arg(long, value_name = "FILE", value_parser = output_path)]
    pub removed: Option<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Real text to build from: anything textdup reads (files, folders, JSONL, .gz/.zst).
    #[arg(long, required = true, num_args = 1.., value_name = "PATHS")]
    pub from: Vec<PathBuf>,

    /// Documents to write, originals and copies together.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub docs: usize,

    /// Seed of every random choice.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,

    /// Share of base documents that get planted copies.
    #[arg(long, default_value_t = 0.3, value_name = "P")]
    pub share: f64,

    /// Most copies per planted document.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub max_copies: usize,

    /// An edit kind to plant, optionally with its strength range (KIND or KIND:MIN-MAX); repeat
    /// for several. Default: every kind at its default range.
    #[arg(long = "edit", value_name = "KIND[:MIN-MAX]", value_parser = parse_edit)]
    pub edits: Vec<Edit>,

    /// Fewest and most words in a base document [default: 60-600; with --passages, 40-240 in a
    /// document's body].
    #[arg(long, value_name = "MIN-MAX", value_parser = parse_range)]
    pub words: Option<(usize, usize)>,

    /// Write a passage benchmark instead: articles whose headline is printed twice, restated in a
    /// caption, whose paragraphs are copied with a few words changed into later articles, with
    /// boilerplate lines; DIR/passages.jsonl holds the byte spans of every planted repeat. Score
    /// it with `textdup eval --passages`. Paragraphs are never reused: the input must hold enough
    /// text (--recombine does not apply).
    #[arg(long)]
    pub passages: bool,

    /// Copies less similar than this to their original are singletons in the truth.
    #[arg(long, default_value_t = 0.8, value_name = "T")]
    pub truth_threshold: f64,

    /// When the input runs out, go on with bases made of random paragraphs already used (they
    /// share a paragraph now and then, never most of their text): millions of documents from a
    /// few megabytes of prose.
    #[arg(long)]
    pub recombine: bool,

    /// The JSON field holding the text of JSONL input.
    #[arg(long, default_value = "text", value_name = "NAME")]
    pub text_field: String,

    /// Where to write corpus.jsonl and truth.jsonl.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,

    /// Replace DIR if it exists.
    #[arg(long)]
    pub force: bool,
}

fn parse_range(s: &str) -> Result<(usize, usize), String> {
    let (lo, hi) = s.split_once('-').ok_or("expected MIN-MAX, like 60-600")?;
    let number = |x: &str| x.trim().parse::<usize>().map_err(|e| format!("{x:?}: {e}"));
    Ok((number(lo)?, number(hi)?))
}

fn parse_edit(s: &str) -> Result<Edit, String> {
    let (name, range) = match s.split_once(':') {
        Some((name, range)) => (name, Some(range)),
        None => (s, None),
    };
    let kind = EditKind::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = EditKind::ALL.iter().map(|k| k.name()).collect();
        format!(
            "unknown edit kind {name:?} (expected one of {})",
            names.join(", ")
        )
    })?;
    let (min, max) = match range {
        None => kind.default_strength(),
        Some(range) => {
            let (lo, hi) = range.split_once('-').unwrap_or((range, range));
            let number = |x: &str| x.trim().parse::<f64>().map_err(|e| format!("{x:?}: {e}"));
            (number(lo)?, number(hi)?)
        }
    };
    Ok(Edit { kind, min, max })
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The labelled truth.
    #[arg(long, value_name = "FILE")]
    pub truth: PathBuf,

    /// The clustering to score.
    #[arg(long, value_name = "FILE")]
    pub pred: PathBuf,

    /// Score passage clusters: --truth is a passage truth (passages.jsonl from `synth
    /// --passages`), and the passage clusters of --pred (a scan's clusters) are scored by pairs
    /// of spans, by kind of planted repeat.
    #[arg(long)]
    pub passages: bool,

    /// Print the scores as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub common: Common,

    /// Grains to look at: whole documents, passages and repeated spans, or both.
    #[arg(long, value_enum, default_value_t = LevelArg::All, help_heading = "Matching")]
    pub level: LevelArg,

    /// Replace report files (--clusters, --annotate, --html) that exist.
    #[arg(long)]
    pub force: bool,

    /// Report the documents an index already holds: one JSON line per new document that
    /// duplicates an indexed one (or an earlier new one), with the id it duplicates and their
    /// similarity. Uses the index's settings; implies --level document. With --level span
    /// (an index built with --spans N): one line per document that shares an N-word window
    /// with an indexed one, the window's bytes and the indexed id.
    #[arg(long, value_name = "INDEX", help_heading = "Matching")]
    pub against: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DedupArgs {
    #[command(flatten)]
    pub common: Common,

    /// Where to write the cleaned corpus (a file or a folder, see above; - for stdout, with
    /// one input file).
    #[arg(short, long, value_name = "OUT", value_parser = output_path)]
    pub output: PathBuf,

    /// Replace OUT (and the removed list) if they exist.
    #[arg(long)]
    pub force: bool,

    /// Where to write the removed list [default: OUT.removed.jsonl; required with -o -]:
    /// removed documents, and with --level passage or all the removed passages with their
    /// byte spans.
    #[arg(long, value_name = "FILE", value_parser = output_path)]
    pub removed: Option<PathBuf>,

    /// What to remove: duplicate documents; repeated passages (all but the first occurrence
    /// in corpus order) and boilerplate, editing documents in place; or both.
    #[arg(long, value_enum, default_value_t = LevelArg::Document, help_heading = "Matching")]
    pub level: LevelArg,

    /// Also remove every document an index already holds (or a near-duplicate of one): the
    /// old data stays as it is and is not read again. Uses the index's settings. A document
    /// is removed when its cluster, among the indexed documents and the new ones, holds an
    /// indexed document or an earlier new one that stays. With --level span (an index built
    /// with --spans N): remove every document that shares an N-word window with an indexed
    /// one.
    #[arg(long, value_name = "INDEX", help_heading = "Matching")]
    pub against: Option<PathBuf>,
}

/// What scan and dedup share.
#[derive(Debug, Args)]
pub struct Common {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub matching: MatchArgs,

    #[command(flatten)]
    pub passages: PassageArgs,

    #[command(flatten)]
    pub report: ReportArgs,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub memory: MemoryArgs,
}

/// The corpus and how to read it.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files or folders to read; `-` reads stdin. Folders are read recursively in sorted order,
    /// leaving out hidden entries (names starting with a dot).
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// How to tell documents apart: by file name (.jsonl/.ndjson are JSON Lines; .json is decided
    /// by its content, as `json` is; .parquet is Parquet, a document per row; .warc and .wet
    /// (also .warc.wet.gz) are WARC, a document per text record (WET conversion); the rest one
    /// document per file; stdin is JSON Lines), or force one. `json`: JSON Lines when the first
    /// line is a JSON object; records when the file is one JSON array of objects (or one object);
    /// else one document; a note says which.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto, help_heading = "Input")]
    pub input_format: FormatArg,

    /// JSON field (or Parquet column) holding the text. A dotted name (metadata.content) reaches
    /// into nested objects (or struct columns) when no field has the whole name.
    #[arg(
        long,
        default_value = "text",
        value_name = "NAME",
        help_heading = "Input"
    )]
    pub text_field: String,

    /// JSON field (or Parquet column) holding the document id (dotted names reach into objects,
    /// as for --text-field); lines without it are named FILE:LINE, rows FILE:ROW (from 1).
    #[arg(
        long,
        default_value = "id",
        value_name = "NAME",
        help_heading = "Input"
    )]
    pub id_field: String,

    /// Where to keep the copy of stdin and, under --memory, the spilled index [default: the
    /// system's temporary folder]. Everything written there is removed at the end, and on Ctrl-C.
    #[arg(long, value_name = "DIR", help_heading = "Input")]
    pub tmp_dir: Option<PathBuf>,

    /// Skip documents larger than SIZE (a text file's size, a JSON line's length), without
    /// reading them into memory; they are reported, counted and carried over to dedup's output
    /// [default: no limit; under --memory, a sixteenth of it (a sixty-fourth with --unit char)].
    #[arg(long, value_name = "SIZE", value_parser = textdup::parse_size, help_heading = "Input")]
    pub max_doc_size: Option<u64>,
}

/// What counts as a duplicate, and how documents are sketched.
#[derive(Debug, Args)]
pub struct MatchArgs {
    /// Normalization steps, comma-separated: nfkc, lowercase, hyphens (Co-operation =
    /// Cooperation), punctuation, whitespace; or all, or none.
    #[arg(long, default_value = "all", value_name = "STEPS", value_parser = parse_normalization, help_heading = "Matching")]
    pub normalize: Normalization,

    /// Shingle unit: words or characters.
    #[arg(long, value_enum, default_value_t = UnitArg::Word, help_heading = "Matching")]
    pub unit: UnitArg,

    /// Units per shingle. Texts shorter than this still get one shingle of what they have.
    #[arg(long, default_value_t = 5, value_name = "N", help_heading = "Matching")]
    pub ngram: usize,

    /// Jaccard similarity at or above which two documents are near-duplicates.
    #[arg(
        long,
        default_value_t = 0.8,
        value_name = "T",
        help_heading = "Matching"
    )]
    pub threshold: f64,

    /// How to verify candidate pairs: exact Jaccard of the shingle sets (re-reads candidate
    /// documents), or the MinHash estimate (faster, ±0.035 at 128 permutations).
    #[arg(long, value_enum, default_value_t = VerifyArg::Exact, help_heading = "Matching")]
    pub verify: VerifyArg,

    /// MinHash permutations (signature length).
    #[arg(
        long,
        default_value_t = 128,
        value_name = "K",
        help_heading = "Sketching"
    )]
    pub num_perm: usize,

    /// Seed of the shingle hash and MinHash functions; same seed, same output.
    #[arg(
        long,
        default_value_t = 1,
        value_name = "S",
        help_heading = "Sketching"
    )]
    pub seed: u64,

    /// LSH bands [default: chosen from --threshold]. Give with --rows.
    #[arg(long, requires = "rows", value_name = "B", help_heading = "Sketching")]
    pub bands: Option<usize>,

    /// LSH rows per band [default: chosen from --threshold]. Give with --bands.
    #[arg(long, requires = "bands", value_name = "R", help_heading = "Sketching")]
    pub rows: Option<usize>,

    /// Which member of a cluster is kept.
    #[arg(long, value_enum, default_value_t = KeepArg::First, help_heading = "Output")]
    pub keep: KeepArg,
}

/// The passage grain.
#[derive(Debug, Args)]
pub struct PassageArgs {
    /// How documents are cut into passages: non-blank lines, blank-line separated
    /// paragraphs, or sentences.
    #[arg(long, value_enum, default_value_t = PassageArg::Line, help_heading = "Passages")]
    pub passage: PassageArg,

    /// Words per passage shingle.
    #[arg(long, default_value_t = 3, value_name = "N", help_heading = "Passages")]
    pub passage_ngram: usize,

    /// Similarity (Jaccard, containment, or for short passages edit similarity) at or above
    /// which two passages repeat each other.
    #[arg(
        long,
        default_value_t = 0.8,
        value_name = "T",
        help_heading = "Passages"
    )]
    pub passage_threshold: f64,

    /// Least number of words (after normalization) of a reported repeated span.
    #[arg(
        long,
        default_value_t = 10,
        value_name = "N",
        help_heading = "Passages"
    )]
    pub min_span: usize,

    /// A passage or span found in at least this many documents is boilerplate.
    #[arg(long, default_value_t = 3, value_name = "N", help_heading = "Passages")]
    pub boilerplate_min_docs: usize,

    /// dedup: the largest share of a document's text that passage cleaning may cut. A document
    /// whose repeated passages are more of it is kept whole and named in a note; 1 always cuts.
    #[arg(
        long,
        default_value_t = 0.5,
        value_name = "SHARE",
        help_heading = "Passages"
    )]
    pub max_cut: f64,
}

/// Report files.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Write one JSON line per document with passage or span findings to FILE, for tools that
    /// flag rather than remove.
    #[arg(long, value_name = "FILE", help_heading = "Output", value_parser = output_path)]
    pub annotate: Option<PathBuf>,

    /// Write a self-contained HTML report (charts, clusters with word-level diffs, highlighted
    /// passages) to FILE; it opens offline.
    #[arg(long, value_name = "FILE", help_heading = "Output", value_parser = output_path)]
    pub html: Option<PathBuf>,

    /// Document clusters the HTML report shows: this many largest and this many least similar.
    #[arg(long, default_value_t = 200, value_name = "N", help_heading = "Output")]
    pub html_max_clusters: usize,

    /// Removed documents the HTML report diffs against the kept one, per cluster.
    #[arg(long, default_value_t = 20, value_name = "N", help_heading = "Output")]
    pub html_max_members: usize,

    /// Documents the HTML report shows with their passages and spans highlighted.
    #[arg(long, default_value_t = 100, value_name = "N", help_heading = "Output")]
    pub html_max_documents: usize,

    /// Write the clusters to FILE instead of stdout (scan) or nowhere (dedup).
    #[arg(long, value_name = "FILE", help_heading = "Output", value_parser = output_path)]
    pub clusters: Option<PathBuf>,

    /// Cluster output: JSON Lines (one cluster a line) or one JSON object with the summary.
    #[arg(long, value_enum, default_value_t = OutputFormat::Jsonl, help_heading = "Output")]
    pub format: OutputFormat,
}

/// How much memory a run may use.
#[derive(Debug, Args)]
pub struct MemoryArgs {
    /// Peak memory to aim for (like 4GiB, 500M): past it the band index spills to sorted runs
    /// in --tmp-dir and is merged back, with the same result. A run needs about 80 bytes per
    /// document and 50 per candidate pair regardless (0.8 GB for ten million documents).
    /// The passage grain spills its span windows and members' texts; if its other tables
    /// would pass the limit, the run stops and says how much it needs. Documents larger than --max-doc-size are skipped [default: no
    /// limit].
    #[arg(long, value_name = "SIZE", value_parser = textdup::parse_size, help_heading = "Input")]
    pub memory: Option<u64>,
}

/// Threads, and what a run shows.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Worker threads [default: one per core].
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    /// Progress bars on stderr: when stderr is a terminal, always, or never. `always` where
    /// stderr is not a terminal (a Slurm or nohup log) prints a plain progress line every few
    /// seconds instead.
    #[arg(long, value_enum, default_value_t = ProgressArg::Auto, help_heading = "Output")]
    pub progress: ProgressArg,

    /// Seconds between plain progress lines (for tests).
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, hide = true)]
    pub progress_every: f64,

    /// No progress bars and no summary; warnings and errors still go to stderr.
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Auto,
    Text,
    Jsonl,
    Json,
    Parquet,
    Warc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    Document,
    Passage,
    All,
    /// With --against an index built with --spans N: documents that share an N-word window
    /// with an indexed one (decontamination).
    Span,
}

impl LevelArg {
    pub fn level(self) -> Level {
        match self {
            LevelArg::Document => Level::Document,
            LevelArg::Passage => Level::Passage,
            LevelArg::All => Level::All,
            // Only runs against an index look for span windows; the CLI
            // refuses it elsewhere before a configuration is made.
            LevelArg::Span => Level::Document,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PassageArg {
    Line,
    Paragraph,
    Sentence,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum UnitArg {
    Word,
    Char,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum VerifyArg {
    Exact,
    Estimate,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KeepArg {
    First,
    Longest,
    Shortest,
}

impl KeepArg {
    /// The library's policy.
    pub fn keep(self) -> Keep {
        match self {
            KeepArg::First => Keep::First,
            KeepArg::Longest => Keep::Longest,
            KeepArg::Shortest => Keep::Shortest,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Jsonl,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    Auto,
    Always,
    Never,
}

fn parse_normalization(s: &str) -> Result<Normalization, String> {
    Normalization::parse(s)
}

impl Common {
    /// The library configuration these arguments ask for, at `level`.
    pub fn config(&self, level: LevelArg) -> Config {
        Config {
            level: level.level(),
            passage: self.passages.config(),
            ..self.matching.config()
        }
    }
}

impl PassageArgs {
    /// The passage settings these arguments ask for.
    pub fn config(&self) -> PassageConfig {
        PassageConfig {
            unit: match self.passage {
                PassageArg::Line => PassageUnit::Line,
                PassageArg::Paragraph => PassageUnit::Paragraph,
                PassageArg::Sentence => PassageUnit::Sentence,
            },
            ngram: self.passage_ngram,
            threshold: self.passage_threshold,
            min_span: self.min_span,
            boilerplate_min_docs: self.boilerplate_min_docs,
            max_cut: self.max_cut,
            ..PassageConfig::default()
        }
    }
}

impl MatchArgs {
    /// The document-level configuration these arguments ask for.
    pub fn config(&self) -> Config {
        Config {
            normalization: self.normalize,
            shingling: Shingling {
                unit: match self.unit {
                    UnitArg::Word => Unit::Word,
                    UnitArg::Char => Unit::Char,
                },
                n: self.ngram,
            },
            num_perm: self.num_perm,
            seed: self.seed,
            threshold: self.threshold,
            banding: match (self.bands, self.rows) {
                (Some(bands), Some(rows)) => Some(Banding { bands, rows }),
                _ => None,
            },
            verification: match self.verify {
                VerifyArg::Exact => Verification::Exact,
                VerifyArg::Estimate => Verification::Estimate,
            },
            keep: self.keep.keep(),
            ..Config::default()
        }
    }
}

impl InputArgs {
    /// How to read the inputs.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            format: match self.input_format {
                FormatArg::Auto => InputFormat::Auto,
                FormatArg::Text => InputFormat::Text,
                FormatArg::Jsonl => InputFormat::Jsonl,
                FormatArg::Json => InputFormat::Json,
                FormatArg::Parquet => InputFormat::Parquet,
                FormatArg::Warc => InputFormat::Warc,
            },
            text_field: self.text_field.clone(),
            id_field: self.id_field.clone(),
            max_document_bytes: self.max_doc_size,
        }
    }
}

/// An output path, with the names of standard output read as `-`. The
/// shell may have pointed standard output at a pipe, a terminal or a file
/// it opened (`> out.jsonl`), and writing to the stream already open is
/// right for all three, where replacing the file behind the name is not.
fn output_path(name: &str) -> Result<PathBuf, String> {
    Ok(match name {
        "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1" => PathBuf::from("-"),
        _ => PathBuf::from(name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_match_the_library() {
        let cli = Cli::parse_from(["textdup", "scan", "x"]);
        let Command::Scan(scan) = cli.command else {
            panic!("parsed as scan")
        };
        assert_eq!(
            scan.common.config(LevelArg::Document),
            Config::default(),
            "the CLI's defaults are the library's"
        );
        assert_eq!(
            scan.level,
            LevelArg::All,
            "scan looks at both grains by default"
        );
        assert_eq!(scan.common.input.read_options(), ReadOptions::default());
    }
}
