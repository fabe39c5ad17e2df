//! `--format markdown`: a summary for a pull-request comment: counts by rule, the findings, and
//! each plan's step count and schedule.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{PlanReport, totals};
use crate::codes::{Code, Severity};
use crate::model::Duration;

#[must_use]
pub fn emit(plans: &[PlanReport]) -> String {
    let (errors, warnings) = totals(plans);
    let mut out = String::from("## cutover lint\n\n");
    let verdict = match (errors, warnings) {
        (0, 0) => "✅ No findings".to_owned(),
        (0, _) => format!("⚠️ {warnings} warning{}", plural(warnings)),
        _ => format!("❌ {errors} error{}, {warnings} warning{}", plural(errors), plural(warnings)),
    };
    let _ = writeln!(out, "{verdict} in {} plan{}.\n", plans.len(), plural(plans.len()));

    out.push_str("| Plan | Steps | Schedule | Errors | Warnings |\n|---|---:|---|---:|---:|\n");
    for plan in plans {
        let count = |severity: Severity| plan.findings.iter().filter(|finding| finding.severity == severity).count();
        let schedule =
            plan.schedule_seconds.map_or_else(|| "—".to_owned(), |seconds| Duration::from_seconds(seconds).to_string());
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            plan.path,
            plan.steps.map_or_else(|| "—".to_owned(), |steps| steps.to_string()),
            cell(&schedule),
            count(Severity::Error),
            count(Severity::Warning)
        );
    }

    let mut by_rule: BTreeMap<Code, usize> = BTreeMap::new();
    for finding in plans.iter().flat_map(|plan| plan.findings.iter()) {
        *by_rule.entry(finding.code).or_default() += 1;
    }
    if !by_rule.is_empty() {
        out.push_str("\n| Rule | Findings |\n|---|---:|\n");
        for (code, count) in &by_rule {
            let _ = writeln!(out, "| {code} `{}` | {count} |", code.name());
        }
        out.push_str("\n### Findings\n\n");
        for finding in plans.iter().flat_map(|plan| plan.findings.iter()) {
            let icon = if finding.severity == Severity::Error { "❌" } else { "⚠️" };
            let at = &finding.location;
            let _ = writeln!(
                out,
                "- {icon} **{}** `{}:{}:{}`: {}",
                finding.code,
                at.file,
                at.line,
                at.column,
                cell(&finding.message)
            );
            if let Some(help) = &finding.help {
                let _ = writeln!(out, "  - help: {}", cell(help));
            }
        }
    }
    out
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
