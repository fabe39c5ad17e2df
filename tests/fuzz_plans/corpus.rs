//! The plan sets mutants start from, held in memory: every plan under `plans/` in both forms,
//! every fixture with an `# expect:` header, and the seeds of the cargo-fuzz targets
//! (`fuzz/corpus/*/seed-*`, the attacks cutover was hardened against) as plans of the dten
//! plan set; each with the files it reads (manifest, inventory, libraries), found by compiling
//! it once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where the files live for the compiler: a folder that does not exist on disk, so a mutant
/// that names another file reads nothing from the machine.
pub const ROOT: &str = "in-memory";

/// One plan and what it reads.
pub struct Seed {
    pub plan: PathBuf,
    /// The plan first, then each file it loaded, by path.
    pub inputs: Vec<PathBuf>,
    /// Every command the unmutated plan lowers to: a mutant's other commands are new.
    pub commands: BTreeSet<String>,
}

pub struct Corpus {
    /// Every file of the plan sets and fixtures, by in-memory path.
    pub files: BTreeMap<PathBuf, String>,
    pub seeds: Vec<Seed>,
    /// Every line of every file, to splice into mutants.
    pub lines: Vec<String>,
}

impl Corpus {
    pub fn load(repository: &Path) -> Self {
        let mut files = BTreeMap::new();
        for folder in ["plans", "tests/fixtures"] {
            collect(repository, &repository.join(folder), &mut files);
        }
        collect_fuzz_seeds(repository, &mut files);
        let mut seeds = Vec::new();
        for (path, text) in &files {
            let in_plans = path.starts_with(Path::new(ROOT).join("plans"));
            let is_plan = if in_plans {
                path.file_stem().is_some_and(|stem| stem == "plan" || stem.to_string_lossy().starts_with("fuzz-seed-"))
            } else {
                text.starts_with("# expect:")
            };
            if is_plan {
                seeds.push(Seed::of(path, &files));
            }
        }
        let lines = files.values().flat_map(|text| text.lines().map(str::to_owned)).collect();
        Self { files, seeds, lines }
    }
}

impl Seed {
    fn of(plan: &Path, files: &BTreeMap<PathBuf, String>) -> Self {
        let compilation = compile(files, plan);
        let mut inputs = vec![plan.to_path_buf()];
        for (_, file) in compilation.sources.files() {
            if let Some(path) = &file.path
                && path != plan
                && files.contains_key(path)
            {
                inputs.push(path.clone());
            }
        }
        let commands = compilation.lowered.as_ref().map(commands_of).unwrap_or_default();
        Self { plan: plan.to_path_buf(), inputs, commands }
    }
}

/// Compiles `plan` with `files` served from memory.
pub fn compile(files: &BTreeMap<PathBuf, String>, plan: &Path) -> cutover::Compilation {
    let sources = cutover::source::SourceMap::with_files(files.iter().map(|(path, text)| (path.clone(), text.clone())));
    cutover::driver::compile_with(sources, plan, &cutover::config::Settings::default())
        .unwrap_or_else(|error| panic!("{} is in memory: {error}", plan.display()))
}

/// Every command a lowered plan runs: each instance's, and the notify command's.
pub fn commands_of(lowered: &cutover::lower::LoweredPlan) -> BTreeSet<String> {
    let mut commands = BTreeSet::new();
    for instance in &lowered.instances {
        commands.insert(instance.run.clone());
        commands.extend(instance.verify.iter().cloned());
        commands.extend(instance.rollback.iter().cloned());
        commands.extend(instance.cleanup.iter().cloned());
    }
    commands
}

/// The seeds of the cargo-fuzz targets, but the copies of the plans, put beside the dten plan
/// so that they read its manifest, inventory and library.
fn collect_fuzz_seeds(repository: &Path, files: &mut BTreeMap<PathBuf, String>) {
    let beside = Path::new(ROOT).join("plans/dten-4.2");
    for target in ["parse", "plan_yaml"] {
        let Ok(entries) = std::fs::read_dir(repository.join("fuzz/corpus").join(target)) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("seed-")
                && !name.starts_with("seed-plan-")
                && let Ok(text) = std::fs::read_to_string(entry.path())
            {
                files.insert(beside.join(format!("fuzz-{name}")), text);
            }
        }
    }
}

fn collect(repository: &Path, folder: &Path, files: &mut BTreeMap<PathBuf, String>) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(repository, &path, files);
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            let relative = path.strip_prefix(repository).expect("under the repository");
            files.insert(Path::new(ROOT).join(relative), text);
        }
    }
}
