//! One self-contained HTML file of a run's findings, for people.
//!
//! Takes a [`Report`] and the corpus (to read the texts it shows) and
//! writes a page that opens offline: all CSS, the few lines of JavaScript
//! and the SVG charts are inline, nothing is fetched. It shows the summary
//! and parameters, the LSH S-curve, the similarity histogram and the
//! cluster-size distribution, the document clusters (by size, or least
//! similar first) with a word-level diff of each removed document against
//! the kept one, and the documents with repeated passages and spans
//! highlighted in place.
//!
//! Invariants: every piece of corpus text goes through [`escape`], so a
//! document holding `<script>` shows it as text; what is embedded is capped
//! ([`HtmlOptions`]) and the page says what was left out.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write;

use similar::{ChangeTag, TextDiff};

use crate::cluster::Cluster;
use crate::core::DocId;
use crate::error::Result;
use crate::lsh::Banding;
use crate::passage::{PassageCluster, Span};
use crate::progress::Progress;
use crate::read::Corpus;
use crate::report::{count, Report};

/// What the page embeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HtmlOptions {
    /// Document clusters shown: this many largest, and this many least
    /// similar (the two may overlap). Default 1,000.
    pub max_clusters: usize,
    /// Removed documents shown (diffed) per cluster. Default 20.
    pub max_members: usize,
    /// Documents shown with their passages and spans highlighted. Default 200.
    pub max_documents: usize,
    /// Bytes of a document's text shown (diffs and highlights). Default 20,000.
    pub max_text_bytes: usize,
    /// The command line that made the run, shown in the summary.
    pub command: String,
    /// What the page calls the three caps above when it says how to raise
    /// them (a command line's flags, a binding's argument names). Default:
    /// the field names.
    pub cap_names: CapNames,
}

/// The names of [`HtmlOptions`]' caps, as the caller's users set them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapNames {
    /// For `max_clusters`.
    pub clusters: String,
    /// For `max_members`.
    pub members: String,
    /// For `max_documents`.
    pub documents: String,
}

impl Default for CapNames {
    fn default() -> Self {
        CapNames {
            clusters: "max_clusters".to_string(),
            members: "max_members".to_string(),
            documents: "max_documents".to_string(),
        }
    }
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            max_clusters: 200,
            max_members: 20,
            max_documents: 100,
            max_text_bytes: 20_000,
            command: String::new(),
            cap_names: CapNames::default(),
        }
    }
}

/// Escapes text for HTML content and attribute values.
///
/// ```
/// assert_eq!(textdup::report::html::escape("<b a=\"1\">&'"), "&lt;b a=&quot;1&quot;&gt;&amp;&#39;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes the page for `report` to `out`, reading from `corpus` the texts
/// of the documents it shows (one pass, only those documents kept).
/// `progress` is asked between batches whether to stop.
pub fn write(
    report: &Report,
    corpus: &dyn Corpus,
    options: &HtmlOptions,
    progress: &dyn Progress,
    out: &mut dyn Write,
) -> Result<()> {
    let shown = choose_clusters(report, options.max_clusters);
    let finding_docs = documents_with_findings(report, options.max_documents);
    let mut wanted: HashSet<DocId> = HashSet::new();
    for &c in &shown {
        let cluster = &report.clusters[c];
        wanted.insert(cluster.kept());
        wanted.extend(shown_members(cluster, options.max_members).map(|m| m.doc));
    }
    wanted.extend(finding_docs.iter().copied());
    let texts = load_texts(report, corpus, &wanted, options.max_text_bytes, progress)?;
    let page = render(report, &texts, &shown, &finding_docs, options);
    out.write_all(page.as_bytes())
        .map_err(|e| crate::Error::io("the HTML report", e))
}

/// The removed members of a cluster the page diffs: the first `cap`.
fn shown_members(cluster: &Cluster, cap: usize) -> impl Iterator<Item = &crate::cluster::Member> {
    cluster.members.iter().filter(|m| !m.kept).take(cap)
}

/// A document's text as the page shows it: at most `max_text_bytes`.
struct Shown {
    text: String,
    cut: bool,
}

/// Indices of the clusters to embed: the largest and the least similar,
/// in cluster order.
fn choose_clusters(report: &Report, cap: usize) -> Vec<usize> {
    let mut by_size: Vec<usize> = (0..report.clusters.len()).collect();
    by_size.sort_by_key(|&c| (std::cmp::Reverse(report.clusters[c].members.len()), c));
    let mut by_similarity = by_size.clone();
    by_similarity.sort_by(|&a, &b| {
        min_similarity(&report.clusters[a])
            .total_cmp(&min_similarity(&report.clusters[b]))
            .then(a.cmp(&b))
    });
    let chosen: BTreeSet<usize> = by_size
        .into_iter()
        .take(cap)
        .chain(by_similarity.into_iter().take(cap))
        .collect();
    chosen.into_iter().collect()
}

fn min_similarity(cluster: &Cluster) -> f64 {
    cluster
        .members
        .iter()
        .filter(|m| !m.kept)
        .map(|m| m.similarity)
        .fold(1.0, f64::min)
}

/// Every document with passage or span findings, in input order.
fn finding_documents(report: &Report) -> BTreeSet<DocId> {
    let passages = report
        .passage_clusters
        .iter()
        .flat_map(|c| c.members.into_iter().map(|m| m.doc));
    let spans = report
        .span_clusters
        .iter()
        .flat_map(|c| c.members.into_iter().map(|m| m.doc));
    passages.chain(spans).collect()
}

/// The first `cap` documents (in input order) with passage or span findings.
fn documents_with_findings(report: &Report, cap: usize) -> Vec<DocId> {
    finding_documents(report).into_iter().take(cap).collect()
}

fn load_texts(
    report: &Report,
    corpus: &dyn Corpus,
    wanted: &HashSet<DocId>,
    max_bytes: usize,
    progress: &dyn Progress,
) -> Result<HashMap<DocId, Shown>> {
    let mut texts = HashMap::new();
    if wanted.is_empty() {
        return Ok(texts);
    }
    // The same id-checked stream as the pipeline's later passes.
    crate::read::stream::documents(corpus, &report.ids, |batch| {
        if progress.cancelled() {
            return Err(crate::Error::Interrupted);
        }
        for (id, doc) in &batch {
            if !wanted.contains(id) {
                continue;
            }
            let mut text = doc.text.clone();
            let cut = text.len() > max_bytes;
            if cut {
                let mut end = max_bytes;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.truncate(end);
            }
            texts.insert(*id, Shown { text, cut });
        }
        Ok(())
    })?;
    Ok(texts)
}

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
main{padding:12px 24px;max-width:1400px}section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin:14px 0}
h2{font-size:16px;margin:4px 0 10px}table.kv td{padding:2px 12px 2px 0;vertical-align:top}table.kv td:first-child{color:#5a6475}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:16px}.chart{min-width:0}.chart h3{font-size:13px;margin:4px 0}
svg text{font-size:10px;fill:#5a6475}.note{color:#5a6475;font-size:12px}.gap{color:#8a94a6;font-style:italic;white-space:normal}
details{border-top:1px solid #eef0f3;padding:4px 0}summary{cursor:pointer}summary .id{font-family:monospace}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin:6px 0 12px}.pair>div{border:1px solid #e3e6eb;border-radius:4px;padding:6px 8px;white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:12px;max-height:320px;overflow:auto}
del{background:#ffd7d5;text-decoration:line-through}ins{background:#c9f2d0;text-decoration:none}
mark{background:#fff0a8;border-bottom:2px solid #e0b400}mark.across{background:#dbe9ff;border-color:#3d7be0}mark.boilerplate{background:#eee;border-color:#999}
.doc{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:12px;border:1px solid #e3e6eb;border-radius:4px;padding:6px 8px;max-height:360px;overflow:auto}
.controls{display:flex;gap:12px;align-items:center;margin-bottom:8px}input[type=search]{padding:5px 8px;width:320px}
.hidden{display:none}.count{display:inline-block;height:9px;background:#3d7be0;margin-right:6px}.bar{fill:#3d7be0}.curve{fill:none;stroke:#3d7be0;stroke-width:2}.threshold{stroke:#d33;stroke-dasharray:4 3}
"#;

const SCRIPT: &str = r#"
window.addEventListener('error', function (e) {
  var box = document.getElementById('script-errors');
  box.textContent += (e.message || 'error') + '\n';
  box.classList.remove('hidden');
});
(function () {
  var search = document.getElementById('search');
  var items = Array.prototype.slice.call(document.querySelectorAll('[data-search]'));
  search.addEventListener('input', function () {
    var q = search.value.toLowerCase();
    items.forEach(function (el) {
      el.classList.toggle('hidden', q !== '' && el.textContent.toLowerCase().indexOf(q) < 0);
    });
  });
  var list = document.getElementById('clusters');
  document.getElementById('order').addEventListener('change', function (e) {
    var key = e.target.value;
    var nodes = Array.prototype.slice.call(list.children);
    nodes.sort(function (a, b) {
      return key === 'size'
        ? (b.dataset.size - a.dataset.size) || (a.dataset.cluster - b.dataset.cluster)
        : (a.dataset.min - b.dataset.min) || (a.dataset.cluster - b.dataset.cluster);
    });
    nodes.forEach(function (n) { list.appendChild(n); });
  });
  document.body.dataset.ready = 'yes';
})();
"#;

fn render(
    report: &Report,
    texts: &HashMap<DocId, Shown>,
    shown: &[usize],
    finding_docs: &[DocId],
    options: &HtmlOptions,
) -> String {
    let s = &report.summary;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>textdup report</title>\
         <style>{STYLE}</style></head><body>\n<header><h1>textdup report</h1>\
         <div class=\"note\">{} read; {}; {} removed</div></header>\n<main>\n\
         <pre id=\"script-errors\" class=\"hidden\"></pre>\n",
        count(s.read, "document"),
        count(s.clusters, "cluster"),
        count(s.removed, "document")
    );

    render_summary(&mut h, report, options);
    render_charts(&mut h, report);

    // Controls.
    h.push_str(
        "<section><div class=\"controls\"><input id=\"search\" type=\"search\" placeholder=\"Filter by document id or text\">\
         <label>Order clusters <select id=\"order\"><option value=\"size\">largest first</option>\
         <option value=\"min\">least similar first</option></select></label></div></section>\n",
    );

    render_clusters(&mut h, report, texts, shown, options);
    if report.summary.parameters.level.passages() {
        render_findings(&mut h, report, texts, finding_docs, &options.cap_names);
    }

    let _ = writeln!(h, "</main><script>{SCRIPT}</script></body></html>");
    h
}

/// The summary table: the command, then the rows every human format
/// shares ([`Summary::rows`](crate::Summary::rows)).
fn render_summary(h: &mut String, report: &Report, options: &HtmlOptions) {
    h.push_str("<section id=\"summary\"><h2>Summary</h2><table class=\"kv\">");
    let command = ("command", options.command.clone());
    for (key, value) in std::iter::once(command).chain(report.summary.rows()) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(key),
            escape(&value)
        );
    }
    h.push_str("</table></section>\n");
}

/// The LSH S-curve, the similarities of clustered pairs and the cluster
/// sizes, as inline SVG.
fn render_charts(h: &mut String, report: &Report) {
    let s = &report.summary;
    let p = &s.parameters;
    h.push_str("<section id=\"charts\"><h2>Charts</h2><div class=\"charts\">");
    let banding = Banding {
        bands: p.bands,
        rows: p.rows,
    };
    let _ = write!(
        h,
        "<div class=\"chart\"><h3>LSH S-curve: chance of becoming a candidate</h3>{}</div>",
        s_curve(banding, p.threshold)
    );
    // Exact copies are joined without a verified pair: each is one at 1.0.
    let similarities: Vec<f64> = report
        .pairs
        .iter()
        .map(|p| p.similarity)
        .chain(std::iter::repeat(1.0).take(s.exact_duplicates as usize))
        .collect();
    let _ = write!(
        h,
        "<div class=\"chart\"><h3>Similarity of clustered pairs ({})</h3>{}</div>",
        match similarities.len() {
            1 => "1 verified pair or exact copy".to_string(),
            n => format!("{n} verified pairs and exact copies"),
        },
        histogram(&similarities, p.threshold)
    );
    let mut sizes: BTreeMap<usize, u64> = BTreeMap::new();
    for c in &report.clusters {
        *sizes.entry(c.members.len()).or_default() += 1;
    }
    let _ = write!(
        h,
        "<div class=\"chart\"><h3>Cluster sizes (log scale)</h3>{}</div>",
        size_chart(&sizes)
    );
    h.push_str("</div>");
    h.push_str("</section>\n");
}

/// The shown document clusters, largest first, each with its diffs.
fn render_clusters(
    h: &mut String,
    report: &Report,
    texts: &HashMap<DocId, Shown>,
    shown: &[usize],
    options: &HtmlOptions,
) {
    let _ = write!(
        h,
        "<section id=\"document-clusters\"><h2>Document clusters ({})</h2>",
        report.clusters.len()
    );
    if shown.len() < report.clusters.len() {
        let _ = write!(
            h,
            "<p class=\"note\">Showing {} of {} clusters: the {} largest and the {} least similar. Raise the cap with {}.</p>",
            shown.len(),
            report.clusters.len(),
            options.max_clusters,
            options.max_clusters,
            escape(&options.cap_names.clusters)
        );
    }
    h.push_str("<div id=\"clusters\">");
    let mut ordered: Vec<usize> = shown.to_vec();
    ordered.sort_by_key(|&c| (std::cmp::Reverse(report.clusters[c].members.len()), c));
    for (rank, c) in ordered.into_iter().enumerate() {
        // The largest few open, so the page shows a diff at first sight.
        let fold = if rank < 3 { Fold::Open } else { Fold::Closed };
        render_cluster(h, report, &report.clusters[c], texts, options, fold);
    }
    h.push_str("</div></section>\n");
}

/// Whether a cluster's details start open.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fold {
    Open,
    Closed,
}

fn render_cluster(
    h: &mut String,
    report: &Report,
    cluster: &Cluster,
    texts: &HashMap<DocId, Shown>,
    options: &HtmlOptions,
    fold: Fold,
) {
    let kept = cluster.kept();
    let min = min_similarity(cluster);
    let _ = write!(
        h,
        "<details class=\"cluster\" data-search data-cluster=\"{}\" data-size=\"{}\" data-min=\"{:.6}\"{}><summary>cluster {} · {} documents · lowest similarity {:.3} · keeps <span class=\"id\">{}</span></summary>",
        cluster.id.0,
        cluster.members.len(),
        min,
        if fold == Fold::Open { " open" } else { "" },
        cluster.id.0,
        cluster.members.len(),
        min,
        escape(report.id(kept))
    );
    let text_of = |doc: DocId| {
        texts
            .get(&doc)
            .map_or(("", false), |s| (s.text.as_str(), s.cut))
    };
    let (kept_text, kept_cut) = text_of(kept);
    let removed = cluster.members.len() - 1;
    for m in shown_members(cluster, options.max_members) {
        let (text, cut) = text_of(m.doc);
        let (left, right) = word_diff(kept_text, text);
        let note = if kept_cut || cut {
            " (texts cut to their first bytes)"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<div class=\"note\">kept <span class=\"id\">{}</span> vs removed <span class=\"id\">{}</span>: similarity {:.3}{note}</div>\
             <div class=\"pair\"><div>{}</div><div>{}</div></div>",
            escape(report.id(kept)),
            escape(report.id(m.doc)),
            m.similarity,
            left,
            right
        );
    }
    if removed > options.max_members {
        let _ = write!(
            h,
            "<p class=\"note\">Showing {} of the {removed} removed documents. Raise the cap with {}.</p>",
            options.max_members,
            escape(&options.cap_names.members)
        );
    }
    h.push_str("</details>");
}

/// Unchanged words shown on each side of a change; longer unchanged
/// stretches are elided ("… 312 unchanged words …").
const CONTEXT_WORDS: usize = 10;

/// The two sides of a word-level diff, escaped: what only the kept text
/// has in `<del>`, what only the other has in `<ins>`. A run of changed
/// words (and the spaces between them) is one element, not one per word,
/// and long unchanged stretches are elided to their ends: near-duplicates
/// are mostly the same, and most of a large report's bytes were that.
fn word_diff(kept: &str, other: &str) -> (String, String) {
    let diff = TextDiff::from_words(kept, other);
    let changes: Vec<(ChangeTag, &str)> = diff
        .iter_all_changes()
        .map(|c| (c.tag(), c.value()))
        .collect();
    let mut left = Side::new("del");
    let mut right = Side::new("ins");
    let mut i = 0;
    while i < changes.len() {
        let (tag, text) = changes[i];
        if tag != ChangeTag::Equal {
            let side = if tag == ChangeTag::Delete {
                &mut left
            } else {
                &mut right
            };
            // White space that differs (a line break for a space) is no
            // difference once normalized: shown as it is, unmarked.
            side.push(&escape(text), !text.trim().is_empty());
            i += 1;
            continue;
        }
        let end = changes[i..]
            .iter()
            .position(|(t, _)| *t != ChangeTag::Equal)
            .map_or(changes.len(), |n| i + n);
        for piece in elided(&changes[i..end], i == 0, end == changes.len()) {
            left.push(&piece, false);
            right.push(&piece, false);
        }
        i = end;
    }
    (left.finish(), right.finish())
}

/// An unchanged stretch of tokens (words and the white space between
/// them), escaped, with its middle (or, at the start or end of the text,
/// its far end) elided when it holds more than twice the context.
fn elided(tokens: &[(ChangeTag, &str)], first: bool, last: bool) -> Vec<String> {
    let context = 2 * CONTEXT_WORDS; // tokens: a word and a space each
    let keep_head = if first { 0 } else { context };
    let keep_tail = if last { 0 } else { context };
    if tokens.len() <= keep_head + keep_tail + 2 * context {
        return tokens.iter().map(|(_, t)| escape(t)).collect();
    }
    let words = |ts: &[(ChangeTag, &str)]| ts.iter().filter(|(_, t)| !t.trim().is_empty()).count();
    let gap = &tokens[keep_head..tokens.len() - keep_tail];
    let mut out: Vec<String> = tokens[..keep_head].iter().map(|(_, t)| escape(t)).collect();
    out.push(format!(
        "<span class=\"gap\">… {} …</span>",
        count(words(gap) as u64, "unchanged word")
    ));
    out.extend(
        tokens[tokens.len() - keep_tail..]
            .iter()
            .map(|(_, t)| escape(t)),
    );
    out
}

/// One side of a diff being written, with its marking element open or not.
/// White space between two changed words goes inside the element; white
/// space after the last one waits outside it.
struct Side {
    html: String,
    tag: &'static str,
    open: bool,
    /// Unchanged white space after an open run, not yet placed.
    pending: String,
}

impl Side {
    fn new(tag: &'static str) -> Side {
        Side {
            html: String::new(),
            tag,
            open: false,
            pending: String::new(),
        }
    }

    fn push(&mut self, text: &str, marked: bool) {
        if !marked && self.open && text.trim().is_empty() {
            self.pending.push_str(text);
            return;
        }
        if marked && !self.open {
            let _ = write!(self.html, "<{}>", self.tag);
            self.open = true;
        } else if !marked && self.open {
            let _ = write!(self.html, "</{}>", self.tag);
            self.open = false;
        }
        self.html.push_str(&self.pending);
        self.pending.clear();
        self.html.push_str(text);
    }

    fn finish(mut self) -> String {
        if self.open {
            let _ = write!(self.html, "</{}>", self.tag);
        }
        self.html.push_str(&self.pending);
        self.html
    }
}

/// One highlight: a passage or span of a document, and what to say on hover.
struct Highlight {
    span: Span,
    class: &'static str,
    title: String,
}

fn render_findings(
    h: &mut String,
    report: &Report,
    texts: &HashMap<DocId, Shown>,
    docs: &[DocId],
    cap_names: &CapNames,
) {
    let mut highlights = highlights_of(report, docs);
    let total = finding_documents(report);
    let _ = write!(
        h,
        "<section id=\"passages\"><h2>Repeated passages and spans ({})</h2>\
         <p class=\"note\"><mark>repeated within a document</mark> <mark class=\"across\">repeated across documents</mark> \
         <mark class=\"boilerplate\">boilerplate</mark>; hover a highlight for its cluster.</p>",
        count(total.len() as u64, "document")
    );
    if docs.len() < total.len() {
        let _ = write!(
            h,
            "<p class=\"note\">Showing the first {} of {} documents with findings. Raise the cap with {}.</p>",
            docs.len(),
            total.len(),
            escape(&cap_names.documents)
        );
    }
    render_top_passages(h, report);
    for doc in docs {
        let (text, cut) = texts
            .get(doc)
            .map_or(("", false), |s| (s.text.as_str(), s.cut));
        let marks = highlights.remove(doc).unwrap_or_default();
        let _ = write!(
            h,
            "<details class=\"finding\" data-search open><summary><span class=\"id\">{}</span> · {} highlights</summary><div class=\"doc\">{}</div></details>",
            escape(report.id(*doc)),
            marks.len(),
            highlight(text, &marks, cut)
        );
    }
    h.push_str("</section>\n");
}

/// The highlights of the documents `docs`: every member of a passage or
/// span cluster in them, titled with its cluster and the other documents
/// it is in.
fn highlights_of(report: &Report, docs: &[DocId]) -> HashMap<DocId, Vec<Highlight>> {
    let wanted: HashSet<DocId> = docs.iter().copied().collect();
    let mut highlights: HashMap<DocId, Vec<Highlight>> = HashMap::new();
    let mut add = |level: &str, id: u32, boilerplate: bool, members: &[(DocId, Span)]| {
        // Once per cluster: a boilerplate line can be in a million documents.
        let mut names: Vec<&str> = members.iter().map(|(d, _)| report.id(*d)).collect();
        names.sort_unstable();
        names.dedup();
        for &(doc, span) in members {
            if !wanted.contains(&doc) {
                continue;
            }
            let own = report.id(doc);
            let across = names.len() > 1 || names.first() != Some(&own);
            let mut others: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| *n != own)
                .take(11)
                .collect();
            if others.len() > 10 {
                others[10] = "…";
            }
            highlights.entry(doc).or_default().push(Highlight {
                span,
                class: if boilerplate {
                    "boilerplate"
                } else if across {
                    "across"
                } else {
                    "within"
                },
                title: format!(
                    "{level} cluster {id}{}; {} copies{}",
                    if boilerplate { " (boilerplate)" } else { "" },
                    members.len(),
                    if others.is_empty() {
                        ", all in this document".to_string()
                    } else {
                        format!(", also in {}", others.join(", "))
                    }
                ),
            });
        }
    };
    for c in &report.passage_clusters {
        let members: Vec<(DocId, Span)> = c.members.iter().map(|m| (m.doc, m.span)).collect();
        add("passage", c.id, c.boilerplate, &members);
    }
    for c in &report.span_clusters {
        let members: Vec<(DocId, Span)> = c.members.iter().map(|m| (m.doc, m.span)).collect();
        add("span", c.id, c.boilerplate, &members);
    }
    highlights
}

/// The twenty passages found in the most documents, with a bar each.
fn render_top_passages(h: &mut String, report: &Report) {
    if !report.passage_clusters.is_empty() {
        h.push_str("<h3>Most repeated passages</h3><table class=\"kv\"><tr><td>documents</td><td>copies</td><td>passage</td></tr>");
        // Ranked as they are read, twenty kept: a large corpus has
        // millions of clusters, which need not be in memory at once.
        let rank = |c: &PassageCluster| {
            (
                std::cmp::Reverse(c.documents()),
                std::cmp::Reverse(c.members.len()),
                c.id,
            )
        };
        let mut top: Vec<PassageCluster> = Vec::with_capacity(21);
        for c in &report.passage_clusters {
            let at = top.partition_point(|t| rank(t) < rank(&c));
            if at < 20 {
                top.insert(at, c);
                top.truncate(20);
            }
        }
        let most = top.first().map_or(1, |c| c.documents()).max(1);
        for c in top {
            let first = &c.members[0];
            let _ = write!(
                h,
                "<tr><td><span class=\"count\" style=\"width:{}px\"></span>{}</td><td>{}</td><td>{}{}</td></tr>",
                (80 * c.documents() / most).max(2),
                c.documents(),
                c.members.len(),
                if c.boilerplate {
                    "<b>boilerplate</b> "
                } else {
                    ""
                },
                escape(report.member_text(first.doc, first.span))
            );
        }
        h.push_str("</table>");
    }
}

/// `text` escaped, with every highlight wrapped in `<mark>`. Overlapping
/// highlights are cut at each other's edges, so marks never cross.
fn highlight(text: &str, marks: &[Highlight], cut: bool) -> String {
    let mut cuts: BTreeSet<usize> = [0, text.len()].into_iter().collect();
    for m in marks {
        for at in [m.span.start, m.span.end] {
            if at <= text.len() && text.is_char_boundary(at) {
                cuts.insert(at);
            }
        }
    }
    let cuts: Vec<usize> = cuts.into_iter().collect();
    let mut out = String::new();
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let piece = escape(&text[a..b]);
        // The innermost (shortest) highlight covering the piece speaks for it.
        let cover = marks
            .iter()
            .filter(|m| m.span.start <= a && b <= m.span.end)
            .min_by_key(|m| m.span.end - m.span.start);
        match cover {
            Some(m) => {
                let _ = write!(
                    out,
                    "<mark class=\"{}\" title=\"{}\">{piece}</mark>",
                    m.class,
                    escape(&m.title)
                );
            }
            None => out.push_str(&piece),
        }
    }
    if cut {
        out.push_str("<span class=\"note\"> … (cut)</span>");
    }
    out
}

/// SVG frame: 360 × 200 with margins, x and y in [0, 1].
fn frame(body: &str, x_label: &str, y_label: &str) -> String {
    format!(
        "<svg viewBox=\"0 0 380 220\" width=\"100%\" role=\"img\"><rect x=\"40\" y=\"10\" width=\"320\" height=\"170\" fill=\"none\" stroke=\"#dde1e7\"/>{body}\
         <text x=\"200\" y=\"212\" text-anchor=\"middle\">{}</text><text x=\"12\" y=\"95\" transform=\"rotate(-90 12 95)\" text-anchor=\"middle\">{}</text></svg>",
        escape(x_label),
        escape(y_label)
    )
}

fn sx(x: f64) -> f64 {
    40.0 + 320.0 * x
}

fn sy(y: f64) -> f64 {
    180.0 - 170.0 * y
}

fn s_curve(banding: Banding, threshold: f64) -> String {
    let points: Vec<String> = (0..=100)
        .map(|i| {
            let s = i as f64 / 100.0;
            format!("{:.1},{:.1}", sx(s), sy(banding.probability(s)))
        })
        .collect();
    let mut body = format!(
        "<polyline class=\"curve\" points=\"{}\"/>",
        points.join(" ")
    );
    let _ = write!(
        body,
        "<line class=\"threshold\" x1=\"{x:.1}\" y1=\"10\" x2=\"{x:.1}\" y2=\"180\"/><text x=\"{x:.1}\" y=\"24\" text-anchor=\"end\">threshold {threshold} → P = {:.3}&#160;</text>",
        banding.probability(threshold),
        x = sx(threshold)
    );
    for tick in [0.0, 0.5, 1.0] {
        let _ = write!(
            body,
            "<text x=\"{:.1}\" y=\"194\" text-anchor=\"middle\">{tick}</text>",
            sx(tick)
        );
    }
    frame(
        &body,
        &format!(
            "Jaccard similarity ({} bands × {} rows)",
            banding.bands, banding.rows
        ),
        "P(candidate)",
    )
}

/// The histogram of `values` (similarities of clustered pairs, all at or
/// above the threshold) over `[low, 1]`: zoomed in from 0, where every bar
/// would be squashed into the last few bins.
fn histogram(values: &[f64], low: f64) -> String {
    const BINS: usize = 20;
    let low = low.clamp(0.0, 0.95);
    let width = 1.0 - low;
    let mut counts = [0u64; BINS];
    for &v in values {
        let bin = ((v - low).max(0.0) / width * BINS as f64) as usize;
        counts[bin.min(BINS - 1)] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let mut body = String::new();
    for (i, &c) in counts.iter().enumerate() {
        let height = 170.0 * c as f64 / max;
        let _ = write!(
            body,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\"><title>{:.3}–{:.3}: {c}</title></rect>",
            sx(i as f64 / BINS as f64) + 1.0,
            180.0 - height,
            320.0 / BINS as f64 - 2.0,
            low + width * i as f64 / BINS as f64,
            low + width * (i + 1) as f64 / BINS as f64
        );
    }
    for at in [0.0, 0.5, 1.0] {
        let _ = write!(
            body,
            "<text x=\"{:.1}\" y=\"194\" text-anchor=\"middle\">{}</text>",
            sx(at),
            round_label(low + width * at)
        );
    }
    frame(&body, "similarity", &format!("pairs (max {max})"))
}

/// A tick label: at most three decimals, no trailing zeros.
fn round_label(x: f64) -> String {
    let text = format!("{x:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn size_chart(sizes: &BTreeMap<usize, u64>) -> String {
    let max = sizes.values().copied().max().unwrap_or(1).max(1) as f64;
    let n = sizes.len().max(1);
    let width = 320.0 / n as f64;
    let mut body = String::new();
    for (i, (&size, &count)) in sizes.iter().enumerate() {
        // log10(1 + count) so that a single cluster still shows.
        let height = 170.0 * (1.0 + count as f64).log10() / (1.0 + max).log10();
        let x = 40.0 + width * i as f64;
        let _ = write!(
            body,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\"><title>size {size}: {count} clusters</title></rect>",
            x + 1.0,
            180.0 - height,
            (width - 2.0).max(1.0)
        );
        if n <= 12 || i % (n / 12 + 1) == 0 {
            let _ = write!(
                body,
                "<text x=\"{:.1}\" y=\"194\" text-anchor=\"middle\">{size}</text>",
                x + width / 2.0
            );
        }
    }
    frame(
        &body,
        "cluster size (documents)",
        &format!("clusters, log scale (max {max})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The histogram spans the threshold to 1, so similar pairs spread
    /// over its bars instead of piling into the last ones.
    #[test]
    fn the_histogram_starts_at_the_threshold() {
        let svg = histogram(&[0.8, 0.9, 0.99, 1.0], 0.8);
        for label in [">0.8<", ">0.9<", ">1<"] {
            assert!(svg.contains(label), "{label}: {svg}");
        }
        assert!(svg.contains("0.800–0.810: 1"), "{svg}");
        assert!(svg.contains("0.900–0.910: 1"), "{svg}");
        assert!(svg.contains("0.990–1.000: 2"), "{svg}");
        assert!(!svg.contains(">0.5<"), "{svg}");
    }
    use crate::{run, Config, Document, Level, NoProgress};

    fn page(docs: &[Document], options: &HtmlOptions) -> String {
        let config = Config {
            level: Level::All,
            ..Config::default()
        };
        let report = run(&docs.to_vec(), &config, &NoProgress).unwrap();
        let mut out = Vec::new();
        write(
            &report,
            &docs.to_vec(),
            options,
            &crate::NoProgress,
            &mut out,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn corpus_text_is_escaped_everywhere() {
        let evil = "<script>document.body.dataset.pwned = 1</script> and the rest of a long enough line here";
        let docs = vec![
            Document::new("<b>id</b>", format!("{evil}\n{evil}")),
            Document::new("other", format!("{evil}\nsomething else")),
        ];
        let html = page(&docs, &HtmlOptions::default());
        assert!(
            !html.contains("<script>document"),
            "corpus text must not become markup"
        );
        assert!(html.contains("&lt;script&gt;document.body.dataset.pwned"));
        assert!(!html.contains("<b>id</b>"));
        assert!(html.contains("&lt;b&gt;id&lt;/b&gt;"));
        // Exactly one script element: ours.
        assert_eq!(html.matches("<script>").count(), 1);
    }

    #[test]
    fn caps_limit_what_is_embedded_and_say_so() {
        // 15 pairs of near-identical documents, each pair its own words,
        // and each document a line of its own printed twice (a finding in
        // every kept document).
        let docs: Vec<Document> = (0..30)
            .map(|i| {
                let shared: Vec<String> = (0..200).map(|w| format!("w{}x{w}", i / 2)).collect();
                let own: Vec<String> = (0..6).map(|w| format!("o{i}y{w}")).collect();
                let own = own.join(" ");
                Document::new(
                    format!("d{i}"),
                    format!("{}\n{own}\n{own}", shared.join(" ")),
                )
            })
            .collect();
        let options = HtmlOptions {
            max_clusters: 2,
            max_documents: 3,
            ..HtmlOptions::default()
        };
        let html = page(&docs, &options);
        let shown = html.matches("<details class=\"cluster\"").count();
        assert!((2..=4).contains(&shown), "{shown}");
        assert!(html.contains("Raise the cap with max_clusters."));
        assert_eq!(html.matches("<details class=\"finding\"").count(), 3);
        assert!(html.contains("Raise the cap with max_documents."));
    }

    #[test]
    fn an_empty_corpus_still_makes_a_page() {
        let html = page(&[], &HtmlOptions::default());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("Document clusters (0)"));
        assert!(html.contains("<svg"));
        assert!(html.ends_with("</html>\n"));
    }

    #[test]
    fn diffs_mark_what_differs() {
        let (left, right) = word_diff("a b c d", "a x c d");
        assert_eq!(left, "a <del>b</del> c d");
        assert_eq!(right, "a <ins>x</ins> c d");
        // Long unchanged stretches keep only their ends near a change.
        let words: Vec<String> = (0..300).map(|i| format!("w{i}")).collect();
        let kept = words.join(" ");
        let other = kept.replace("w150", "changed");
        let (left, right) = word_diff(&kept, &other);
        assert!(left.contains("<del>w150</del>") && right.contains("<ins>changed</ins>"));
        for side in [&left, &right] {
            assert_eq!(side.matches("unchanged words").count(), 2, "{side}");
            assert!(side.contains("w140 ") && side.contains(" w160"), "{side}");
            assert!(!side.contains("w100 ") && !side.contains("w200"), "{side}");
            assert!(side.len() < kept.len() / 3, "{side}");
        }
        // A run of changed words is one element, and the text is kept.
        let (left, right) = word_diff("a b c d e", "a x y z e f g");
        assert_eq!(left, "a <del>b c d</del> e");
        assert_eq!(right, "a <ins>x y z</ins> e <ins>f g</ins>");
    }

    #[test]
    fn overlapping_highlights_do_not_cross() {
        let text = "one two three four";
        let marks = [
            Highlight {
                span: Span { start: 0, end: 13 },
                class: "within",
                title: "a".into(),
            },
            Highlight {
                span: Span { start: 4, end: 18 },
                class: "across",
                title: "b".into(),
            },
        ];
        let html = highlight(text, &marks, false);
        assert_eq!(
            html,
            "<mark class=\"within\" title=\"a\">one </mark><mark class=\"within\" title=\"a\">two three</mark><mark class=\"across\" title=\"b\"> four</mark>"
        );
    }
}
