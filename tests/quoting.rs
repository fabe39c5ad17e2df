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
    lowered_with("f() {{ printf '%s:%s' \"$#\" \"$1\"; }}; f {value}", value_yaml)
}

/// The command the lowered plan would run for `value` with the action's `run` template, or the
/// diagnostics' codes and messages.
fn lowered_with(template: &str, value_yaml: &str) -> Result<String, Vec<String>> {
    let plan = format!(
        "cutover: 1\nplan: quoting\nmanifest: m.yaml\ninventory: i.yaml\nsteps:\n  - id: echo\n    do: show\n    with:\n      value: {value_yaml}\nactions:\n  show:\n    params: {{ value: string }}\n    run: {}\n    readonly: true\n",
        yaml_double_quoted(template)
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

/// Templates with the placeholder in every place where the shell can quote it, and what the
/// command prints for `V`, the value: outside quotes, inside double quotes, inside `$(…)` inside
/// double quotes, in a `case` arm inside `$(…)`, after a here-document, next to other text.
const PLACES: &[(&str, &str)] = &[
    ("printf '%s' {value}", "V"),
    ("printf '%s' \"hello {value}\"", "hello V"),
    ("printf '%s' \"a{value}b\" x{value}y", "aVbxVy"),
    ("x=\"$(printf '%s.' {value})\"; printf '%s' \"${{x%.}}\"", "V"),
    ("x=\"$(printf '%s.' \"in {value}\")\"; printf '%s' \"${{x%.}}\"", "in V"),
    ("x=\"$(case a in a) printf '%s.' {value};; esac)\"; printf '%s' \"${{x%.}}\"", "V"),
    ("cat <<'EOF'\nhere {{\nEOF\nprintf '%s' {value}", "here {\nV"),
    ("f() {{ printf '%s' \"$*\"; }}; f \"[{value}]\" # the value, in brackets", "[V]"),
    ("test -n \"$(printf %s {value}x)\" && printf '%s' {value}", "V"),
];

/// Every place of [`PLACES`] with `value`, run by real bash: it prints exactly the value where
/// the template says, and nothing in the value runs.
fn in_every_place(value: &str, pwned: &std::path::Path) {
    let yaml = yaml_double_quoted(value);
    for (template, expected) in PLACES {
        let command = lowered_with(template, &yaml).unwrap_or_else(|codes| panic!("{template:?} refused: {codes:?}"));
        assert_eq!(bash(&command), expected.replace('V', value), "template {template:?}, command {command:?}");
    }
    assert!(!pwned.exists(), "a value was executed");
}

#[test]
fn hostile_values_stay_data_in_every_place() {
    let scratch = common::scratch("quoting-places");
    let pwned = scratch.join("pwned");
    let pwned_text = pwned.to_str().expect("UTF-8");
    for value in [
        "'; touch PWNED; '",
        "$(touch PWNED)",
        "`touch PWNED`",
        "\"; touch PWNED; \"",
        "\\\"$(touch PWNED)\\\"",
        "a\nb\n",
        "\n",
        "\\",
        "$HOME ${HOME} $((1+1))",
        "",
    ] {
        in_every_place(&value.replace("PWNED", pwned_text), &pwned);
    }
}

/// Places where no quoting keeps a value from being read as code are refused (CUT006), each
/// with the reason.
#[test]
fn placeholders_where_no_quoting_holds_are_refused() {
    for (template, reason) in [
        ("echo 'hello {value}'", "inside single quotes"),
        ("sh -c 'echo bye {value}'", "`sh -c` reads again"),
        ("sh -c \"echo bye {value}\"", "`sh -c` reads again"),
        ("ssh db-1 \"ls {value}\"", "`ssh` reads again"),
        ("eval \"echo {value}\"", "`eval` reads again"),
        ("echo hi # {value}", "inside a shell comment"),
        ("cat <<EOF\n{value}\nEOF", "inside a here-document"),
        ("echo `echo {value}`", "inside backquotes"),
        ("echo $(( {value} + 1 ))", "inside arithmetic"),
        ("echo \\{value}", "follows a backslash"),
    ] {
        let codes = lowered_with(template, "\"x\"").expect_err(template);
        assert!(
            codes.iter().any(|code| code.starts_with("CUT006") && code.contains(reason)),
            "{template:?}: {codes:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_string_stays_data_in_every_place(value in "[ '\"$`\\;&|<>(){}*?!#~=\n\ta-z]{0,24}") {
        let scratch = common::scratch("quoting-places-property");
        in_every_place(&value, &scratch.join("pwned"));
    }
}

/// A plan whose names are any the grammar allows: the script built from it runs under real
/// bash and reports every name as written, and its journal records them.
fn names_run(plan_name: &str, step: &str, host: &str) {
    let plan = format!(
        "cutover: 1\nplan: {plan_name}\nmanifest: m.yaml\ninventory: i.yaml\nsteps:\n  - {{ id: {}, run: \"printf '%s' \\\"$CUTOVER_HOST\\\" > seen\", rollback: \"true\", on: app }}\n",
        yaml_double_quoted(step)
    );
    let inventory = format!("groups: {{ app: [{}] }}\n", yaml_double_quoted(host));
    let plan = plan.replace(&format!("plan: {plan_name}"), &format!("plan: {}", yaml_double_quoted(plan_name)));
    let sources = cutover::source::SourceMap::with_files([
        (PathBuf::from("n/plan.yaml"), plan),
        (PathBuf::from("n/m.yaml"), MANIFEST.to_owned()),
        (PathBuf::from("n/i.yaml"), inventory),
    ]);
    let compilation = cutover::compile(sources, &PathBuf::from("n/plan.yaml")).expect("in memory");
    let codes: Vec<String> = compilation.diagnostics.iter().map(|diagnostic| diagnostic.message.clone()).collect();
    let lowered = compilation.lowered.unwrap_or_else(|| panic!("{plan_name:?} {step:?} {host:?}: {codes:?}"));
    let directory = common::scratch("quoting-names");
    let script = directory.join("plan.sh");
    std::fs::write(&script, cutover::emit::sh::emit(&lowered)).expect("write");
    let run = std::process::Command::new("bash")
        .arg(&script)
        .arg("--local")
        .current_dir(&directory)
        .env("CUTOVER_STATE_DIR", directory.join("state"))
        .output()
        .expect("bash runs");
    let output = common::text(&run);
    assert_eq!(run.status.code(), Some(0), "{output}");
    assert!(output.contains(&format!("[1/1] {step} @ {host} … ok")), "{output}");
    assert!(output.contains(&format!("plan {plan_name} done")), "{output}");
    assert_eq!(std::fs::read_to_string(directory.join("seen")).expect("the step ran"), host);
    let journal = std::fs::read_to_string(directory.join("state/journal")).expect("journal");
    assert!(journal.contains(&format!("1 {step} {host}")), "{journal}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_valid_name_runs_as_written(
        plan_name in "[A-Za-z0-9][A-Za-z0-9._-]{0,12}",
        step in "[A-Za-z0-9][A-Za-z0-9._-]{0,12}",
        host in "[A-Za-z0-9][A-Za-z0-9._@:-]{0,12}",
    ) {
        // `local` is the machine running the plan, not an inventory host.
        let host = if host == "local" { "local-1".to_owned() } else { host };
        names_run(&plan_name, &step, &host);
    }
}
