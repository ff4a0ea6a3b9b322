//! `spawn_blocking`: runs off the executor threads; `close` waits for jobs up to the timeout.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use runner::{diagnostic::Diagnostic, Runner};

#[test]
fn blocking_jobs_run_off_the_runner_thread_and_do_not_stall_tasks() {
    let out = runner::run(async {
        let caller = std::thread::current().id();
        let (timer_fired, fired) = std::sync::mpsc::channel();
        // The job blocks until a timer of the runner has fired: it fires while the job runs.
        let job = runner::spawn_blocking(move || {
            let waited = fired.recv_timeout(Duration::from_secs(10));
            (std::thread::current().id() != caller, waited.is_ok())
        });
        runner::sleep(Duration::from_millis(10)).await;
        timer_fired.send(()).unwrap();
        job.await
    })
    .unwrap();
    assert!(out.0, "the job ran on another thread");
    assert!(out.1, "the runner's timer fired while the job was blocked");
}

#[test]
fn close_waits_for_running_blocking_jobs() {
    let finished = Arc::new(AtomicBool::new(false));
    let flag = finished.clone();
    let mut runner = Runner::new();
    runner
        .run(async move {
            runner::spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(100));
                flag.store(true, Ordering::SeqCst);
            })
            .detach();
        })
        .unwrap();
    runner.close();
    assert!(
        finished.load(Ordering::SeqCst),
        "close returned before the job finished"
    );
}

#[test]
fn close_gives_up_after_the_shutdown_timeout_and_names_each_stuck_job() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let mut runner = Runner::builder()
        .shutdown_timeout(Duration::from_millis(100))
        .on_diagnostic(move |d| sink.lock().unwrap().push(d.clone()))
        .build();
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (started_tx, started) = std::sync::mpsc::channel::<()>();
    let first = line!() + 3;
    runner
        .run(async move {
            runner::spawn_blocking(move || {
                started_tx.send(()).unwrap();
                let _ = wait.recv();
            })
            .detach();
            runner::spawn_blocking(|| std::thread::sleep(Duration::from_secs(2))).detach();
        })
        .unwrap();
    started.recv().unwrap();
    let start = Instant::now();
    runner.close();
    let took = start.elapsed();
    release.send(()).unwrap();
    assert!(took >= Duration::from_millis(100), "{took:?}");
    assert!(took < Duration::from_millis(1000), "close hung: {took:?}");
    let seen = seen.lock().unwrap();
    let [Diagnostic::BlockingShutdownTimedOut { jobs, timeout }] = seen.as_slice() else {
        panic!("{seen:?}")
    };
    assert_eq!(*timeout, Duration::from_millis(100));
    let lines: Vec<_> = jobs.iter().map(|j| j.job.spawned_at.line()).collect();
    assert_eq!(lines, [first, first + 5]);
    // The first job had started before `close` and ran through the whole timeout.
    let ran = jobs[0].running_for.expect("the first job had started");
    assert!(ran >= Duration::from_millis(100), "{ran:?}");
    let text = seen[0].to_string();
    let expected = format!(
        "2 blocking jobs were still running when the shutdown timeout of 0.100 s expired; the \
         runner closed without waiting for them: task #{} spawned at {}:{first}:13 (running for ",
        jobs[0].job.id,
        file!(),
    );
    assert!(text.starts_with(&expected), "{text}");
    assert!(
        text.contains(&format!(", task #{} spawned at ", jobs[1].job.id)),
        "{text}"
    );
}

#[test]
fn a_closed_runner_refuses_new_blocking_jobs_with_a_clear_panic() {
    std::panic::set_hook(Box::new(|_| {}));
    let (tx, rx) = std::sync::mpsc::channel();
    let mut runner = Runner::builder()
        .shutdown_timeout(Duration::from_millis(10))
        .on_diagnostic(|_| {})
        .build();
    let (closed_tx, closed_rx) = std::sync::mpsc::channel::<()>();
    runner
        .run(async move {
            runner::spawn_blocking(move || {
                closed_rx.recv().unwrap();
                let refused =
                    catch_unwind(AssertUnwindSafe(|| drop(runner::spawn_blocking(|| {}))));
                let message = refused.err().and_then(|p| p.downcast::<String>().ok());
                tx.send(message).unwrap();
            })
            .detach();
        })
        .unwrap();
    runner.close();
    closed_tx.send(()).unwrap();
    let message = rx
        .recv_timeout(Duration::from_secs(5))
        .unwrap()
        .expect("spawn_blocking after close must panic");
    assert!(
        message.contains("runner::spawn_blocking was called at")
            && message.contains("after its runner was closed"),
        "{message}"
    );
}

#[test]
fn many_blocking_jobs_all_complete() {
    let out = runner::run(async {
        let jobs: Vec<_> = (0..200u64)
            .map(|i| runner::spawn_blocking(move || i * 2))
            .collect();
        let mut sum = 0;
        for job in jobs {
            sum += job.await;
        }
        sum
    });
    assert_eq!(out, Ok(2 * (0..200).sum::<u64>()));
}

/// Sets its flag when dropped: at the exit of the thread whose thread-local holds it.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

thread_local! {
    static AT_EXIT: std::cell::RefCell<Option<SetOnDrop>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn close_returns_after_the_pools_threads_have_exited() {
    let exited = Arc::new(AtomicBool::new(false));
    let flag = exited.clone();
    let mut runner = Runner::new();
    runner
        .run(async move {
            runner::spawn_blocking(move || {
                AT_EXIT.with(|f| *f.borrow_mut() = Some(SetOnDrop(flag)))
            })
            .await
        })
        .unwrap();
    // The job's thread is idle now, and would stay so for a second.
    runner.close();
    assert!(
        exited.load(Ordering::SeqCst),
        "a thread of the closed runner's pool is still alive"
    );
}

#[test]
fn each_runner_runs_its_jobs_on_threads_of_its_own() {
    let thread_of = |runner: &mut Runner| {
        runner
            .run(async { runner::spawn_blocking(|| std::thread::current().id()).await })
            .unwrap()
    };
    let (mut first, mut second) = (Runner::new(), Runner::new());
    let first_thread = thread_of(&mut first);
    // The first runner's thread waits idle for its next job: a pool shared by the two runners
    // would hand it the second runner's job.
    std::thread::sleep(Duration::from_millis(50));
    let second_thread = thread_of(&mut second);
    assert_ne!(first_thread, second_thread);
    assert_ne!(second_thread, std::thread::current().id());
}

#[test]
fn a_job_that_waits_for_a_later_job_does_not_hold_it_up() {
    let mut runner = Runner::new();
    // One idle thread: a pool that starts threads only for a long queue would run the chain
    // below on it, one job after another, and the first job would wait in vain.
    runner
        .run(async { runner::spawn_blocking(|| ()).await })
        .unwrap();
    let heard = runner
        .run(async {
            let (senders, receivers): (Vec<_>, Vec<_>) =
                (0..7).map(|_| std::sync::mpsc::channel::<()>()).unzip();
            // Job i waits to hear from job i + 1, then tells job i - 1; the last one tells at
            // once. Eight jobs, each on a thread of its own at the same time.
            let waits = receivers.into_iter().map(Some).chain([None]);
            let tells = [None].into_iter().chain(senders.into_iter().map(Some));
            let jobs: Vec<_> = waits
                .zip(tells)
                .map(|(wait, tell)| {
                    runner::spawn_blocking(move || {
                        let heard = match wait {
                            Some(wait) => wait.recv_timeout(Duration::from_secs(10)).is_ok(),
                            None => true,
                        };
                        if let Some(tell) = tell {
                            let _ = tell.send(());
                        }
                        heard
                    })
                })
                .collect();
            let mut heard = Vec::new();
            for job in jobs {
                heard.push(job.await);
            }
            heard
        })
        .unwrap();
    assert_eq!(heard, vec![true; 8]);
}
