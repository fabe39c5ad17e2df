//! `--format sarif`: SARIF 2.1.0 for code scanning (GitHub uploads it with
//! `github/codeql-action/upload-sarif`). Every rule of the registry is described once, with its
//! documentation as help; results carry URIs relative to the repository root under
//! `%SRCROOT%` (a file outside it gets an absolute `file://` URI and no base), regions in
//! characters, the secondary labels as related locations, and fingerprints that survive lines
//! moving.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use serde_json::{Value, json};

use super::{Location, PlanReport};
use crate::codes::{Code, Severity};

/// Where people learn about the tool; SARIF viewers link to it.
const INFORMATION_URI: &str = env!("CARGO_PKG_HOMEPAGE");

/// Where the files of a run are: the repository root that `%SRCROOT%` stands for, and the
/// folder that relative file names start from (the current directory). `cli::lint` finds them;
/// the report only compares paths.
#[derive(Clone, Debug)]
pub struct UriBase {
    pub root: PathBuf,
    pub current: PathBuf,
}

/// The log, with file names taken as they are: relative ones under `%SRCROOT%`, absolute ones
/// as `file://` URIs.
#[must_use]
pub fn emit(plans: &[PlanReport]) -> String {
    emit_under(plans, None)
}

/// The log, with every file inside `base.root` relative to it under `%SRCROOT%`, and every other
/// one an absolute `file://` URI without a base (SARIF forbids an absolute URI under a base:
/// the multitool's SARIF1004).
///
/// # Panics
/// Never: the log is plain data.
#[must_use]
pub fn emit_under(plans: &[PlanReport], base: Option<&UriBase>) -> String {
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
                        "physicalLocation": physical(at, base),
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
                "locations": [{ "physicalLocation": physical(&finding.location, base) }],
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

fn physical(at: &Location, base: Option<&UriBase>) -> Value {
    json!({
        "artifactLocation": artifact(&at.file, base),
        "region": {
            "startLine": at.line,
            "startColumn": at.column,
            "endLine": at.end_line,
            "endColumn": at.end_column,
        },
    })
}

/// Where a file is, as SARIF's `artifactLocation`: relative to the root under `%SRCROOT%` when
/// it is inside it, an absolute `file://` URI without a base otherwise.
fn artifact(file: &str, base: Option<&UriBase>) -> Value {
    let path = Path::new(file);
    // Built-in text (`<prelude>`) has no place on disk to resolve.
    let base = base.filter(|_| !file.starts_with('<'));
    let absolute = match base {
        Some(base) => lexically_normal(&base.current.join(path)),
        None => path.to_path_buf(),
    };
    if let Some(base) = base
        && let Ok(relative) = absolute.strip_prefix(&base.root)
    {
        return json!({ "uri": uri(&relative.to_string_lossy()), "uriBaseId": "%SRCROOT%" });
    }
    if absolute.has_root() {
        return json!({ "uri": format!("file://{}", uri(&absolute.to_string_lossy())) });
    }
    json!({ "uri": uri(file), "uriBaseId": "%SRCROOT%" })
}

/// `path` with `.` dropped and each `..` taking away the folder before it, without asking the
/// file system: `/repo/plans/x/../lib.yaml` is `/repo/plans/lib.yaml`.
fn lexically_normal(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(normal.components().next_back(), Some(Component::Normal(_))) => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// A URI path: forward slashes, no leading `./`, reserved characters escaped.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> UriBase {
        UriBase { root: PathBuf::from("/repo"), current: PathBuf::from("/repo/plans") }
    }

    #[test]
    fn files_inside_the_root_are_relative_to_it_and_others_absolute() {
        let base = base();
        let inside = artifact("/repo/plans/dten/plan.yaml", Some(&base));
        assert_eq!(inside, json!({ "uri": "plans/dten/plan.yaml", "uriBaseId": "%SRCROOT%" }));
        let relative = artifact("dten/../shared/lib.yaml", Some(&base));
        assert_eq!(relative, json!({ "uri": "plans/shared/lib.yaml", "uriBaseId": "%SRCROOT%" }));
        let outside = artifact("/tmp/set one/plan.yaml", Some(&base));
        assert_eq!(outside, json!({ "uri": "file:///tmp/set%20one/plan.yaml" }));
        assert_eq!(artifact("../elsewhere.yaml", Some(&base))["uriBaseId"], "%SRCROOT%");
        assert_eq!(artifact("../../elsewhere.yaml", Some(&base)), json!({ "uri": "file:///elsewhere.yaml" }));
        // Without a base, names are taken as they are.
        assert_eq!(artifact("./plans/x.yaml", None), json!({ "uri": "plans/x.yaml", "uriBaseId": "%SRCROOT%" }));
        assert_eq!(artifact("/abs/x.yaml", None), json!({ "uri": "file:///abs/x.yaml" }));
    }
}
