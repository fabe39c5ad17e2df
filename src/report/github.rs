//! `--format github`: workflow commands that GitHub Actions turns into annotations on the pull
//! request (`::error file=…,line=…,col=…,title=CUT013::…`).

use std::fmt::Write as _;

use super::PlanReport;
use crate::codes::Severity;

#[must_use]
pub fn emit(plans: &[PlanReport]) -> String {
    let mut out = String::new();
    for finding in plans.iter().flat_map(|plan| plan.findings.iter()) {
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = finding.message.clone();
        if let Some(help) = &finding.help {
            let _ = write!(message, "\nhelp: {help}");
        }
        let at = &finding.location;
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&at.file),
            at.line,
            at.column,
            at.end_line,
            at.end_column,
            property(&format!("{} {}", finding.code, finding.code.name())),
            data(&message)
        );
    }
    out
}

/// Escapes a command's message (GitHub's `escapeData`).
fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a command property (GitHub's `escapeProperty`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
