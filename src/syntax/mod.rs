//! Front ends: source text to the [`crate::model`]. YAML (`yaml`, `plan`, `manifest`) and the DSL
//! (`dsl`) produce the same model; what both front ends decide the same way lives here.
//!
//! **Invariant:** only `syntax::yaml` knows the YAML library; the readers see its node tree.

pub mod dsl;
pub mod manifest;
pub mod plan;
pub mod reader;
pub mod suppression;
pub mod yaml;

use crate::codes::CUT001;
use crate::diagnostic::Diagnostic;
use crate::model::{Spanned, Undo};

/// How a step or action is undone, from its `rollback` and `irreversible`, whichever front end
/// read them. Both at once is CUT001; the rollback is kept so that checking goes on.
pub(crate) fn undo(
    rollback: Option<Spanned<String>>,
    irreversible: Option<Spanned<String>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Undo> {
    match (rollback, irreversible) {
        (Some(rollback), Some(irreversible)) => {
            diagnostics.push(
                Diagnostic::new(CUT001, irreversible.span, "both `rollback` and `irreversible`")
                    .with_label(rollback.span, "a rollback is given here")
                    .with_help("keep `rollback` if the step can be undone, `irreversible` if it cannot"),
            );
            Some(Undo::Rollback(rollback))
        }
        (Some(rollback), None) => Some(Undo::Rollback(rollback)),
        (None, Some(irreversible)) => Some(Undo::Irreversible(irreversible)),
        (None, None) => None,
    }
}
