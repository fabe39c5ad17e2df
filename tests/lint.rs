//! `cutover lint` end to end over a folder tree: discovery (`.gitignore` respected, YAML that is
//! not a plan skipped), `cutover.toml` found upward and nearest winning, suppression comments,
//! every output format, `--deny warnings`, and SARIF validated by Microsoft's SARIF multitool.

mod common;

use std::path::{Path, PathBuf};

const MANIFEST: &str = "package: p\nversion: 2.0.0\ncomponents:\n  core:\n    version: 2.0.0\n    upgrade_from: [{ from: \">=1.0.0, <2.0.0\" }]\n";
const INVENTORY: &str = "groups: { app: [app-1] }\nhosts:\n  app-1: { installed: { core: 1.4.0 } }\n";
const LIBRARY: &str = "actions:\n  install:\n    params: { target: release }\n    run: \"install.sh {target.component} {target.version}\"\n    rollback: \"install.sh {target.component} {target.from}\"\n    estimate: 1m\n";

fn plan(name: &str, steps: &str) -> String {
    format!(
        "cutover: 1\nplan: {name}\nmanifest: ../shared/manifest.yaml\ninventory: ../shared/inventory.yaml\nuse: [../shared/lib.yaml]\nupgrade: {{ core: 2.0.0 }}\nsteps:\n  - {{ id: install, do: install, with: {{ target: core@2.0.0 }}, on: app }}\n{steps}"
    )
}

/// The tree:
/// - `cutover.toml` at the top (CUT030 is a warning there), `team-b/cutover.toml` nearer
///   (CUT030 allowed);
/// - `team-a`: a step without rollback (a warning by the top settings), and a suppressed one;
/// - `team-b`: the same step, allowed; an unused suppression (CUT009);
/// - `team-c`: a real error (a step after an unknown step);
/// - `ignored/` is in `.gitignore`; `notes.yaml` is not a plan.
fn tree(name: &str) -> PathBuf {
    // Tests run in parallel: each gets a tree of its own.
    let root = common::scratch(&format!("lint-{name}"));
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("shared/manifest.yaml", MANIFEST);
    write("shared/inventory.yaml", INVENTORY);
    write("shared/lib.yaml", LIBRARY);
    write("cutover.toml", "[rules]\nmissing-rollback = \"warn\"\n");
    write(".gitignore", "ignored/\n");
    write("ignored/plan.yaml", "cutover: 1\nthis is: [not valid\n");
    write("notes.yaml", "title: not a plan\n");
    write(
        "team-a/plan.yaml",
        &plan(
            "team-a",
            "  - { id: warm, run: ./warm.sh, after: [install] }\n  # cutover: allow CUT030 -- the cache rebuilds itself on restart\n  - { id: warm-again, run: ./warm.sh, after: [warm] }\n",
        ),
    );
    write("team-b/cutover.toml", "[rules]\nCUT030 = \"allow\"\n");
    write(
        "team-b/plan.yaml",
        &plan(
            "team-b",
            "  - { id: warm, run: ./warm.sh, after: [install] }\n  # cutover: allow CUT039 -- left over from an older plan\n  - { id: check, run: ./check.sh, readonly: true, after: [warm] }\n",
        ),
    );
    write(
        "team-c/plan.yaml",
        &plan("team-c", "  - { id: warm, run: ./warm.sh, rollback: ./cold.sh, after: [instal] }\n"),
    );
    root
}

fn lint(root: &Path, arguments: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["lint", "."];
    all.extend_from_slice(arguments);
    let output = common::cutover_in(root, &all);
    (output.status.code(), common::stdout(&output))
}

#[test]
fn human_output_and_exit_codes() {
    let root = tree("human_output_and_exit_codes");
    let (code, text) = lint(&root, &[]);
    assert_eq!(code, Some(1), "{text}");
    insta::assert_snapshot!(text);
    // Without the erroring plan: warnings alone pass, and fail with --deny warnings.
    let output = common::cutover_in(&root, &["lint", "team-a", "team-b"]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stdout(&output));
    let output = common::cutover_in(&root, &["lint", "team-a", "team-b", "--deny", "warnings"]);
    assert_eq!(output.status.code(), Some(1));
    let output = common::cutover_in(&root, &["lint", "no-such-folder"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn json_lists_exactly_the_plans_and_their_findings() {
    let root = tree("json_lists_exactly_the_plans_and_their_findings");
    let (code, text) = lint(&root, &["--format", "json"]);
    assert_eq!(code, Some(1));
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let plans: Vec<&str> =
        value["plans"].as_array().expect("plans").iter().map(|plan| plan["path"].as_str().expect("path")).collect();
    assert_eq!(
        plans,
        ["team-a/plan.yaml", "team-b/plan.yaml", "team-c/plan.yaml"],
        "ignored/ and notes.yaml are skipped"
    );
    let codes = |index: usize| -> Vec<&str> {
        value["plans"][index]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|finding| finding["code"].as_str().expect("code"))
            .collect()
    };
    assert_eq!(codes(0), ["CUT030"], "team-a: one warning, one suppressed");
    assert_eq!(value["plans"][0]["findings"][0]["severity"], "warning", "the top cutover.toml made it a warning");
    assert_eq!(codes(1), ["CUT009"], "team-b: CUT030 allowed by the nearer cutover.toml, the suppression unused");
    assert_eq!(codes(2), ["CUT004"]);
    insta::assert_snapshot!(text);
}

#[test]
fn github_and_markdown() {
    let root = tree("github_and_markdown");
    let (_, github) = lint(&root, &["--format", "github"]);
    assert!(
        github.lines().all(|line| line.starts_with("::error file=") || line.starts_with("::warning file=")),
        "{github}"
    );
    insta::assert_snapshot!("github", github);
    let (_, markdown) = lint(&root, &["--format", "markdown"]);
    insta::assert_snapshot!("markdown", markdown);
}

/// The SARIF of a lint run passes `sarif-multitool validate` with no error and no warning.
#[test]
fn sarif_validates() {
    let root = tree("sarif_validates");
    let (code, sarif) = lint(&root, &["--format", "sarif"]);
    assert_eq!(code, Some(1));
    let value: serde_json::Value = serde_json::from_str(&sarif).expect("JSON");
    assert_eq!(value["version"], "2.1.0");
    assert_eq!(value["runs"][0]["results"].as_array().expect("results").len(), 3);
    validate_sarif(&root.join("lint.sarif"), &sarif);
}

/// Linting by absolute path: files inside the repository get URIs relative to its root under
/// `%SRCROOT%`, files outside it absolute `file://` URIs with no base, and both validate.
#[test]
fn sarif_from_absolute_paths_validates() {
    let inside = tree("sarif_from_absolute_paths_validates");
    let outside = std::env::temp_dir().join(format!("cutover-sarif-outside-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&outside);
    copy_tree(&inside, &outside);
    let mut uris = Vec::new();
    for (tree, base) in [(&inside, Some("%SRCROOT%")), (&outside, None)] {
        // From the repository root, as CI runs it.
        let output = common::cutover(&["lint", tree.to_str().expect("UTF-8"), "--format", "sarif"]);
        assert_eq!(output.status.code(), Some(1));
        let sarif = common::stdout(&output);
        let value: serde_json::Value = serde_json::from_str(&sarif).expect("JSON");
        let results = value["runs"][0]["results"].as_array().expect("results");
        assert_eq!(results.len(), 3);
        for result in results {
            let location = &result["locations"][0]["physicalLocation"]["artifactLocation"];
            let uri = location["uri"].as_str().expect("a URI").to_owned();
            assert_eq!(location["uriBaseId"].as_str(), base, "{uri}");
            uris.push(uri);
        }
        validate_sarif(&inside.join(format!("lint-{}.sarif", uris.len())), &sarif);
    }
    let _ = std::fs::remove_dir_all(&outside);
    let scratch = "target/test-scratch/lint-sarif_from_absolute_paths_validates/team-a/plan.yaml";
    assert!(uris.contains(&scratch.to_owned()), "relative to the repository root: {uris:#?}");
    let absolute = format!("file://{}/team-a/plan.yaml", outside.display());
    assert!(uris.contains(&absolute), "{absolute} in {uris:#?}");
}

fn copy_tree(from: &Path, to: &Path) {
    for file in common::files_under(from) {
        let target = to.join(file.strip_prefix(from).expect("under the tree"));
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&file, &target).expect("copy");
    }
}

/// `sarif-multitool validate` finds no error and no warning in `sarif` (written to `file`).
fn validate_sarif(file: &Path, sarif: &str) {
    std::fs::write(file, sarif).expect("write");
    let tool = std::env::var_os("CUTOVER_SARIF_MULTITOOL")
        .map_or_else(|| common::root().join(".tools/node_modules/.bin/sarif-multitool"), PathBuf::from);
    assert!(
        tool.is_file(),
        "the SARIF multitool is not at {}: run `make test`, which installs the pinned one",
        tool.display()
    );
    let output = std::process::Command::new(&tool).arg("validate").arg(file).output().expect("the multitool runs");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{report}");
    assert!(report.contains("Analysis completed successfully"), "{report}");
    let problems: Vec<&str> =
        report.lines().filter(|line| line.contains(": error ") || line.contains(": warning ")).collect();
    assert!(problems.is_empty(), "SARIF problems:\n{}", problems.join("\n"));
}

/// `plans/` lints clean, as CI would run it.
#[test]
fn the_example_plans_lint_clean() {
    let output = common::cutover(&["lint", "plans", "--deny", "warnings"]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stdout(&output));
}
