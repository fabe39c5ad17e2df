//! CUT011 `unknown-version`.
//!
//! ## What it does
//!
//! Reports a version the manifest does not offer for a component, in a `release` argument
//! or in the plan's `upgrade:` goal. A component offers its own `version`, the `via` stops of
//! its `upgrade_from` paths and its `required_stops`. The label points at the component's
//! version in the manifest and the help lists what is offered. Versions are compared as
//! semver, with `4.2` read as 4.2.0.
//!
//! ## Why it matters
//!
//! The package holds exactly the versions its manifest describes: a release of any other
//! version would install something nobody checked, or fail to install in the middle of the
//! window.
//!
//! ## Example
//!
//! ```yaml
//! # the manifest: dten-core 4.2.0, from 3.6–3.9 via 4.0.3
//! steps:
//!   - id: install-core
//!     do: install
//!     with: { target: dten-core@4.1.0 }   # neither 4.2.0 nor the 4.0.3 stop
//!     on: app
//! ```
//!
//! ## Fix
//!
//! Release a version the manifest offers (`dten-core@4.0.3`, then `dten-core@4.2.0`), or use
//! the manifest of the package that ships the version you meant.
