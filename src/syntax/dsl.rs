//! The DSL front end (SPEC §4): `.cutover` text to the same [`crate::model`] the YAML front end
//! produces, and the way back: the model printed as canonical DSL (`cutover fmt`, `convert --to
//! dsl`) or as YAML (`convert --to yaml`), comments carried along.
//!
//! - `grammar/cutover.pest` is the language; [`parser`] reads its parse tree into the model,
//!   reporting wrong forms and unknown fields as the YAML reader does.
//! - [`errors`] turns pest's failures into diagnostics in words people use, and recovers so that
//!   one typo does not hide the next.
//! - [`comments`] finds the comments of either form; [`print`] and [`yaml_out`] write the model.

pub mod comments;
pub mod errors;
pub mod parser;
pub mod print;
pub mod quote;
pub mod yaml_out;

use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::model::{Library, Plan};
use crate::source::FileId;

pub use parser::{read_library, read_plan};

/// The file extension of plans and libraries written in the DSL.
pub const EXTENSION: &str = "cutover";

/// Whether a path names a DSL file (by its extension; everything else is read as YAML).
#[must_use]
pub fn is_dsl(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension == EXTENSION)
}

/// What a file holds once read, whichever form it was written in: a plan, or only actions.
#[derive(Debug)]
pub enum Document {
    Plan(Box<Plan>),
    Library(Library),
}

/// Reads a file of either form as a plan, or as a library when it holds only actions.
/// Returns `None` when it could not be read at all (syntax errors are in `diagnostics`).
#[must_use]
pub fn read_document(file: FileId, text: &str, dsl: bool, diagnostics: &mut Vec<Diagnostic>) -> Option<Document> {
    if dsl {
        let is_library = parser::holds_only_actions(text);
        if is_library {
            return Some(Document::Library(read_library(file, text, diagnostics)));
        }
        return read_plan(file, text, diagnostics).map(|plan| Document::Plan(Box::new(plan)));
    }
    let root = match crate::syntax::yaml::parse(file, text) {
        Ok(root) => root,
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            return None;
        }
    };
    let is_library = matches!(&root.kind, crate::syntax::yaml::NodeKind::Mapping(entries)
        if entries.iter().all(|(key, _)| key.as_scalar().is_some_and(|scalar| scalar.text == "actions")));
    if is_library {
        Some(Document::Library(crate::syntax::plan::read_library(file, &root, diagnostics)))
    } else {
        crate::syntax::plan::read_plan(file, &root, diagnostics).map(|plan| Document::Plan(Box::new(plan)))
    }
}

/// The two written forms of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Dsl,
    Yaml,
}

/// Reads `text` (DSL when `from_dsl`, YAML otherwise) and prints it in `to`, comments carried.
/// Returns `None` when the text does not read cleanly: a plan with a mistake in it is not
/// rewritten, since what the mistake dropped would be lost. The diagnostics say why.
#[must_use]
pub fn convert(
    file: FileId,
    text: &str,
    from_dsl: bool,
    to: Form,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    let before = diagnostics.len();
    let document = read_document(file, text, from_dsl, diagnostics)?;
    if diagnostics.len() > before {
        return None;
    }
    let text_spans = match &document {
        Document::Plan(plan) => comments::plan_text_spans(plan),
        Document::Library(library) => comments::action_text_spans(&library.actions),
    };
    let mut comments =
        if from_dsl { comments::Comments::of_dsl(text) } else { comments::Comments::of_yaml(text, &text_spans) };
    if to == Form::Dsl {
        comments.skip_yaml_modeline();
    }
    Some(match (&document, to) {
        (Document::Plan(plan), Form::Dsl) => print::plan(plan, &mut comments),
        (Document::Plan(plan), Form::Yaml) => yaml_out::plan(plan, &mut comments),
        (Document::Library(library), Form::Dsl) => print::library(library, &mut comments),
        (Document::Library(library), Form::Yaml) => yaml_out::library(library, &mut comments),
    })
}

/// `cutover fmt` on DSL text: the canonical form of the same plan or library.
#[must_use]
pub fn format(file: FileId, text: &str, diagnostics: &mut Vec<Diagnostic>) -> Option<String> {
    convert(file, text, true, Form::Dsl, diagnostics)
}
