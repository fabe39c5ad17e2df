//! `cutover man`: one man page (roff) from the same definitions as `--help`. `clap_mangen` writes
//! the title, synopsis, description and global options; every command, with its arguments and
//! example, is a subsection of COMMANDS on this page rather than a `cutover-COMMAND(1)` page
//! of its own, which `clap_mangen` would cite without writing. Exit status, environment, files
//! and examples follow.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::CommandFactory as _;
use roff::{Roff, bold, italic, roman};

use super::{Cli, Failure};

pub fn run() -> Result<ExitCode, Failure> {
    super::completions::write(&page().map_err(|error| Failure(format!("cannot render the man page: {error}")))?)
}

/// The whole page.
///
/// # Errors
/// Only if writing into memory fails, which it does not.
fn page() -> std::io::Result<Vec<u8>> {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut roff = Roff::new();
    commands(&mut roff, &command);
    sections(&mut roff);
    roff.to_writer(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// A subsection per command: its usage, its description (ending in an example) and its
/// arguments with their values and defaults.
fn commands(roff: &mut Roff, command: &clap::Command) {
    roff.control("SH", ["COMMANDS"]);
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let name = format!("cutover {}", sub.get_name());
        roff.control("SS", [name.as_str()]);
        let usage = sub.clone().bin_name(&name).render_usage().to_string();
        roff.text([bold(usage.trim_start_matches("Usage: ").trim())]);
        if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
            for paragraph in about.to_string().split("\n\n") {
                roff.control("PP", []);
                match paragraph.strip_prefix("Example: ") {
                    Some(example) => {
                        roff.text([roman("Example:")]);
                        example_block(roff, example);
                    }
                    None => {
                        roff.text([roman(paragraph.replace('\n', " "))]);
                    }
                }
            }
        }
        for argument in sub.get_arguments().filter(|argument| !argument.is_hide_set()) {
            if matches!(argument.get_id().as_str(), "help" | "version") {
                continue;
            }
            roff.control("TP", []);
            roff.text(argument_heading(argument));
            let mut help =
                argument.get_long_help().or_else(|| argument.get_help()).map(ToString::to_string).unwrap_or_default();
            if !help.is_empty() && !help.ends_with('.') {
                help.push('.');
            }
            let values: Vec<String> = if argument.is_hide_possible_values_set() || !argument.get_action().takes_values()
            {
                Vec::new()
            } else {
                argument
                    .get_possible_values()
                    .iter()
                    .filter(|value| !value.is_hide_set())
                    .map(|value| match value.get_help() {
                        Some(text) => format!("{} ({text})", value.get_name()),
                        None => value.get_name().to_owned(),
                    })
                    .collect()
            };
            if !values.is_empty() {
                if !help.is_empty() {
                    help.push(' ');
                }
                let _ = write!(help, "One of: {}.", values.join(", "));
            }
            let defaults: Vec<String> = if argument.get_action().takes_values() {
                argument.get_default_values().iter().map(|value| value.to_string_lossy().into_owned()).collect()
            } else {
                Vec::new()
            };
            if defaults.is_empty() {
                roff.text([roman(help)]);
            } else {
                roff.text([
                    roman(format!("{help} Default: ").trim_start().to_owned()),
                    bold(defaults.join(", ")),
                    roman("."),
                ]);
            }
        }
    }
}

/// `--emit <EMIT>`, `-o, --output <OUTPUT>`, `<PLAN>`.
fn argument_heading(argument: &clap::Arg) -> Vec<roff::Inline> {
    let value = argument
        .get_value_names()
        .and_then(|names| names.first())
        .map_or_else(|| argument.get_id().as_str().to_uppercase(), ToString::to_string);
    let mut inlines = Vec::new();
    if argument.is_positional() {
        inlines.push(italic(value));
        if argument.get_num_args().is_some_and(|range| range.max_values() > 1) {
            inlines.push(roman("\u{2026}"));
        }
        return inlines;
    }
    if let Some(short) = argument.get_short() {
        inlines.push(bold(format!("-{short}")));
        inlines.push(roman(", "));
    }
    if let Some(long) = argument.get_long() {
        inlines.push(bold(format!("--{long}")));
    }
    if argument.get_action().takes_values() {
        inlines.push(roman(" "));
        inlines.push(italic(value));
    }
    inlines
}

/// What `--help` does not say: exit status, environment, files, examples.
fn sections(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    for (status, meaning) in [
        ("0", "No errors. Warnings are allowed, unless lint was given --deny warnings."),
        (
            "1",
            "Errors found: a diagnostic of error severity (check, build, lint, graph, diff, init, \
             actions), a host with no upgrade path (paths), a deprecated or removed key found \
             (scan-config), a file not in the canonical form (fmt --check).",
        ),
        (
            "2",
            "The command could not run: bad arguments, an unreadable plan or file, an unknown rule \
             or action for explain. One line on standard error, never a stack trace.",
        ),
    ] {
        roff.control("TP", []);
        roff.text([bold(status)]);
        roff.text([roman(meaning)]);
    }

    roff.control("SH", ["ENVIRONMENT"]);
    roff.control("TP", []);
    roff.text([bold("NO_COLOR")]);
    roff.text([roman(
        "When set and not empty, diagnostics are not coloured (unless --color always). Without it \
         and with --color auto, colour follows whether standard error is a terminal.",
    )]);
    roff.control("TP", []);
    roff.text([bold("PATH")]);
    roff.text([roman(
        "cutover diff reads REV:PATH arguments with git, found on the PATH. The scripts that \
         cutover build --emit sh writes have environment variables of their own: see their --help.",
    )]);

    roff.control("SH", ["FILES"]);
    roff.control("TP", []);
    roff.text([bold("cutover.toml")]);
    roff.text([roman(
        "Lint settings (rule levels by code or name, endpoints.allowed), found upward from each \
         plan by cutover lint.",
    )]);

    roff.control("SH", ["EXAMPLES"]);
    for (what, example) in [
        ("Check a plan against its manifest and inventory:", "cutover check plans/dten-4.2/plan.yaml"),
        (
            "Write the runbook for the people on the call, with clock times for a run starting at 02:00:",
            "cutover build plans/dten-4.2/plan.yaml --emit runbook --start 02:00 -o runbook.md",
        ),
        (
            "Write the bash script and rehearse it:",
            "cutover build plans/dten-4.2/plan.yaml --emit sh -o dten.sh && bash dten.sh --dry-run",
        ),
        ("Lint every plan in CI, for code scanning:", "cutover lint plans/ --format sarif > cutover.sarif"),
        ("See the built-in actions, then one in full:", "cutover actions; cutover explain config.set"),
        ("Explain a finding:", "cutover explain CUT013"),
        (
            "Review what a change to a plan changes:",
            "cutover diff main:plans/dten-4.2/plan.yaml plans/dten-4.2/plan.yaml",
        ),
    ] {
        roff.control("PP", []);
        roff.text([roman(what)]);
        example_block(roff, example);
    }
}

/// A command line, indented and kept as it is (no filling, no hyphenation).
fn example_block(roff: &mut Roff, example: &str) {
    roff.control("RS", ["4"]);
    roff.control("EX", []);
    roff.text([roman(example.trim())]);
    roff.control("EE", []);
    roff.control("RE", []);
}
