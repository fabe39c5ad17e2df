//! Diagnostics for people: miette's graphical report, with labels in other files (the manifest,
//! the inventory) shown as related reports over their own source.
//!
//! What is printed stays small whatever the input: each report shows an excerpt of its files
//! (`excerpt`: long lines cropped around the labels), at most [`MAX_LABELS`] labels, and texts
//! of at most [`MAX_TEXT_CHARACTERS`]; of one code in one file, at most [`MAX_PER_CODE`]
//! diagnostics are rendered and one line counts the rest. Machine formats (`lint --format
//! json`, SARIF, GitHub) carry every diagnostic and every label.

mod excerpt;

use std::fmt::{self, Write as _};

use indexmap::IndexMap;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use crate::codes::{Code, Severity};
use crate::diagnostic::{Diagnostic, Label, Note};
use crate::source::{FileId, SourceMap};
use excerpt::Excerpt;

/// Diagnostics of one code in one file rendered before the rest are only counted: ten thousand
/// identical findings say no more than fifty, and printing them all took gigabytes.
pub const MAX_PER_CODE: usize = 50;

/// Labels one report shows, the primary first; a cycle of 50,000 steps has a label per edge.
pub const MAX_LABELS: usize = 20;

/// A message, label or help longer than this is cut, with `…`: some quote the input.
pub const MAX_TEXT_CHARACTERS: usize = 500;

/// Renders diagnostics at a fixed width, with or without colour.
pub struct Renderer {
    handler: GraphicalReportHandler,
}

impl Renderer {
    #[must_use]
    pub fn new(color: bool) -> Self {
        let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        Self { handler: GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false) }
    }

    /// Every diagnostic of a run, in order, at most [`MAX_PER_CODE`] of one code in one file;
    /// a line per code and file says how many more there are.
    #[must_use]
    pub fn diagnostics(&self, diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
        let mut out = String::new();
        let mut cap = Cap::default();
        for diagnostic in diagnostics {
            if cap.admit(diagnostic.primary.span.file, Some(diagnostic.code)) {
                out.push_str(&self.diagnostic(diagnostic, sources));
            }
        }
        cap.write_summary(&mut out, sources);
        out
    }

    /// Notes as [`Renderer::diagnostics`] renders diagnostics: at most [`MAX_PER_CODE`] per file.
    #[must_use]
    pub fn notes(&self, notes: &[Note], sources: &SourceMap) -> String {
        let mut out = String::new();
        let mut cap = Cap::default();
        for note in notes {
            if cap.admit(note.span.file, None) {
                out.push_str(&self.note(note, sources));
            }
        }
        cap.write_summary(&mut out, sources);
        out
    }

    /// One diagnostic as text, ending in a newline.
    #[must_use]
    pub fn diagnostic(&self, diagnostic: &Diagnostic, sources: &SourceMap) -> String {
        let report = Report::from_labels(
            format!("{} {}", diagnostic.code, diagnostic.code.name()),
            crop(&diagnostic.message),
            match diagnostic.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            diagnostic.help.as_deref().map(crop),
            std::iter::once((&diagnostic.primary, true)).chain(diagnostic.secondary.iter().map(|label| (label, false))),
            sources,
        );
        self.render(&report)
    }

    #[must_use]
    pub fn note(&self, note: &Note, sources: &SourceMap) -> String {
        let label = Label::bare(note.span);
        let report = Report::from_labels(
            String::new(),
            format!("note: {}", crop(&note.message)),
            miette::Severity::Advice,
            None,
            std::iter::once((&label, true)),
            sources,
        );
        self.render(&report)
    }

    fn render(&self, report: &Report) -> String {
        let mut out = String::new();
        if self.handler.render_report(&mut out, report).is_err() {
            out = format!("{report}\n");
        }
        if report.labels_left_out > 0 {
            let _ = writeln!(out, "  note: {} not shown", count(report.labels_left_out, "more label"));
        }
        // A blank line between reports keeps them apart.
        out.push('\n');
        out
    }
}

/// Counts diagnostics (or notes, `None`) per file and code, admitting the first
/// [`MAX_PER_CODE`] of each.
#[derive(Default)]
struct Cap {
    /// How many were seen of each file and code, in the order first seen.
    seen: IndexMap<(FileId, Option<Code>), usize>,
}

impl Cap {
    fn admit(&mut self, file: FileId, code: Option<Code>) -> bool {
        let seen = self.seen.entry((file, code)).or_default();
        *seen += 1;
        *seen <= MAX_PER_CODE
    }

    /// "note: 9950 more CUT001 syntax-error diagnostics in plan.yaml are not shown …".
    fn write_summary(&self, out: &mut String, sources: &SourceMap) {
        for (&(file, code), &seen) in &self.seen {
            let left_out = seen.saturating_sub(MAX_PER_CODE);
            if left_out == 0 {
                continue;
            }
            let what = match code {
                Some(code) => {
                    format!("{code} {} {}", code.name(), if left_out == 1 { "diagnostic" } else { "diagnostics" })
                }
                None => (if left_out == 1 { "note" } else { "notes" }).to_owned(),
            };
            let _ = writeln!(
                out,
                "note: {left_out} more {what} in {} not shown (`cutover lint --format json` lists every one)\n",
                sources.get(file).name
            );
        }
    }
}

/// A text cut to [`MAX_TEXT_CHARACTERS`], with `…` where it was cut.
fn crop(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT_CHARACTERS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// A diagnostic in miette's terms: labels in the primary file, the rest as related reports.
#[derive(Debug)]
struct Report {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
    /// Labels past [`MAX_LABELS`], counted in a line under the report.
    labels_left_out: usize,
}

impl Report {
    fn from_labels<'l>(
        code: String,
        message: String,
        severity: miette::Severity,
        help: Option<String>,
        labels: impl Iterator<Item = (&'l Label, bool)>,
        sources: &SourceMap,
    ) -> Self {
        let mut labels_left_out = 0;
        let mut shown: Vec<(&Label, bool)> = Vec::new();
        for label in labels {
            if shown.len() < MAX_LABELS {
                shown.push(label);
            } else {
                labels_left_out += 1;
            }
        }
        let primary_file = shown.first().map(|(label, _)| label.span.file);
        let mut by_file: Vec<(FileId, Vec<(&Label, bool)>)> = Vec::new();
        for (label, primary) in shown {
            match by_file.iter_mut().find(|(existing, _)| *existing == label.span.file) {
                Some((_, labels)) => labels.push((label, primary)),
                None => by_file.push((label.span.file, vec![(label, primary)])),
            }
        }
        let mut source = None;
        let mut own_labels = Vec::new();
        let mut related = Vec::new();
        for (file, labels) in by_file {
            let spans: Vec<(usize, usize)> =
                labels.iter().map(|(label, _)| (label.span.start as usize, label.span.end as usize)).collect();
            let (excerpt, moved) = Excerpt::new(sources.get(file), &spans);
            let spans = labels
                .iter()
                .zip(moved)
                .map(|((label, primary), span)| {
                    let message = label.message.as_deref().map(crop);
                    if *primary {
                        LabeledSpan::new_primary_with_span(message, span)
                    } else {
                        LabeledSpan::new_with_span(message, span)
                    }
                })
                .collect();
            if Some(file) == primary_file {
                source = Some(excerpt);
                own_labels = spans;
            } else {
                related.push(Report {
                    code: String::new(),
                    message: format!("see {}", sources.get(file).name),
                    severity: miette::Severity::Advice,
                    help: None,
                    source: Some(excerpt),
                    labels: spans,
                    related: Vec::new(),
                    labels_left_out: 0,
                });
            }
        }
        Report { code, message, severity, help, source, labels: own_labels, related, labels_left_out }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty())
            .then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = LabeledSpan>>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        (!self.related.is_empty()).then(|| {
            Box::new(self.related.iter().map(|report| report as &dyn miette::Diagnostic)) as Box<dyn Iterator<Item = _>>
        })
    }
}

/// "2 errors, 1 warning"; "no problems" when empty.
#[must_use]
pub fn tally(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|diagnostic| diagnostic.severity == Severity::Error).count();
    let warnings = diagnostics.len() - errors;
    let plural = count;
    match (errors, warnings) {
        (0, 0) => "no problems".to_owned(),
        (_, 0) => plural(errors, "error"),
        (0, _) => plural(warnings, "warning"),
        _ => format!("{}, {}", plural(errors, "error"), plural(warnings, "warning")),
    }
}

/// "1 step", "3 steps".
#[must_use]
pub fn count(count: usize, word: &str) -> String {
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{CUT001, CUT005};
    use crate::source::Span;

    fn renderer() -> Renderer {
        Renderer::new(false)
    }

    #[test]
    fn a_label_past_column_65535_is_shown_cropped_at_its_true_place() {
        // A minified manifest: one line of 80 KB, the problem near its end.
        let mut text = String::from("{");
        while text.len() < 80_000 {
            text.push_str("\"component\":{\"version\":\"1.0.0\"},");
        }
        let at = text.len();
        text.push_str("\"bogus\":1}");
        let mut sources = SourceMap::new();
        let file = sources.add("manifest.json", text);
        let diagnostic =
            Diagnostic::new(CUT001, Span::new(file, at, at + 7), "expected a mapping").with_primary_label("here");
        let out = renderer().diagnostic(&diagnostic, &sources);
        assert!(out.len() < 1_000, "{out}");
        assert!(out.contains(&format!("[manifest.json:1:{}]", at + 1)), "{out}");
        assert!(out.contains("… "), "the cropped start is marked: {out}");
        assert!(out.contains("\"bogus\":1}"), "{out}");
        let underline = out.lines().find(|line| line.contains('┬')).expect("an underline");
        let source_line = out.lines().find(|line| line.contains("\"bogus\"")).expect("the line");
        // The underline stands under `"bogus"`.
        let column = |line: &str, needle: &str| line[..line.find(needle).expect(needle)].chars().count();
        assert_eq!(column(underline, "─"), column(source_line, "\"bogus\""), "{out}");
    }

    #[test]
    fn labels_far_apart_get_windows_and_snippets_of_their_own() {
        let long_line = format!("start {} middle {} end", "a".repeat(2_000), "b".repeat(2_000));
        let mut text = format!("{long_line}\n");
        for index in 0..40 {
            let _ = writeln!(text, "line {index}");
        }
        text.push_str("last\n");
        let mut sources = SourceMap::new();
        let file = sources.add("plan.yaml", text.clone());
        let middle = text.find("middle").expect("middle");
        let last = text.find("last").expect("last");
        let diagnostic = Diagnostic::new(CUT005, Span::new(file, 0, 5), "far apart")
            .with_label(Span::new(file, middle, middle + 6), "the middle")
            .with_label(Span::new(file, last, last + 4), "the last line");
        let out = renderer().diagnostic(&diagnostic, &sources);
        assert!(out.contains("start aaaa") && out.contains(" … ") && out.contains("middle bbbb"), "{out}");
        assert!(out.len() < 2_000, "{out}");
        // Line 42 is 41 lines below the first: a snippet of its own, numbered truly.
        assert_eq!(out.matches("╭─").count(), 2, "{out}");
        assert!(out.contains(" 42 │ last"), "{out}");
        assert!(!out.contains("line 20"), "the lines between are left out: {out}");
    }

    #[test]
    fn a_label_over_many_lines_is_shown_on_its_first() {
        let text = (0..100).fold(String::new(), |mut text, index| {
            let _ = writeln!(text, "key{index}: value");
            text
        });
        let mut sources = SourceMap::new();
        let file = sources.add("plan.yaml", text.clone());
        let diagnostic = Diagnostic::new(CUT001, Span::new(file, 0, text.len()), "the whole file");
        let out = renderer().diagnostic(&diagnostic, &sources);
        assert!(out.contains("key0") && out.contains("key1:") && !out.contains("key50"), "{out}");
    }

    #[test]
    fn long_lines_of_wide_characters_are_cut_between_characters() {
        let text = format!("{}X{}\n", "漢".repeat(5_000), "ç".repeat(5_000));
        let mut sources = SourceMap::new();
        let file = sources.add("plan.yaml", text.clone());
        let at = text.find('X').expect("X");
        let diagnostic = Diagnostic::new(CUT001, Span::new(file, at, at + 1), "wide");
        let out = renderer().diagnostic(&diagnostic, &sources);
        assert!(out.contains("[plan.yaml:1:5001]"), "the column counts characters: {out}");
        assert!(out.contains("漢X"), "{out}");
    }

    #[test]
    fn many_diagnostics_of_one_code_are_counted_past_the_cap() {
        let text = "steps: [".to_owned() + &vec!["x"; 120].join(", ") + "]\n";
        let mut sources = SourceMap::new();
        let file = sources.add("plan.yaml", text);
        let diagnostics: Vec<Diagnostic> = (0..120)
            .map(|index| Diagnostic::new(CUT001, Span::new(file, 8 + index * 3, 9 + index * 3), "not a step"))
            .collect();
        let out = renderer().diagnostics(&diagnostics, &sources);
        assert_eq!(out.matches("× not a step").count(), MAX_PER_CODE);
        assert!(
            out.contains("note: 70 more CUT001 syntax-error diagnostics in plan.yaml not shown"),
            "{}",
            &out[out.len() - 300..]
        );
    }

    #[test]
    fn many_labels_are_counted_past_the_cap() {
        let text = (0..30).fold(String::new(), |mut text, index| {
            let _ = writeln!(text, "s{index}");
            text
        });
        let mut sources = SourceMap::new();
        let file = sources.add("plan.yaml", text);
        let diagnostic = (1..30).fold(Diagnostic::new(CUT005, Span::new(file, 0, 2), "a cycle"), |diagnostic, line| {
            let start = if line < 10 { line * 3 } else { 30 + (line - 10) * 4 };
            diagnostic.with_label(Span::new(file, start, start + 2), format!("edge {line}"))
        });
        let out = renderer().diagnostic(&diagnostic, &sources);
        assert!(out.contains("edge 19") && !out.contains("edge 20"), "{out}");
        assert!(out.contains("note: 10 more labels not shown"), "{out}");
    }

    #[test]
    fn any_spans_on_any_text_render_small_and_never_panic() {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        for _ in 0..300 {
            let mut text = String::new();
            for _ in 0..next(30) {
                let length = [0, 3, 80, 300, 5_000][next(5)];
                for _ in 0..length {
                    text.push(['a', ' ', 'ç', '漢', '\t', '{'][next(6)]);
                }
                text.push_str(["\n", "\r\n", "\n\n"][next(3)]);
            }
            if next(2) == 0 {
                text.push_str("no newline at the end");
            }
            let mut sources = SourceMap::new();
            let file = sources.add("plan.yaml", text.clone());
            // Spans anywhere: mid-character, empty, at or past the end, over many lines.
            let mut span = || {
                let start = next(text.len() + 10);
                Span::new(file, start, start + [0, 1, 7, 500, 20_000][next(5)])
            };
            let labels = span().start % 30;
            let mut diagnostic = Diagnostic::new(CUT005, span(), "somewhere");
            for index in 0..labels {
                diagnostic = diagnostic.with_label(span(), format!("label {index}"));
            }
            let out = renderer().diagnostic(&diagnostic, &sources);
            assert!(!out.contains("Failed to read contents"), "{out}");
            assert!(out.len() < 60_000, "{} bytes for {} labels", out.len(), diagnostic.secondary.len() + 1);
        }
    }
}
