//! Any string substituted into a template reaches bash as exactly one word, unchanged. The value
//! travels the whole way: written into a YAML plan, read, checked, lowered, then run by bash.

mod common;

use std::fmt::Write as _;
use std::path::PathBuf;

use proptest::prelude::*;

const MANIFEST: &str = "package: p\nversion: 1.0.0\ncomponents: {}\n";
const INVENTORY: &str = "groups: {}\n";

/// The command the lowered plan would run for `value`, or the diagnostics' codes.
fn lowered_command(value_yaml: &str) -> Result<String, Vec<String>> {
    let plan = format!(
        "cutover: 1\nplan: quoting\nmanifest: m.yaml\ninventory: i.yaml\nsteps:\n  - id: echo\n    do: show\n    with:\n      value: {value_yaml}\nactions:\n  show:\n    params: {{ value: string }}\n    run: \"f() {{{{ printf '%s:%s' \\\"$#\\\" \\\"$1\\\"; }}}}; f {{value}}\"\n    readonly: true\n"
    );
    let sources = cutover::source::SourceMap::with_files([
        (PathBuf::from("q/plan.yaml"), plan),
        (PathBuf::from("q/m.yaml"), MANIFEST.to_owned()),
        (PathBuf::from("q/i.yaml"), INVENTORY.to_owned()),
    ]);
    let compilation = cutover::compile(sources, &PathBuf::from("q/plan.yaml")).expect("in memory");
    match compilation.lowered {
        Some(lowered) => Ok(lowered.instances[0].run.clone()),
        None => Err(compilation
            .diagnostics
            .iter()
            .map(|diagnostic| format!("{} {}", diagnostic.code, diagnostic.message))
            .collect()),
    }
}

fn bash(command: &str) -> String {
    let output = std::process::Command::new("bash").args(["-c", command]).output().expect("bash runs");
    assert!(output.status.success(), "bash failed on {command:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8 back")
}

fn round_trip(value: &str) {
    let yaml = yaml_double_quoted(value);
    let command = lowered_command(&yaml).unwrap_or_else(|codes| panic!("{value:?} was refused: {codes:?}"));
    assert_eq!(bash(&command), format!("1:{value}"), "command: {command}");
}

/// A YAML double-quoted scalar holding exactly `value`: characters YAML does not allow raw in a
/// document (controls, DEL, the BOM) are written as escapes.
fn yaml_double_quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for character in value.chars() {
        let code = u32::from(character);
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            _ if (0x20..0x7f).contains(&code)
                || (0xa0..0xd800).contains(&code)
                || (0xe000..0xfffe).contains(&code) && code != 0xfeff =>
            {
                out.push(character);
            }
            _ if code >= 0x10000 => out.push(character),
            _ if code <= 0xffff => {
                let _ = write!(out, "\\u{code:04x}");
            }
            _ => {
                let _ = write!(out, "\\U{code:08x}");
            }
        }
    }
    out.push('"');
    out
}

#[test]
fn hostile_values_stay_one_word() {
    let scratch = common::scratch("quoting");
    let pwned = scratch.join("pwned");
    for value in [
        "'; touch PWNED; '".to_owned(),
        "$(touch PWNED)".to_owned(),
        "`touch PWNED`".to_owned(),
        "\"; touch PWNED; \"".to_owned(),
        "a\nb\n".to_owned(),
        " leading and trailing ".to_owned(),
        String::new(),
        "*".to_owned(),
        "~".to_owned(),
        "FOO=bar".to_owned(),
        "--help".to_owned(),
        "\\'\\\"".to_owned(),
        "ünïcødé ✓ 🚀".to_owned(),
    ] {
        round_trip(&value.replace("PWNED", pwned.to_str().expect("UTF-8")));
    }
    assert!(!pwned.exists(), "a value was executed");
}

#[test]
fn a_nul_byte_gets_a_diagnostic() {
    let codes = lowered_command("\"before\\0after\"").expect_err("a NUL cannot reach bash");
    assert!(codes.iter().any(|code| code.starts_with("CUT006") && code.contains("NUL")), "{codes:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_string_is_one_word(value in "[^\u{0}]{0,40}") {
        round_trip(&value);
    }

    #[test]
    fn shell_metacharacters_are_one_word(value in "[ '\"$`\\\\;&|<>(){}*?!#~=\\n\\ta-z]{0,30}") {
        round_trip(&value);
    }
}

/// Whatever a command says, checking it never panics: every rule that reads commands (secrets,
/// endpoints, templates) sees arbitrary text here, multi-byte characters included.
fn check_command(command: &str) {
    let plan = format!(
        "cutover: 1\nplan: commands\nmanifest: m.yaml\ninventory: i.yaml\nsteps:\n  - id: any\n    run: {}\n    rollback: {}\n",
        yaml_double_quoted(command),
        yaml_double_quoted(command)
    );
    let sources = cutover::source::SourceMap::with_files([
        (PathBuf::from("c/plan.yaml"), plan),
        (PathBuf::from("c/m.yaml"), MANIFEST.to_owned()),
        (PathBuf::from("c/i.yaml"), INVENTORY.to_owned()),
    ]);
    let _ = cutover::compile(sources, &PathBuf::from("c/plan.yaml")).expect("in memory");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_command_is_checked_without_panicking(command in "[^\u{0}]{0,60}") {
        check_command(&command);
    }

    #[test]
    fn command_like_text_is_checked_without_panicking(
        command in "(curl|ssh|scp|rsync|export|mysql|psql|echo)? ?[-a-zA-Z0-9_.:/@=?&%'\"$ {}¡é→]{0,50}"
    ) {
        check_command(&command);
    }
}
