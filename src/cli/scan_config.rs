//! `cutover scan-config --manifest M FILE…`: the manifest's deprecated and removed config keys
//! in real config files (`scan`), one line per finding or one JSON document
//! (`docs/scan-config.md`).
//!
//! Exit codes: 0 nothing removed (deprecated keys allowed), 1 a removed key is set or the
//! manifest has errors, 2 a file cannot be read (the other files are still scanned).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use super::Failure;
use super::paths::{Format, load, report_input_problems};
use super::render::{Renderer, count};
use crate::model::Manifest;
use crate::scan::{self, Finding, Status};
use crate::source::SourceMap;

pub fn run(manifest_path: &Path, files: &[PathBuf], format: Format, renderer: &Renderer) -> Result<ExitCode, Failure> {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let manifest = load(&mut sources, manifest_path, &mut diagnostics, crate::syntax::manifest::read_manifest)?;
    if report_input_problems(&mut diagnostics, &sources, renderer) {
        return Ok(ExitCode::from(1));
    }
    let Some(manifest) = manifest else {
        // The reader returns nothing only after reporting an error, which stopped us above.
        return Ok(ExitCode::from(1));
    };
    if manifest.config.is_empty() {
        eprintln!("note: `{}` has no `config` matrix, so no key can be deprecated or removed", manifest_path.display());
    }
    let mut unreadable = false;
    let mut scanned: Vec<(String, Vec<Finding>)> = Vec::new();
    for path in files {
        let name = path.display().to_string();
        match sources.load(path, name.clone()) {
            Ok(file) => scanned.push((name, scan::scan(&sources.get(file).text, &manifest))),
            Err(error) => {
                eprintln!("error: {error}");
                unreadable = true;
            }
        }
    }
    let text = match format {
        Format::Human => human(&scanned),
        Format::Json => json(&manifest, &scanned),
    };
    super::output::write_stdout(text.as_bytes())?;
    let any_removed =
        scanned.iter().flat_map(|(_, findings)| findings).any(|finding| finding.status == Status::Removed);
    Ok(if unreadable {
        ExitCode::from(2)
    } else if any_removed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `FILE:LINE: message` per finding, then a summary line.
fn human(scanned: &[(String, Vec<Finding>)]) -> String {
    let mut out = String::new();
    for (file, findings) in scanned {
        for finding in findings {
            let _ = writeln!(out, "{file}:{}: {}", finding.line, finding.message());
        }
    }
    let (removed, deprecated) = tally(scanned);
    let found = match (removed, deprecated) {
        (0, 0) => "no deprecated or removed keys".to_owned(),
        _ => format!("{}, {}", count(removed, "removed key"), count(deprecated, "deprecated key")),
    };
    let _ = writeln!(out, "{} scanned: {found}", count(scanned.len(), "file"));
    out
}

fn tally(scanned: &[(String, Vec<Finding>)]) -> (usize, usize) {
    let findings = || scanned.iter().flat_map(|(_, findings)| findings);
    let removed = findings().filter(|finding| finding.status == Status::Removed).count();
    (removed, findings().count() - removed)
}

#[derive(Serialize)]
struct JsonReport<'a> {
    format: &'static str,
    package: &'a str,
    version: String,
    findings: Vec<JsonFinding<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    code: String,
    status: &'static str,
    key: &'a str,
    written: &'a str,
    section: Option<&'a str>,
    deprecated_in: Option<String>,
    removed_in: Option<String>,
    replaced_by: Option<&'a str>,
    message: String,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    removed: usize,
    deprecated: usize,
}

fn json(manifest: &Manifest, scanned: &[(String, Vec<Finding>)]) -> String {
    let findings = scanned
        .iter()
        .flat_map(|(file, findings)| findings.iter().map(move |finding| (file, finding)))
        .map(|(file, finding)| JsonFinding {
            file,
            line: finding.line,
            column: finding.column,
            code: finding.status.code().to_string(),
            status: finding.status.as_str(),
            key: &finding.key,
            written: &finding.written,
            section: finding.section.as_deref(),
            deprecated_in: finding.deprecated_in.as_ref().map(ToString::to_string),
            removed_in: finding.removed_in.as_ref().map(ToString::to_string),
            replaced_by: finding.replaced_by.as_deref(),
            message: finding.message(),
        })
        .collect();
    let (removed, deprecated) = tally(scanned);
    let report = JsonReport {
        format: "cutover-scan-config/1",
        package: &manifest.package.value,
        version: manifest.version.value.to_string(),
        findings,
        summary: JsonSummary { files: scanned.len(), removed, deprecated },
    };
    let mut text = serde_json::to_string_pretty(&report).expect("the report serializes");
    text.push('\n');
    text
}
