//! The settings of a run, with their defaults and valid ranges, and
//! [`parse_size`], the byte counts they are given in (`--memory 4GiB`).

use crate::cluster::Keep;
use crate::error::{Error, Result, Setting};
use crate::lsh::Banding;
use crate::normalize::Normalization;
use crate::passage::PassageUnit;
use crate::shingle::Shingling;
use crate::verify::Verification;

/// Everything that decides what a run finds. Construct with
/// `Config::default()` and change fields; [`Config::validate`] (called by
/// the pipeline) rejects values out of range.
///
/// ```
/// let config = textdup::Config { threshold: 0.9, ..Default::default() };
/// assert!(config.validate().is_ok());
/// assert_eq!(config.banding().rows * config.banding().bands <= config.num_perm, true);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Which normalization steps run before shingling. Default: all.
    pub normalization: Normalization,
    /// Shingle unit and length. Default: 5-word shingles.
    pub shingling: Shingling,
    /// MinHash permutations (signature slots). Default: 128.
    pub num_perm: usize,
    /// Seed of the shingle hash and the MinHash functions. Default: 1.
    pub seed: u64,
    /// Jaccard similarity at or above which two documents are duplicates,
    /// in (0, 1]. Default: 0.8.
    pub threshold: f64,
    /// LSH bands and rows; `None` (the default) picks them from the
    /// threshold, see [`Banding::optimal`].
    pub banding: Option<Banding>,
    /// How candidate pairs are verified. Default: exact Jaccard.
    pub verification: Verification,
    /// Which member of a cluster is kept. Default: the first.
    pub keep: Keep,
    /// Which grains to look at. Default: documents only.
    pub level: Level,
    /// Settings of the passage grain.
    pub passage: PassageConfig,
}

/// The grains a run looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Level {
    /// Whole documents.
    #[default]
    Document,
    /// Passages and repeated spans inside and across documents.
    Passage,
    /// Both.
    All,
}

impl Level {
    /// Whether whole documents are compared.
    pub fn documents(self) -> bool {
        matches!(self, Level::Document | Level::All)
    }

    /// Whether passages and spans are looked for.
    pub fn passages(self) -> bool {
        matches!(self, Level::Passage | Level::All)
    }

    /// The level's name, as the CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Document => "document",
            Level::Passage => "passage",
            Level::All => "all",
        }
    }
}

/// Settings of the passage grain. The normalization and seed are the run's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PassageConfig {
    /// How documents are cut into passages. Default: lines.
    pub unit: PassageUnit,
    /// Words per passage shingle. Default: 3 (passages are short).
    pub ngram: usize,
    /// Similarity at or above which two passages repeat each other.
    /// Default: 0.8.
    pub threshold: f64,
    /// MinHash permutations for passages. Default: 64, which at 0.8 bands
    /// as 11 × 4 (P(0.8) = 0.997).
    pub num_perm: usize,
    /// Least number of words of a repeated span. Default: 10.
    pub min_span: usize,
    /// A passage or span in at least this many documents is boilerplate.
    /// Default: 3.
    pub boilerplate_min_docs: usize,
    /// The largest share of a document's text (in bytes) that passage
    /// cleaning may cut. A document whose repeated passages are more is
    /// kept whole and reported instead: a page made mostly of text found
    /// elsewhere is better flagged than gutted. Default: 0.5; 1.0 always
    /// cuts.
    pub max_cut: f64,
}

impl Default for PassageConfig {
    fn default() -> Self {
        PassageConfig {
            unit: PassageUnit::Line,
            ngram: 3,
            threshold: 0.8,
            num_perm: 64,
            min_span: 10,
            boilerplate_min_docs: 3,
            max_cut: 0.5,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            normalization: Normalization::default(),
            shingling: Shingling::default(),
            num_perm: 128,
            seed: 1,
            threshold: 0.8,
            banding: None,
            verification: Verification::default(),
            keep: Keep::default(),
            level: Level::default(),
            passage: PassageConfig::default(),
        }
    }
}

/// How a run may use the machine. Never changes what it finds: a run
/// with a memory limit gives the same report as one without.
///
/// ```
/// let limited = textdup::Resources { memory: Some(2 << 30), ..Default::default() };
/// assert!(limited.validate().is_ok());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    /// Peak memory to aim for, in bytes; `None` (the default) for no
    /// limit. Past it, the band index spills to sorted runs on disk, and
    /// no shingle sets are kept from the first pass. The passage grain
    /// spills its span windows, sizes its span bitmaps to the limit and
    /// writes its members' texts to a temporary file; when its other
    /// tables would take the run past the limit, the run stops with
    /// [`Error::MemoryLimit`] and the memory it would need. What a run needs
    /// regardless (each document's id, origin and length, first copy, and
    /// the verification and clustering tables: about 80 bytes per document
    /// and 50 per candidate pair) is not spilled, so a limit below that is
    /// passed rather than met.
    pub memory: Option<u64>,
    /// Where spilled runs go, in a `textdup-*` folder removed at the end;
    /// `None` (the default) for the system's temporary folder.
    pub tmp_dir: Option<std::path::PathBuf>,
    /// Bytes for the band index alone, instead of its share of `memory`:
    /// lets tests spill on corpora small enough for a test. Default `None`.
    #[doc(hidden)]
    pub index_budget: Option<usize>,
    /// Bytes for the passage grain's tables alone, instead of what
    /// `memory` leaves them: lets tests pass the limit on small corpora.
    /// Default `None`.
    #[doc(hidden)]
    pub passage_budget: Option<usize>,
    /// Bytes of shingle sets pass 1 keeps for verification, instead of the
    /// default (256 MiB, or none under a memory limit): lets tests mix kept and
    /// re-read sets. Default `None`.
    #[doc(hidden)]
    pub set_cache: Option<usize>,
}

/// The least memory limit: batches in flight and per-thread buffers
/// alone take some 200 MB.
pub const MIN_MEMORY: u64 = 256 << 20;

impl Resources {
    /// The largest document a run within these resources takes
    /// ([`ReadOptions::max_document_bytes`](crate::ReadOptions::max_document_bytes)):
    /// none without a memory limit; under one, a sixteenth of it for word
    /// shingles and a sixty-fourth for character shingles, since each
    /// thread working on a document holds its text, its normalized copy
    /// and a hash per shingle (a character shingle per byte, eight bytes
    /// each). It depends on the limit and the shingles only, never on the
    /// thread count, so that the same run skips the same documents.
    ///
    /// ```
    /// use textdup::{Config, Resources};
    /// let limited = Resources { memory: Some(1 << 30), ..Default::default() };
    /// assert_eq!(limited.max_document_bytes(&Config::default()), Some(64 << 20));
    /// assert_eq!(Resources::default().max_document_bytes(&Config::default()), None);
    /// ```
    pub fn max_document_bytes(&self, config: &Config) -> Option<u64> {
        let share = match config.shingling.unit {
            crate::shingle::Unit::Word => 16,
            crate::shingle::Unit::Char => 64,
        };
        self.memory.map(|limit| limit / share)
    }

    /// Checks that a limit leaves room to work (at least 256 MiB), and
    /// that the temporary folder takes files when the run may spill to
    /// it (or when one is named): a bad folder is found now, not at the
    /// first spill hours in.
    pub fn validate(&self) -> Result<()> {
        if self.memory.is_some() || self.tmp_dir.is_some() {
            let dir = self.tmp_dir.clone().unwrap_or_else(std::env::temp_dir);
            if let Err(e) = tempfile::tempfile_in(&dir) {
                return Err(Error::Io {
                    path: dir,
                    source: std::io::Error::new(
                        e.kind(),
                        format!("cannot write temporary files here: {e}"),
                    ),
                });
            }
        }
        match self.memory {
            Some(limit) if limit < MIN_MEMORY => Err(Error::Config {
                setting: Setting::Memory,
                problem: format!(
                    "a memory limit of {} is too small: give at least {} MiB",
                    // Under a mebibyte, in bytes: "0 MiB" would hide what
                    // was given (`--memory 1KiB`, or a unit left out).
                    if limit >= 1 << 20 {
                        format!("{} MiB", limit >> 20)
                    } else {
                        format!("{limit} bytes")
                    },
                    MIN_MEMORY >> 20
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// The units [`parse_size`] accepts, with their sizes in bytes: binary
/// multiples for the bare letters and the `iB` forms, as `free -h` and
/// `ls -h` mean them, decimal ones for `KB` to `TB`, as disk makers do.
const SIZE_UNITS: [(&str, u64); 13] = [
    ("B", 1),
    ("K", 1 << 10),
    ("KiB", 1 << 10),
    ("KB", 1_000),
    ("M", 1 << 20),
    ("MiB", 1 << 20),
    ("MB", 1_000_000),
    ("G", 1 << 30),
    ("GiB", 1 << 30),
    ("GB", 1_000_000_000),
    ("T", 1 << 40),
    ("TiB", 1 << 40),
    ("TB", 1_000_000_000_000),
];

/// Parses a size in bytes, like `4GiB`, `500M`, `1.5G` or `2000000`: a
/// decimal number (digits, with at most one `.`) and an optional unit,
/// case-insensitive: `B`; `K`, `M`, `G`, `T` and `KiB`, `MiB`, `GiB`,
/// `TiB` (powers of 1024); `KB`, `MB`, `GB`, `TB` (powers of 1000). A
/// fraction of a byte is dropped. What `--memory` takes.
///
/// ```
/// use textdup::parse_size;
/// assert_eq!(parse_size("4GiB"), Ok(4 << 30));
/// assert_eq!(parse_size("1.5k"), Ok(1536));
/// assert_eq!(parse_size("2 MB"), Ok(2_000_000));
/// assert!(parse_size("-1G").is_err());
/// assert!(parse_size("18446744073709551616").unwrap_err().contains("too large"));
/// ```
///
/// # Errors
/// A message saying what is wrong, naming every unit when the unit is
/// unknown, when the number is not one (`.`, `1..2`, `-1`, `nan`,
/// `1e3`), or when the size does not fit in 64 bits.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit = unit.trim_start();
    let not_a_size = || format!("{s:?} is not a size (like 4GiB or 500M)");
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    // A sign, an exponent, "nan" or "inf" leave no digits before the unit
    // or put a letter where the unit is: not sizes either way.
    let exponent = unit.len() > 1
        && unit.starts_with(['e', 'E'])
        && unit[1..].starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') || exponent {
        return Err(not_a_size());
    }
    let scale = match SIZE_UNITS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(unit))
    {
        Some(&(_, scale)) => scale,
        None if unit.is_empty() => 1,
        None => {
            let names: Vec<&str> = SIZE_UNITS.iter().map(|(name, _)| *name).collect();
            return Err(format!(
                "{s:?}: unknown size unit {unit:?} (use {}: K and KiB are 1024 bytes, KB is 1000, and so on)",
                names.join(", ")
            ));
        }
    };
    let too_large = || format!("{s:?} is too large: at most {} bytes", u64::MAX);
    // Integers throughout, so that no size is rounded through a float.
    let mut bytes: u128 = 0;
    for digit in whole.bytes() {
        bytes = bytes * 10 + u128::from(digit - b'0');
        if bytes > u128::from(u64::MAX) {
            return Err(too_large());
        }
    }
    bytes *= u128::from(scale);
    // Eighteen digits of a fraction are more than any unit can tell
    // apart (a TiB is 1.1e12 bytes); the product stays below 2^128.
    let (mut numerator, mut denominator) = (0u128, 1u128);
    for digit in fraction.bytes().take(18) {
        numerator = numerator * 10 + u128::from(digit - b'0');
        denominator *= 10;
    }
    bytes += numerator * u128::from(scale) / denominator;
    u64::try_from(bytes).map_err(|_| too_large())
}

impl Config {
    /// Checks every field against its valid range.
    pub fn validate(&self) -> Result<()> {
        let fail = |setting, problem| Err(Error::Config { setting, problem });
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return fail(
                Setting::Threshold,
                format!("threshold must be in (0, 1], got {}", self.threshold),
            );
        }
        if !(1..=4096).contains(&self.num_perm) {
            return fail(
                Setting::NumPerm,
                format!("num_perm must be in 1..=4096, got {}", self.num_perm),
            );
        }
        if !(1..=1000).contains(&self.shingling.n) {
            return fail(
                Setting::ShingleSize,
                format!("shingle size must be in 1..=1000, got {}", self.shingling.n),
            );
        }
        self.passage.validate()?;
        if let Some(banding) = self.banding {
            validate_banding(banding, self.num_perm)?;
        }
        Ok(())
    }

    /// The banding the run uses: the configured one, or the optimal one.
    pub fn banding(&self) -> Banding {
        self.banding
            .unwrap_or_else(|| Banding::optimal(self.threshold, self.num_perm))
    }
}

impl PassageConfig {
    /// Checks every field against its valid range.
    pub(crate) fn validate(&self) -> Result<()> {
        let fail = |setting, problem| Err(Error::Config { setting, problem });
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return fail(
                Setting::PassageThreshold,
                format!(
                    "passage threshold must be in (0, 1], got {}",
                    self.threshold
                ),
            );
        }
        if !(1..=100).contains(&self.ngram) {
            return fail(
                Setting::PassageShingleSize,
                format!(
                    "passage shingle size must be in 1..=100, got {}",
                    self.ngram
                ),
            );
        }
        if !(1..=4096).contains(&self.num_perm) {
            return fail(
                Setting::PassageNumPerm,
                format!(
                    "passage num_perm must be in 1..=4096, got {}",
                    self.num_perm
                ),
            );
        }
        if !(2..=10_000).contains(&self.min_span) {
            return fail(
                Setting::MinSpan,
                format!("min span must be in 2..=10000 words, got {}", self.min_span),
            );
        }
        if !(0.0..=1.0).contains(&self.max_cut) {
            return fail(
                Setting::MaxCut,
                format!("max cut must be in [0, 1], got {}", self.max_cut),
            );
        }
        if self.boilerplate_min_docs < 2 {
            return fail(
                Setting::BoilerplateDocs,
                "boilerplate needs at least 2 documents".to_string(),
            );
        }
        Ok(())
    }
}

/// Checks a banding the caller chose against the signature length.
fn validate_banding(b: Banding, num_perm: usize) -> Result<()> {
    let fail = |setting, problem| Err(Error::Config { setting, problem });
    if b.bands == 0 || b.rows == 0 {
        return fail(
            Setting::Banding,
            "bands and rows must be at least 1".to_string(),
        );
    }
    // Checked one by one first, so the product cannot overflow.
    if b.bands > num_perm || b.rows > num_perm {
        return fail(
            Setting::Banding,
            format!(
                "bands ({}) and rows ({}) must each be at most num_perm {}",
                b.bands, b.rows, num_perm
            ),
        );
    }
    if b.slots() > num_perm {
        return fail(
            Setting::Banding,
            format!(
                "bands × rows = {} × {} = {} exceeds num_perm {}",
                b.bands,
                b.rows,
                b.slots(),
                num_perm
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_too_small_memory_limit_is_named_as_given() {
        let said = |memory: u64| {
            Resources {
                memory: Some(memory),
                ..Default::default()
            }
            .validate()
            .expect_err("below the minimum")
            .to_string()
        };
        assert!(
            said(1024).contains("a memory limit of 1024 bytes"),
            "{}",
            said(1024)
        );
        assert!(
            said(100 << 20).contains("a memory limit of 100 MiB"),
            "{}",
            said(100 << 20)
        );
        let enough = Resources {
            memory: Some(MIN_MEMORY),
            ..Default::default()
        };
        assert!(enough.validate().is_ok());
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        let bad = [
            Config {
                threshold: 0.0,
                ..Default::default()
            },
            Config {
                threshold: 1.5,
                ..Default::default()
            },
            Config {
                threshold: f64::NAN,
                ..Default::default()
            },
            Config {
                num_perm: 0,
                ..Default::default()
            },
            Config {
                shingling: Shingling {
                    n: 0,
                    ..Default::default()
                },
                ..Default::default()
            },
            Config {
                banding: Some(Banding { bands: 20, rows: 7 }),
                ..Default::default()
            },
            Config {
                banding: Some(Banding {
                    bands: usize::MAX / 2 + 1,
                    rows: 2,
                }),
                ..Default::default()
            },
        ];
        for config in bad {
            assert!(config.validate().is_err(), "{config:?}");
        }
        assert!(Config::default().validate().is_ok());
    }

    #[test]
    fn sizes_parse_exactly() {
        let cases: &[(&str, u64)] = &[
            ("0", 0),
            ("512", 512),
            ("512B", 512),
            ("1k", 1024),
            ("1KiB", 1024),
            ("1kb", 1000),
            ("1.5K", 1536),
            (".5M", 512 << 10),
            ("3.", 3),
            ("2 GiB", 2 << 30),
            ("  4G  ", 4 << 30),
            ("1TB", 1_000_000_000_000),
            ("1tib", 1 << 40),
            ("0.0000001K", 0),
            ("18446744073709551615", u64::MAX),
            ("16777215.999999999999999999999T", u64::MAX),
        ];
        for &(text, want) in cases {
            assert_eq!(parse_size(text), Ok(want), "{text:?}");
        }
    }

    #[test]
    fn bad_sizes_say_why() {
        let cases = [
            ("18446744073709551616", "too large"),
            ("16777216T", "too large"),
            ("99999999999999999999999999999999999999999", "too large"),
            ("1e400G", "is not a size"),
            ("1E3", "is not a size"),
            ("", "is not a size"),
            (".", "is not a size"),
            ("1..2G", "is not a size"),
            ("1.2.3", "is not a size"),
            ("-1G", "is not a size"),
            ("nan", "is not a size"),
            ("inf", "is not a size"),
            ("G", "is not a size"),
            ("4 GiBs", "unknown size unit"),
        ];
        for (text, want) in cases {
            let err = parse_size(text).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        let err = parse_size("4XB").unwrap_err();
        for unit in SIZE_UNITS.map(|(name, _)| name) {
            assert!(err.contains(unit), "{unit} not listed in {err}");
        }
    }
}
