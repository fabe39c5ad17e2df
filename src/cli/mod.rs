//! The command line: arguments in, files and terminal out. One file per subcommand.
//!
//! **Invariant:** with `source`, this is the only module that does I/O. Exit codes: 0 no
//! errors, 1 errors found, 2 the command could not run.

mod build;
mod check;
mod graph;
pub mod render;

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
        /// Plan files (YAML).
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
    },
    /// Show the step graph: the order steps run in and why.
    ///
    /// Example: cutover graph plans/dten-4.2/plan.yaml --format mermaid
    Graph {
        /// The plan file.
        plan: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
        format: GraphFormat,
    },
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
        Command::Build { plan, emit, output } => build::run(plan, *emit, output.as_deref(), &renderer),
        Command::Graph { plan, format } => graph::run(plan, *format, &renderer),
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
