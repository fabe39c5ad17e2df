//! `cutover completions SHELL`: shell completions (`clap_complete`), generated from the same
//! definitions as `--help` (the man page is `man.rs`).

use std::io::Write as _;
use std::process::ExitCode;

use clap::CommandFactory as _;

use super::{Cli, Failure};

pub fn completions(shell: clap_complete::Shell) -> Result<ExitCode, Failure> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "cutover", &mut out);
    if shell == clap_complete::Shell::Fish {
        // clap_complete's fish script offers possible values of options only; bash and zsh
        // already offer these after `explain`.
        let _ = writeln!(
            out,
            "complete -c cutover -n \"__fish_cutover_using_subcommand explain\" -f -a \"{}\"",
            explain_topics(&command).join(" ")
        );
    }
    write(&out)
}

/// What completions offer after `explain`: the rule codes and the prelude's actions, as the
/// argument's value parser lists them.
fn explain_topics(command: &clap::Command) -> Vec<String> {
    command
        .find_subcommand("explain")
        .and_then(|explain| explain.get_positionals().next())
        .map(|topic| topic.get_possible_values().iter().map(|value| value.get_name().to_owned()).collect())
        .unwrap_or_default()
}

pub(super) fn write(bytes: &[u8]) -> Result<ExitCode, Failure> {
    super::output::write_stdout(bytes)
}
