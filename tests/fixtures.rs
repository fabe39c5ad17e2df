//! The fixture harness: every `tests/fixtures/**/*.yaml` whose first line is `# expect: …` is
//! compiled; clean fixtures (`# expect: none`) must give no diagnostic, the others exactly the
//! codes they name, in order. The rendered diagnostics of each are snapshotted.

mod common;

use std::path::{Path, PathBuf};

fn fixtures() -> Vec<(PathBuf, Vec<String>)> {
    let mut found = Vec::new();
    collect(&common::root().join("tests/fixtures"), &mut found);
    found.sort();
    found
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let header = text.lines().next()?.strip_prefix("# expect:")?.trim().to_owned();
            let codes = if header == "none" {
                Vec::new()
            } else {
                header.split(',').map(|code| code.trim().to_owned()).collect()
            };
            Some((path, codes))
        })
        .collect()
}

fn collect(directory: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "yaml") {
            found.push(path);
        }
    }
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
