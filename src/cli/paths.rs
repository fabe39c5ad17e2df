//! `cutover paths --manifest M --inventory I`: each host's installed version of each component
//! of the manifest, mapped to its upgrade path and required stops (`model::paths`, the same
//! judgement as CUT012/CUT013), as aligned text or JSON (`docs/paths.md`).
//!
//! Exit codes: 0 every host that has a component has a path (or is at the target), 1 some host
//! has no upgrade path or the manifest or inventory has errors, 2 a file cannot be read.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap::ValueEnum;
use serde::Serialize;

use super::Failure;
use super::render::{Renderer, count, tally};
use crate::diagnostic::Diagnostic;
use crate::model::paths::{NoPath, Stop, StopKind, upgrade_path};
use crate::model::{Component, Inventory, Manifest};
use crate::source::{FileId, SourceMap};
use crate::syntax::yaml::{self, Node};

/// Output of `paths` and `scan-config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Lines for people.
    Human,
    /// One JSON document with a stable key order.
    Json,
}

pub fn run(
    manifest: &Path,
    inventory: &Path,
    format: Format,
    gather: bool,
    renderer: &Renderer,
) -> Result<ExitCode, Failure> {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    // With `--gather`, the hosts are asked first and their answers mapped: the inventory read
    // is the one `cutover gather` would write.
    let gathered = if gather {
        let (text, _) = super::gather::gather(manifest, inventory, &super::gather::Source::Ssh, renderer)?;
        let Some(text) = text else { return Ok(ExitCode::from(1)) };
        Some(text)
    } else {
        None
    };
    let manifest = load(&mut sources, manifest, &mut diagnostics, crate::syntax::manifest::read_manifest)?;
    let inventory = match gathered {
        Some(text) => {
            let name = format!("{} (gathered)", inventory.display());
            let file = sources.add(name.clone(), text);
            let source = sources.get(file);
            crate::syntax::inventory::read_inventory(file, &source.name, &source.text, &mut diagnostics)
        }
        None => load_inventory(&mut sources, inventory, &mut diagnostics)?,
    };
    if report_input_problems(&mut diagnostics, &sources, renderer) {
        return Ok(ExitCode::from(1));
    }
    let (Some(manifest), Some(inventory)) = (manifest, inventory) else {
        // A reader returns nothing only after reporting an error, which stopped us above.
        return Ok(ExitCode::from(1));
    };
    let hosts = map_hosts(&manifest, &inventory);
    let text = match format {
        Format::Human => human(&manifest, &hosts),
        Format::Json => json(&manifest, &hosts),
    };
    super::output::write_stdout(text.as_bytes())?;
    let any_without_path = hosts.iter().flat_map(|host| &host.rows).any(|row| matches!(row.path, Some(Err(_))));
    Ok(if any_without_path { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Reads one input file with `read`. Diagnostics go to `diagnostics`; a file that cannot be read
/// at all is a one-line failure.
pub(super) fn load<T>(
    sources: &mut SourceMap,
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
    read: fn(FileId, &Node, &mut Vec<Diagnostic>) -> Option<T>,
) -> Result<Option<T>, Failure> {
    let file = sources.load(path, path.display().to_string()).map_err(|error| Failure(error.to_string()))?;
    match yaml::parse(file, &sources.get(file).text) {
        Ok(root) => Ok(read(file, &root, diagnostics)),
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            Ok(None)
        }
    }
}

/// Reads an inventory file in any form it may take (`syntax::inventory`).
pub(super) fn load_inventory(
    sources: &mut SourceMap,
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Option<Inventory>, Failure> {
    let file = sources.load(path, path.display().to_string()).map_err(|error| Failure(error.to_string()))?;
    let source = sources.get(file);
    Ok(crate::syntax::inventory::read_inventory(file, &source.name, &source.text, diagnostics))
}

/// Renders the diagnostics of reading the inputs to standard error, in file and position order.
/// True when one is an error: the command then stops, exiting 1.
pub(super) fn report_input_problems(diagnostics: &mut [Diagnostic], sources: &SourceMap, renderer: &Renderer) -> bool {
    diagnostics.sort_by_key(|diagnostic| diagnostic.primary.span);
    eprint!("{}", renderer.diagnostics(diagnostics, sources));
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    if has_errors {
        eprintln!("{}; fix the input files first", tally(diagnostics));
    }
    has_errors
}

/// One host and what it has of the manifest's components.
struct HostPaths<'a> {
    name: &'a str,
    /// One row per component of the manifest, in manifest order.
    rows: Vec<Row<'a>>,
}

struct Row<'a> {
    component: &'a Component,
    installed: Option<&'a semver::Version>,
    /// `None` when the host does not have the component.
    path: Option<Result<Vec<Stop>, NoPath>>,
}

impl Row<'_> {
    fn status(&self) -> &'static str {
        match &self.path {
            None => "not-installed",
            Some(Ok(path)) if path.is_empty() => "at-target",
            Some(Ok(_)) => "upgrade",
            Some(Err(_)) => "no-path",
        }
    }
}

fn map_hosts<'a>(manifest: &'a Manifest, inventory: &'a Inventory) -> Vec<HostPaths<'a>> {
    inventory
        .hosts
        .values()
        .map(|host| HostPaths {
            name: &host.name.value,
            rows: manifest
                .components
                .values()
                .map(|component| {
                    let installed = host.installed.get(&component.name.value).map(|version| &version.value);
                    Row { component, installed, path: installed.map(|version| upgrade_path(component, version)) }
                })
                .collect(),
        })
        .collect()
}

/// `app-1  dten-core   3.9.2 → 4.0.3 (required stop) → 4.2.0`, one line per component a host
/// has; a host with none of them gets one line saying so. Then a summary line.
fn human(manifest: &Manifest, hosts: &[HostPaths<'_>]) -> String {
    let host_width = hosts.iter().map(|host| host.name.chars().count()).max().unwrap_or(0);
    let component_width = hosts
        .iter()
        .flat_map(|host| &host.rows)
        .filter(|row| row.installed.is_some())
        .map(|row| row.component.name.value.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for host in hosts {
        let installed: Vec<&Row<'_>> = host.rows.iter().filter(|row| row.installed.is_some()).collect();
        if installed.is_empty() {
            let _ = writeln!(out, "{:host_width$}  no {} component installed", host.name, manifest.package.value);
            continue;
        }
        for row in installed {
            let (Some(installed), Some(path)) = (row.installed, &row.path) else { continue };
            let target = &row.component.version.value;
            let shown = match path {
                Ok(path) if path.is_empty() => format!("already at {target}"),
                Ok(path) => {
                    let mut shown = installed.to_string();
                    for stop in path {
                        let _ = write!(shown, " → {}", stop.version);
                        if stop.kind == StopKind::Required {
                            shown.push_str(" (required stop)");
                        }
                    }
                    shown
                }
                Err(no_path) => format!("no upgrade path from {installed} to {target}: {no_path}"),
            };
            let _ = writeln!(out, "{:host_width$}  {:component_width$}  {shown}", host.name, row.component.name.value);
        }
    }
    let rows: Vec<&Row<'_>> = hosts.iter().flat_map(|host| &host.rows).filter(|row| row.installed.is_some()).collect();
    let with_status = |status: &str| rows.iter().filter(|row| row.status() == status).count();
    let _ = writeln!(
        out,
        "\n{}, {}: {} to upgrade, {} already at the target, {} with no upgrade path",
        count(hosts.len(), "host"),
        count(rows.len(), "installed component"),
        with_status("upgrade"),
        with_status("at-target"),
        with_status("no-path"),
    );
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    format: &'static str,
    package: &'a str,
    version: String,
    hosts: Vec<JsonHost<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonHost<'a> {
    host: &'a str,
    components: Vec<JsonRow<'a>>,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    component: &'a str,
    installed: Option<String>,
    target: String,
    status: &'static str,
    path: Option<Vec<String>>,
    stops: Option<Vec<String>>,
    no_path: Option<JsonNoPath>,
}

#[derive(Serialize)]
struct JsonNoPath {
    kind: &'static str,
    message: String,
}

#[derive(Serialize)]
struct JsonSummary {
    hosts: usize,
    installed: usize,
    upgrade: usize,
    at_target: usize,
    no_path: usize,
}

fn json(manifest: &Manifest, hosts: &[HostPaths<'_>]) -> String {
    let versions = |path: &[Stop], keep: fn(&Stop) -> bool| {
        path.iter().filter(|stop| keep(stop)).map(|stop| stop.version.to_string()).collect()
    };
    let json_hosts: Vec<JsonHost<'_>> = hosts
        .iter()
        .map(|host| JsonHost {
            host: host.name,
            components: host
                .rows
                .iter()
                .map(|row| JsonRow {
                    component: &row.component.name.value,
                    installed: row.installed.map(ToString::to_string),
                    target: row.component.version.value.to_string(),
                    status: row.status(),
                    path: match &row.path {
                        Some(Ok(path)) => Some(versions(path, |_| true)),
                        _ => None,
                    },
                    stops: match &row.path {
                        Some(Ok(path)) => Some(versions(path, |stop| stop.kind == StopKind::Required)),
                        _ => None,
                    },
                    no_path: match &row.path {
                        Some(Err(no_path)) => Some(JsonNoPath { kind: no_path.kind(), message: no_path.to_string() }),
                        _ => None,
                    },
                })
                .collect(),
        })
        .collect();
    let rows = || hosts.iter().flat_map(|host| &host.rows);
    let with_status = |status: &str| rows().filter(|row| row.status() == status).count();
    let report = JsonReport {
        format: "cutover-paths/1",
        package: &manifest.package.value,
        version: manifest.version.value.to_string(),
        hosts: json_hosts,
        summary: JsonSummary {
            hosts: hosts.len(),
            installed: rows().filter(|row| row.installed.is_some()).count(),
            upgrade: with_status("upgrade"),
            at_target: with_status("at-target"),
            no_path: with_status("no-path"),
        },
    };
    let mut text = serde_json::to_string_pretty(&report).expect("the report serializes");
    text.push('\n');
    text
}
