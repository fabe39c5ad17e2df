//! The DSL: both forms of every plan and fixture compile to the same output, `fmt` is idempotent
//! and changes nothing a plan compiles to, the parser survives any input, and its errors read
//! well (snapshots).

mod common;

use std::path::{Path, PathBuf};

use cutover::source::SourceMap;
use cutover::syntax::dsl::{self, Form, NotConverted};

/// Every plan under `plans/` and every fixture with an `# expect:` header.
fn yaml_plans() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(common::root().join("plans")).expect("plans/ exists").flatten() {
        let plan = entry.path().join("plan.yaml");
        if plan.is_file() {
            found.push(plan);
        }
    }
    found.extend(common::fixture_plans());
    found.sort();
    found
}

/// Converts text in memory; `None` when it does not read cleanly or the conversion is refused.
fn convert(text: &str, from_dsl: bool, to: Form) -> Option<String> {
    converting(text, from_dsl, to).ok()
}

/// Converts text in memory, saying why nothing was written.
fn converting(text: &str, from_dsl: bool, to: Form) -> Result<String, NotConverted> {
    let mut sources = SourceMap::new();
    let file = sources.add("<test>", text.to_owned());
    dsl::convert(file, text, from_dsl, to, &mut Vec::new())
}

/// What a plan compiles to, as compared across forms: the JSON without `sources` (which holds
/// each input's name and sha256, so it names the file it came from), or the diagnostic codes
/// and messages when it does not lower.
fn outcome(path: &Path, text: &str) -> String {
    let sources = SourceMap::with_files([(path.to_path_buf(), text.to_owned())]);
    let compilation =
        cutover::driver::compile_with(sources, path, &cutover::config::Settings::default()).expect("the plan loads");
    let diagnostics: Vec<String> = compilation
        .diagnostics
        .iter()
        .map(|diagnostic| format!("{} {}", diagnostic.code, diagnostic.message))
        .collect();
    let json = compilation.lowered.as_ref().map(|lowered| {
        let mut value: serde_json::Value =
            serde_json::from_str(&cutover::emit::json::emit(lowered)).expect("the JSON reads back");
        value.as_object_mut().expect("an object").remove("sources");
        serde_json::to_string_pretty(&value).expect("serializes")
    });
    format!("{}\n{}", diagnostics.join("\n"), json.unwrap_or_default())
}

#[test]
fn both_forms_compile_to_identical_output() {
    let mut converted = 0;
    let mut failures = Vec::new();
    for yaml_path in yaml_plans() {
        let yaml = std::fs::read_to_string(&yaml_path).expect("readable");
        // Fixtures whose mistake is in the reading (a YAML syntax error, a malformed value) have
        // no second form: converting would drop what is wrong. Every other one converts.
        let dsl_text = match converting(&yaml, false, Form::Dsl) {
            Ok(dsl_text) => dsl_text,
            Err(NotConverted::Unreadable) => continue,
            Err(NotConverted::Unfaithful(refusal)) => {
                failures.push(format!("{}: refused: {refusal:?}", yaml_path.display()));
                continue;
            }
        };
        let yaml_again = convert(&dsl_text, true, Form::Yaml).expect("converted DSL converts back");
        let dsl_again = convert(&yaml_again, false, Form::Dsl).expect("converted YAML converts back");
        let dsl_path = yaml_path.with_extension("cutover");
        let expected = outcome(&yaml_path, &yaml);
        for (form, path, text) in [
            ("YAML -> DSL", &dsl_path, &dsl_text),
            ("YAML -> DSL -> YAML", &yaml_path, &yaml_again),
            ("YAML -> DSL -> YAML -> DSL", &dsl_path, &dsl_again),
        ] {
            let found = outcome(path, text);
            if found != expected {
                failures.push(format!("{} ({form}):\n{expected}\n---\n{found}", yaml_path.display()));
            }
        }
        if dsl_again != dsl_text {
            failures.push(format!("{}: DSL -> YAML -> DSL changed the DSL text", yaml_path.display()));
        }
        converted += 1;
    }
    assert!(converted >= 40, "expected the plans and most fixtures to convert, converted {converted}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_plan_set_has_a_dsl_form_that_is_formatted_and_compiles_like_its_yaml() {
    for yaml_path in yaml_plans().into_iter().filter(|path| path.starts_with(common::root().join("plans"))) {
        let dsl_path = yaml_path.with_extension("cutover");
        let dsl_text = std::fs::read_to_string(&dsl_path).unwrap_or_else(|_| panic!("{} exists", dsl_path.display()));
        let yaml = std::fs::read_to_string(&yaml_path).expect("readable");
        assert_eq!(outcome(&dsl_path, &dsl_text), outcome(&yaml_path, &yaml), "{}", dsl_path.display());
        assert_eq!(
            convert(&dsl_text, true, Form::Dsl).as_deref(),
            Some(dsl_text.as_str()),
            "{} is formatted",
            dsl_path.display()
        );
        // DSL -> YAML -> DSL gives back the same text, comments included.
        let yaml_again = convert(&dsl_text, true, Form::Yaml).expect("converts");
        assert_eq!(
            convert(&yaml_again, false, Form::Dsl).as_deref(),
            Some(dsl_text.as_str()),
            "{}",
            dsl_path.display()
        );
        // YAML -> DSL gives the committed DSL form, without the YAML file's schema modeline.
        assert!(yaml.starts_with("# yaml-language-server: $schema="), "{}", yaml_path.display());
        assert_eq!(
            convert(&yaml, false, Form::Dsl).as_deref(),
            Some(dsl_text.as_str()),
            "{} converts to its DSL form",
            yaml_path.display()
        );
        let relative = dsl_path.strip_prefix(common::root()).expect("under the root").to_string_lossy().into_owned();
        let output = common::cutover(&["fmt", "--check", &relative]);
        assert_eq!(output.status.code(), Some(0), "{}", common::stdout(&output));
    }
}

#[test]
fn fmt_is_idempotent_and_keeps_what_a_plan_compiles_to() {
    let messy = "# the plan\ncutover   1\nplan \"demo\"{\nmanifest \"../common/manifest.yaml\" inventory \"../common/inventory.yaml\"\n  use \"../common/lib.yaml\"\n        step a on app estimate 10s { run \"./a.sh\"   # first\n rollback \"./undo-a.sh\" }\n\n\n\n  step b after a: service.restart(unit: dten-core.service) # then\n}\n";
    let path = common::root().join("tests/fixtures/ok/messy.cutover");
    let formatted = convert(messy, true, Form::Dsl).expect("formats");
    assert_eq!(convert(&formatted, true, Form::Dsl).as_deref(), Some(formatted.as_str()));
    assert_eq!(outcome(&path, &formatted), outcome(&path, messy));
    insta::assert_snapshot!(formatted);
}

#[test]
fn fmt_check_shows_a_diff_and_stdin_prints() {
    let directory = common::scratch("dsl-fmt");
    let messy = "cutover 1\nplan \"x\" {\n    manifest \"m.json\"\n  inventory   \"i.yaml\"\n}\n";
    std::fs::write(directory.join("plan.cutover"), messy).expect("write");
    let output = common::cutover_in(&directory, &["fmt", "--check", "plan.cutover"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(common::stdout(&output));
    let unchanged = std::fs::read_to_string(directory.join("plan.cutover")).expect("read");
    assert!(unchanged.contains("    manifest"), "--check writes nothing");
    let output = common::cutover_in(&directory, &["fmt", "plan.cutover"]);
    assert_eq!(output.status.code(), Some(0));
    let output = common::cutover_in(&directory, &["fmt", "--check", "plan.cutover"]);
    assert_eq!(output.status.code(), Some(0));
    let formatted = std::fs::read_to_string(directory.join("plan.cutover")).expect("read");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), messy.as_bytes()).expect("writes");
    let output = child.wait_with_output().expect("finishes");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(common::stdout(&output), formatted);
}

/// What a person sees for the typical mistakes, through the real binary.
#[test]
fn rendered_parse_errors() {
    let header = "cutover 1\nplan \"demo\" {\n  manifest  \"../../../tests/fixtures/common/manifest.yaml\"\n  inventory \"../../../tests/fixtures/common/inventory.yaml\"\n";
    let cases = [
        (
            "missing-brace",
            format!("{header}  step a {{\n    run \"./a.sh\"\n    rollback \"./b.sh\"\n\n  step b after a: reboot\n"),
        ),
        ("unknown-keyword", format!("{header}  setp a: reboot\n  step b after a: reboot\n}}\n")),
        ("unknown-clause", format!("{header}  step a onn app: reboot\n}}\n")),
        ("unknown-field", format!("{header}  step a {{\n    run \"./a.sh\"\n    rollbak \"./b.sh\"\n  }}\n}}\n")),
        ("bad-duration", format!("{header}  window 1hour\n  step a estimate 5min: reboot\n}}\n")),
        ("bad-version", format!("{header}  upgrade dten-core@4.2.x\n}}\n")),
        ("unterminated-string", format!("{header}  step a {{\n    run \"./a.sh\n    rollback \"./b.sh\"\n  }}\n}}\n")),
        ("missing-colon", format!("{header}  step a service.stop(unit: a.service)\n}}\n")),
        (
            "bad-ramp",
            format!("{header}  step a on app serial []: reboot\n  step b on app serial [1, 0%, 101%]: reboot\n}}\n"),
        ),
        (
            "two-errors",
            format!("{header}  step a after: reboot\n  step b on app serial: reboot\n  step c: reboot\n}}\n"),
        ),
    ];
    let directory = common::scratch("dsl-errors");
    for (name, text) in cases {
        let file = format!("{name}.cutover");
        std::fs::write(directory.join(&file), &text).expect("write");
        let output = common::cutover_in(&directory, &["check", &file]);
        assert_eq!(output.status.code(), Some(1), "{name}");
        insta::with_settings!({ snapshot_suffix => name, omit_expression => true }, {
            insta::assert_snapshot!("parse_error", common::stdout(&output));
        });
    }
}

#[test]
fn suppression_comments_work_in_the_dsl() {
    let path = common::root().join("tests/fixtures/ok/suppressed.cutover");
    let text = "cutover 1\nplan \"s\" {\n  manifest  \"../common/manifest.yaml\"\n  inventory \"../common/inventory.yaml\"\n\n  # cutover: allow CUT030 -- rebuilt from the database on first use\n  step purge on app {\n    run      \"rm -rf /var/cache/dten\"\n    estimate 10s\n  }\n  step other after purge {\n    run \"./other.sh\"\n  }\n}\n";
    let found = outcome(&path, text);
    assert_eq!(found.lines().filter(|line| line.starts_with("CUT")).count(), 1, "{found}");
    assert!(found.contains("CUT030") && found.contains("`other`"), "{found}");
}

#[test]
fn libraries_may_be_written_in_the_dsl() {
    let directory = common::root().join("tests/fixtures/ok");
    let library = convert(
        &std::fs::read_to_string(common::root().join("tests/fixtures/common/lib.yaml")).expect("read"),
        false,
        Form::Dsl,
    )
    .expect("the library converts");
    assert!(library.starts_with("action") || library.starts_with('#'), "{library}");
    let plan_path = directory.join("dsl-library.yaml");
    let library_path = common::root().join("tests/fixtures/common/lib.cutover");
    let plan = "cutover: 1\nplan: p\nmanifest: ../common/manifest.yaml\ninventory: ../common/inventory.yaml\nuse: [../common/lib.cutover]\nsteps:\n  - { id: a, run: ./a.sh, rollback: ./b.sh, estimate: 1s }\n";
    let sources = SourceMap::with_files([(plan_path.clone(), plan.to_owned()), (library_path, library)]);
    let compilation =
        cutover::driver::compile_with(sources, &plan_path, &cutover::config::Settings::default()).expect("loads");
    assert!(compilation.diagnostics.is_empty(), "{:?}", compilation.diagnostics);
}

/// The plan of the fixtures, with `steps` in the form asked for.
fn fixture_plan(steps: &str, dsl: bool) -> String {
    if dsl {
        format!(
            "cutover 1\nplan \"comments\" {{\n  manifest  \"../common/manifest.yaml\"\n  inventory \"../common/inventory.yaml\"\n{steps}}}\n"
        )
    } else {
        format!(
            "cutover: 1\nplan: comments\nmanifest: ../common/manifest.yaml\ninventory: ../common/inventory.yaml\nsteps:\n{steps}"
        )
    }
}

/// Where `outcome` compiles a plan of the fixtures, in either form.
fn fixture_path(dsl: bool) -> PathBuf {
    common::root().join(if dsl { "tests/fixtures/ok/comments.cutover" } else { "tests/fixtures/ok/comments.yaml" })
}

/// Every character some reader of a plan takes for a line break, but `\n`.
const LINE_BREAKS: [char; 4] = ['\r', '\u{85}', '\u{2028}', '\u{2029}'];

/// Converts `text`, which must convert, and checks that the result compiles exactly as `text`
/// does and holds no line break but `\n`.
fn converts_to_the_same(text: &str, from_dsl: bool, to: Form) -> String {
    let converted = converting(text, from_dsl, to).unwrap_or_else(|refused| panic!("{refused:?}\n{text}"));
    assert_eq!(
        outcome(&fixture_path(to == Form::Dsl), &converted),
        outcome(&fixture_path(from_dsl), text),
        "{text}\n---\n{converted}"
    );
    assert!(!converted.contains(LINE_BREAKS), "{converted:?}");
    converted
}

#[test]
fn a_trailing_suppression_stays_after_code() {
    // The comment follows code, so it suppresses nothing: step `b` has no rollback (CUT030), in
    // every form. It used to come out in the DSL on its own line before `step b`.
    let yaml = fixture_plan(
        "  - id: a  # cutover: allow CUT030 -- looked at it\n    do: service.restart\n    with: { unit: dten-core.service }\n    on: app\n  - id: b\n    run: ./b.sh\n",
        false,
    );
    assert!(outcome(&fixture_path(false), &yaml).contains("CUT030 step `b`"));
    let dsl_text = converts_to_the_same(&yaml, false, Form::Dsl);
    assert!(
        dsl_text.contains("step a on app: service.restart(unit: dten-core.service) # cutover: allow CUT030"),
        "{dsl_text}"
    );
    converts_to_the_same(&dsl_text, true, Form::Yaml);
    // The same in the other direction: a DSL step's closing brace has no line in YAML.
    let dsl_text = fixture_plan(
        "  step a {\n    run \"./a.sh\"\n  } # cutover: allow CUT030 -- looked at it\n  step b {\n    run \"./b.sh\"\n  }\n",
        true,
    );
    let yaml = converts_to_the_same(&dsl_text, true, Form::Yaml);
    assert!(yaml.contains("    run: \"./a.sh\" # cutover: allow CUT030"), "{yaml}");
    converts_to_the_same(&dsl_text, true, Form::Dsl);
}

/// YAML reads an implicit key of at most 1024 characters, and a DSL name may be longer: such a
/// key is written explicitly (`? key`), in flow and in block mappings. Found by
/// `tests/fuzz_plans.rs`: the conversion used to be refused as a bug in cutover.
#[test]
fn a_name_too_long_for_a_yaml_key_converts() {
    let long = "a".repeat(1_100);
    let dsl_text = format!(
        "cutover 1\nplan \"comments\" {{\n  manifest  \"../common/manifest.yaml\"\n  inventory \"../common/inventory.yaml\"\n  upgrade   {long}@1.0.0\n  step s on app: {long}({long}: x)\n}}\n\naction {long}({long}: string) {{\n  run \"echo {{{long}}}\"\n  readonly\n}}\n"
    );
    let yaml = converts_to_the_same(&dsl_text, true, Form::Yaml);
    assert!(yaml.contains(&format!("upgrade: {{ ? {long} : 1.0.0 }}")), "{yaml}");
    assert!(yaml.contains(&format!("\n  ? {long}\n  :\n")), "{yaml}");
    assert_eq!(converts_to_the_same(&yaml, false, Form::Dsl), converts_to_the_same(&dsl_text, true, Form::Dsl));
}

#[test]
fn a_suppression_keeps_its_step_wherever_the_printer_puts_it() {
    // The plan's fields after its steps: the canonical form writes `window` first, and each
    // suppression goes with what it covers, not with the first thing printed after it.
    let yaml = "cutover: 1\nplan: comments\nsteps:\n  - id: a\n    run: ./a.sh\n    rollback: ./undo.sh\n  # cutover: allow CUT030 -- rebuilt on first use\n  - id: b\n    run: ./b.sh\n# cutover: allow CUT034 -- estimates come later\nwindow: 1h\nmanifest: ../common/manifest.yaml\ninventory: ../common/inventory.yaml\n";
    let dsl_text = converts_to_the_same(yaml, false, Form::Dsl);
    assert!(dsl_text.contains("  # cutover: allow CUT030 -- rebuilt on first use\n  step b {"), "{dsl_text}");
    assert!(dsl_text.contains("  # cutover: allow CUT034 -- estimates come later\n  window"), "{dsl_text}");
    converts_to_the_same(&dsl_text, true, Form::Yaml);
}

/// A line of a block scalar that reads like a suppression is the command's text: `check`
/// switches nothing off for it, and conversion writes it as part of the command.
#[test]
fn a_suppression_inside_a_command_is_the_command() {
    let yaml = fixture_plan(
        "  - id: a\n    run: |\n      ./a.sh\n      # cutover: allow CUT030 -- inside the script\n    rollback: ./undo.sh\n  - id: b\n    run: ./b.sh\n",
        false,
    );
    let dsl_text = converts_to_the_same(&yaml, false, Form::Dsl);
    assert!(dsl_text.contains("# cutover: allow CUT030 -- inside the script\\n"), "{dsl_text}");
}

#[test]
fn a_suppression_that_cannot_keep_its_reach_is_refused() {
    // In YAML this covers the `with` line alone; the DSL writes the arguments on the step's
    // line, where it would cover the whole step (or, after it, the next one).
    let yaml = fixture_plan(
        "  - id: a\n    do: service.restart\n    # cutover: allow CUT030 -- the arguments only\n    with: { unit: dten-core.service }\n  - id: b\n    run: ./b.sh\n",
        false,
    );
    match converting(&yaml, false, Form::Dsl) {
        Err(NotConverted::Unfaithful(refusal)) => {
            assert_eq!(refusal.offset, yaml.find("# cutover").map(|offset| offset as u32));
            assert!(refusal.message.contains("`with` of step `a`"), "{}", refusal.message);
        }
        other => panic!("{other:?}"),
    }
    // Through the binary: one line, exit 2, and no file written.
    let directory = common::scratch("dsl-refused");
    std::fs::write(directory.join("plan.yaml"), &yaml).expect("write");
    let output = common::cutover_in(&directory, &["convert", "plan.yaml", "--to", "dsl", "-o", "plan.cutover"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = common::stderr(&output);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let comment = yaml.find("# cutover").expect("the comment");
    let line = yaml[..comment].matches('\n').count() + 1;
    let column = comment - yaml[..comment].rfind('\n').map_or(0, |newline| newline + 1) + 1;
    assert!(stderr.starts_with(&format!("error: plan.yaml:{line}:{column}: not converted: ")), "{stderr}");
    assert!(!directory.join("plan.cutover").exists());
    // fmt moves an `on` written in a block to the step's line: a suppression of that line alone
    // has no line to go before.
    let dsl_text = fixture_plan(
        "  step a {\n    run \"./a.sh\"\n    # cutover: allow CUT030 -- the on clause only\n    on app\n    rollback \"./b.sh\"\n  }\n",
        true,
    );
    std::fs::write(directory.join("plan.cutover"), &dsl_text).expect("write");
    let before = std::fs::read_to_string(directory.join("plan.cutover")).expect("read");
    let output = common::cutover_in(&directory, &["fmt", "plan.cutover"]);
    assert_eq!(output.status.code(), Some(2), "{}", common::stderr(&output));
    assert!(common::stderr(&output).contains("not formatted: this suppression covers `on` of step `a`"));
    assert_eq!(std::fs::read_to_string(directory.join("plan.cutover")).expect("read"), before);
}

#[test]
fn a_line_break_in_a_comment_is_written_as_an_escape() {
    // The DSL reads a comment to `\n`: `notify` below is part of it and the plan has none. YAML
    // ends a line at `\r`, so the YAML written must not hold the `\r`.
    let dsl_text = fixture_plan(
        "  # a note\rnotify: \"touch /tmp/x\"\n  step a {\n    run      \"./a.sh\"\n    rollback \"./b.sh\"\n  }\n",
        true,
    );
    assert!(outcome(&fixture_path(true), &dsl_text).contains("\"notify\": null"));
    let yaml = converts_to_the_same(&dsl_text, true, Form::Yaml);
    assert!(yaml.contains("  # a note\\rnotify: \"touch /tmp/x\"\n"), "{yaml}");
    let formatted = converts_to_the_same(&dsl_text, true, Form::Dsl);
    assert!(formatted.contains("  # a note\\rnotify: \"touch /tmp/x\"\n"), "{formatted}");
    assert_eq!(convert(&formatted, true, Form::Dsl).as_deref(), Some(formatted.as_str()));
    // U+2028 and U+0085 end lines in YAML 1.1 readers; in DSL strings and comments alike they
    // are escapes.
    let dsl_text = fixture_plan(
        "  # one\u{2028}notify: \"touch /tmp/x\"\u{85}two\n  step \"a\u{2028}b\" {\n    run      \"./a.sh\u{2029}\"\n    rollback \"./b.sh\" # three\u{2029}four\n  }\n",
        true,
    );
    let yaml = converts_to_the_same(&dsl_text, true, Form::Yaml);
    assert!(yaml.contains("# one\\u{2028}notify: \"touch /tmp/x\"\\u{85}two\n"), "{yaml}");
    assert!(yaml.contains("- id: \"a\\u2028b\""), "{yaml}");
    converts_to_the_same(&yaml, false, Form::Dsl);
    // In YAML the comment ends at the `\r`, and what follows is YAML the plan already holds.
    let yaml = fixture_plan("  # a note\r  - id: a\n    run: ./a.sh\n    rollback: ./b.sh\n", false);
    let dsl_text = converts_to_the_same(&yaml, false, Form::Dsl);
    assert!(dsl_text.contains("  # a note\n  step a {"), "{dsl_text}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn dten_dsl() -> String {
        std::fs::read_to_string(common::root().join("plans/dten-4.2/plan.cutover")).expect("read")
    }

    fn read_never_panics(text: &str) {
        let mut sources = SourceMap::new();
        let file = sources.add("<fuzz>", text.to_owned());
        let mut diagnostics = Vec::new();
        let _ = dsl::read_plan(file, text, &mut diagnostics);
        let _ = dsl::read_library(file, text, &mut diagnostics);
        // Whatever reads cleanly formats to a fixed point.
        if let Ok(formatted) = dsl::format(file, text, &mut Vec::new()) {
            assert_eq!(dsl::format(file, &formatted, &mut Vec::new()).ok().as_deref(), Some(formatted.as_str()));
        }
    }

    /// One generated step: an inline step (with or without a rollback) or a call, and a
    /// comment, maybe, in each place one can go: before it, after its first line, before its
    /// command (or its arguments) and after that.
    #[derive(Clone, Debug)]
    struct GeneratedStep {
        id: String,
        command: String,
        call: bool,
        rollback: bool,
        before: Option<String>,
        after_head: Option<String>,
        before_field: Option<String>,
        after_field: Option<String>,
    }

    /// What a comment may say: suppressions (good, without a reason, of two rules, by name),
    /// code of either form, and text holding what some reader takes for a line break, with code
    /// after it. Never a `\n`: no comment holds one.
    fn comment_text() -> impl Strategy<Value = String> {
        let breaks = prop::sample::select(vec!['\r', '\u{85}', '\u{2028}', '\u{2029}']);
        let code = prop::sample::select(vec![
            "notify: \"touch /tmp/x\"",
            "  - id: z",
            "  step z { run \"touch /tmp/x\" }",
            "# cutover: allow CUT030 -- after a break",
            "  run: \"touch /tmp/x\"",
        ]);
        prop_oneof![
            Just(" cutover: allow CUT030 -- rebuilt on first use".to_owned()),
            Just(" cutover: allow CUT030".to_owned()),
            Just(" cutover: allow CUT036, CUT030 -- both".to_owned()),
            Just("cutover: allow missing-rollback -- by name".to_owned()),
            Just(" notify: \"touch /tmp/x\"".to_owned()),
            Just(" step z { run \"touch /tmp/x\" }".to_owned()),
            Just(" - { id: z, run: \"touch /tmp/x\" }".to_owned()),
            "[ -~\t\r\u{85}\u{2028}\u{2029}]{0,24}",
            ("[ a-z]{0,6}", breaks, code).prop_map(|(before, line_break, code)| format!("{before}{line_break}{code}")),
        ]
    }

    fn generated_step() -> impl Strategy<Value = GeneratedStep> {
        let comment = || prop::option::weighted(0.4, comment_text());
        (
            "[a-z]{1,4}([ \r\u{2028}\u{85}\"#:\\\\][a-z]{1,3})?",
            "[ -z|~\t\r\u{85}\u{2028}\u{2029}]{1,16}",
            any::<bool>(),
            any::<bool>(),
            (comment(), comment(), comment(), comment()),
        )
            .prop_map(|(id, command, call, rollback, (before, after_head, before_field, after_field))| {
                GeneratedStep { id, command, call, rollback, before, after_head, before_field, after_field }
            })
    }

    /// The generated steps as a plan of the fixtures; ids are made unique by their place.
    fn generated_plan(steps: &[GeneratedStep], dsl: bool) -> String {
        use cutover::syntax::dsl::quote::{dsl_string, dsl_word, yaml_scalar, yaml_string};
        use std::fmt::Write as _;
        let trailing = |text: &Option<String>| text.as_ref().map(|text| format!(" #{text}")).unwrap_or_default();
        let own_line = |indent: &str, text: &Option<String>| {
            text.as_ref().map(|text| format!("{indent}#{text}\n")).unwrap_or_default()
        };
        let mut body = String::new();
        for (index, step) in steps.iter().enumerate() {
            let id = format!("{}{index}", step.id);
            if dsl {
                body.push_str(&own_line("  ", &step.before));
                if step.call {
                    let _ = writeln!(
                        body,
                        "  step {} on app: service.restart(unit: dten-core.service){}",
                        dsl_word(&id),
                        trailing(&step.after_head)
                    );
                    continue;
                }
                let _ = writeln!(body, "  step {} {{{}", dsl_word(&id), trailing(&step.after_head));
                body.push_str(&own_line("    ", &step.before_field));
                let _ = writeln!(body, "    run {}{}", dsl_string(&step.command), trailing(&step.after_field));
                if step.rollback {
                    body.push_str("    rollback \"./undo.sh\"\n");
                }
                body.push_str("  }\n");
            } else {
                body.push_str(&own_line("  ", &step.before));
                let _ = writeln!(body, "  - id: {}{}", yaml_scalar(&id), trailing(&step.after_head));
                if step.call {
                    body.push_str("    do: service.restart\n");
                }
                body.push_str(&own_line("    ", &step.before_field));
                if step.call {
                    let _ = write!(
                        body,
                        "    with: {{ unit: dten-core.service }}{}\n    on: app\n",
                        trailing(&step.after_field)
                    );
                } else {
                    let _ = writeln!(body, "    run: {}{}", yaml_string(&step.command), trailing(&step.after_field));
                    if step.rollback {
                        body.push_str("    rollback: ./undo.sh\n");
                    }
                }
            }
        }
        fixture_plan(&body, dsl)
    }

    /// Which steps each suppression comment of `text` covers (by id), with what it allows (or
    /// why it is malformed); a suppression of one line that starts no step covers no step.
    fn suppressed_steps(text: &str, dsl: bool) -> Vec<(String, Vec<String>)> {
        use cutover::syntax::suppression::{self, Covers};
        let mut sources = SourceMap::new();
        let file = sources.add("<test>", text.to_owned());
        let Some(dsl::Document::Plan(plan)) = dsl::read_document(file, text, dsl, &mut Vec::new()) else {
            panic!("a plan reads back: {text}");
        };
        let steps: Vec<_> = plan.preflight.iter().chain(&plan.steps).collect();
        let starts: Vec<u32> = steps.iter().map(|step| step.span.start).collect();
        let mut found: Vec<(String, Vec<String>)> =
            suppression::find(file, text, &starts, &suppression::value_spans(&plan))
                .into_iter()
                .map(|found| {
                    let covered = match found.covers {
                        Covers::Step { line_start, .. } => steps
                            .iter()
                            .filter(|step| suppression::line_start(text, step.span.start) == line_start)
                            .map(|step| step.id.value.clone())
                            .collect(),
                        Covers::Line { .. } | Covers::Nothing => Vec::new(),
                    };
                    (format!("{:?}", found.parsed), covered)
                })
                .collect();
        found.sort();
        found
    }

    /// Converting `text` either keeps every comment's meaning or refuses: what is written
    /// compiles as `text` does (no comment became a field, no value gained a line), holds no
    /// line break but `\n`, gives each suppression the same steps, converts back the same way,
    /// and is a fixed point. Comments that are no suppression never make it refuse.
    fn keeps_what_comments_mean(steps: &[GeneratedStep], from_dsl: bool, to: Form) {
        let text = generated_plan(steps, from_dsl);
        let converted = match converting(&text, from_dsl, to) {
            Ok(converted) => converted,
            // A comment holding a `\r` breaks a YAML line, and what follows may not be YAML.
            Err(NotConverted::Unreadable) => return,
            Err(NotConverted::Unfaithful(refusal)) => {
                let with_a_marker = steps
                    .iter()
                    .flat_map(|step| [&step.before, &step.after_head, &step.before_field, &step.after_field])
                    .flatten()
                    .any(|comment| comment.contains("cutover:"));
                assert!(with_a_marker, "refused without a suppression in sight: {refusal:?}\n{text}");
                return;
            }
        };
        // The generated values read as generated: quoting holds in the source.
        let mut sources = SourceMap::new();
        let file = sources.add("<test>", text.clone());
        let Some(dsl::Document::Plan(plan)) = dsl::read_document(file, &text, from_dsl, &mut Vec::new()) else {
            panic!("{text}");
        };
        for (step, generated) in plan.steps.iter().zip(steps) {
            if !generated.call {
                assert_eq!(step.commands.run.as_ref().map(|run| run.value.as_str()), Some(generated.command.as_str()));
            }
        }
        let to_dsl = to == Form::Dsl;
        assert_eq!(
            outcome(&fixture_path(to_dsl), &converted),
            outcome(&fixture_path(from_dsl), &text),
            "{text}\n---\n{converted}"
        );
        assert!(!converted.contains(LINE_BREAKS), "{converted:?}");
        assert_eq!(suppressed_steps(&converted, to_dsl), suppressed_steps(&text, from_dsl), "{text}\n---\n{converted}");
        let back = converting(&converted, to_dsl, if from_dsl { Form::Dsl } else { Form::Yaml })
            .unwrap_or_else(|refused| panic!("{refused:?}\n{converted}"));
        assert_eq!(outcome(&fixture_path(from_dsl), &back), outcome(&fixture_path(from_dsl), &text));
        assert_eq!(suppressed_steps(&back, from_dsl), suppressed_steps(&text, from_dsl));
        assert_eq!(converting(&back, from_dsl, to).ok().as_deref(), Some(converted.as_str()), "{back}");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn random_text(text in "[ -~\n\t{}\"#:(),@=\\\\]{0,400}") {
            read_never_panics(&text);
        }

        #[test]
        fn random_unicode(text in "\\PC{0,200}") {
            read_never_panics(&text);
        }

        #[test]
        fn mutated_plans(edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, "[ -~\n]{0,8}"), 1..6)) {
            let mut text = dten_dsl();
            for (index, kind, insert) in edits {
                let mut at = index.index(text.len() + 1);
                while !text.is_char_boundary(at) { at -= 1; }
                match kind {
                    0 => text.insert_str(at, &insert),
                    1 => { let end = (at + insert.len()).min(text.len()); if text.is_char_boundary(end) { text.replace_range(at..end, ""); } }
                    2 => { let end = (at + 1).min(text.len()); if text.is_char_boundary(end) { text.replace_range(at..end, &insert); } }
                    _ => text.truncate(at),
                }
            }
            read_never_panics(&text);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn yaml_to_dsl_keeps_what_comments_mean(steps in proptest::collection::vec(generated_step(), 1..5)) {
            keeps_what_comments_mean(&steps, false, Form::Dsl);
        }

        #[test]
        fn dsl_to_yaml_keeps_what_comments_mean(steps in proptest::collection::vec(generated_step(), 1..5)) {
            keeps_what_comments_mean(&steps, true, Form::Yaml);
        }

        #[test]
        fn fmt_keeps_what_comments_mean(steps in proptest::collection::vec(generated_step(), 1..5)) {
            keeps_what_comments_mean(&steps, true, Form::Dsl);
        }
    }
}
