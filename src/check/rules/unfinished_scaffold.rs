//! CUT040 `unfinished-scaffold`.
//!
//! ## What it does
//!
//! Finds the `TODO` markers that `cutover init` writes, left in the plan or in one of its
//! libraries: a comment that starts with `TODO:` (`window: 1h  # TODO: the maintenance window
//! agreed for this upgrade`) and a quoted text that starts with `TODO:`, as in the scaffold's
//! placeholder commands (`run: "echo 'TODO: install' {target.component} {target.version}"`) and
//! reasons (`irreversible: "TODO: say why it cannot be undone"`). Each marker is one finding,
//! underlined from `TODO` to the end of its comment or text.
//!
//! ## Why it matters
//!
//! A scaffold is complete enough to check clean, which is exactly what makes it dangerous: a
//! plan whose install command is still `echo 'TODO: install'` compiles into a script that
//! reports every host upgraded and changes nothing, and its rollback restores nothing. The
//! window and the estimates are guesses until someone settles them.
//!
//! ## Example
//!
//! ```yaml
//! # lib.yaml, as `cutover init` wrote it
//! actions:
//!   install:
//!     params: { target: release }
//!     run: "echo 'TODO: install' {target.component} {target.version}"
//!     estimate: 5m  # TODO: measure it
//! ```
//!
//! ## Fix
//!
//! Do what each TODO asks, then delete the marker: write the real command
//! (`run: "apt-get install -y {target.component}={target.version}"`), measure the estimate on a
//! rehearsal and drop the comment. `cutover init` printed the whole list when it wrote the files.

use crate::check::Context;
use crate::codes::CUT040;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// What every marker starts with.
const MARKER: &str = "TODO:";

pub fn check(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    let files = std::iter::once((context.inputs.plan.file, "the plan"))
        .chain(context.inputs.libraries.iter().map(|library| (library.file, "a library")));
    for (file, place) in files {
        let text = &context.sources.get(file).text;
        for marker in markers(text) {
            diagnostics.push(finding(file, place, &text[marker.clone()], marker));
        }
    }
}

fn finding(file: FileId, place: &str, marker: &str, range: std::ops::Range<usize>) -> Diagnostic {
    Diagnostic::new(CUT040, Span::new(file, range.start, range.end), format!("unfinished scaffold: `{marker}`"))
        .with_primary_label(format!("`cutover init` left this in {place} for a person to settle"))
        .with_help("do what the TODO asks (the real command, the measured estimate, the agreed window), then remove the marker")
}

/// The byte ranges of the markers in `text`: `TODO:` opening a comment (after `#` and spaces)
/// or a quoted text (after `'` or `"`), up to the end of the comment or the closing quote.
fn markers(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices(MARKER) {
        let end_of_line = text[at..].find('\n').map_or(text.len(), |offset| at + offset);
        let end = match text[..at].chars().next_back() {
            Some(quote @ ('\'' | '"')) => text[at..end_of_line].find(quote).map_or(end_of_line, |offset| at + offset),
            _ if text[..at].trim_end_matches([' ', '\t']).ends_with('#') => end_of_line,
            _ => continue,
        };
        found.push(at..text[..end].trim_end().len().max(at + MARKER.len()));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::markers;
    use crate::codes::CUT040;
    use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, codes_of, rule_diagnostics};

    fn marked(text: &str) -> Vec<&str> {
        markers(text).into_iter().map(|range| &text[range]).collect()
    }

    #[test]
    fn the_markers_init_writes_and_nothing_else() {
        assert_eq!(marked("window: 1h  # TODO: the maintenance window\n"), ["TODO: the maintenance window"]);
        assert_eq!(marked("run: \"echo 'TODO: install' {target.component}\"\n"), ["TODO: install"]);
        assert_eq!(marked("irreversible: \"TODO: say why\"\n"), ["TODO: say why"]);
        assert_eq!(marked("#TODO: tight\n"), ["TODO: tight"]);
        // A TODO that is not at the start of a comment or a text is someone's own words.
        assert!(marked("run: \"./todo.sh TODO: later\"\n# see the TODO: list\n").is_empty());
        assert!(marked("run: \"echo ' TODO: spaced'\"\n").is_empty());
        assert!(marked("notes: TODO list\n").is_empty());
    }

    #[test]
    fn a_scaffolded_step_is_reported_at_each_marker() {
        let plan = "window: 1h  # TODO: the maintenance window agreed for this upgrade\nsteps:\n  - id: snapshot\n    run: \"echo 'TODO: take a snapshot'\"\n    rollback: \"echo 'TODO: restore that snapshot'\"\n    estimate: 10m  # TODO: measure it\n";
        let diagnostics = rule_diagnostics(CUT040, plan, DTEN_MANIFEST, DTEN_INVENTORY);
        assert_eq!(codes_of(&diagnostics), ["CUT040"; 4]);
        assert!(diagnostics[1].message.contains("unfinished scaffold: `TODO: take a snapshot`"), "{}", diagnostics[1].message);
        let settled = "window: 1h\nsteps:\n  - { id: snapshot, run: ./snapshot.sh, rollback: ./restore.sh, estimate: 10m }\n";
        assert!(rule_diagnostics(CUT040, settled, DTEN_MANIFEST, DTEN_INVENTORY).is_empty());
    }
}
