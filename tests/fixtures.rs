//! The fixture harness: every `tests/fixtures/**/*.yaml` whose first line is `# expect: …` is
//! compiled; clean fixtures (`# expect: none`) must give no diagnostic, the others exactly the
//! codes they name, in order. The rendered diagnostics of each are snapshotted.

mod common;

use std::path::{Path, PathBuf};

fn fixtures() -> Vec<(PathBuf, Vec<String>)> {
    common::fixture_plans()
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a fixture");
            let header = text.lines().next().and_then(|line| line.strip_prefix("# expect:")).expect("a header");
            let header = header.trim();
            let codes = if header == "none" {
                Vec::new()
            } else {
                header.split(',').map(|code| code.trim().to_owned()).collect()
            };
            (path, codes)
        })
        .collect()
}

/// A plan among the fixtures without an `# expect:` header would be skipped silently: every
/// file directly in `ok/` and `err/`, and every file anywhere that is a plan (a top-level
/// `cutover:`), must have one. Manifests, inventories and libraries in subfolders need none.
#[test]
fn every_fixture_plan_says_what_it_expects() {
    let root = common::root().join("tests/fixtures");
    let mut missing = Vec::new();
    for path in common::files_under(&root) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let parent = path.parent().and_then(Path::file_name).and_then(|name| name.to_str()).unwrap_or_default();
        let is_plan = text.lines().any(|line| line.starts_with("cutover:"));
        if (is_plan || matches!(parent, "ok" | "err")) && !text.starts_with("# expect:") {
            missing.push(path.strip_prefix(&root).expect("under fixtures").display().to_string());
        }
    }
    assert!(missing.is_empty(), "fixtures without an `# expect:` header: {missing:?}");
}

#[test]
fn every_fixture_gives_exactly_its_codes() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 20, "expected the fixture set, found {}", fixtures.len());
    let mut failures = Vec::new();
    for (path, expected) in &fixtures {
        let compilation = cutover::compile_path(path).unwrap_or_else(|error| panic!("{error}"));
        let found: Vec<String> = compilation.diagnostics.iter().map(|diagnostic| diagnostic.code.to_string()).collect();
        if &found != expected {
            failures.push(format!("{}: expected {expected:?}, found {found:?}", path.display()));
        }
    }
    assert!(failures.is_empty(), "fixtures that disagree with their header:\n{}", failures.join("\n"));
}

#[test]
fn every_checked_code_has_a_failing_fixture() {
    let covered: std::collections::BTreeSet<String> = fixtures().into_iter().flat_map(|(_, codes)| codes).collect();
    for code in cutover::codes::Code::all() {
        assert!(covered.contains(code.as_str()), "no fixture expects {code}");
    }
}

/// What a person sees for each failing fixture, through the real binary, without colour.
#[test]
fn rendered_diagnostics() {
    for (path, expected) in fixtures() {
        if expected.is_empty() {
            continue;
        }
        let relative = path.strip_prefix(common::root()).expect("fixture under the root");
        let output = common::cutover(&["check", relative.to_str().expect("UTF-8 path")]);
        let has_errors = cutover::compile_path(&path).expect("loads").has_errors();
        assert_eq!(output.status.code(), Some(i32::from(has_errors)), "{}", relative.display());
        let name = relative.file_stem().expect("file name").to_string_lossy().into_owned();
        insta::with_settings!({ snapshot_suffix => name, prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!("diagnostics", common::stdout(&output));
        });
    }
}
