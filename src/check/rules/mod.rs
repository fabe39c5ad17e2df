//! The rules: one file each, with what it does, why it matters, an example and the fix in its
//! doc comment.
//!
//! Rules read the [`Context`] and push diagnostics; they never print and never fail.

mod dependency_cycle;
mod goal_not_reached;
mod missing_rollback;
mod mutating_preflight;
mod no_upgrade_path;
mod skipped_required_stop;
mod unmet_requirement;

use crate::check::Context;
use crate::diagnostic::Diagnostic;

/// Runs every rule over a resolved plan.
pub fn run_all(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
    dependency_cycle::check(context, diagnostics);
    no_upgrade_path::check(context, diagnostics);
    skipped_required_stop::check(context, diagnostics);
    unmet_requirement::check(context, diagnostics);
    goal_not_reached::check(context, diagnostics);
    missing_rollback::check(context, diagnostics);
    mutating_preflight::check(context, diagnostics);
}
