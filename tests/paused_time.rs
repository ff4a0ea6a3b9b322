//! Paused time: the clock jumps only when the runner is idle, in deadline order with ties in
//! registration order, the same every run; tasks, blocking jobs and ready I/O hold it; each
//! runner has its own clock; and every misuse is refused with a message.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_io::Timer;
use futures_lite::StreamExt;
use panicking_waker::sleep_with_a_panicking_waker;
use runner::{Builder, RunError, Runner, TimedOut};

#[path = "support/panicking_waker.rs"]
mod panicking_waker;

fn paused() -> Runner {
    Builder::new().start_paused(true).build()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

/// Runs `f` in a paused runner and returns the panic message it ends with.
fn paused_panic<F: std::future::Future>(future: F) -> String
where
    F::Output: std::fmt::Debug,
{
    let payload = catch_unwind(AssertUnwindSafe(|| paused().run(future))).expect_err("a panic");
    panic_message(payload)
}

/// Timers fire in deadline order, those due at once in the order they were registered (a reset
/// counting as a new registration), each at exactly its virtual deadline.
fn order_log() -> Vec<(&'static str, Duration)> {
    paused()
        .run(async {
            let start = runner::time::now();
            let log = Arc::new(Mutex::new(Vec::new()));
            let mut tasks = Vec::new();
            let plan: [(&'static str, u64); 6] = [
                ("d", 2),
                ("c", 3),
                ("a", 1),
                ("b1", 2),
                ("b2", 2),
                ("b3", 2),
            ];
            for (name, at) in plan {
                // A timer is registered when first polled: the tasks run in spawn order.
                let mut sleep = runner::time::sleep_until(start + secs(at));
                let log = log.clone();
                tasks.push(runner::spawn(async move {
                    if name == "d" {
                        // Registered first at 2 s; reset to the same instant once the others
                        // have registered, it counts as registered anew: it goes last of 2 s.
                        assert!(futures_lite::future::poll_once(&mut sleep).await.is_none());
                        runner::yield_now().await;
                        sleep.reset(start + secs(2));
                    }
                    (&mut sleep).await;
                    log.lock()
                        .unwrap()
                        .push((name, runner::time::now() - start));
                }));
            }
            for task in tasks {
                task.await;
            }
            let log = log.lock().unwrap().clone();
            log
        })
        .unwrap()
}

#[test]
fn deadline_order_and_registration_ties() {
    let log = order_log();
    assert_eq!(
        log,
        [
            ("a", secs(1)),
            ("b1", secs(2)),
            ("b2", secs(2)),
            ("b3", secs(2)),
            ("d", secs(2)),
            ("c", secs(3)),
        ]
    );
    // Deterministic: the same program, the same order and the same virtual times.
    for _ in 0..5 {
        assert_eq!(order_log(), log);
    }
}

/// The timers due with one whose waker panics are woken all the same, and the panic reaches
/// the code that moved the clock.
#[test]
fn a_panicking_waker_keeps_no_other_timer_asleep() {
    paused()
        .run(async {
            let start = runner::time::now();
            // Registered first, so it fires first among the timers due at 1 s.
            let _bad = sleep_with_a_panicking_waker(secs(1));
            let woke = Arc::new(AtomicBool::new(false));
            let good = runner::spawn({
                let woke = woke.clone();
                async move {
                    runner::sleep(secs(1)).await;
                    woke.store(true, Ordering::SeqCst);
                }
            });
            // `good` registers its timer.
            runner::task::yield_now().await;
            let advanced = futures_lite::FutureExt::catch_unwind(AssertUnwindSafe(
                runner::time::advance(secs(1)),
            ))
            .await;
            let message = panic_message(advanced.expect_err("the waker's panic"));
            assert_eq!(message, panicking_waker::MESSAGE);
            // Woken by the same firing: it runs before anything else moves the clock.
            runner::task::yield_now().await;
            assert!(
                woke.load(Ordering::SeqCst),
                "the other timer due was not woken"
            );
            good.await;
            assert_eq!(runner::time::now() - start, secs(1));
        })
        .unwrap();
}

/// When the clock jumps because the runner is idle, a waker that panics ends neither the run
/// nor the later timers, as in real time (`tests/sleep.rs`).
#[test]
fn a_panicking_waker_ends_no_idle_jump() {
    paused()
        .run(async {
            let start = runner::time::now();
            let _bad = sleep_with_a_panicking_waker(secs(1));
            runner::sleep(secs(2)).await;
            assert_eq!(runner::time::now() - start, secs(2));
        })
        .unwrap();
}

#[test]
fn an_hour_of_sleep_takes_no_real_time() {
    let real = Instant::now();
    let slept = paused()
        .run(async {
            let start = runner::time::now();
            runner::sleep(secs(3600)).await;
            runner::time::now() - start
        })
        .unwrap();
    assert_eq!(slept, secs(3600));
    assert!(real.elapsed() < secs(30), "took {:?}", real.elapsed());
}

#[test]
fn a_runnable_task_holds_the_clock() {
    paused()
        .run(async {
            let start = runner::time::now();
            let spinner = runner::spawn(async move {
                let real = Instant::now();
                let mut seen = Vec::new();
                while real.elapsed() < Duration::from_millis(20) {
                    seen.push(runner::time::now());
                    runner::yield_now().await;
                }
                seen
            });
            // Due at once in virtual time, but the spinner is runnable throughout.
            runner::sleep(Duration::from_millis(1)).await;
            let seen = spinner.await;
            assert!(seen.len() > 1);
            assert!(
                seen.iter().all(|&t| t == start),
                "the clock moved: {seen:?}"
            );
            assert_eq!(runner::time::now() - start, Duration::from_millis(1));
        })
        .unwrap();
}

#[test]
fn a_blocking_job_holds_the_clock() {
    paused()
        .run(async {
            let start = runner::time::now();
            let done = Arc::new(AtomicBool::new(false));
            let job_done = done.clone();
            // Detached: nobody awaits it, and still the clock waits for it.
            runner::spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(50));
                job_done.store(true, Ordering::SeqCst);
            })
            .detach();
            runner::sleep(secs(1)).await;
            assert!(
                done.load(Ordering::SeqCst),
                "the clock jumped while the job ran"
            );
            assert_eq!(runner::time::now() - start, secs(1));
        })
        .unwrap();
}

/// A paused runner whose reports that blocking jobs hold its clock go to the returned channel:
/// the spawn line of each job named, and the text.
fn reporting_held_clocks(debug: bool) -> (Runner, async_channel::Receiver<(Vec<u32>, String)>) {
    let (held, reports) = async_channel::unbounded();
    let runner = Builder::new()
        .start_paused(true)
        .debug(debug)
        .on_diagnostic(move |d| {
            if let runner::diagnostic::Diagnostic::PausedClockHeld { jobs } = d {
                let lines = jobs.iter().map(|j| j.job.spawned_at.line()).collect();
                held.try_send((lines, d.to_string())).unwrap();
            }
        })
        .build();
    (runner, reports)
}

#[test]
fn a_job_that_sleeps_on_the_paused_clock_is_named_and_advance_frees_it() {
    let (mut runner, reports) = reporting_held_clocks(true);
    let (line, text, slept) = runner
        .run(async {
            let start = runner::time::now();
            let line = line!() + 1;
            let job = runner::spawn_blocking(|| {
                // The mistake: the runner's paused clock cannot move while this job runs.
                futures_lite::future::block_on(runner::sleep(secs(5)));
            });
            // What the report advises: move the clock from a task.
            let in_real_time = async {
                Timer::after(Duration::from_secs(20)).await;
                panic!("no report after 20 s of real time");
            };
            let (lines, text) =
                futures_lite::future::or(async { reports.recv().await.unwrap() }, in_real_time)
                    .await;
            runner::time::advance(secs(5)).await;
            job.await;
            assert_eq!(lines, [line]);
            (line, text, runner::time::now() - start)
        })
        .unwrap();
    assert_eq!(slept, secs(5));
    assert!(reports.try_recv().is_err(), "once per runner");
    let expected_start = format!(
        "every task has waited a second, and the paused clock cannot move while blocking jobs \
         run: task #1 spawned at {}:{line}:",
        file!()
    );
    assert!(text.starts_with(&expected_start), "{text}");
    assert!(
        text.ends_with(
            "; a job that waits on the runner's clock (runner::sleep in the job) waits for \
             good: wait in a task, or move the clock with runner::time::advance"
        ),
        "{text}"
    );
}

#[test]
fn a_job_that_ends_within_a_second_or_a_runner_out_of_debug_mode_reports_nothing() {
    for (debug, job_ms) in [(true, 300), (false, 1300)] {
        let (mut runner, reports) = reporting_held_clocks(debug);
        runner
            .run(async move {
                let job = runner::spawn_blocking(move || {
                    std::thread::sleep(Duration::from_millis(job_ms));
                });
                runner::sleep(secs(60)).await;
                job.await;
            })
            .unwrap();
        assert!(reports.try_recv().is_err(), "debug {debug}");
    }
}

/// An echo over a Unix socket pair, served by a task of the same runner: each message and each
/// reply is in the kernel when written (a Unix socket delivers inside `write`; TCP loopback
/// hands the bytes to the network stack, which may deliver them after `write` returns), so the
/// reactor barrier sees it before the clock could jump, and the 1 s virtual timeouts around the
/// reads never fire (`time/barrier.rs` says how a wake from another thread's reactor poll is
/// waited for). Unix only: on Windows the barrier is best effort (completion ports report ready
/// sockets in no set order; under wine a reply was missed in some runs), as the README's
/// platform table says.
#[test]
#[cfg(unix)]
fn ready_io_is_seen_before_the_clock_jumps() {
    use async_io::Async;
    use std::os::unix::net::UnixStream;

    paused()
        .run(async move {
            let start = runner::time::now();
            let (mut stream, mut served) = Async::<UnixStream>::pair().unwrap();
            let server = runner::spawn(async move {
                let mut buf = [0; 64];
                loop {
                    match futures_lite::AsyncReadExt::read(&mut served, &mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => futures_lite::AsyncWriteExt::write_all(&mut served, &buf[..n])
                            .await
                            .unwrap(),
                    }
                }
            });
            for i in 0..200u32 {
                let message = i.to_le_bytes();
                futures_lite::AsyncWriteExt::write_all(&mut stream, &message)
                    .await
                    .unwrap();
                let mut reply = [0; 4];
                let read = futures_lite::AsyncReadExt::read_exact(&mut stream, &mut reply);
                let read = runner::timeout(secs(1), read).await;
                assert!(matches!(read, Ok(Ok(()))), "round {i}: {read:?}");
                assert_eq!(reply, message);
            }
            drop(stream);
            server.await;
            assert!(
                runner::time::now() - start < secs(1),
                "a timeout moved the clock"
            );
        })
        .unwrap();
}

#[test]
fn each_runner_has_its_own_clock() {
    let other = std::thread::spawn(|| {
        // An unpaused runner on another thread, while the paused one jumps by hours.
        let mut runner = Builder::new().threads(1).build();
        runner
            .run(async {
                let mut gaps = Vec::new();
                for _ in 0..10 {
                    let (real, clock) = (Instant::now(), runner::time::now());
                    runner::sleep(Duration::from_millis(10)).await;
                    let (real, clock) = (real.elapsed(), runner::time::now() - clock);
                    assert!(real >= Duration::from_millis(10), "slept {real:?} for real");
                    gaps.push(clock);
                }
                gaps
            })
            .unwrap()
    });
    paused()
        .run(async {
            for _ in 0..10 {
                runner::sleep(secs(3600)).await;
                std::thread::sleep(Duration::from_millis(5));
            }
        })
        .unwrap();
    // And on the same thread, a runner after the paused one reads the real clock.
    let mut runner = Runner::new();
    let gap = runner
        .run(async { runner::time::now().duration_since(Instant::now()) })
        .unwrap();
    assert!(gap < secs(1));
    for gap in other.join().unwrap() {
        assert!(
            gap >= Duration::from_millis(10) && gap < secs(600),
            "{gap:?}"
        );
    }
}

#[test]
fn advance_moves_exactly_one_deadline_at_a_time() {
    paused()
        .run(async {
            let start = runner::time::now();
            let log = Arc::new(Mutex::new(Vec::new()));
            for at in [500, 1000, 1500, 2500] {
                let sleep = runner::sleep(Duration::from_millis(at));
                let log = log.clone();
                runner::spawn(async move {
                    sleep.await;
                    log.lock().unwrap().push(runner::time::now() - start);
                })
                .detach();
            }
            runner::time::advance(Duration::from_millis(1700)).await;
            assert_eq!(runner::time::now() - start, Duration::from_millis(1700));
            // Each woken task ran at its own deadline, before the next step.
            assert_eq!(
                *log.lock().unwrap(),
                [500, 1000, 1500].map(Duration::from_millis)
            );
            runner::time::advance(Duration::ZERO).await;
            assert_eq!(runner::time::now() - start, Duration::from_millis(1700));
            runner::time::advance(Duration::from_millis(800)).await;
            assert_eq!(log.lock().unwrap().len(), 4);
            assert_eq!(runner::time::now() - start, Duration::from_millis(2500));
        })
        .unwrap();
}

#[test]
fn advance_does_not_wait_for_a_busy_task() {
    paused()
        .run(async {
            let start = runner::time::now();
            let stop = Arc::new(AtomicBool::new(false));
            let spinning = stop.clone();
            let spinner = runner::spawn(async move {
                while !spinning.load(Ordering::SeqCst) {
                    runner::yield_now().await;
                }
            });
            runner::time::advance(secs(10)).await;
            assert_eq!(runner::time::now() - start, secs(10));
            stop.store(true, Ordering::SeqCst);
            spinner.await;
        })
        .unwrap();
}

#[test]
fn interval_ticks_at_exact_virtual_periods() {
    paused()
        .run(async {
            let start = runner::time::now();
            let period = Duration::from_millis(250);
            let mut ticks = runner::time::interval(period);
            for n in 1..=20u32 {
                let due = ticks.tick().await;
                assert_eq!(due, start + period * n);
                assert_eq!(runner::time::now(), due);
            }
            // A consumer that falls behind gets the missed ticks at once, as they were due.
            runner::time::advance(period * 3).await;
            let late: Vec<_> = (&mut ticks).take(3).collect().await;
            assert_eq!(late, [21, 22, 23].map(|n| start + period * n));
        })
        .unwrap();
}

#[test]
fn timers_made_before_the_pause_keep_their_deadlines() {
    let mut runner = Builder::new().threads(1).build();
    runner
        .run(async {
            let start = runner::time::now();
            let timeout = runner::timeout(secs(3600), std::future::pending::<()>());
            let sleep = runner::sleep(secs(60));
            runner::time::pause();
            let real = Instant::now();
            sleep.await;
            assert!(runner::time::now() - start >= secs(60));
            assert_eq!(timeout.await, Err(TimedOut));
            assert!(runner::time::now() - start >= secs(3600));
            assert!(real.elapsed() < secs(30));
        })
        .unwrap();
}

#[test]
fn resume_keeps_the_virtual_offset() {
    paused()
        .run(async {
            let start = runner::time::now();
            runner::sleep(secs(3600)).await;
            runner::time::resume();
            let resumed = runner::time::now();
            assert!(resumed - start >= secs(3600));
            let real = Instant::now();
            runner::sleep(Duration::from_millis(20)).await;
            assert!(
                real.elapsed() >= Duration::from_millis(20),
                "slept for real"
            );
            assert!(runner::time::now() - resumed >= Duration::from_millis(20));
            // And it pauses again.
            runner::time::pause();
            let paused_at = runner::time::now();
            runner::sleep(secs(60)).await;
            assert_eq!(runner::time::now() - paused_at, secs(60));
        })
        .unwrap();
}

#[test]
fn async_io_timers_stay_real() {
    paused()
        .run(async {
            let real = Instant::now();
            let start = runner::time::now();
            Timer::after(Duration::from_millis(20)).await;
            assert!(real.elapsed() >= Duration::from_millis(20));
            assert_eq!(runner::time::now(), start, "no runner timer was due");
        })
        .unwrap();
}

#[test]
fn outside_any_runner_time_is_real() {
    let real = Instant::now();
    futures_lite::future::block_on(runner::sleep(Duration::from_millis(20)));
    assert!(real.elapsed() >= Duration::from_millis(20));
    let gap = runner::time::now().duration_since(Instant::now());
    assert!(gap < secs(1));
    let late = futures_lite::future::block_on(runner::timeout(
        Duration::from_millis(10),
        std::future::pending::<()>(),
    ));
    assert_eq!(late, Err(TimedOut));
}

#[test]
fn a_sleep_outliving_its_runner_waits_in_real_time() {
    let sleep = Builder::new()
        .threads(1)
        .build()
        // Wrapped, so that the run hands the sleep out unawaited.
        .run(async { Some(runner::sleep(Duration::from_millis(20))) })
        .unwrap()
        .unwrap();
    let real = Instant::now();
    futures_lite::future::block_on(sleep);
    assert!(real.elapsed() < secs(10));
}

#[test]
fn a_sleep_outliving_its_runner_is_not_taken_for_a_later_runners() {
    // Several rounds: a later runner often gets the memory of the one dropped before it, and a
    // sleep that named its runner by address took that runner's paused clock for its own.
    for _ in 0..3 {
        // Before the sleep is made: its deadline is 100 ms after a later instant.
        let made = Instant::now();
        let sleep = Builder::new()
            .threads(1)
            .build()
            .run(async { Some(runner::sleep(Duration::from_millis(100))) })
            .unwrap()
            .unwrap();
        let mut later = paused();
        later.run(sleep).unwrap();
        let real = made.elapsed();
        assert!(
            real >= Duration::from_millis(100),
            "slept {real:?} of 100 ms"
        );
    }
}

#[test]
fn unpaused_timers_fire_while_the_main_thread_is_busy() {
    let mut runner = Builder::new().threads(2).build();
    runner
        .run(async {
            let fired = Arc::new(AtomicBool::new(false));
            let set = fired.clone();
            runner::spawn(async move {
                runner::sleep(Duration::from_millis(10)).await;
                set.store(true, Ordering::SeqCst);
            })
            .detach();
            // Blocks the main thread: the worker runs the timer driver and the task.
            let real = Instant::now();
            while !fired.load(Ordering::SeqCst) && real.elapsed() < secs(10) {
                std::thread::sleep(Duration::from_millis(1));
            }
            assert!(fired.load(Ordering::SeqCst));
        })
        .unwrap();
}

#[test]
fn start_paused_runs_on_one_thread_unless_told_otherwise() {
    // Whatever RUNNER_THREADS says: CI runs this suite with RUNNER_THREADS=4.
    let main = std::thread::current().id();
    let threads = paused()
        .run(async {
            let tasks: Vec<_> = (0..20)
                .map(|_| runner::spawn(async { std::thread::current().id() }))
                .collect();
            let mut threads = Vec::new();
            for task in tasks {
                threads.push(task.await);
            }
            threads
        })
        .unwrap();
    assert!(threads.iter().all(|&t| t == main));
}

#[test]
fn the_builder_refuses_paused_time_with_more_threads() {
    let mut runner = Builder::new().start_paused(true).threads(2).build();
    let error = runner.run(async {}).unwrap_err();
    assert_eq!(error, RunError::PausedTimeWithThreads);
    assert!(
        error.to_string().contains("paused time needs one thread"),
        "{error}"
    );
    // One thread, given explicitly, is fine.
    let mut one = Builder::new().start_paused(true).threads(1).build();
    assert_eq!(one.run(async { 1 }), Ok(1));
}

#[test]
fn the_builder_refuses_paused_time_with_an_executor_factory() {
    let mut runner = Builder::new()
        .start_paused(true)
        .executor_factory(|| Arc::new(async_executor::Executor::new()))
        .build();
    let error = runner.run(async {}).unwrap_err();
    assert_eq!(error, RunError::PausedTimeWithExecutorFactory);
    let message = error.to_string();
    assert!(
        message.contains("paused time needs one thread"),
        "{message}"
    );
    assert!(message.contains("executor_factory"), "{message}");
}

#[test]
fn pause_needs_one_thread() {
    let mut runner = Builder::new().threads(2).build();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        runner.run(async { runner::time::pause() })
    }))
    .expect_err("a panic");
    let message = panic_message(payload);
    assert!(message.contains("runner::time::pause"), "{message}");
    assert!(
        message.contains("paused time needs one thread"),
        "{message}"
    );

    let mut runner = Builder::new()
        .threads(1)
        .executor_factory(|| Arc::new(async_executor::Executor::new()))
        .build();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        runner.run(async { runner::time::pause() })
    }))
    .expect_err("a panic");
    assert!(panic_message(payload).contains("executor_factory"));
}

#[test]
fn pause_resume_and_advance_need_a_runner() {
    for (name, call) in [
        ("pause", Box::new(runner::time::pause) as Box<dyn Fn()>),
        ("resume", Box::new(runner::time::resume)),
        (
            "advance",
            Box::new(|| futures_lite::future::block_on(runner::time::advance(secs(1)))),
        ),
    ] {
        let message = panic_message(catch_unwind(AssertUnwindSafe(call)).expect_err(name));
        assert!(
            message.contains(&format!("runner::time::{name}"))
                && message.contains("inside a runner"),
            "{message}"
        );
    }
    // Nor from a blocking job, which has no place in the runner's schedule.
    let message = paused_panic(async {
        runner::spawn_blocking(runner::time::resume).await;
    });
    assert!(message.contains("inside a runner"), "{message}");
}

#[test]
fn pausing_twice_or_resuming_a_running_clock_panics() {
    let message = paused_panic(async { runner::time::pause() });
    assert!(message.contains("paused already"), "{message}");
    let mut runner = Builder::new().threads(1).build();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        runner.run(async { runner::time::resume() })
    }))
    .unwrap_err();
    assert!(panic_message(payload).contains("not paused"));
    let mut runner = Builder::new().threads(1).build();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        runner.run(runner::time::advance(secs(1)))
    }))
    .unwrap_err();
    assert!(panic_message(payload).contains("not paused"));
}

#[test]
fn a_hung_paused_test_fails_at_once() {
    use runner::__private::{self as entry, Test};
    let real = Instant::now();
    let builder = Builder::new().start_paused(true);
    let test = Test::new("paused_time", "hangs").timeout_ms(5_000);
    let payload = catch_unwind(AssertUnwindSafe(|| {
        entry::test(test, builder, async {
            runner::sleep(secs(24 * 3600)).await;
        })
    }))
    .expect_err("the test must fail");
    let message = panic_message(payload);
    assert!(message.contains("timed out after 5s"), "{message}");
    assert!(real.elapsed() < secs(4), "took {:?}", real.elapsed());
}

#[test]
fn a_paused_test_that_blocks_its_thread_still_fails_in_real_time() {
    use runner::__private::{self as entry, Test};
    let builder = Builder::new().start_paused(true);
    let test = Test::new("paused_time", "blocks").timeout_ms(100);
    let payload = catch_unwind(AssertUnwindSafe(|| {
        entry::test(test, builder, async {
            std::thread::sleep(Duration::from_millis(300));
        })
    }))
    .expect_err("the test must fail");
    let message = panic_message(payload);
    assert!(message.contains("finished after its timeout"), "{message}");
}

#[test]
fn a_paused_test_waiting_on_real_time_times_out_on_its_clock() {
    use runner::__private::{self as entry, Test};
    let real = Instant::now();
    let builder = Builder::new().start_paused(true);
    let test = Test::new("paused_time", "waits").timeout_ms(200);
    let payload = catch_unwind(AssertUnwindSafe(|| {
        entry::test(test, builder, async {
            // Real time only, which the paused clock never reaches.
            Timer::after(secs(30)).await;
        })
    }))
    .expect_err("the test must fail");
    assert!(panic_message(payload).contains("timed out after 200ms"));
    assert!(real.elapsed() < secs(10));
}

#[test]
fn task_ages_follow_the_paused_clock() {
    let mut runner = Builder::new().start_paused(true).debug(true).build();
    runner
        .run(async {
            let task = runner::spawn(std::future::pending::<()>());
            runner::sleep(secs(3600)).await;
            let tasks = runner::debug::tasks();
            let record = tasks.iter().find(|t| t.task.id != 0).expect("the task");
            assert!(record.age >= secs(3600), "{record}");
            assert!(record.age < secs(3700), "{record}");
            task.cancel().await;
        })
        .unwrap();
}

#[path = "support/channel.rs"]
mod async_channel;
