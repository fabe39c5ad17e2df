//! `--format json`: every plan with its findings, keys in a fixed order (`"format":
//! "cutover-lint/1"`).

use serde_json::{Value, json};

use super::{Location, PlanReport, totals};

/// # Panics
/// Never: the report is plain data.
#[must_use]
pub fn emit(plans: &[PlanReport]) -> String {
    let (errors, warnings) = totals(plans);
    let value = json!({
        "format": "cutover-lint/1",
        "plans": plans.iter().map(|plan| json!({
            "path": plan.path,
            "steps": plan.steps,
            "schedule_seconds": plan.schedule_seconds,
            "findings": plan.findings.iter().map(|finding| json!({
                "code": finding.code.as_str(),
                "name": finding.code.name(),
                "severity": finding.severity.as_str(),
                "message": finding.message,
                "help": finding.help,
                "location": location(&finding.location, finding.primary_label.as_deref()),
                "labels": finding.labels.iter().map(|(at, message)| location(at, message.as_deref())).collect::<Vec<_>>(),
                "fingerprint": finding.fingerprint(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "summary": { "plans": plans.len(), "errors": errors, "warnings": warnings },
    });
    let mut text = serde_json::to_string_pretty(&value).expect("plain data serializes");
    text.push('\n');
    text
}

fn location(at: &Location, message: Option<&str>) -> Value {
    json!({
        "file": at.file,
        "line": at.line,
        "column": at.column,
        "end_line": at.end_line,
        "end_column": at.end_column,
        "message": message,
    })
}
