//! CUT007 `unreadable-input`.
//!
//! ## What it does
//!
//! Reports a file the plan names that cannot be read: the `manifest`, the `inventory`, or a
//! library under `use:`. It cannot be read when it does not exist, is not readable, is a
//! directory, holds NUL bytes (a binary file), is not UTF-8 text, or is over 16 MiB. The
//! diagnostic points at the name in the plan and shows the path it was read from: paths are
//! relative to the plan file's folder.
//!
//! A file that is read but does not parse is CUT001, in that file. A plan file that cannot be
//! read at all is not a diagnostic: the command stops with one line and exit status 2.
//!
//! ## Why it matters
//!
//! Without the manifest there are no upgrade paths or config matrix to check against, and
//! without the inventory no hosts: most checks cannot run, so a plan that looked clean would
//! prove nothing.
//!
//! ## Example
//!
//! ```yaml
//! # plans/dten-4.2/plan.yaml
//! manifest: vendor/dten-4.2/manifest.json   # read from plans/dten-4.2/vendor/dten-4.2/manifest.json
//! inventory: inventory/prod.yaml
//! use: [lib/dten.yaml]
//! ```
//!
//! ## Fix
//!
//! Write the path relative to the plan's folder (`manifest: manifest.json`, or
//! `../../vendor/dten-4.2/manifest.json`), and check that the file is there and readable by
//! the user running `cutover`.
