//! One mutant through the whole library pipeline, with the invariants every plan set must keep
//! whatever its text: compiling never panics, a compilation without errors lowers, every span
//! lies within its file, every emitter writes, the script's only code is the plan's commands
//! (`script`), the playbook's values are escaped, and `fmt` and `convert` keep what a plan
//! compiles to.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use cutover::Compilation;
use cutover::lower::LoweredPlan;
use cutover::source::{FileId, SourceMap};
use cutover::syntax::dsl::{self, Form, NotConverted};

use super::corpus;
use super::script;

/// The longest word (a run without a space or a line break) of a plan whose playbook is written.
const LONGEST_PLAYBOOK_WORD: usize = 2_000;

/// What a run of the pipeline is asked to do besides the checks in process.
pub struct Checks<'c> {
    /// Run bash on the script: `bash -n`, each new command on its own, and `--help`,
    /// `--dry-run` and `--status` for real.
    pub bash: bool,
    /// Where the script is written and run.
    pub scratch: &'c Path,
    /// The file a hostile piece creates if it ever runs.
    pub pwned: &'c Path,
    /// The commands of the plan the mutant came from.
    pub seed_commands: &'c BTreeSet<String>,
}

/// What the run did, for the summary.
#[derive(Default)]
pub struct Outcome {
    pub lowered: bool,
    pub ran_bash: bool,
    pub converted: bool,
}

/// Runs `plan` and everything it reads from `files` through the pipeline; the error says which
/// invariant broke.
pub fn exercise(
    files: &BTreeMap<PathBuf, String>,
    plan: &Path,
    changed: &BTreeSet<PathBuf>,
    checks: &Checks<'_>,
) -> Result<Outcome, String> {
    let compilation = corpus::compile(files, plan);
    spans_lie_within_their_files(&compilation)?;
    if compilation.has_errors() == compilation.lowered.is_some() {
        return Err(format!(
            "has errors: {}, lowered: {}: {:?}",
            compilation.has_errors(),
            compilation.lowered.is_some(),
            codes(&compilation)
        ));
    }
    reports(&compilation)?;
    let mut outcome = Outcome::default();
    if let Some(lowered) = &compilation.lowered {
        outcome.lowered = true;
        emitters(lowered)?;
        if checks.bash {
            outcome.ran_bash = run_bash(lowered, checks)?;
        }
    }
    outcome.converted = forms_agree(files, plan)?;
    for path in changed.iter().filter(|path| *path != plan) {
        // Every other file the mutant changed, converted: never a panic, whatever it holds.
        let text = &files[path];
        {
            let mut sources = SourceMap::new();
            let file = sources.add(path.display().to_string(), text.clone());
            let _ = dsl::convert(file, text, dsl::is_dsl(path), Form::Dsl, &mut Vec::new());
            let _ = dsl::convert(file, text, dsl::is_dsl(path), Form::Yaml, &mut Vec::new());
        }
    }
    Ok(outcome)
}

fn codes(compilation: &Compilation) -> Vec<String> {
    compilation.diagnostics.iter().map(|diagnostic| format!("{} {}", diagnostic.code, diagnostic.message)).collect()
}

/// Every label of every diagnostic names a file of the compilation and a range of whole
/// characters inside it, so any renderer can show it.
fn spans_lie_within_their_files(compilation: &Compilation) -> Result<(), String> {
    let files = compilation.sources.files().count();
    for diagnostic in &compilation.diagnostics {
        for label in std::iter::once(&diagnostic.primary).chain(&diagnostic.secondary) {
            let span = label.span;
            if span.file.0 as usize >= files {
                return Err(format!(
                    "{} {}: a span in file {} of {files}",
                    diagnostic.code, diagnostic.message, span.file.0
                ));
            }
            let text = &compilation.sources.get(span.file).text;
            let (start, end) = (span.start as usize, span.end as usize);
            if start > end || end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                return Err(format!(
                    "{} {}: span {start}..{end} in {} ({} bytes) is not a range of its characters",
                    diagnostic.code,
                    diagnostic.message,
                    compilation.sources.get(span.file).name,
                    text.len()
                ));
            }
        }
    }
    Ok(())
}

/// The lint reports of the compilation: the JSON and SARIF ones read back as JSON.
fn reports(compilation: &Compilation) -> Result<(), String> {
    let plans = [cutover::report::PlanReport::new("plan".to_owned(), compilation)];
    for (name, text) in [("json", cutover::report::json::emit(&plans)), ("sarif", cutover::report::sarif::emit(&plans))]
    {
        serde_json::from_str::<serde_json::Value>(&text).map_err(|error| format!("the {name} report: {error}"))?;
    }
    let _ = cutover::report::github::emit(&plans);
    let _ = cutover::report::markdown::emit(&plans);
    Ok(())
}

/// Every emitter on the lowered plan.
fn emitters(lowered: &LoweredPlan) -> Result<(), String> {
    let sh = cutover::emit::sh::emit(lowered);
    if let Some(at) = sh.find('\0') {
        return Err(format!("the script holds a NUL byte, which bash drops: {:?}", &sh[at.saturating_sub(60)..at]));
    }
    script::check(&sh, lowered).map_err(|why| format!("the script: {why}"))?;
    let json = cutover::emit::json::emit(lowered);
    // The playbook's quoting takes time quadratic in the length of a word (being fixed apart
    // from this test): plans with a word longer than this skip the playbook, so that the time
    // goes to other mutants.
    let longest_word = json.split([' ', '\n']).map(str::len).max().unwrap_or(0);
    let playbook =
        if longest_word <= LONGEST_PLAYBOOK_WORD { cutover::emit::ansible::emit(lowered, ".") } else { Vec::new() };
    for (name, text) in playbook {
        if Path::new(name).extension().is_none_or(|extension| extension != "yml") {
            continue;
        }
        // YAML 1.1 readers (Ansible's PyYAML) break lines at more characters than YAML 1.2: a
        // raw one would let free text start a line of the playbook.
        if let Some(raw) = text.chars().find(|&c| (c.is_control() && c != '\n') || matches!(c, '\u{2028}' | '\u{2029}'))
        {
            return Err(format!("{name} holds a raw {raw:?}"));
        }
        cutover::syntax::yaml::parse(FileId(0), &text)
            .map_err(|diagnostic| format!("{name} is not YAML: {}", diagnostic.message))?;
    }
    let json: serde_json::Value = serde_json::from_str(&json).map_err(|error| format!("the JSON: {error}"))?;
    if json["plan"] != lowered.plan.as_str() {
        return Err(format!("the JSON names plan {}", json["plan"]));
    }
    let _ = cutover::emit::runbook::emit(lowered);
    let _ = cutover::emit::dot::emit(lowered);
    let _ = cutover::emit::mermaid::emit(lowered);
    Ok(())
}

/// bash on the script: it parses, and `--help`, `--dry-run` and `--status` run none of the
/// plan's text. A command the mutant broke (an `if` without its `fi`) is the plan's own syntax
/// error, which bash reports when it reads the script: then the script is not run, and the
/// run says so (`false`). The checker refuses every command that would change how bash reads
/// the lines around it (`check::template::shell`), so a command that parses on its own parses
/// in the script.
fn run_bash(lowered: &LoweredPlan, checks: &Checks<'_>) -> Result<bool, String> {
    for command in corpus::commands_of(lowered).difference(checks.seed_commands) {
        let function = format!("step() {{\n{command}\n}}\n");
        if bash(&["-n".as_ref(), "-c".as_ref(), function.as_ref()], checks.scratch).is_err() {
            return Ok(false);
        }
    }
    let path = checks.scratch.join("plan.sh");
    std::fs::write(&path, cutover::emit::sh::emit(lowered)).expect("write the script");
    bash(&["-n".as_ref(), path.as_os_str()], checks.scratch).map_err(|why| format!("bash -n: {why}"))?;
    for flag in ["--help", "--dry-run", "--status"] {
        bash(&[path.as_os_str(), flag.as_ref()], checks.scratch).map_err(|why| format!("{flag}: {why}"))?;
    }
    if checks.pwned.exists() {
        return Err("the plan's text ran: it created the file a hostile piece touches".to_owned());
    }
    Ok(true)
}

fn bash(arguments: &[&std::ffi::OsStr], directory: &Path) -> Result<(), String> {
    let output = Command::new("bash")
        .args(arguments)
        .current_dir(directory)
        .env("CUTOVER_STATE_DIR", directory.join("state"))
        .output()
        .expect("bash runs");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("exit {:?}: {}", output.status.code(), String::from_utf8_lossy(&output.stderr)))
    }
}

/// What a plan compiles to, compared across forms: its diagnostics' codes and messages, sorted
/// (each form orders them by its own positions), and the JSON without `sources`, which names
/// and hashes the file it came from.
fn outcome(files: &BTreeMap<PathBuf, String>, plan: &Path, text: &str) -> String {
    let mut files = files.clone();
    files.insert(plan.to_path_buf(), text.to_owned());
    let compilation = corpus::compile(&files, plan);
    let mut diagnostics = codes(&compilation);
    diagnostics.sort();
    let json = compilation.lowered.as_ref().map(|lowered| {
        let mut value: serde_json::Value =
            serde_json::from_str(&cutover::emit::json::emit(lowered)).expect("the JSON reads back");
        value.as_object_mut().expect("an object").remove("sources");
        serde_json::to_string_pretty(&value).expect("serializes")
    });
    format!("{}\n{}", diagnostics.join("\n"), json.unwrap_or_default())
}

/// `fmt` and `convert` both ways: what they write compiles to what the plan compiles to, both
/// canonical forms are fixed points, and DSL -> YAML -> DSL gives back the same text. Returns
/// whether the plan converted at all (a plan with a mistake in its reading does not).
fn forms_agree(files: &BTreeMap<PathBuf, String>, plan: &Path) -> Result<bool, String> {
    let text = &files[plan];
    let from_dsl = dsl::is_dsl(plan);
    let convert = |text: &str, from_dsl: bool, to: Form| {
        let mut sources = SourceMap::new();
        let file = sources.add("<fuzz>", text.to_owned());
        dsl::convert(file, text, from_dsl, to, &mut Vec::new())
    };
    let as_dsl = match convert(text, from_dsl, Form::Dsl) {
        Ok(as_dsl) => as_dsl,
        // A plan that does not read cleanly is not rewritten, in either form.
        Err(NotConverted::Unreadable) => {
            if convert(text, from_dsl, Form::Yaml).is_ok() {
                return Err("the plan does not read as DSL, yet converts to YAML".to_owned());
            }
            return Ok(false);
        }
        // A suppression comment that could not keep its reach in the DSL (one in the middle
        // of a YAML step, covering one field) may keep it in YAML: only YAML is checked.
        Err(NotConverted::Unfaithful(_)) => {
            if let Ok(as_yaml) = convert(text, from_dsl, Form::Yaml) {
                let expected = outcome(files, plan, text);
                let found = outcome(files, &plan.with_extension("yaml"), &as_yaml);
                if found != expected {
                    return Err(format!("as YAML it compiles to something else:\n{expected}\n---\n{found}"));
                }
            }
            return Ok(false);
        }
    };
    let as_yaml =
        convert(text, from_dsl, Form::Yaml).map_err(|why| format!("converts to DSL, not to YAML: {why:?}"))?;
    let expected = outcome(files, plan, text);
    let dsl_path = plan.with_extension("cutover");
    let yaml_path = plan.with_extension("yaml");
    for (form, path, written) in [("DSL", &dsl_path, &as_dsl), ("YAML", &yaml_path, &as_yaml)] {
        let found = outcome(files, path, written);
        if found != expected {
            return Err(format!(
                "as {form} it compiles to something else:\n{expected}\n---\n{found}\n--- written:\n{written}"
            ));
        }
    }
    for (form, written, to) in [("DSL", &as_dsl, Form::Dsl), ("YAML", &as_yaml, Form::Yaml)] {
        let again = convert(written, to == Form::Dsl, to)
            .map_err(|why| format!("its {form} form does not convert: {why:?}"))?;
        if &again != written {
            return Err(format!("its {form} form is not a fixed point:\n{written}\n---\n{again}"));
        }
    }
    let through_yaml =
        convert(&as_dsl, true, Form::Yaml).map_err(|why| format!("its DSL form does not convert to YAML: {why:?}"))?;
    let back = convert(&through_yaml, false, Form::Dsl)
        .map_err(|why| format!("DSL -> YAML does not convert back: {why:?}"))?;
    // The code comes back line for line and every comment comes back; where a comment stands
    // between two elements, and the blank lines around it, are the printers' best effort: a
    // comment at the end of a DSL step block has no such place in YAML, where it stands before
    // the next step (a suppression comment that would cover something else is refused).
    if code_and_comments(&back) != code_and_comments(&as_dsl) {
        return Err(format!("DSL -> YAML -> DSL changed the code or lost a comment:\n{as_dsl}\n---\n{back}"));
    }
    Ok(true)
}

/// The lines of code of a DSL text in order, and its own-line comments sorted.
fn code_and_comments(text: &str) -> (Vec<&str>, Vec<&str>) {
    let (mut comments, code): (Vec<&str>, Vec<&str>) =
        text.lines().map(str::trim).filter(|line| !line.is_empty()).partition(|line| line.starts_with('#'));
    comments.sort_unstable();
    (code, comments)
}
