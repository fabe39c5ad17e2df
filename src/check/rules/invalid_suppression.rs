//! CUT008 `invalid-suppression`.
//!
//! ## What it does
//!
//! Reports a `# cutover:` comment in a plan that is not a valid suppression. A suppression is
//! written on the line before a step (or before a plan field such as `window:`) as
//! `# cutover: allow CODE -- reason`, and names one or more rules by code or by name,
//! separated by commas or spaces (`allow CUT037, unbounded-retries -- …`). It is invalid when
//! it does not say `allow`, names no rule, names one that does not exist, or gives no reason
//! after ` -- `.
//!
//! ## Why it matters
//!
//! A suppression turns a check off where it is written: the reason is what lets a reviewer
//! judge it, and the next person trust it. A misspelt code would otherwise suppress nothing
//! while looking as if it did.
//!
//! ## Example
//!
//! ```yaml
//! steps:
//!   # cutover: allow CUT037
//!   - id: fetch-package
//!     run: curl -fsSLO https://downloads.dten.example/4.2.0/dten-core.deb
//!     rollback: rm -f dten-core.deb
//!   # cutover: allow CUT399 -- the flag cleans itself up
//!   - { id: enable-split-reads, do: flag.enable, with: { name: sessions.split-reads } }
//! ```
//!
//! ## Fix
//!
//! Name an existing rule and say why the finding is fine here:
//! `# cutover: allow CUT037 -- the vendor's download server, pinned by checksum`.
