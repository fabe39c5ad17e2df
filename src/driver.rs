//! The pipeline, start to end: read the plan and what it names, check, lower.
//!
//! Referenced files (manifest, inventory, libraries) that cannot be read become CUT007
//! diagnostics at the field naming them; only the plan file itself failing to load is an
//! error of the call (exit 2).

use std::path::{Path, PathBuf};

use crate::check;
use crate::codes::CUT007;
use crate::config::Settings;
use crate::diagnostic::{Diagnostic, Note};
use crate::lower::{self, LoweredPlan, SourceInput};
use crate::model::{Library, Spanned};
use crate::resolve::Inputs;
use crate::source::{FileId, LoadError, SourceMap};
use crate::syntax::{dsl, inventory, manifest, plan, yaml};

/// The built-in prelude, read like any action library.
pub const PRELUDE: &str = include_str!("prelude.yaml");

/// The result of compiling one plan.
#[derive(Debug)]
pub struct Compilation {
    pub sources: SourceMap,
    pub plan_file: FileId,
    /// Every diagnostic, in file and position order.
    pub diagnostics: Vec<Diagnostic>,
    pub notes: Vec<Note>,
    /// The lowered plan, when no diagnostic is an error.
    pub lowered: Option<LoweredPlan>,
}

impl Compilation {
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Compiles the plan at `path`, reading files from disk, with default settings.
///
/// # Errors
/// The plan file itself cannot be read.
pub fn compile_path(path: &Path) -> Result<Compilation, LoadError> {
    compile(SourceMap::new(), path)
}

/// Compiles the plan at `path` through `sources`, with default settings.
///
/// # Errors
/// The plan file itself cannot be read.
pub fn compile(sources: SourceMap, path: &Path) -> Result<Compilation, LoadError> {
    compile_with(sources, path, &Settings::default())
}

/// Compiles the plan at `path`, reading through `sources` (which may serve files from memory).
///
/// # Errors
/// The plan file itself cannot be read.
///
/// # Panics
/// Only if the built-in prelude does not read cleanly, which a unit test rules out.
pub fn compile_with(mut sources: SourceMap, path: &Path, settings: &Settings) -> Result<Compilation, LoadError> {
    let plan_file = sources.load(path, path.display().to_string())?;
    let prelude_file = sources.add("<prelude>", PRELUDE);
    let mut diagnostics = Vec::new();

    let prelude = read_prelude(prelude_file);

    let Some(plan) = read_plan(&sources, path, plan_file, &mut diagnostics) else {
        return Ok(Compilation { sources, plan_file, diagnostics, notes: Vec::new(), lowered: None });
    };
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let manifest = plan.manifest.as_ref().and_then(|name| {
        let file = load_named(&mut sources, &base, name, "manifest", &mut diagnostics)?;
        let root = parse_or_report(&sources, file, &mut diagnostics)?;
        manifest::read_manifest(file, &root, &mut diagnostics)
    });
    let inventory = plan.inventory.as_ref().and_then(|name| {
        let file = load_named(&mut sources, &base, name, "inventory", &mut diagnostics)?;
        let source = sources.get(file);
        inventory::read_inventory(file, &source.name, &source.text, &mut diagnostics)
    });
    let libraries = read_libraries(&mut sources, &base, &plan, &mut diagnostics);

    let inputs = Inputs {
        plan: &plan,
        manifest: manifest.as_ref(),
        inventory: inventory.as_ref(),
        libraries: &libraries,
        prelude: &prelude,
        settings,
    };
    let (diagnostics, notes, lowered) = check_and_lower(&sources, &inputs, diagnostics);
    Ok(Compilation { sources, plan_file, diagnostics, notes, lowered })
}

/// Every action a plan can call, before names are resolved: what `cutover actions` and
/// `cutover explain ACTION` describe.
#[derive(Debug)]
pub struct ActionSources {
    pub sources: SourceMap,
    /// What reading the plan and its libraries reported (an empty list without a plan).
    pub diagnostics: Vec<Diagnostic>,
    pub prelude: Library,
    /// The plan's `use:` libraries that could be read, in the plan's order.
    pub libraries: Vec<Library>,
    /// The plan's own `actions:`.
    pub plan_actions: Vec<crate::model::Action>,
}

/// Reads the prelude and, when a plan is given, the plan and its libraries, as compiling it
/// would, without checking anything.
///
/// # Errors
/// The plan file itself cannot be read.
///
/// # Panics
/// Only if the built-in prelude does not read cleanly, which a unit test rules out.
pub fn read_actions(mut sources: SourceMap, plan_path: Option<&Path>) -> Result<ActionSources, LoadError> {
    let plan_file = plan_path.map(|path| sources.load(path, path.display().to_string())).transpose()?;
    let prelude = read_prelude(sources.add("<prelude>", PRELUDE)).into_owned();
    let mut diagnostics = Vec::new();
    let (mut libraries, mut plan_actions) = (Vec::new(), Vec::new());
    if let (Some(path), Some(file)) = (plan_path, plan_file)
        && let Some(plan) = read_plan(&sources, path, file, &mut diagnostics)
    {
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        libraries = read_libraries(&mut sources, &base, &plan, &mut diagnostics);
        plan_actions = plan.actions;
    }
    Ok(ActionSources { sources, diagnostics, prelude, libraries, plan_actions })
}

fn read_plan(
    sources: &SourceMap,
    path: &Path,
    plan_file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<crate::model::Plan> {
    if dsl::is_dsl(path) {
        dsl::read_plan(plan_file, &sources.get(plan_file).text, diagnostics)
    } else {
        let root = parse_or_report(sources, plan_file, diagnostics)?;
        plan::read_plan(plan_file, &root, diagnostics)
    }
}

/// The plan's `use:` libraries, relative to the plan's folder; one that cannot be read is
/// CUT007 at its name.
fn read_libraries(
    sources: &mut SourceMap,
    base: &Path,
    plan: &crate::model::Plan,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Library> {
    plan.uses
        .iter()
        .filter_map(|name| {
            let file = load_named(sources, base, name, "action library", diagnostics)?;
            if dsl::is_dsl(Path::new(&name.value)) {
                return Some(dsl::read_library(file, &sources.get(file).text, diagnostics));
            }
            let root = parse_or_report(sources, file, diagnostics)?;
            Some(plan::read_library(file, &root, diagnostics))
        })
        .collect()
}

fn check_and_lower<'m>(
    sources: &SourceMap,
    inputs: &'m Inputs<'m>,
    diagnostics: Vec<Diagnostic>,
) -> (Vec<Diagnostic>, Vec<Note>, Option<LoweredPlan>) {
    let Inputs { plan, manifest, inventory, libraries, .. } = *inputs;
    // Lowering runs beside the rules (see `check::check_then`).
    let (outcome, lowered) = check::check_then(inputs, sources, diagnostics, |checked| {
        let input = |role: &'static str, path: String, file: FileId| SourceInput {
            role,
            path,
            sha256: crate::source::sha256_hex(sources.get(file).text.as_bytes()),
        };
        let plan_name = sources
            .get(plan.file)
            .path
            .as_ref()
            .and_then(|path| path.file_name())
            .map_or_else(|| sources.get(plan.file).name.clone(), |name| name.to_string_lossy().into_owned());
        let named = |name: &Option<Spanned<String>>| name.as_ref().map(|name| name.value.clone()).unwrap_or_default();
        let mut inputs = vec![input("plan", plan_name, plan.file)];
        inputs.extend(manifest.map(|manifest| input("manifest", named(&plan.manifest), manifest.file)));
        inputs.extend(inventory.map(|inventory| input("inventory", named(&plan.inventory), inventory.file)));
        // Every library loaded: one that did not is an error, and lowering runs only without errors.
        for (name, library) in plan.uses.iter().zip(libraries) {
            inputs.push(input("library", name.value.clone(), library.file));
        }
        lower::lower(checked, inputs)
    });
    (outcome.diagnostics, outcome.notes, lowered)
}

/// The prelude's actions, read once per process. Every compilation needs them, and reading the
/// prelude's YAML again for each plan was a fifth of a `cutover lint` run over many small
/// plans. Its spans name its file: the copy read once serves every compilation that gives the
/// prelude the same file id (all of them, as it is added right after the plan).
fn read_prelude(file: FileId) -> std::borrow::Cow<'static, Library> {
    static READ: std::sync::OnceLock<(FileId, Library)> = std::sync::OnceLock::new();
    let read = |file: FileId| {
        let mut diagnostics = Vec::new();
        let prelude = yaml::parse(file, PRELUDE)
            .map(|root| plan::read_library(file, &root, &mut diagnostics))
            .expect("the prelude is valid YAML");
        assert!(diagnostics.is_empty(), "the prelude reads cleanly: {diagnostics:?}");
        prelude
    };
    match READ.get_or_init(|| (file, read(file))) {
        (read_file, prelude) if *read_file == file => std::borrow::Cow::Borrowed(prelude),
        _ => std::borrow::Cow::Owned(read(file)),
    }
}

/// Loads a file the plan names, relative to the plan's folder; a failure is CUT007 at the name.
fn load_named(
    sources: &mut SourceMap,
    base: &Path,
    name: &Spanned<String>,
    role: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<FileId> {
    let path = normalize(&base.join(&name.value));
    match sources.load(&path, path.display().to_string()) {
        Ok(file) => Some(file),
        Err(error) => {
            diagnostics.push(
                Diagnostic::new(
                    CUT007,
                    name.span,
                    format!("cannot read the {role} `{}`: {}", name.value, error.reason),
                )
                .with_primary_label(format!("read from {}", path.display()))
                .with_help("paths in a plan are relative to the plan file's folder"),
            );
            None
        }
    }
}

fn parse_or_report(sources: &SourceMap, file: FileId, diagnostics: &mut Vec<Diagnostic>) -> Option<yaml::Node> {
    match yaml::parse(file, &sources.get(file).text) {
        Ok(root) => Some(root),
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            None
        }
    }
}

/// Removes `dir/..` pairs and `.` lexically, so `plans/x/../common/m.yaml` is shown as
/// `plans/common/m.yaml`. Symlinks are not resolved: the path stays the one the user wrote.
fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if matches!(normal.components().next_back(), Some(std::path::Component::Normal(_))) =>
            {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}
