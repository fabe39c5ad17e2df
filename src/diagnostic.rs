//! Diagnostics as data: what a check found, where, and how to fix it.
//!
//! Checkers return [`Diagnostic`]s and never print; the CLI decides how to render them
//! (`cli::render` for people, later JSON and SARIF for tools).

use crate::codes::{Code, Severity};
use crate::source::Span;

/// One finding of a compilation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One terse sentence: lowercase start, no trailing period.
    pub message: String,
    /// The span the finding is about.
    pub primary: Label,
    /// Where the cause lives: the manifest line declaring a stop, each edge of a cycle.
    pub secondary: Vec<Label>,
    /// What to do about it ("did you mean `dten-core`?").
    pub help: Option<String>,
}

/// A span with an optional short message shown under its underline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: Option<String>,
}

impl Label {
    #[must_use]
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Self { span, message: Some(message.into()) }
    }

    #[must_use]
    pub fn bare(span: Span) -> Self {
        Self { span, message: None }
    }
}

impl Diagnostic {
    /// A diagnostic at the code's default severity.
    #[must_use]
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.rule().severity,
            message: message.into(),
            primary: Label::bare(span),
            secondary: Vec::new(),
            help: None,
        }
    }

    /// Puts a message under the primary underline.
    #[must_use]
    pub fn with_primary_label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = Some(message.into());
        self
    }

    #[must_use]
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, message));
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a help line only when there is one (a "did you mean" that found nothing adds none).
    #[must_use]
    pub fn with_optional_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Something worth knowing that is not a problem: a release that does nothing on a host already
/// at its version, say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub span: Span,
    pub message: String,
}

/// "did you mean `x`?" for the known name nearest to `wanted`, if one is near enough to be a typo.
#[must_use]
pub fn did_you_mean<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    nearest(wanted, known).map(|name| format!("did you mean `{name}`?"))
}

/// The known name nearest to `wanted` by edit distance, if it is close enough to be a typo.
#[must_use]
pub fn nearest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wanted.chars().count() / 3).clamp(1, 3);
    known
        .into_iter()
        .map(|name| (edit_distance(wanted, name), name))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance over characters.
fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    let mut current = vec![0; right.len() + 1];
    for (left_index, left_char) in left.chars().enumerate() {
        current[0] = left_index + 1;
        for (right_index, right_char) in right.iter().enumerate() {
            let substitution = previous[right_index] + usize::from(left_char != *right_char);
            current[right_index + 1] = substitution.min(previous[right_index + 1] + 1).min(current[right_index] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[right.len()]
}

/// Long or multi-line values are cut for messages; the span shows the whole of them.
#[must_use]
pub fn abbreviate(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > 40 || line.len() < text.len() {
        let cut: String = line.chars().take(40).collect();
        format!("{cut}…")
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        let known = ["dten-core", "dten-agent"];
        assert_eq!(nearest("dten-cor", known), Some("dten-core"));
        assert_eq!(nearest("dten-agnet", known), Some("dten-agent"));
        assert_eq!(nearest("postgres", known), None);
        assert_eq!(did_you_mean("serail", ["serial", "after"]).as_deref(), Some("did you mean `serial`?"));
    }
}
