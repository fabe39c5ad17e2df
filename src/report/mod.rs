//! Reports of a lint run for tools and reviewers: JSON, SARIF 2.1.0, GitHub workflow commands
//! and a Markdown summary. Each format is one file; all of them read [`PlanReport`]s, which
//! hold diagnostics with their spans already turned into lines and columns.
//!
//! **Invariant:** reports are pure text; `cli::lint` decides where they go.

pub mod github;
pub mod json;
pub mod markdown;
pub mod sarif;

use crate::Compilation;
use crate::codes::{Code, Severity};
use crate::diagnostic::Diagnostic;
use crate::source::{SourceMap, Span};

/// A place in a file: 1-based lines and columns (in characters); the end is exclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Location {
    #[must_use]
    pub fn of(span: Span, sources: &SourceMap) -> Self {
        let file = sources.get(span.file);
        let (line, column) = file.line_column(span.start);
        let (end_line, end_column) = file.line_column(span.end);
        Self {
            file: file.name.clone(),
            line,
            column,
            end_line,
            end_column: end_column.max(column + usize::from(end_line == line)),
        }
    }
}

/// One diagnostic, ready for any format.
#[derive(Clone, Debug)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub location: Location,
    pub primary_label: Option<String>,
    pub labels: Vec<(Location, Option<String>)>,
    /// The text under the primary span, for fingerprints that survive lines moving.
    pub snippet: String,
}

impl Finding {
    #[must_use]
    pub fn new(diagnostic: &Diagnostic, sources: &SourceMap) -> Self {
        Self {
            code: diagnostic.code,
            severity: diagnostic.severity,
            message: diagnostic.message.clone(),
            help: diagnostic.help.clone(),
            location: Location::of(diagnostic.primary.span, sources),
            primary_label: diagnostic.primary.message.clone(),
            labels: diagnostic
                .secondary
                .iter()
                .map(|label| (Location::of(label.span, sources), label.message.clone()))
                .collect(),
            snippet: sources.slice(diagnostic.primary.span).to_owned(),
        }
    }

    /// A fingerprint that stays the same when lines are added above the finding.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        let key = format!("{}\u{0}{}\u{0}{}\u{0}{}", self.code, self.location.file, self.snippet, self.message);
        crate::source::sha256_hex(key.as_bytes())[..32].to_owned()
    }
}

/// One plan of a lint run: its findings and, when it lowered, its size and its schedule's total.
#[derive(Clone, Debug)]
pub struct PlanReport {
    pub path: String,
    pub findings: Vec<Finding>,
    pub steps: Option<usize>,
    /// How long the schedule takes, in seconds.
    pub schedule_seconds: Option<u64>,
}

impl PlanReport {
    #[must_use]
    pub fn new(path: String, compilation: &Compilation) -> Self {
        Self {
            path,
            findings: compilation
                .diagnostics
                .iter()
                .map(|diagnostic| Finding::new(diagnostic, &compilation.sources))
                .collect(),
            steps: compilation.lowered.as_ref().map(|lowered| lowered.steps.len()),
            schedule_seconds: compilation.lowered.as_ref().map(|lowered| lowered.schedule.total_seconds),
        }
    }
}

/// Counts of errors and warnings over plans.
#[must_use]
pub fn totals(plans: &[PlanReport]) -> (usize, usize) {
    let findings = plans.iter().flat_map(|plan| plan.findings.iter());
    let errors = findings.clone().filter(|finding| finding.severity == Severity::Error).count();
    let warnings = findings.filter(|finding| finding.severity == Severity::Warning).count();
    (errors, warnings)
}
