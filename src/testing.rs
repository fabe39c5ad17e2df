//! Helpers for the rules' unit tests: compile a plan body against small in-memory inputs.

use std::path::PathBuf;

use crate::codes::Code;
use crate::config::{Level, Settings};
use crate::diagnostic::Diagnostic;
use crate::driver::{Compilation, compile_with};
use crate::source::SourceMap;

/// A manifest in the shape of SPEC §1.1, small enough to read in a test.
pub const DTEN_MANIFEST: &str = r#"
package: dten
version: 4.2.0
components:
  dten-core:
    version: 4.2.0
    requires: { postgres: ">=13, <17", openssl: ">=3.0, <4" }
    units: [dten-core.service]
    renamed_units: { dten.service: dten-core.service }
    upgrade_from:
      - from: ">=4.0.0, <4.2.0"
      - from: ">=3.6.0, <4.0.0"
        via: [4.0.3]
  dten-agent:
    version: 4.2.0
    requires: { dten-core: "^4.2" }
migrations:
  - { id: 0042_split_sessions, component: dten-core, lock: access_exclusive, estimate: 4m, reversible: false }
"#;

/// The dten manifest with everything the later rules read: a config matrix (a removed, a
/// deprecated and a required key), two unit-less components that need a reboot (`dten-kmod`
/// requires one, `dten-tools` recommends one), bounded requirements, and migrations at several
/// lock modes. dten-core has one direct path from 3.x so that tests need no stop.
pub const DTEN_CONFIG_MANIFEST: &str = r#"
package: dten
version: 4.2.0
components:
  dten-core:
    version: 4.2.0
    requires: { postgres: ">=13, <17", openssl: ">=3.0, <4" }
    units: [dten-core.service]
    renamed_units: { dten.service: dten-core.service }
    upgrade_from:
      - from: ">=3.6.0, <4.2.0"
  dten-agent:
    version: 4.2.0
    requires: { dten-core: "^4.2" }
    units: [dten-agent.service]
  dten-kmod:
    version: 4.2.0
    reboot: required
  dten-tools:
    version: 4.2.0
    reboot: recommended
config:
  dten.legacy.fallback: { deprecated_in: 4.0.0, removed_in: 4.2.0, replaced_by: dten.hybrid.enable }
  dten.cache.legacy_size: { deprecated_in: 4.1.0, replaced_by: dten.cache.size }
  dten.hybrid.enable: { type: bool, since: 4.1.0, required: true, expect: "true",
                        why: "without it dten-core falls back to single-node mode" }
migrations:
  - { id: 0042_split_sessions, component: dten-core, lock: access_exclusive, estimate: 4m, reversible: false }
  - { id: 0043_session_index, component: dten-core, lock: share, estimate: 1m }
  - { id: 0044_touch_rows, component: dten-core, lock: row_exclusive, estimate: 1m }
"#;

/// Two app hosts at 3.9.2 and a database host.
pub const DTEN_INVENTORY: &str = r"
groups: { app: [app-1, app-2], db: [db-1] }
hosts:
  app-1: { installed: { dten-core: 3.9.2, openssl: 3.0.13 } }
  app-2: { installed: { dten-core: 3.9.2, openssl: 3.0.13 } }
  db-1: { installed: { postgres: 14.11 } }
";

/// The library every test plan uses: an `install(target: release)` action.
pub const LIBRARY: &str = r#"
actions:
  install:
    params: { target: release }
    run: "install.sh {target.component} {target.version}"
    rollback: "install.sh {target.component} {target.from}"
    estimate: 3m
"#;

/// Compiles `body` (plan fields after the header) against the given manifest and inventory.
#[must_use]
pub fn compile_body(body: &str, manifest: &str, inventory: &str) -> Compilation {
    compile_body_with(body, manifest, inventory, &Settings::default())
}

/// [`compile_body`] with `cutover.toml` settings.
#[must_use]
pub fn compile_body_with(body: &str, manifest: &str, inventory: &str, settings: &Settings) -> Compilation {
    let plan =
        format!("cutover: 1\nplan: test\nmanifest: manifest.yaml\ninventory: inventory.yaml\nuse: [lib.yaml]\n{body}");
    let sources = SourceMap::with_files([
        (PathBuf::from("t/plan.yaml"), plan),
        (PathBuf::from("t/manifest.yaml"), manifest.to_owned()),
        (PathBuf::from("t/inventory.yaml"), inventory.to_owned()),
        (PathBuf::from("t/lib.yaml"), LIBRARY.to_owned()),
    ]);
    compile_with(sources, &PathBuf::from("t/plan.yaml"), settings).expect("in-memory files always load")
}

#[must_use]
pub fn diagnostics_of(body: &str, manifest: &str, inventory: &str) -> Vec<Diagnostic> {
    compile_body(body, manifest, inventory).diagnostics
}

/// The diagnostics of `body` with only the rule `code` running: every other rule is allowed
/// (`cutover.toml`'s `allow`), so a rule's tests see its own findings and no one else's. What
/// reading and resolving report (CUT001–CUT011) stays, so a test plan that does not read is
/// never mistaken for a clean one.
#[must_use]
pub fn rule_diagnostics(code: Code, body: &str, manifest: &str, inventory: &str) -> Vec<Diagnostic> {
    let mut settings = Settings::default();
    for other in Code::all() {
        // Codes sort as text: CUT001–CUT011 are reading and resolving, the rest rules.
        if other != code && other.as_str() > "CUT011" {
            settings.rules.insert(other, Level::Allow);
        }
    }
    compile_body_with(body, manifest, inventory, &settings).diagnostics
}

#[must_use]
pub fn codes_of(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|diagnostic| diagnostic.code.as_str()).collect()
}

/// A component at `target` with `upgrade_from` edges (`from` requirement, `via` stops) and
/// `required_stops`, every span empty: for tests of the upgrade-path logic.
#[must_use]
pub fn component(target: &str, edges: &[(&str, &[&str])], stops: &[&str]) -> crate::model::Component {
    use crate::model::{Reboot, Spanned, UpgradeEdge, parse_version};
    let span = crate::source::Span::new(crate::source::FileId(0), 0, 0);
    let version = |text: &str| Spanned::new(parse_version(text).expect("a test version"), span);
    crate::model::Component {
        name: Spanned::new("dten-core".to_owned(), span),
        version: version(target),
        requires: Vec::new(),
        units: Vec::new(),
        renamed_units: Vec::new(),
        reboot: Spanned::new(Reboot::None, span),
        upgrade_from: edges
            .iter()
            .map(|(from, via)| UpgradeEdge {
                from: Spanned::new(semver::VersionReq::parse(from).expect("a test requirement"), span),
                from_text: (*from).to_owned(),
                via: via.iter().map(|stop| version(stop)).collect(),
                span,
            })
            .collect(),
        required_stops: stops.iter().map(|stop| version(stop)).collect(),
        probe: None,
    }
}
