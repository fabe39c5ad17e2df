//! Work on both cores: [`join`] runs two closures at once (every place that does so goes through
//! it, so that each falls back to one thread the same way), and [`filter_map_in_halves`] splits a
//! long list of steps, with the result and the diagnostics exactly as one thread would give them.

use crate::diagnostic::Diagnostic;

/// Plans and lists of steps shorter than this stay on one thread: a thread costs more than it
/// saves on them. The one threshold for every second thread: lowering beside the rules
/// (`check::check_then`) and reading and binding steps in halves.
pub(crate) const FROM_ITEMS: usize = 256;

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
    let (first, (mut results, found)) = join(
        || {
            let mut found = Vec::new();
            (run(first, &mut found), found)
        },
        || {
            let mut found = Vec::new();
            (run(second, &mut found), found)
        },
    );
    let (mut first_results, first_found) = first.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    diagnostics.extend(first_found);
    diagnostics.extend(found);
    first_results.append(&mut results);
    first_results
}

/// Runs `beside` on a second thread while `here` runs on this one, and returns both results;
/// when no thread can be started, `beside` runs here after `here`. A panic of `beside` comes
/// back as its `Err`, for the caller to judge.
pub(crate) fn join<A: Send, B>(
    beside: impl FnOnce() -> A + Send,
    here: impl FnOnce() -> B,
) -> (std::thread::Result<A>, B) {
    let waiting = std::sync::Mutex::new(Some(beside));
    let take = || waiting.lock().ok().and_then(|mut slot| slot.take());
    std::thread::scope(|scope| {
        let started = std::thread::Builder::new().name("beside".to_owned()).spawn_scoped(scope, || {
            let beside = take().expect("the closure is taken once");
            beside()
        });
        let made_here = here();
        let made_beside = if let Ok(handle) = started {
            handle.join()
        } else {
            let beside = take().expect("a thread that did not start took nothing");
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(beside))
        };
        (made_beside, made_here)
    })
}

/// `each` of every item, on as many threads as the machine has cores (at most one per item);
/// the results come back in item order. Workers take the next item as they finish one, so a
/// slow item does not hold up the others.
///
/// # Panics
/// When `each` panics on some item.
pub fn map_on_every_core<T: Sync, R: Send>(items: &[T], each: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_with_workers(items, std::thread::available_parallelism().map_or(1, std::num::NonZero::get), each)
}

/// `each` of every item on up to `workers` threads (at most one per item), as
/// [`map_on_every_core`] does: for work that waits more than it computes (asking hosts over
/// ssh), where more threads than cores help.
///
/// # Panics
/// When `each` panics on some item.
pub fn map_with_workers<T: Sync, R: Send>(items: &[T], workers: usize, each: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = workers.max(1).min(items.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = Vec::new();
    slots.resize_with(items.len(), || None);
    let slots = std::sync::Mutex::new(slots);
    let work = || {
        loop {
            let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(index) else { break };
            let result = each(item);
            slots.lock().expect("no worker panics while holding the lock")[index] = Some(result);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..workers {
            // A worker that cannot start leaves its share to the others and to this thread.
            let _ = std::thread::Builder::new().name("worker".to_owned()).spawn_scoped(scope, work);
        }
        work();
    });
    slots.into_inner().expect("workers are done").into_iter().map(|slot| slot.expect("every item ran")).collect()
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

    #[test]
    fn every_core_gives_results_in_item_order() {
        let items: Vec<u64> = (0..200).collect();
        let squares = map_on_every_core(&items, |item| item * item);
        assert_eq!(squares, items.iter().map(|item| item * item).collect::<Vec<_>>());
        assert!(map_on_every_core(&[] as &[u64], |item| *item).is_empty());
    }

    #[test]
    fn join_gives_both_results_and_hands_back_a_panic() {
        let (beside, here) = join(|| 2 + 2, || "here");
        assert_eq!((beside.ok(), here), (Some(4), "here"));
        let (beside, here) = join(|| -> usize { panic!("on purpose") }, || 1);
        assert!(beside.is_err(), "the panic comes back as an error");
        assert_eq!(here, 1);
    }
}
