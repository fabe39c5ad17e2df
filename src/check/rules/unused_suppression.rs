//! CUT009 `unused-suppression`.
//!
//! ## What it does
//!
//! Warns about a suppression comment (`# cutover: allow CODE -- reason`) under which nothing
//! is reported: no diagnostic of the codes it names has its span in the step (or the line)
//! that follows it. That happens when the problem was fixed, when the comment sits before
//! the wrong step, or when the finding is in another file (an action defined in a library is
//! reported where the action is defined, and a suppression in the plan does not reach it).
//!
//! ## Why it matters
//!
//! A stale suppression is a check switched off in advance: the next real finding of that
//! code in the step would be silenced without anybody seeing it.
//!
//! ## Example
//!
//! ```yaml
//! steps:
//!   # cutover: allow CUT030 -- the cache rebuilds itself
//!   - id: warm-cache
//!     run: ./scripts/warm-cache.sh
//!     rollback: ./scripts/drop-cache.sh     # it has a rollback now: nothing to suppress
//! ```
//!
//! ## Fix
//!
//! Remove the comment, or move it to the line before the step it is meant for.
