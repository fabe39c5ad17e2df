//! Diagnostics for people: miette's graphical report, with labels in other files (the manifest,
//! the inventory) shown as related reports over their own source.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};

use crate::codes::Severity;
use crate::diagnostic::{Diagnostic, Label, Note};
use crate::source::{FileId, SourceMap};

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

    /// One diagnostic as text, ending in a newline.
    #[must_use]
    pub fn diagnostic(&self, diagnostic: &Diagnostic, sources: &SourceMap) -> String {
        let report = Report::from_labels(
            format!("{} {}", diagnostic.code, diagnostic.code.name()),
            diagnostic.message.clone(),
            match diagnostic.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            diagnostic.help.clone(),
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
            format!("note: {}", note.message),
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
        // A blank line between reports keeps them apart.
        out.push('\n');
        out
    }
}

/// A diagnostic in miette's terms: labels in the primary file, the rest as related reports.
#[derive(Debug)]
struct Report {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
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
        let labels: Vec<(&Label, bool)> = labels.collect();
        let primary_file = labels.first().map(|(label, _)| label.span.file);
        let mut by_file: Vec<(FileId, Vec<LabeledSpan>)> = Vec::new();
        for (label, primary) in &labels {
            let file = label.span.file;
            let text = &sources.get(file).text;
            let start = (label.span.start as usize).min(text.len());
            let length = label.span.len().min(text.len() - start);
            let labeled = if *primary {
                LabeledSpan::new_primary_with_span(label.message.clone(), (start, length))
            } else {
                LabeledSpan::new_with_span(label.message.clone(), (start, length))
            };
            match by_file.iter_mut().find(|(existing, _)| *existing == file) {
                Some((_, spans)) => spans.push(labeled),
                None => by_file.push((file, vec![labeled])),
            }
        }
        let named = |file: FileId| {
            let source = sources.get(file);
            NamedSource::new(source.name.clone(), source.text.clone())
        };
        let mut own_labels = Vec::new();
        let mut related = Vec::new();
        for (file, spans) in by_file {
            if Some(file) == primary_file {
                own_labels = spans;
            } else {
                related.push(Report {
                    code: String::new(),
                    message: format!("see {}", sources.get(file).name),
                    severity: miette::Severity::Advice,
                    help: None,
                    source: Some(named(file)),
                    labels: spans,
                    related: Vec::new(),
                });
            }
        }
        Report { code, message, severity, help, source: primary_file.map(named), labels: own_labels, related }
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
