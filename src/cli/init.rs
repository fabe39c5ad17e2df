//! `cutover init --manifest M --inventory I [DIR]`: scaffolds a plan set (plan, action library,
//! `cutover.toml`) and lists the TODOs a person must settle.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use super::Failure;
use super::render::Renderer;
use crate::source::SourceMap;
use crate::syntax::{inventory, manifest, yaml};

pub fn run(
    manifest_path: &Path,
    inventory_path: &Path,
    directory: &Path,
    renderer: &Renderer,
) -> Result<ExitCode, Failure> {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let manifest_file =
        sources.load(manifest_path, manifest_path.display().to_string()).map_err(|error| Failure(error.to_string()))?;
    let inventory_file = sources
        .load(inventory_path, inventory_path.display().to_string())
        .map_err(|error| Failure(error.to_string()))?;
    let read = |file, diagnostics: &mut Vec<_>| match yaml::parse(file, &sources.get(file).text) {
        Ok(root) => Some(root),
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            None
        }
    };
    let manifest = read(manifest_file, &mut diagnostics)
        .and_then(|root| manifest::read_manifest(manifest_file, &root, &mut diagnostics));
    let source = sources.get(inventory_file);
    let inventory = inventory::read_inventory(inventory_file, &source.name, &source.text, &mut diagnostics);
    if !diagnostics.is_empty() {
        eprint!("{}", renderer.diagnostics(&diagnostics, &sources));
        if diagnostics.iter().any(crate::diagnostic::Diagnostic::is_error) {
            return Ok(ExitCode::from(1));
        }
    }
    let (Some(manifest), Some(inventory)) = (manifest, inventory) else { return Ok(ExitCode::from(1)) };
    let scaffold = crate::init::scaffold(
        &manifest,
        &inventory,
        &relative(manifest_path, directory)?,
        &relative(inventory_path, directory)?,
    );
    std::fs::create_dir_all(directory)
        .map_err(|error| Failure(format!("cannot create `{}`: {error}", directory.display())))?;
    for (name, _) in &scaffold.files {
        let path = directory.join(name);
        if path.exists() {
            return Err(Failure(format!("`{}` exists already; init writes only new files", path.display())));
        }
    }
    for (name, text) in &scaffold.files {
        super::output::write_file(&directory.join(name), text)?;
    }
    let mut out = format!(
        "wrote {} in {}\n",
        scaffold.files.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join(", "),
        directory.display()
    );
    let todos = scaffold.todos();
    let _ = writeln!(out, "{} to settle:", super::render::count(todos.len(), "TODO"));
    for todo in todos {
        let _ = writeln!(
            out,
            "  {}",
            Path::new(&directory.join(todo.split(':').next().unwrap_or_default())).display().to_string()
                + &todo[todo.find(':').unwrap_or(0)..]
        );
    }
    super::output::write_stdout(out.as_bytes())
}

/// `target` as a path relative to `directory`, both taken from the current directory.
fn relative(target: &Path, directory: &Path) -> Result<String, Failure> {
    let absolute = |path: &Path| -> Result<PathBuf, Failure> {
        let current =
            std::env::current_dir().map_err(|error| Failure(format!("cannot read the current directory: {error}")))?;
        let mut result = PathBuf::new();
        for component in current.join(path).components() {
            match component {
                Component::CurDir => {}
                Component::ParentDir => {
                    result.pop();
                }
                other => result.push(other),
            }
        }
        Ok(result)
    };
    let (target, directory) = (absolute(target)?, absolute(directory)?);
    let common = target.components().zip(directory.components()).take_while(|(left, right)| left == right).count();
    let mut relative = PathBuf::new();
    for _ in directory.components().skip(common) {
        relative.push("..");
    }
    for component in target.components().skip(common) {
        relative.push(component);
    }
    Ok(relative.to_string_lossy().into_owned())
}
