//! CUT010 `unknown-component`.
//!
//! ## What it does
//!
//! Reports a component name that the manifest does not list under `components`: in a
//! `release` argument (`dten-cor@4.2.0`), a `component` argument, or the plan's `upgrade:`
//! goal. The help names the nearest component when one is close enough to be a typo, or lists
//! them all.
//!
//! ## Why it matters
//!
//! Every check on a release (its version, its upgrade path, its stops, its requirements) comes
//! from the component's entry in the manifest: a release of an unknown component would be
//! checked against nothing, and installed as whatever the name happens to match.
//!
//! ## Example
//!
//! ```yaml
//! upgrade: { dten-core: 4.2.0 }
//! steps:
//!   - id: install-core
//!     do: install
//!     with: { target: dten-cor@4.2.0 }   # did you mean `dten-core`?
//!     on: app
//! ```
//!
//! ## Fix
//!
//! Use the component's name as the manifest writes it (`dten-core@4.2.0`). When the plan
//! really installs something the vendor's package does not ship, give that step a parameter
//! of type `string` rather than `release`.
