//! Work over a long list of steps on both cores, with the result and the diagnostics exactly as
//! one thread would give them.

use crate::diagnostic::Diagnostic;

/// Lists shorter than this stay on one thread: a thread costs more than it saves on them.
pub(crate) const FROM_ITEMS: usize = 512;

/// `f` over `items`, in order, keeping the `Some` results. From [`FROM_ITEMS`] items on, the
/// first half runs on a second thread while this one runs the second half; results and
/// diagnostics come back in item order, as one thread would have made them.
pub(crate) fn filter_map_in_halves<T: Sync, R: Send>(
    items: &[T],
    diagnostics: &mut Vec<Diagnostic>,
    f: impl Fn(&T, &mut Vec<Diagnostic>) -> Option<R> + Sync,
) -> Vec<R> {
    let run = |items: &[T], diagnostics: &mut Vec<Diagnostic>| -> Vec<R> {
        items.iter().filter_map(|item| f(item, diagnostics)).collect()
    };
    if items.len() < FROM_ITEMS {
        return run(items, diagnostics);
    }
    let (first, second) = items.split_at(items.len() / 2);
    let halves = std::thread::scope(|scope| {
        let beside = std::thread::Builder::new()
            .name("first-half".to_owned())
            .spawn_scoped(scope, || {
                let mut found = Vec::new();
                let results = run(first, &mut found);
                (results, found)
            })
            .ok()?;
        let mut found = Vec::new();
        let results = run(second, &mut found);
        match beside.join() {
            Ok(first) => Some((first, (results, found))),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    // Without a second thread, one does it all.
    let Some(((mut results, first_found), (second_results, second_found))) = halves else {
        return run(items, diagnostics);
    };
    diagnostics.extend(first_found);
    diagnostics.extend(second_found);
    results.extend(second_results);
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::CUT001;
    use crate::source::{FileId, Span};

    #[test]
    fn halves_give_what_one_thread_gives() {
        let items: Vec<usize> = (0..=FROM_ITEMS * 3).collect();
        let f = |item: &usize, diagnostics: &mut Vec<Diagnostic>| {
            if item.is_multiple_of(7) {
                diagnostics.push(Diagnostic::new(CUT001, Span::new(FileId(0), *item, *item), format!("{item}")));
            }
            (!item.is_multiple_of(3)).then_some(item * 2)
        };
        let mut found = Vec::new();
        let results = filter_map_in_halves(&items, &mut found, f);
        let mut alone = Vec::new();
        let expected: Vec<usize> = items.iter().filter_map(|item| f(item, &mut alone)).collect();
        assert_eq!(results, expected);
        let messages =
            |list: &[Diagnostic]| list.iter().map(|diagnostic| diagnostic.message.clone()).collect::<Vec<_>>();
        assert_eq!(messages(&found), messages(&alone));
    }
}
