//! The rules: one file each, documented in its `//!` header (What it does / Why it matters /
//! Example / Fix). `cutover explain` prints that header and `docs/rules.md` is generated from
//! it, so the file is the one source of a rule's documentation.
//!
//! Rules read the [`Context`] and push diagnostics; they never print and never fail. Codes found
//! while reading or resolving (CUT001–CUT011) are reported there; their files here hold their
//! documentation and tests.

use std::fmt::Write as _;

use crate::check::Context;
use crate::codes::{self, Code};
use crate::diagnostic::Diagnostic;

macro_rules! rules {
    (checks: [$($check:ident => $check_code:ident),* $(,)?], documented: [$($documented:ident => $documented_code:ident),* $(,)?] $(,)?) => {
        $(mod $check;)*
        $(mod $documented;)*

        /// Runs every rule over a resolved plan.
        pub fn run_all(context: &Context<'_, '_>, diagnostics: &mut Vec<Diagnostic>) {
            $($check::check(context, diagnostics);)*
        }

        /// Each code with the source of its rule's file.
        const SOURCES: &[(Code, &str)] = &[
            $((codes::$check_code, include_str!(concat!(stringify!($check), ".rs"))),)*
            $((codes::$documented_code, include_str!(concat!(stringify!($documented), ".rs"))),)*
        ];
    };
}

rules! {
    checks: [
        dependency_cycle => CUT005,
        no_upgrade_path => CUT012,
        skipped_required_stop => CUT013,
        unmet_requirement => CUT014,
        removed_config_key => CUT015,
        deprecated_config_key => CUT016,
        required_config_unset => CUT017,
        renamed_unit => CUT018,
        missing_reboot => CUT019,
        unbounded_requirement => CUT020,
        goal_not_reached => CUT021,
        unmet_during_rollout => CUT022,
        no_gate_after_rolling => CUT023,
        missing_rollback => CUT030,
        irreversible_without_snapshot => CUT031,
        effect_without_cleanup => CUT032,
        migration_lock_timeout => CUT033,
        window_exceeded => CUT034,
        mutating_preflight => CUT035,
        hard_coded_credential => CUT036,
        external_endpoint => CUT037,
        unverified_install => CUT038,
        unbounded_retries => CUT039,
        unfinished_scaffold => CUT040,
    ],
    documented: [
        syntax_error => CUT001,
        unknown_field => CUT002,
        duplicate_id => CUT003,
        unknown_step => CUT004,
        invalid_call => CUT006,
        unreadable_input => CUT007,
        invalid_suppression => CUT008,
        unused_suppression => CUT009,
        unknown_component => CUT010,
        unknown_version => CUT011,
    ],
}

/// A rule's documentation: its file's `//!` header, without the comment markers. The first
/// line is the code and name.
#[must_use]
pub fn documentation(code: Code) -> Option<String> {
    let (_, source) = SOURCES.iter().find(|(documented, _)| *documented == code)?;
    let header: Vec<&str> = source
        .lines()
        .take_while(|line| line.starts_with("//!"))
        .map(|line| line.strip_prefix("//! ").unwrap_or(line.trim_start_matches("//!")))
        .collect();
    Some(header.join("\n").trim().to_owned() + "\n")
}

/// The rule reference, `docs/rules.md`: every rule's documentation, in code order, generated
/// from the rule files (a test fails when the committed file is stale).
#[must_use]
pub fn reference() -> String {
    let mut out = String::from(
        "# Rule reference\n\n\
         Generated from the rule files under `src/check/rules/` (`cutover explain CODE` prints the same text).\n\
         Do not edit by hand: run `UPDATE_DOCS=1 cargo test --test docs` after changing a rule's documentation.\n\n\
         | Code | Name | Default | Summary |\n|---|---|---|---|\n",
    );
    for code in Code::all() {
        let rule = code.rule();
        let _ = writeln!(
            out,
            "| [{}](#{}) | `{}` | {} | {} |",
            rule.code,
            rule.code.to_lowercase(),
            rule.name,
            rule.severity.as_str(),
            rule.summary.replace('|', "\\|")
        );
    }
    for code in Code::all() {
        let documentation = documentation(code).unwrap_or_else(|| format!("{code} `{}`.\n", code.name()));
        let mut lines = documentation.lines();
        let title = lines.next().unwrap_or_default();
        let _ = write!(out, "\n## {code}\n\n{title}\n");
        for line in lines {
            // The rule's own `## What it does` headings sit one level below the rule's heading.
            if let Some(heading) = line.strip_prefix("## ") {
                let _ = writeln!(out, "### {heading}");
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}
