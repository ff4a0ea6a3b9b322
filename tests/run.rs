//! `runner::run` and `Runner::run`: outputs, any `IntoFuture`, futures that are not `Send`.

use std::future::IntoFuture;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runner::Runner;

#[test]
fn run_returns_the_output() {
    assert_eq!(runner::run(async { 40 + 2 }), Ok(42));
}

#[test]
fn run_accepts_any_into_future() {
    struct Answer;
    impl IntoFuture for Answer {
        type Output = &'static str;
        type IntoFuture = std::future::Ready<&'static str>;
        fn into_future(self) -> Self::IntoFuture {
            std::future::ready("into")
        }
    }
    assert_eq!(runner::run(Answer), Ok("into"));
    assert_eq!(Runner::new().run(Answer), Ok("into"));
}

#[test]
fn main_future_need_not_be_send() {
    let rc = Rc::new(3);
    let out = runner::run(async move {
        runner::sleep(Duration::from_millis(1)).await;
        *rc * 2
    });
    assert_eq!(out, Ok(6));
}

#[test]
fn main_future_runs_on_the_calling_thread() {
    let caller = std::thread::current().id();
    let inside = runner::run(async { std::thread::current().id() }).unwrap();
    assert_eq!(inside, caller);
}

#[test]
fn free_run_closes_its_runner_cancelling_leftover_tasks() {
    struct Flag(Arc<AtomicBool>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = Flag(dropped.clone());
    runner::run(async move {
        runner::spawn(async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        })
        .detach();
    })
    .unwrap();
    assert!(
        dropped.load(Ordering::SeqCst),
        "run must close its runner, cancelling the pending task"
    );
}

#[test]
fn a_runner_runs_many_futures_one_after_another() {
    let mut runner = Runner::new();
    for i in 0..5 {
        assert_eq!(runner.run(async move { i * i }), Ok(i * i));
    }
}

#[test]
fn tasks_and_timers_make_progress_concurrently() {
    let start = std::time::Instant::now();
    let out = runner::run(async {
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                runner::spawn(async move {
                    runner::sleep(Duration::from_millis(200)).await;
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await;
        }
        sum
    });
    assert_eq!(out, Ok(45));
    // Ten 200 ms sleeps in parallel, not in sequence (2 s).
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn spawn_local_runs_futures_that_are_not_send() {
    let out = runner::run(async {
        let rc = Rc::new(String::from("local"));
        let inner = rc.clone();
        runner::spawn_local(async move { inner.len() }).await + rc.len()
    });
    assert_eq!(out, Ok(10));
}
