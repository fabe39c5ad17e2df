//! `cutover lint PATH…`: every plan under the paths (respecting `.gitignore`), each with the
//! `cutover.toml` found upward from it, checked in parallel and reported in one format.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::render::{Renderer, count};
use super::{Failure, LintFormat};
use crate::config::{self, Settings};
use crate::report::{self, PlanReport};
use crate::source::SourceMap;

pub fn run(
    paths: &[PathBuf],
    format: LintFormat,
    deny_warnings: bool,
    renderer: &Renderer,
) -> Result<ExitCode, Failure> {
    let plans = discover(paths)?;
    let mut settings_by_directory: Vec<(PathBuf, Settings)> = Vec::new();
    let mut jobs = Vec::with_capacity(plans.len());
    for plan in plans {
        let settings = settings_for(&plan, &mut settings_by_directory)?;
        jobs.push((plan, settings));
    }
    let results = check_in_parallel(&jobs);
    let mut reports = Vec::with_capacity(results.len());
    let mut human = String::new();
    for ((plan, _), result) in jobs.iter().zip(results) {
        let compilation = result.map_err(|error| Failure(error.to_string()))?;
        if format == LintFormat::Human {
            human.push_str(&renderer.diagnostics(&compilation.diagnostics, &compilation.sources));
        }
        reports.push(PlanReport::new(plan.display().to_string(), &compilation));
    }
    let (errors, warnings) = report::totals(&reports);
    let text = match format {
        LintFormat::Human => {
            let _ = writeln!(human, "{} linted: {}", count(reports.len(), "plan"), totals_text(errors, warnings));
            human
        }
        LintFormat::Json => report::json::emit(&reports),
        LintFormat::Sarif => report::sarif::emit_under(&reports, uri_base().as_ref()),
        LintFormat::Github => report::github::emit(&reports),
        LintFormat::Markdown => report::markdown::emit(&reports),
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush())
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Failure(format!("cannot write to standard output: {error}")));
    }
    let failed = errors > 0 || (deny_warnings && warnings > 0);
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// What SARIF's `%SRCROOT%` stands for: the git repository around the current directory (the
/// nearest folder with a `.git`, a folder or a worktree's file), or the current directory
/// outside any. `None` when the current directory cannot be read: names are then written as
/// they are.
fn uri_base() -> Option<report::sarif::UriBase> {
    let current = std::env::current_dir().ok()?;
    let root = current.ancestors().find(|folder| folder.join(".git").exists()).unwrap_or(&current).to_path_buf();
    Some(report::sarif::UriBase { root, current })
}

/// "2 errors, 1 warning" over every plan.
fn totals_text(errors: usize, warnings: usize) -> String {
    match (errors, warnings) {
        (0, 0) => "no problems".to_owned(),
        (_, 0) => count(errors, "error"),
        (0, _) => count(warnings, "warning"),
        _ => format!("{}, {}", count(errors, "error"), count(warnings, "warning")),
    }
}

/// Every plan file under the paths, sorted: YAML files whose text has a top-level `cutover:`
/// key, and DSL (`.cutover`) files with a `cutover 1` line. Directories are walked with
/// `.gitignore` respected. A file named directly that is not a plan (a manifest, an inventory,
/// a library, `.pre-commit-config.yaml`: what a pre-commit hook or a shell glob passes) is
/// skipped with a note on standard error, one line each.
fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut plans = Vec::new();
    for path in paths {
        if path.is_file() {
            // A file that cannot be read stays in, so that its error is reported.
            match crate::source::read_text(path) {
                Ok(text) if !says_language(&text) => {
                    eprintln!("note: skipped `{}`: not a plan (no top-level `cutover:` key)", path.display());
                }
                _ => plans.push(path.clone()),
            }
            continue;
        }
        if !path.is_dir() {
            return Err(Failure(format!("cannot lint `{}`: no such file or directory", path.display())));
        }
        for entry in ignore::WalkBuilder::new(path).require_git(false).build() {
            let entry = entry.map_err(|error| Failure(format!("cannot walk `{}`: {error}", path.display())))?;
            let candidate = entry.path();
            let is_yaml = candidate.extension().is_some_and(|extension| extension == "yaml" || extension == "yml");
            let is_dsl = crate::syntax::dsl::is_dsl(candidate);
            if entry.file_type().is_some_and(|kind| kind.is_file()) && (is_yaml || is_dsl) && is_plan(candidate) {
                plans.push(candidate.strip_prefix("./").unwrap_or(candidate).to_path_buf());
            }
        }
    }
    plans.sort();
    plans.dedup();
    Ok(plans)
}

/// A plan says its language version on a line of its own: `cutover: 1` (`cutover 1` in the DSL).
fn is_plan(path: &Path) -> bool {
    crate::source::read_text(path).is_ok_and(|text| says_language(&text))
}

fn says_language(text: &str) -> bool {
    text.lines().any(|line| line.starts_with("cutover:") || line.starts_with("cutover "))
}

/// The settings of the nearest `cutover.toml` at or above the plan's folder, read once per folder.
fn settings_for(plan: &Path, cache: &mut Vec<(PathBuf, Settings)>) -> Result<Settings, Failure> {
    let directory = plan.parent().map(Path::to_path_buf).unwrap_or_default();
    let absolute = std::fs::canonicalize(if directory.as_os_str().is_empty() { Path::new(".") } else { &directory })
        .map_err(|error| Failure(format!("cannot read `{}`: {error}", directory.display())))?;
    if let Some((_, settings)) = cache.iter().find(|(cached, _)| *cached == absolute) {
        return Ok(settings.clone());
    }
    let mut settings = Settings::default();
    for ancestor in absolute.ancestors() {
        let candidate = ancestor.join(config::FILE_NAME);
        if candidate.is_file() {
            let text = crate::source::read_text(&candidate).map_err(|error| Failure(error.to_string()))?;
            settings =
                Settings::from_toml(&text).map_err(|message| Failure(format!("{}: {message}", candidate.display())))?;
            break;
        }
    }
    cache.push((absolute, settings.clone()));
    Ok(settings)
}

/// Checks the plans on every core; results come back in the order of `jobs`.
fn check_in_parallel(jobs: &[(PathBuf, Settings)]) -> Vec<Result<crate::Compilation, crate::source::LoadError>> {
    crate::parallel::map_on_every_core(jobs, |(plan, settings)| {
        crate::driver::compile_with(SourceMap::new(), plan, settings)
    })
}
