//! `--format sarif`: SARIF 2.1.0 for code scanning (GitHub uploads it with
//! `github/codeql-action/upload-sarif`). Every rule of the registry is described once, with its
//! documentation as help; results carry relative URIs under `%SRCROOT%`, regions in characters,
//! the secondary labels as related locations, and fingerprints that survive lines moving.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Location, PlanReport};
use crate::codes::{Code, Severity};

/// Where people learn about the tool; SARIF viewers link to it.
const INFORMATION_URI: &str = env!("CARGO_PKG_HOMEPAGE");

/// # Panics
/// Never: the log is plain data.
#[must_use]
pub fn emit(plans: &[PlanReport]) -> String {
    let rules: Vec<Value> = Code::all().map(rule).collect();
    let results: Vec<Value> = plans
        .iter()
        .flat_map(|plan| plan.findings.iter())
        .map(|finding| {
            let related: Vec<Value> = finding
                .labels
                .iter()
                .enumerate()
                .map(|(index, (at, message))| {
                    json!({
                        "id": index + 1,
                        "physicalLocation": physical(at),
                        "message": { "text": message.clone().unwrap_or_else(|| "related".to_owned()) },
                    })
                })
                .collect();
            let mut text = finding.message.clone();
            if let Some(help) = &finding.help {
                text.push_str(". Help: ");
                text.push_str(help);
            }
            let mut result = json!({
                "ruleId": finding.code.as_str(),
                "ruleIndex": Code::all().position(|code| code == finding.code),
                "level": level(finding.severity),
                "message": { "text": text },
                "locations": [{ "physicalLocation": physical(&finding.location) }],
                "partialFingerprints": { "cutoverFinding/v1": finding.fingerprint() },
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cutover",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).expect("plain data serializes");
    text.push('\n');
    text
}

fn rule(code: Code) -> Value {
    let rule = code.rule();
    let documentation = crate::check::rules::documentation(code).unwrap_or_else(|| rule.summary.to_owned());
    let summary = sentence(rule.summary);
    json!({
        "id": rule.code,
        "name": pascal_case(rule.name),
        "shortDescription": { "text": summary },
        "fullDescription": { "text": summary },
        "help": { "text": documentation, "markdown": documentation },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": { "tags": ["upgrade-plan"] },
    })
}

fn physical(at: &Location) -> Value {
    json!({
        "artifactLocation": { "uri": uri(&at.file), "uriBaseId": "%SRCROOT%" },
        "region": {
            "startLine": at.line,
            "startColumn": at.column,
            "endLine": at.end_line,
            "endColumn": at.end_column,
        },
    })
}

/// A relative URI reference: forward slashes, no leading `./`, reserved characters escaped.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// SARIF wants a rule's `name` as an identifier: `skipped-required-stop` → `SkippedRequiredStop`.
fn pascal_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut characters = word.chars();
            characters
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + characters.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// SARIF's messages are sentences: a capital and a full stop.
fn sentence(text: &str) -> String {
    let mut characters = text.chars();
    let mut out: String = characters
        .next()
        .map(|first| first.to_uppercase().collect::<String>() + characters.as_str())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
