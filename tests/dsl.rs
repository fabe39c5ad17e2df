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
    collect(&common::root().join("tests/fixtures"), &mut found);
    found.sort();
    found
}

fn collect(directory: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "yaml")
            && std::fs::read_to_string(&path).is_ok_and(|text| text.starts_with("# expect:"))
        {
            found.push(path);
        }
    }
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
}
