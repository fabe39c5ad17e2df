//! The command line: arguments in, files and terminal out. One file per subcommand.
//!
//! **Invariant:** with `source`, this is the only module that does I/O. Exit codes: 0 no
//! errors, 1 errors found, 2 the command could not run.

mod actions;
mod build;
mod check;
mod completions;
mod convert;
mod diff;
mod explain;
mod fmt;
mod gather;
mod graph;
mod init;
mod lint;
mod man;
mod output;
mod paths;
pub mod render;
mod scan_config;
mod schema;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// cutover compiles upgrade plans: it type-checks a plan against the vendor's manifest and the
/// fleet's inventory and lowers it to ordered steps, each with its rollback.
#[derive(Debug, Parser)]
#[command(name = "cutover", version, about, max_term_width = 100)]
pub struct Cli {
    /// When to colour the output.
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and type-check plans; print every diagnostic.
    ///
    /// Example: cutover check plans/dten-4.2/plan.yaml
    Check {
        /// Plan files (YAML or the DSL).
        #[arg(required = true)]
        plans: Vec<PathBuf>,
    },
    /// Check a plan and write it lowered, in one format.
    ///
    /// Example: cutover build plans/dten-4.2/plan.yaml --emit json -o dten.json
    Build {
        /// The plan file.
        plan: PathBuf,
        /// What to write.
        #[arg(long, value_enum)]
        emit: EmitFormat,
        /// Where to write it (standard output if left out). Written whole or not at all.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// When the run starts, for the runbook's clock times against the window: `HH:MM`,
        /// `YYYY-MM-DDTHH:MM` or RFC 3339 (`2026-03-14T02:00:00+01:00`). Runbook only.
        #[arg(long, value_name = "TIME")]
        start: Option<String>,
    },
    /// Lint every plan under the paths, for CI: `cutover.toml` settings, suppressions, and
    /// reports for people, tools and code review.
    ///
    /// Example: cutover lint plans/ --format sarif > cutover.sarif
    Lint {
        /// Files or folders; folders are walked, respecting `.gitignore`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = LintFormat::Human)]
        format: LintFormat,
        /// Fail (exit 1) on warnings too: `--deny warnings`.
        #[arg(long, value_parser = ["warnings"])]
        deny: Option<String>,
    },
    /// Explain a rule (what it checks, why it matters, an example and the fix) or an action
    /// (its parameters, effects, timing and what it runs).
    ///
    /// Example: cutover explain CUT013   (or: cutover explain skipped-required-stop, cutover explain config.set)
    Explain {
        /// A rule code or name, or an action name.
        #[arg(value_name = "RULE|ACTION", value_parser = explain::TopicParser, hide_possible_values = true)]
        name: String,
        /// Know the plan's own actions and its libraries' too (they replace prelude actions of
        /// the same name, as when compiling).
        #[arg(long)]
        plan: Option<PathBuf>,
    },
    /// List the actions a plan can call: the built-in ones, and with a plan its libraries' and
    /// its own. One line each: name, parameters, effects, estimate.
    ///
    /// Example: cutover actions plans/dten-4.2/plan.yaml   (then: cutover explain config.set)
    Actions {
        /// A plan whose `use:` libraries and `actions:` to include.
        plan: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = actions::Format::Human)]
        format: actions::Format,
    },
    /// What a change to a plan changes in what will run: steps added, removed, moved, which
    /// step waits for which (written and inferred), commands and rollbacks changed, the
    /// schedule's total, new diagnostics.
    ///
    /// Example: cutover diff main:plans/dten-4.2/plan.yaml plans/dten-4.2/plan.yaml
    Diff {
        /// The plan before: a file, or `REV:PATH` for a git revision.
        old: String,
        /// The plan after: a file, or `REV:PATH`.
        new: String,
        #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
        format: DiffFormat,
    },
    /// Scaffold a plan set from a manifest and an inventory: the release steps with their
    /// required stops, a snapshot before irreversible migrations, and TODOs to settle.
    ///
    /// Example: cutover init --manifest vendor/manifest.json --inventory inventory/prod.yaml plans/next
    Init {
        /// The vendor's package manifest (JSON or YAML): its components, upgrade paths and
        /// required stops give the release steps.
        #[arg(long)]
        manifest: PathBuf,
        /// The fleet's inventory: its groups and the versions each host has give the steps'
        /// hosts and where each upgrade starts from.
        #[arg(long)]
        inventory: PathBuf,
        /// Where to write plan.yaml, lib.yaml and cutover.toml (created if missing).
        #[arg(default_value = ".")]
        directory: PathBuf,
    },
    /// Print the JSON Schema of a kind of file, for editors (also committed under schemas/).
    ///
    /// Example: cutover schema plan > schemas/plan.json
    Schema {
        #[arg(value_enum)]
        kind: crate::schema::Kind,
    },
    /// Print shell completions.
    ///
    /// Example: cutover completions bash > ~/.local/share/bash-completion/completions/cutover
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    ///
    /// Example: cutover man > /usr/local/share/man/man1/cutover.1
    Man,
    /// Show the step graph: the order steps run in and why.
    ///
    /// Example: cutover graph plans/dten-4.2/plan.yaml --format mermaid
    Graph {
        /// The plan file.
        plan: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
        format: GraphFormat,
    },
    /// Map each host's installed versions to the upgrade path and its required stops.
    ///
    /// Example: cutover paths --manifest plans/dten-4.2/manifest.json --inventory plans/dten-4.2/inventory.yaml
    Paths {
        /// The vendor's package manifest (JSON or YAML).
        #[arg(long)]
        manifest: PathBuf,
        /// The fleet's inventory.
        #[arg(long)]
        inventory: PathBuf,
        #[arg(long, value_enum, default_value_t = paths::Format::Human)]
        format: paths::Format,
        /// Ask the hosts first (as `cutover gather` does) and map what they run now.
        #[arg(long)]
        gather: bool,
    },
    /// Ask every host of an inventory for its installed versions (the manifest's probes, over
    /// `$CUTOVER_SSH`, or an Ansible `package_facts` tree) and write the inventory with them.
    ///
    /// Example: cutover gather --manifest plans/dten-4.2/manifest.json --inventory plans/dten-4.2/inventory.yaml -o gathered.yaml
    Gather {
        /// The vendor's package manifest: its components' `probe:` say how to ask.
        #[arg(long)]
        manifest: PathBuf,
        /// The fleet's inventory: the hosts to ask (any form `check` reads).
        #[arg(long)]
        inventory: PathBuf,
        /// Where to write the inventory (standard output when not given).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Read the tree `ansible all -m ansible.builtin.package_facts --tree DIR` wrote instead
        /// of asking over ssh.
        #[arg(long, value_name = "DIR")]
        from_facts: Option<PathBuf>,
    },
    /// Find the manifest's deprecated and removed config keys in real config files.
    ///
    /// Example: cutover scan-config --manifest plans/dten-4.2/manifest.json /etc/dten/dten.conf
    ScanConfig {
        /// The vendor's package manifest, whose `config` matrix names the keys.
        #[arg(long)]
        manifest: PathBuf,
        /// Config files: `key = value`, `key: value`, INI with `[section]` headers.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = paths::Format::Human)]
        format: paths::Format,
    },
    /// Rewrite DSL plans (`.cutover`) in the canonical form, comments kept.
    ///
    /// Example: cutover fmt plans/dten-4.2/plan.cutover   (CI: cutover fmt --check plans/*/plan.cutover)
    Fmt {
        /// DSL files; `-` reads standard input and prints the result.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write nothing; show a diff and exit 1 when a file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Convert a plan or action library between YAML and the DSL, comments carried.
    ///
    /// Example: cutover convert plans/dten-4.2/plan.yaml --to dsl -o plans/dten-4.2/plan.cutover
    Convert {
        /// The plan file (`.cutover` is read as the DSL, anything else as YAML).
        plan: PathBuf,
        /// The form to write.
        #[arg(long, value_enum)]
        to: ConvertTarget,
        /// Where to write it (standard output if left out).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConvertTarget {
    /// The plan language (`.cutover`).
    Dsl,
    /// YAML.
    Yaml,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EmitFormat {
    /// The lowered plan (`"format": "cutover-plan/1"`).
    Json,
    /// The step graph for Graphviz.
    Dot,
    /// The step graph as a Mermaid flowchart.
    Mermaid,
    /// A bash script that runs, resumes and rolls back the plan.
    Sh,
    /// A Markdown runbook for the people on the call.
    Runbook,
    /// An Ansible playbook with its inventory and a README: a directory, `-o DIR`.
    Ansible,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Rendered diagnostics and a summary.
    Human,
    /// Every finding, for tools (`"format": "cutover-lint/1"`).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// A summary for a pull-request comment.
    Markdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// For a terminal.
    Human,
    /// For a pull-request comment.
    Markdown,
    /// For tools (`"format": "cutover-diff/1"`): steps, dependencies, commands, schedule and
    /// diagnostics.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Steps in run order with what each waits for.
    Text,
    Dot,
    Mermaid,
}

/// What a command could not do: one line for the user, exit 2.
#[derive(Debug)]
pub struct Failure(pub String);

/// Parses the arguments and runs the command.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()) && std::io::stderr().is_terminal()
        }
    };
    let renderer = render::Renderer::new(color);
    let result = match &cli.command {
        Command::Check { plans } => Ok(check::run(plans, &renderer)),
        Command::Build { plan, emit, output, start } => {
            build::run(plan, *emit, output.as_deref(), start.as_deref(), &renderer)
        }
        Command::Graph { plan, format } => graph::run(plan, *format, &renderer),
        Command::Lint { paths, format, deny } => lint::run(paths, *format, deny.is_some(), &renderer),
        Command::Explain { name, plan } => explain::run(name, plan.as_deref(), &renderer),
        Command::Actions { plan, format } => actions::run(plan.as_deref(), *format, &renderer),
        Command::Diff { old, new, format } => diff::run(old, new, *format),
        Command::Completions { shell } => completions::completions(*shell),
        Command::Man => man::run(),
        Command::Schema { kind } => schema::run(*kind),
        Command::Init { manifest, inventory, directory } => init::run(manifest, inventory, directory, &renderer),
        Command::Paths { manifest, inventory, format, gather } => {
            paths::run(manifest, inventory, *format, *gather, &renderer)
        }
        Command::Gather { manifest, inventory, output, from_facts } => {
            let source = from_facts.as_deref().map_or(gather::Source::Ssh, gather::Source::Facts);
            gather::run(manifest, inventory, output.as_deref(), &source, &renderer)
        }
        Command::ScanConfig { manifest, files, format } => scan_config::run(manifest, files, *format, &renderer),
        Command::Fmt { files, check } => fmt::run(files, *check, &renderer),
        Command::Convert { plan, to, output } => convert::run(plan, *to, output.as_deref(), &renderer),
    };
    match result {
        Ok(code) => code,
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Compiles a plan, turning an unreadable plan file into a one-line failure.
fn compile(plan: &std::path::Path) -> Result<crate::Compilation, Failure> {
    crate::compile_path(plan).map_err(|error| Failure(error.to_string()))
}
