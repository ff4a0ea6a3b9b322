//! Closing a runner inside another runner's `run`, by drop or by `close()`: its tasks are
//! cancelled at once (destructors first), its blocking jobs are not waited for but reported,
//! and the outer runner is never blocked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use runner::{diagnostic::Diagnostic, Runner};

struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A started runner with pending tasks (each counting its drop) and one blocking job that runs
/// until released.
fn busy_runner(
    drops: &Arc<AtomicUsize>,
) -> (Runner, Arc<Mutex<Vec<Diagnostic>>>, mpsc::Sender<()>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let mut runner = Runner::builder()
        .debug(false) // only the blocking-job report, not the cancelled tasks'
        .on_diagnostic(move |d| sink.lock().unwrap().push(d.clone()))
        .build();
    let (release, wait) = mpsc::channel::<()>();
    let (tasks, locals) = (DropCounter(drops.clone()), DropCounter(drops.clone()));
    runner
        .run(async move {
            runner::spawn(async move {
                let _counter = tasks;
                std::future::pending::<()>().await
            })
            .detach();
            runner::spawn_local(async move {
                let _counter = locals;
                std::future::pending::<()>().await
            })
            .detach();
            runner::spawn_blocking(move || {
                let _ = wait.recv_timeout(Duration::from_secs(60));
            })
            .detach();
            runner::sleep(Duration::from_millis(1)).await;
        })
        .unwrap();
    (runner, seen, release)
}

fn assert_closed_without_waiting(closing: impl FnOnce(Runner) + 'static) {
    let drops = Arc::new(AtomicUsize::new(0));
    let (inner, seen, release) = busy_runner(&drops);
    let counted = drops.clone();
    let (took, dropped) = runner::run(async move {
        let start = Instant::now();
        closing(inner);
        (start.elapsed(), counted.load(Ordering::SeqCst))
    })
    .unwrap();
    release.send(()).unwrap();
    assert_eq!(
        dropped, 2,
        "the tasks' destructors ran before close returned"
    );
    assert!(
        took < Duration::from_secs(30),
        "close waited for the job: {took:?}"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        [Diagnostic::BlockingJobsLeftRunning { pending: 1 }]
    );
}

#[test]
fn dropping_a_runner_inside_another_runs_run_does_not_wait_for_its_blocking_jobs() {
    assert_closed_without_waiting(drop);
}

#[test]
fn closing_a_runner_inside_another_runs_run_does_not_wait_for_its_blocking_jobs() {
    assert_closed_without_waiting(|mut runner| {
        runner.close();
        assert!(runner.is_closed());
    });
}

#[test]
fn the_left_running_sentence() {
    assert_eq!(
        Diagnostic::BlockingJobsLeftRunning { pending: 1 }.to_string(),
        "1 blocking job was still running when the runner closed inside another runner's run; \
         it did not wait for it, so as not to block the outer runner"
    );
    assert_eq!(
        Diagnostic::BlockingJobsLeftRunning { pending: 3 }.to_string(),
        "3 blocking jobs were still running when the runner closed inside another runner's \
         run; it did not wait for them, so as not to block the outer runner"
    );
}
