//! Context variables: asyncio's `contextvars` semantics, one test per behaviour.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use futures_lite::future::yield_now;
use runner::{context::Context, context::ContextVar, RunError, Runner};

#[test]
fn every_thread_has_a_current_context_outside_runners() {
    static VAR: ContextVar<u32> = ContextVar::new("var");
    assert_eq!(VAR.get(), None);
    VAR.set(1);
    assert_eq!(VAR.get(), Some(1));
    // Another thread has a context of its own.
    let other = thread::spawn(|| {
        let before = VAR.get();
        VAR.set(2);
        (before, VAR.get())
    });
    assert_eq!(other.join().unwrap(), (None, Some(2)));
    assert_eq!(VAR.get(), Some(1));
}

#[test]
fn a_threads_values_are_dropped_when_it_exits() {
    struct SendOnDrop(mpsc::Sender<()>);
    impl Clone for SendOnDrop {
        fn clone(&self) -> Self {
            SendOnDrop(self.0.clone())
        }
    }
    impl Drop for SendOnDrop {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }
    static VAR: ContextVar<SendOnDrop> = ContextVar::new("var");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        VAR.set(SendOnDrop(tx));
    })
    .join()
    .unwrap();
    // Thread-locals are torn down before `join` returns.
    assert_eq!(
        rx.try_recv(),
        Ok(()),
        "the value is dropped when its thread exits"
    );
}

#[test]
fn current_returns_a_copy_of_the_current_context() {
    static VAR: ContextVar<&str> = ContextVar::new("var");
    VAR.set("before");
    let copy = Context::current();
    VAR.set("after");
    assert_eq!(copy.get(&VAR), Some("before"));
    copy.run(|| VAR.set("in the copy"));
    assert_eq!(copy.get(&VAR), Some("in the copy"));
    assert_eq!(VAR.get(), Some("after"));
}

#[test]
fn context_run_lands_sets_in_the_context_and_restores_the_current_one() {
    static VAR: ContextVar<u8> = ContextVar::new("var");
    let context = Context::new();
    let handle = context.clone();
    context.run(|| {
        assert_eq!(VAR.get(), None);
        VAR.set(5);
    });
    assert_eq!(VAR.get(), None);
    // Clones are handles to the same values.
    assert_eq!(handle.get(&VAR), Some(5));
    assert_eq!(handle.run(|| VAR.get()), Some(5));
}

#[test]
fn context_run_restores_the_current_context_when_f_panics() {
    static VAR: ContextVar<u8> = ContextVar::new("var");
    VAR.set(1);
    let context = Context::new();
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        context.run(|| {
            VAR.set(2);
            panic!("inside the context");
        })
    }));
    assert!(panicked.is_err());
    assert_eq!(VAR.get(), Some(1));
    assert_eq!(context.get(&VAR), Some(2));
}

static CVAR: ContextVar<i32> = ContextVar::new("cvar");

/// The coroutine of CPython's runner tests: sets `CVAR` to `val` and returns its old value (-1:
/// unset). Tests share it safely: values live in contexts, not in the variable.
async fn f(val: i32) -> i32 {
    let old = CVAR.get().unwrap_or(-1);
    yield_now().await;
    CVAR.set(val);
    old
}

/// A port of CPython's `test_runners.RunnerTests.test_run_keeps_context`.
#[test]
fn run_keeps_context() {
    let mut runner = Runner::new();
    assert_eq!(runner.run(f(1)), Ok(-1));
    assert_eq!(runner.run(f(2)), Ok(1));
    let context = runner.run(async { Context::current() }).unwrap();
    assert_eq!(context.get(&CVAR), Some(2));
    runner.close();
}

/// A port of CPython's `test_runners.RunnerTests.test_run_with_context`.
#[test]
fn run_with_context_lands_sets_in_the_given_context() {
    let context = Context::current();
    let mut runner = Runner::new();
    assert_eq!(runner.run_with_context(f(1), &context), Ok(-1));
    assert_eq!(runner.run_with_context(f(2), &context), Ok(1));
    assert_eq!(context.get(&CVAR), Some(2));
    // The runner's own context and the caller's saw none of it.
    assert_eq!(runner.run(async { CVAR.get() }), Ok(None));
    assert_eq!(runner.context().unwrap().get(&CVAR), None);
    assert_eq!(CVAR.get(), None);
}

#[test]
fn runner_copies_the_callers_context_when_it_starts() {
    static VAR: ContextVar<&str> = ContextVar::new("var");
    VAR.set("caller");
    let mut runner = Runner::new();
    assert_eq!(runner.run(async { VAR.get() }), Ok(Some("caller")));
    // A copy: the run's set stays in the runner, the caller's later set stays with the caller.
    runner.run(async { VAR.set("runner") }).unwrap();
    assert_eq!(VAR.get(), Some("caller"));
    VAR.set("caller again");
    assert_eq!(runner.run(async { VAR.get() }), Ok(Some("runner")));
}

#[test]
fn a_runner_started_from_an_empty_context_does_not_see_the_callers_later_sets() {
    static VAR: ContextVar<&str> = ContextVar::new("var");
    let mut runner = Runner::new();
    assert_eq!(runner.run(async { VAR.get() }), Ok(None));
    VAR.set("caller, after the start");
    assert_eq!(runner.run(async { VAR.get() }), Ok(None));
    runner.run(async { VAR.set("runner") }).unwrap();
    assert_eq!(VAR.get(), Some("caller, after the start"));
    assert_eq!(runner.run(async { VAR.get() }), Ok(Some("runner")));
    assert_eq!(runner.context().unwrap().get(&VAR), Some("runner"));
}

#[test]
fn a_panicking_run_keeps_the_values_it_set_in_a_runners_empty_context() {
    static VAR: ContextVar<u8> = ContextVar::new("var");
    let mut runner = Runner::new();
    run_that_sets_then_panics(&mut runner, &VAR, 2);
    assert_eq!(VAR.get(), None);
    assert_eq!(runner.run(async { VAR.get() }), Ok(Some(2)));
}

#[test]
fn runner_context_is_shared_with_its_runs() {
    static VAR: ContextVar<u32> = ContextVar::new("var");
    let mut runner = Runner::new();
    let context = runner.context().unwrap();
    runner.run(async { VAR.set(1) }).unwrap();
    assert_eq!(context.get(&VAR), Some(1));
    context.run(|| VAR.set(2));
    assert_eq!(runner.run(async { VAR.get() }), Ok(Some(2)));
    runner.close();
    assert_eq!(runner.context().unwrap_err(), RunError::Closed);
}

#[test]
fn run_with_context_inside_a_run_is_nested() {
    let mut outer = Runner::new();
    let nested = outer.run(async {
        let mut inner = Runner::new();
        inner.run_with_context(async { 1 }, &Context::new())
    });
    assert_eq!(nested, Ok(Err(RunError::Nested)));
}

#[test]
fn a_panicking_run_restores_the_callers_context_and_keeps_the_runners() {
    static VAR: ContextVar<u8> = ContextVar::new("var");
    VAR.set(1);
    let mut runner = Runner::new();
    run_that_sets_then_panics(&mut runner, &VAR, 2);
    assert_eq!(VAR.get(), Some(1));
    assert_eq!(runner.run(async { VAR.get() }), Ok(Some(2)));
}

#[test]
fn spawned_tasks_see_the_parents_values_and_their_sets_do_not_leak_back() {
    static VAR: ContextVar<&str> = ContextVar::new("var");
    let seen = runner::run(async {
        VAR.set("parent");
        let child = runner::spawn(async {
            let inherited = VAR.get();
            VAR.set("child");
            let grandchild = runner::spawn(async { VAR.get() }).await;
            (inherited, VAR.get(), grandchild)
        })
        .await;
        let local = runner::spawn_local(async {
            let inherited = VAR.get();
            VAR.set("local child");
            inherited
        })
        .await;
        (child, local, VAR.get())
    });
    assert_eq!(
        seen,
        Ok((
            (Some("parent"), Some("child"), Some("child")),
            Some("parent"),
            Some("parent")
        ))
    );
}

#[test]
fn a_task_gets_the_values_at_spawn_time() {
    static VAR: ContextVar<u32> = ContextVar::new("var");
    let seen = runner::run(async {
        VAR.set(1);
        let (tx, rx) = async_channel::bounded::<()>(1);
        let child = runner::spawn(async move {
            rx.recv().await.unwrap();
            VAR.get()
        });
        VAR.set(2); // after the spawn: the child's copy keeps 1
        tx.send(()).await.unwrap();
        child.await
    });
    assert_eq!(seen, Ok(Some(1)));
}

#[test]
fn siblings_do_not_see_each_others_sets() {
    static VAR: ContextVar<usize> = ContextVar::new("var");
    let seen = runner::run(async {
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                runner::spawn(async move {
                    let before = VAR.get();
                    VAR.set(i);
                    yield_now().await;
                    (before, VAR.get())
                })
            })
            .collect();
        let mut seen = Vec::new();
        for task in tasks {
            seen.push(task.await);
        }
        seen
    })
    .unwrap();
    for (i, (before, after)) in seen.into_iter().enumerate() {
        assert_eq!((before, after), (None, Some(i)));
    }
}

#[test]
fn spawn_blocking_gets_a_copy_of_the_spawners_context() {
    static VAR: ContextVar<&str> = ContextVar::new("var");
    let seen = runner::run(async {
        VAR.set("parent");
        let job = runner::spawn_blocking(|| {
            let inherited = VAR.get();
            VAR.set("job");
            (inherited, VAR.get())
        })
        .await;
        (job, VAR.get())
    });
    assert_eq!(seen, Ok(((Some("parent"), Some("job")), Some("parent"))));
}

#[test]
fn spawn_blocking_threads_keep_no_context_between_jobs() {
    static VAR: ContextVar<u32> = ContextVar::new("var");
    let seen = runner::run(async {
        let set = runner::spawn(async {
            VAR.set(1);
            runner::spawn_blocking(|| VAR.set(2)).await;
        });
        set.await;
        // This job comes from a context without the variable: whichever pool thread runs it,
        // no value is left over from the jobs before.
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(runner::spawn_blocking(|| VAR.get()).await);
        }
        seen
    });
    assert_eq!(seen, Ok(vec![None; 4]));
}

/// Runs 100 tasks that each set `VAR` to their own number, then check it after every one of
/// 20 `.await`s (a yield and a zero timer); `true` if every task always saw its own value.
fn tasks_keep_their_values(runner: &mut Runner) -> bool {
    static VAR: ContextVar<usize> = ContextVar::new("var");
    let ok = runner.run(async {
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                runner::spawn(async move {
                    VAR.set(i);
                    for _ in 0..20 {
                        yield_now().await;
                        runner::sleep(std::time::Duration::ZERO).await;
                        if VAR.get() != Some(i) {
                            return false;
                        }
                    }
                    true
                })
            })
            .collect();
        let mut all = true;
        for task in tasks {
            all &= task.await;
        }
        all
    });
    ok == Ok(true)
}

#[test]
fn values_follow_their_task_across_awaits() {
    assert!(tasks_keep_their_values(
        &mut Runner::builder().threads(1).build()
    ));
}

#[test]
fn values_follow_their_tasks_across_threads() {
    assert!(tasks_keep_their_values(
        &mut Runner::builder().threads(2).build()
    ));
}

#[test]
fn a_value_moves_with_its_task_to_another_thread() {
    static VAR: ContextVar<&str> = ContextVar::new("var");
    let mut runner = Runner::builder().threads(2).build();
    let seen = runner.run(async {
        runner::spawn(async {
            VAR.set("mine");
            let first = thread::current().id();
            // Block the thread the task runs on (a local task stays on it) until the task has
            // been polled on the other thread.
            let (release, blocked) = mpsc::channel::<()>();
            runner::spawn_local(async move { blocked.recv().unwrap() }).detach();
            while thread::current().id() == first {
                yield_now().await;
            }
            let value = VAR.get();
            release.send(()).unwrap();
            value
        })
        .await
    });
    assert_eq!(seen, Ok(Some("mine")));
}

#[test]
fn a_cancelled_task_is_dropped_inside_its_context() {
    static VAR: ContextVar<&str> = ContextVar::new("var");
    struct ReadOnDrop(mpsc::Sender<Option<&'static str>>);
    impl Drop for ReadOnDrop {
        fn drop(&mut self) {
            self.0.send(VAR.get()).unwrap();
        }
    }
    let (tx, rx) = mpsc::channel();
    let mut runner = Runner::new();
    runner
        .run(async move {
            runner::spawn(async move {
                VAR.set("task");
                let _guard = ReadOnDrop(tx);
                std::future::pending::<()>().await
            })
            .detach();
            yield_now().await;
        })
        .unwrap();
    runner.close();
    assert_eq!(rx.recv().unwrap(), Some("task"));
}

#[test]
fn reset_restores_the_value_before_the_set() {
    static VAR: ContextVar<u32> = ContextVar::new("var");
    let first = VAR.set(1);
    assert_eq!(first.old_value(), None);
    let second = VAR.set(2);
    VAR.set(3);
    assert_eq!(second.old_value(), Some(1));
    VAR.reset(second);
    assert_eq!(VAR.get(), Some(1));
    VAR.reset(first);
    assert_eq!(VAR.get(), None);
}

#[test]
fn values_of_any_clone_type_are_cloned_out() {
    static NAMES: ContextVar<Vec<String>> = ContextVar::new("names");
    NAMES.set(vec!["ada".to_string()]);
    let mut names = NAMES.get().unwrap();
    names.push("grace".to_string());
    assert_eq!(NAMES.get().unwrap(), ["ada"]);
    let token = NAMES.set(names);
    assert_eq!(NAMES.get().unwrap(), ["ada", "grace"]);
    assert_eq!(token.old_value().unwrap(), ["ada"]);
    NAMES.reset(token);
    assert_eq!(NAMES.get().unwrap(), ["ada"]);
}

#[test]
fn reset_works_across_awaits_in_a_task() {
    static VAR: ContextVar<u32> = ContextVar::new("var");
    let mut runner = Runner::builder().threads(2).build();
    let seen = runner.run(async {
        runner::spawn(async {
            VAR.set(1);
            let token = VAR.set(2);
            yield_now().await;
            VAR.reset(token);
            yield_now().await;
            VAR.get()
        })
        .await
    });
    assert_eq!(seen, Ok(Some(1)));
}

#[test]
#[should_panic(expected = "this token was created by `first`.set, not by `second`.set")]
fn reset_with_a_token_of_another_variable_panics() {
    static FIRST: ContextVar<u32> = ContextVar::new("first");
    static SECOND: ContextVar<u32> = ContextVar::new("second");
    let token = FIRST.set(1);
    SECOND.reset(token);
}

#[test]
#[should_panic(expected = "the token of `var` was created in another context")]
fn reset_with_a_token_of_another_context_panics() {
    static VAR: ContextVar<u32> = ContextVar::new("var");
    let token = Context::new().run(|| VAR.set(1));
    VAR.reset(token);
}

#[test]
fn reset_in_a_child_task_with_the_parents_token_panics() {
    static VAR: ContextVar<u32> = ContextVar::new("var");
    let reset_panicked = Arc::new(AtomicBool::new(false));
    let flag = reset_panicked.clone();
    let seen = runner::run(async move {
        let token = VAR.set(1);
        let child = runner::spawn(async move {
            let panicked = catch_unwind(AssertUnwindSafe(|| VAR.reset(token))).is_err();
            flag.store(panicked, Ordering::SeqCst);
            VAR.get()
        });
        child.await
    });
    assert!(reset_panicked.load(Ordering::SeqCst));
    assert_eq!(seen, Ok(Some(1)));
}

/// Runs a main future on `runner` that sets `var` to `value` and then panics; checks it panicked.
fn run_that_sets_then_panics(runner: &mut Runner, var: &'static ContextVar<u8>, value: u8) {
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        runner.run(async {
            var.set(value);
            panic!("the main future panics");
        })
    }));
    assert!(panicked.is_err());
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;
