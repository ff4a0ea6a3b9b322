//! Ctrl-C and SIGTERM, end to end: real child processes, real signals (`kill -INT`,
//! `kill -TERM`), assertions on the exit status, the child's stdout, and timing.
//!
//! The child programs are this test binary itself, run again in "child mode": when
//! `RUNNER_CTRL_C_CHILD` names a scenario, `main` runs that scenario as the whole program, on the
//! process's main thread, which is where a run takes the signals. That is why this file has its
//! own small harness (`harness = false` in `Cargo.toml`): libtest runs every test on a thread of
//! its own, where no run takes a signal. The children are built by the same
//! `cargo test --test ctrl_c`, and the package ships no test-only binaries.
//!
//! Children print protocol lines starting with `@ ` and say `@ ready <pid>` before the parent
//! signals them; the parent waits for that line, never for a fixed time. Where a test needs to
//! know that a signal was delivered or that a disposition is in place, it reads
//! `/proc/<pid>/status` (Linux; elsewhere those checks are skipped).

fn main() {
    #[cfg(unix)]
    unix::main();
    // Said, so that a Windows run does not read as these tests passing there.
    #[cfg(not(unix))]
    println!("ctrl_c: 0 tests here, the signal tests are Unix's (windows_ctrl_c tests Windows)");
}

#[cfg(unix)]
mod unix {
    /// The tests for [`harness::run`], named after their functions.
    macro_rules! tests {
        ($($test:ident),* $(,)?) => {
            &[$((stringify!($test), $test as fn())),*]
        };
    }

    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, ExitStatus, Stdio};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use std::future::Future;
    use std::pin::Pin;

    use futures_lite::future;
    use runner::{signal::Signal, Runner};

    const SIGINT: i32 = 2;
    const SIGTERM: i32 = 15;
    const SCENARIO_VAR: &str = "RUNNER_CTRL_C_CHILD";
    /// Bound on anything the parent waits for: generous, for loaded machines; the latency test
    /// below measures the real figure.
    const PATIENCE: Duration = Duration::from_secs(10);
    /// Bound from the last signal to the child's exit.
    const EXIT_BOUND: Duration = Duration::from_secs(5);

    pub(crate) fn main() {
        if let Ok(scenario) = std::env::var(SCENARIO_VAR) {
            return child(&scenario);
        }
        if cfg!(target_os = "linux") && signal_in(std::process::id(), SIGINT, "SigIgn:") {
            eprintln!(
                "SIGINT is ignored in this test process (started in the background by a \
                 non-interactive shell, or under nohup?): its children inherit that, and runner \
                 leaves an ignored Ctrl-C alone by design, so these tests cannot pass; run them \
                 in the foreground"
            );
            std::process::exit(1);
        }
        harness::run(tests![
            first_ctrl_c_cancels_the_main_future_and_a_later_run_works,
            first_ctrl_c_cancels_the_main_future_with_worker_threads,
            ctrl_c_after_a_completed_run_kills_the_process,
            handler_is_removed_when_the_main_future_panics,
            interrupted_main_dies_by_sigint,
            interrupted_main_gives_the_shell_status_130,
            second_ctrl_c_kills_a_tight_loop,
            second_ctrl_c_kills_a_hung_cleanup,
            ignored_sigint_stays_ignored,
            ignored_sigint_is_reported_in_debug_mode,
            own_handler_is_reported_in_debug_mode,
            own_sigint_handler_is_kept,
            handler_installed_during_a_run_takes_over,
            run_goes_on_when_the_handler_cannot_be_installed,
            opting_out_leaves_the_default,
            a_run_on_another_thread_leaves_ctrl_c_to_the_program,
            a_run_on_another_thread_does_not_take_ctrl_c_from_the_main_thread,
            ctrl_c_future_replaces_the_cancellation,
            ctrl_c_future_in_a_task_replaces_the_cancellation,
            a_panicking_waker_of_a_ctrl_c_future_wakes_the_others,
            dropped_ctrl_c_future_leaves_the_cancellation,
            second_ctrl_c_kills_a_graceful_shutdown,
            a_new_run_starts_with_no_ctrl_c_seen,
            ctrl_c_futures_outside_the_owning_run_hold_nothing_back,
            sigterm_is_left_alone_by_default,
            sigterm_cancels_the_main_future_when_handled,
            sigterm_main_dies_by_sigterm,
            sigterm_main_gives_the_shell_status_143,
            second_sigterm_kills_a_hung_cleanup,
            ctrl_c_after_sigterm_kills_a_hung_cleanup,
            shutdown_signal_sees_sigterm_and_drains,
            shutdown_signal_sees_ctrl_c,
            ctrl_c_future_does_not_hold_back_sigterm,
            second_sigterm_kills_a_graceful_shutdown,
            ignored_sigterm_stays_ignored,
            own_sigterm_handler_is_kept,
            close_says_once_that_it_waits_for_blocking_jobs_after_ctrl_c,
            close_says_once_that_it_waits_for_blocking_jobs_after_sigterm,
            the_handler_keeps_errno,
            latency_from_sigint_to_exit,
        ]);
    }

    // ---------------------------------------------------------------------------------------------
    // The parent's side.

    fn first_ctrl_c_cancels_the_main_future_and_a_later_run_works() {
        first_ctrl_c_cancels("cleanup");
    }

    fn first_ctrl_c_cancels_the_main_future_with_worker_threads() {
        first_ctrl_c_cancels("cleanup_threads");
    }

    fn first_ctrl_c_cancels(scenario: &str) {
        let mut child = Child::spawn(scenario);
        child.disposition_is(Disposition::Caught);
        child.interrupt();
        let interrupted = Instant::now();
        child.expect("cleanup");
        child.expect(
            "run returned Err(the run was interrupted by Ctrl-C (SIGINT) (RunError::Interrupted))",
        );
        assert!(
            interrupted.elapsed() < EXIT_BOUND,
            "{:?}",
            interrupted.elapsed()
        );
        child.expect("second run returned Ok(7)");
        child.expect("idle");
        // After run returned, Ctrl-C kills the process again.
        child.disposition_is(Disposition::Default);
        child.interrupt();
        child.dies_by(SIGINT);
    }

    fn ctrl_c_after_a_completed_run_kills_the_process() {
        let mut child = Child::spawn("completed_run");
        child.expect("run returned Ok(())");
        child.expect("idle");
        child.disposition_is(Disposition::Default);
        child.interrupt();
        child.dies_by(SIGINT);
    }

    fn handler_is_removed_when_the_main_future_panics() {
        let mut child = Child::spawn("panic");
        child.expect("run panicked");
        child.expect("idle");
        child.disposition_is(Disposition::Default);
        child.interrupt();
        child.dies_by(SIGINT);
    }

    fn interrupted_main_dies_by_sigint() {
        main_dies_by("exit_interrupted", SIGINT);
    }

    fn interrupted_main_gives_the_shell_status_130() {
        main_gives_the_shell_status("exit_interrupted", SIGINT, 130);
    }

    fn main_dies_by(scenario: &str, signal: i32) {
        let mut child = Child::spawn(scenario);
        child.send(signal);
        child.expect("cleanup");
        child.dies_by(signal);
    }

    fn main_gives_the_shell_status(scenario: &str, signal: i32, status: i32) {
        // The shell does not exec the child, so that it can print `$?`; the child names its pid.
        let mut child = Child::spawn_in_shell(scenario, r#""$0" "$@"; echo "@ shell saw $?""#);
        child.send(signal);
        child.expect("cleanup");
        child.expect(&format!("shell saw {status}"));
        assert!(child.exits().success());
    }

    fn second_ctrl_c_kills_a_tight_loop() {
        let mut child = Child::spawn("tight_loop");
        child.interrupt();
        // The first one reached the handler, which cannot cancel a future that never yields.
        child.wait_until_delivered();
        child.disposition_is(Disposition::Caught);
        assert!(
            child.is_running(),
            "the first Ctrl-C must not kill the process"
        );
        child.interrupt();
        child.dies_by(SIGINT);
        assert!(!child.rest().contains(&"loop ended".to_owned()));
    }

    fn second_ctrl_c_kills_a_hung_cleanup() {
        second_signal_kills_a_hung_cleanup(SIGINT, SIGINT);
    }

    /// The hung cleanup's run handles SIGTERM too: each signal ends it.
    fn second_signal_kills_a_hung_cleanup(first: i32, second: i32) {
        let mut child = Child::spawn("hung_cleanup");
        child.send(first);
        child.expect("cleanup started");
        child.send(second);
        child.dies_by(second);
    }

    fn ignored_sigint_stays_ignored() {
        ignored_signal_stays_ignored(SIGINT, "INT");
    }

    /// The run (which would handle SIGTERM too) waits for a line on stdin.
    fn ignored_signal_stays_ignored(signal: i32, name: &str) {
        // As under `nohup`: the parent's disposition is SIG_IGN, inherited across exec.
        let trap = format!(r#"trap "" {name}; exec "$0" "$@""#);
        let mut child = Child::spawn_in_shell("wait_for_stdin", &trap);
        child.disposition_of_is(signal, Disposition::Ignored);
        // Discarded by the kernel when sent, since the disposition is ignore.
        child.send(signal);
        child.send_line("go");
        child.expect("got go");
        child.expect("run returned Ok(())");
        child.expect("idle");
        child.disposition_of_is(signal, Disposition::Ignored);
        child.send(signal);
        child.send_line("go");
        child.expect("done");
        assert!(child.exits().success());
    }

    /// Started with SIGINT ignored, as by `nohup`: in debug mode, `ctrl_c()` says once, with
    /// its line, that it will never resolve and why; with the default disposition it says
    /// nothing.
    fn ignored_sigint_is_reported_in_debug_mode() {
        let child = Child::spawn_in_shell("never_fires", r#"trap "" INT; exec "$0" "$@""#);
        let report = child.next_line();
        let called_at = child.next_line();
        let line = called_at.strip_prefix("called at line ").unwrap();
        assert_eq!(report, format!("report ctrl_c Ignored line {line}"));
        child.expect("run returned Ok(())");

        let child = Child::spawn("never_fires");
        assert!(child.next_line().starts_with("called at line "));
        child.expect("run returned Ok(())");
    }

    /// The program's own SIGINT handler, installed before the run: named in debug mode.
    fn own_handler_is_reported_in_debug_mode() {
        let child = Child::spawn("never_fires_own_handler");
        let report = child.next_line();
        let called_at = child.next_line();
        let line = called_at.strip_prefix("called at line ").unwrap();
        assert_eq!(report, format!("report ctrl_c ProgramHandler line {line}"));
        child.expect("run returned Ok(())");
    }

    fn own_sigint_handler_is_kept() {
        let mut child = Child::spawn("own_handler");
        for round in 1..=2 {
            child.disposition_is(Disposition::Caught);
            child.interrupt();
            child.expect(&format!("own handler got SIGINT in run {round}"));
            child.expect(&format!("run {round} returned Ok(())"));
            if round == 1 {
                child.expect_ready();
            }
        }
        assert!(child.exits().success());
    }

    fn handler_installed_during_a_run_takes_over() {
        let mut child = Child::spawn("own_handler_during_run");
        child.expect("own handler installed");
        child.interrupt();
        // Not cancelled: the program's handler replaced the run's, which steps aside.
        child.expect("own handler got SIGINT in run 1");
        child.expect("run 1 returned Ok(())");
        // Still the program's after the run.
        child.disposition_is(Disposition::Caught);
        child.expect("idle");
        child.interrupt();
        child.expect("own handler got SIGINT after the run");
        assert!(child.exits().success());
    }

    fn run_goes_on_when_the_handler_cannot_be_installed() {
        // The child uses up its file descriptors, so that the self-pipe cannot be made.
        let mut child = Child::spawn_in_shell("no_fds", r#"ulimit -n 64; exec "$0" "$@""#);
        child.disposition_is(Disposition::Default);
        child.interrupt();
        child.dies_by(SIGINT);
    }

    fn opting_out_leaves_the_default() {
        let mut child = Child::spawn("opt_out");
        child.disposition_is(Disposition::Default);
        child.interrupt();
        child.dies_by(SIGINT);
        assert!(
            child.rest().is_empty(),
            "no cleanup runs: {:?}",
            child.rest()
        );
    }

    fn a_run_on_another_thread_leaves_ctrl_c_to_the_program() {
        // A background thread's run on a long sleep, the main thread outside any run: Ctrl-C keeps
        // SIGINT's default disposition and ends the process; the run does not carry on.
        let mut child = Child::spawn("background_run");
        child.disposition_is(Disposition::Default);
        child.interrupt();
        child.dies_by(SIGINT);
        assert!(child.rest().is_empty(), "{:?}", child.rest());
    }

    fn a_run_on_another_thread_does_not_take_ctrl_c_from_the_main_thread() {
        // The background run starts first; still the main thread's run gets the Ctrl-C.
        let mut child = Child::spawn("two_runners");
        child.interrupt();
        child.expect("main cleanup");
        child.expect(
            "main returned Err(the run was interrupted by Ctrl-C (SIGINT) (RunError::Interrupted))",
        );
        child.expect("background returned Ok(())");
        assert!(child.exits().success());
    }

    fn ctrl_c_future_replaces_the_cancellation() {
        graceful_shutdown("graceful", SIGINT, "Interrupt");
    }

    fn graceful_shutdown(scenario: &str, signal: i32, seen: &str) {
        let mut child = Child::spawn(scenario);
        child.send(signal);
        child.expect(&format!("shutting down on {seen}"));
        child.expect("run returned Ok(42)");
        assert!(child.exits().success());
    }

    fn ctrl_c_future_in_a_task_replaces_the_cancellation() {
        let mut child = Child::spawn("graceful_task");
        child.interrupt();
        child.expect("task saw Ctrl-C");
        child.expect("run returned Ok(\"stopped by the task\")");
        assert!(child.exits().success());
    }

    /// A `CtrlC` polled by a waker that panics when woken (a hand-written combinator's): the panic
    /// is printed, and the run's other `CtrlC`, and the run, go on.
    fn a_panicking_waker_of_a_ctrl_c_future_wakes_the_others() {
        let mut child = Child::spawn("ctrl_c_panicking_waker");
        child.interrupt();
        child.expect("panicked: a waker that panics");
        child.expect("the other ctrl_c resolved");
        child.expect("run returned Ok(42)");
        assert!(child.exits().success());
    }

    fn dropped_ctrl_c_future_leaves_the_cancellation() {
        let mut child = Child::spawn("ctrl_c_dropped");
        child.interrupt();
        child.expect("cleanup");
        child.expect(
            "run returned Err(the run was interrupted by Ctrl-C (SIGINT) (RunError::Interrupted))",
        );
        assert!(child.exits().success());
    }

    fn second_ctrl_c_kills_a_graceful_shutdown() {
        second_signal_kills_a_graceful_shutdown("graceful_hangs", SIGINT, "Interrupt");
    }

    fn second_signal_kills_a_graceful_shutdown(scenario: &str, signal: i32, seen: &str) {
        let mut child = Child::spawn(scenario);
        child.send(signal);
        child.expect(&format!("shutting down on {seen}"));
        child.send(signal);
        child.dies_by(signal);
    }

    fn a_new_run_starts_with_no_ctrl_c_seen() {
        let mut child = Child::spawn("fresh_state");
        child.interrupt();
        child.expect("run 1 returned Err(the run was interrupted by Ctrl-C (SIGINT) (RunError::Interrupted))");
        // Polled once, a `CtrlC` that had seen a Ctrl-C would be ready.
        child.expect("run 2 (Ctrl-C not handled): ctrl_c() is pending");
        child.expect("run 3 (Ctrl-C handled): ctrl_c() is pending");
        child.expect_ready();
        // Run 3 still cancels on its own first Ctrl-C.
        child.interrupt();
        child.expect("cleanup");
        child.expect("run 4 returned Err(the run was interrupted by Ctrl-C (SIGINT) (RunError::Interrupted))");
        assert!(child.exits().success());
    }

    fn ctrl_c_futures_outside_the_owning_run_hold_nothing_back() {
        // Alive meanwhile: a `CtrlC` made on another thread outside any run, and one awaited in a
        // run on another thread (which owns no signal).
        let mut child = Child::spawn("foreign_ctrl_c");
        child.interrupt();
        child.expect("cleanup");
        child.expect(
            "main returned Err(the run was interrupted by Ctrl-C (SIGINT) (RunError::Interrupted))",
        );
        child.expect("the CtrlC made outside any run is pending");
        child.expect("background returned Ok(\"stopped by main\")");
        assert!(child.exits().success());
    }

    fn sigterm_is_left_alone_by_default() {
        let mut child = Child::spawn("sigterm_default");
        child.disposition_of_is(SIGTERM, Disposition::Default);
        child.terminate();
        child.dies_by(SIGTERM);
        assert!(
            child.rest().is_empty(),
            "no cleanup runs: {:?}",
            child.rest()
        );
    }

    fn sigterm_cancels_the_main_future_when_handled() {
        let mut child = Child::spawn("sigterm");
        child.disposition_of_is(SIGTERM, Disposition::Caught);
        child.disposition_is(Disposition::Caught);
        child.terminate();
        child.expect("cleanup");
        child.expect("run returned Err(the run was terminated by SIGTERM (RunError::Terminated))");
        child.expect("idle");
        // Both given back.
        child.disposition_of_is(SIGTERM, Disposition::Default);
        child.disposition_is(Disposition::Default);
        child.terminate();
        child.dies_by(SIGTERM);
    }

    fn sigterm_main_dies_by_sigterm() {
        main_dies_by("exit_terminated", SIGTERM);
    }

    fn sigterm_main_gives_the_shell_status_143() {
        main_gives_the_shell_status("exit_terminated", SIGTERM, 143);
    }

    fn second_sigterm_kills_a_hung_cleanup() {
        second_signal_kills_a_hung_cleanup(SIGTERM, SIGTERM);
    }

    fn ctrl_c_after_sigterm_kills_a_hung_cleanup() {
        second_signal_kills_a_hung_cleanup(SIGTERM, SIGINT);
    }

    fn shutdown_signal_sees_sigterm_and_drains() {
        graceful_shutdown("shutdown_signal", SIGTERM, "Terminate");
    }

    fn shutdown_signal_sees_ctrl_c() {
        graceful_shutdown("shutdown_signal", SIGINT, "Interrupt");
    }

    fn ctrl_c_future_does_not_hold_back_sigterm() {
        let mut child = Child::spawn("ctrl_c_then_sigterm");
        child.terminate();
        child.expect("cleanup");
        child.expect("run returned Err(the run was terminated by SIGTERM (RunError::Terminated))");
        assert!(child.exits().success());
    }

    fn second_sigterm_kills_a_graceful_shutdown() {
        second_signal_kills_a_graceful_shutdown("shutdown_signal_hangs", SIGTERM, "Terminate");
    }

    fn ignored_sigterm_stays_ignored() {
        ignored_signal_stays_ignored(SIGTERM, "TERM");
    }

    fn own_sigterm_handler_is_kept() {
        let mut child = Child::spawn("own_sigterm_handler");
        child.disposition_of_is(SIGTERM, Disposition::Caught);
        child.terminate();
        child.expect("own handler got SIGTERM");
        child.expect("run returned Ok(())");
        child.expect("idle");
        child.disposition_of_is(SIGTERM, Disposition::Caught);
        child.send_line("go");
        assert!(child.exits().success());
    }

    fn close_says_once_that_it_waits_for_blocking_jobs_after_ctrl_c() {
        close_says_once_that_it_waits(
            SIGINT,
            "the run was interrupted by Ctrl-C (SIGINT) (RunError::Interrupted)",
            "interrupted by Ctrl-C",
            "another Ctrl-C",
        );
    }

    fn close_says_once_that_it_waits_for_blocking_jobs_after_sigterm() {
        close_says_once_that_it_waits(
            SIGTERM,
            "the run was terminated by SIGTERM (RunError::Terminated)",
            "terminated by SIGTERM",
            "another SIGTERM",
        );
    }

    fn the_handler_keeps_errno() {
        if !cfg!(target_os = "linux") {
            return; // The child finds the self-pipe in /proc.
        }
        // The child's main thread sets `errno` and checks it in a loop, inside a run whose handler
        // cannot write its pipe (the program closed it): the handler's `write` fails with EBADF.
        let mut child = Child::spawn("errno");
        child.interrupt();
        child.wait_until_delivered();
        child.send_line("stop");
        child.expect("errno kept");
        assert!(child.exits().success());
    }

    fn close_says_once_that_it_waits(signal: i32, error: &str, cancelled: &str, again: &str) {
        let mut child = Child::spawn("blocking_after_signal");
        let first = child.next_line();
        let second = child.next_line();
        let jobs = [&first, &second].map(|line| {
            line.strip_prefix("job spawned at ")
                .unwrap_or_else(|| panic!("expected `job spawned at <line>`, got {line:?}"))
                .to_owned()
        });
        child.send(signal);
        child.expect(&format!("run returned Err({error})"));
        child.expect(&format!(
            "diagnostic: the run was {cancelled}; closing waits for 2 blocking jobs \
             (spawned at {}, {}) for at most 30.000 s; {again} ends the program now",
            jobs[0], jobs[1]
        ));
        // Say so once: the next signal ends the program with nothing more said.
        child.send(signal);
        child.dies_by(signal);
        assert!(child.rest().is_empty(), "{:?}", child.rest());
    }

    /// The time from SIGINT to exit of an idle program that exits the way `#[runner::main]` does,
    /// including the time to spawn `kill`. Prints the median of 20 runs
    /// (`cargo test --test ctrl_c latency -- --nocapture`); asserts only a bound that no working
    /// machine misses.
    fn latency_from_sigint_to_exit() {
        let mut latencies: Vec<Duration> = (0..20)
            .map(|_| {
                let mut child = Child::spawn("exit_interrupted");
                // From before `kill` starts: an upper bound (spawning `kill` is part of it).
                let sending = Instant::now();
                child.interrupt();
                child.dies_by(SIGINT);
                sending.elapsed()
            })
            .collect();
        latencies.sort();
        let median = latencies[latencies.len() / 2];
        println!(
            "SIGINT to exit, 20 runs: median {median:?}, min {:?}, max {:?}",
            latencies[0],
            latencies[latencies.len() - 1]
        );
        assert!(median < Duration::from_secs(1), "median {median:?}");
    }

    // ---------------------------------------------------------------------------------------------
    // The children's side.

    /// `#[runner::main]` on a function not named `main`: when Ctrl-C interrupts the body, the
    /// runner closes (the body's destructors run) and the process dies by SIGINT.
    #[runner::main]
    async fn interrupted_main() {
        let _cleanup = SayOnDrop("cleanup");
        say_ready();
        std::future::pending::<()>().await
    }

    /// The same with `sigterm = true`: SIGTERM cancels the body and the process dies by SIGTERM.
    #[runner::main(sigterm = true)]
    async fn terminated_main() {
        let _cleanup = SayOnDrop("cleanup");
        say_ready();
        std::future::pending::<()>().await
    }

    /// A debug run that makes `ctrl_c()` and says the report it got, if any, with the line.
    fn never_fires() {
        use runner::diagnostic::Diagnostic;
        let mut runner = Runner::builder()
            .debug(true)
            .on_diagnostic(|d| {
                if let Diagnostic::CtrlCNeverFires {
                    function,
                    called_at,
                    why,
                } = d
                {
                    say(format!(
                        "report {function} {why:?} line {}",
                        called_at.line()
                    ));
                }
            })
            .build();
        let result = runner.run(async {
            say_ready();
            let line = line!() + 1;
            let ctrl_c = runner::ctrl_c();
            say(format!("called at line {line}"));
            // Said once per run.
            drop((ctrl_c, runner::ctrl_c()));
        });
        say(format!("run returned {result:?}"));
    }

    /// The entry point of every child: runs `scenario` as the whole program, on the main thread.
    fn child(scenario: &str) {
        match scenario {
            "cleanup" | "cleanup_threads" => {
                let mut runner = match scenario {
                    "cleanup" => Runner::new(),
                    // SIGINT may land on any of them; a task keeps the workers waking up.
                    _ => Runner::builder().threads(3).build(),
                };
                let result = runner.run(async {
                    let _cleanup = SayOnDrop("cleanup");
                    runner::spawn(async {
                        loop {
                            runner::sleep(Duration::from_millis(1)).await;
                        }
                    })
                    .detach();
                    say_ready();
                    std::future::pending::<()>().await
                });
                say(format!("run returned {result:?}"));
                let again = runner.run(async { 7 });
                say(format!("second run returned {again:?}"));
                idle()
            }
            "completed_run" => {
                let result = runner::run(async {});
                say_ready();
                say(format!("run returned {result:?}"));
                idle()
            }
            "panic" => {
                std::panic::set_hook(Box::new(|_| {}));
                let result = std::panic::catch_unwind(|| runner::run(async { panic!("boom") }));
                assert!(result.is_err());
                say_ready();
                say("run panicked");
                idle()
            }
            "exit_interrupted" => interrupted_main(),
            "exit_terminated" => terminated_main(),
            "tight_loop" => {
                let _ = runner::run(async {
                    say_ready();
                    let start = Instant::now();
                    while start.elapsed() < Duration::from_secs(60) {
                        std::hint::spin_loop();
                    }
                    say("loop ended");
                });
            }
            "hung_cleanup" => {
                struct HangOnDrop;
                impl Drop for HangOnDrop {
                    fn drop(&mut self) {
                        say("cleanup started");
                        loop {
                            std::thread::park();
                        }
                    }
                }
                let mut runner = Runner::builder().handle_sigterm(true).build();
                let _ = runner.run(async {
                    let _cleanup = HangOnDrop;
                    say_ready();
                    std::future::pending::<()>().await
                });
            }
            "wait_for_stdin" => {
                let mut runner = Runner::builder().handle_sigterm(true).build();
                let result = runner.run(async {
                    say_ready();
                    let line = runner::spawn_blocking(read_line).await;
                    say(format!("got {line}"));
                });
                say(format!("run returned {result:?}"));
                say("idle");
                read_line();
                say("done");
            }
            "never_fires" => never_fires(),
            "never_fires_own_handler" => {
                let _own = async_signal::Signals::new([async_signal::Signal::Int]).unwrap();
                never_fires();
            }
            "own_handler" => {
                use futures_lite::StreamExt;
                // A run that took and gave back SIGINT, then the program's own handler (through
                // `signal-hook-registry`, which must install it now, not think it already did).
                runner::run(async {}).unwrap();
                let mut signals = async_signal::Signals::new([async_signal::Signal::Int]).unwrap();
                for round in 1..=2 {
                    let result = runner::run(async {
                        say_ready();
                        signals.next().await;
                        say(format!("own handler got SIGINT in run {round}"));
                    });
                    say(format!("run {round} returned {result:?}"));
                }
            }
            "own_handler_during_run" => {
                use futures_lite::StreamExt;
                let mut signals = None;
                let result = runner::run(async {
                    say_ready();
                    let signals = signals
                        .insert(async_signal::Signals::new([async_signal::Signal::Int]).unwrap());
                    say("own handler installed");
                    signals.next().await;
                    // Wait on the reactor once more: a run's handler, had it seen this SIGINT, has
                    // written its pipe before the program's handler returned, and this would be
                    // cancelled here.
                    runner::sleep(Duration::from_millis(10)).await;
                    say("own handler got SIGINT in run 1");
                });
                say(format!("run 1 returned {result:?}"));
                say("idle");
                futures_lite::future::block_on(signals.unwrap().next());
                say("own handler got SIGINT after the run");
            }
            "no_fds" => {
                // Start the reactor (global to the process) without taking SIGINT: a run
                // that waits for its timer parks the thread in async-io's reactor. The sleep is
                // made in the run, at its first poll: one made before could be over by then on
                // a loaded machine (worker threads to start first), and nothing would park.
                let mut warm_up = Runner::builder().handle_ctrl_c(false).build();
                warm_up
                    .run(async { runner::sleep(Duration::from_millis(20)).await })
                    .unwrap();
                // ...then leave no file descriptor for the self-pipe.
                let mut hoard = Vec::new();
                while let Ok(file) = std::fs::File::open("/dev/null") {
                    hoard.push(file);
                }
                let _ = runner::run(async {
                    say_ready();
                    std::future::pending::<()>().await
                });
            }
            "opt_out" => {
                let mut runner = Runner::builder().handle_ctrl_c(false).build();
                let _ = runner.run(async {
                    let _cleanup = SayOnDrop("cleanup");
                    say_ready();
                    std::future::pending::<()>().await
                });
                say("run returned");
            }
            "background_run" => {
                let (running, is_running) = mpsc::channel();
                let background = std::thread::spawn(move || {
                    let result = runner::run(async {
                        running.send(()).unwrap();
                        runner::sleep(Duration::from_secs(60)).await;
                    });
                    say(format!("background run returned {result:?}"));
                });
                is_running.recv().unwrap();
                say_ready();
                background.join().unwrap();
                say("joined");
            }
            "two_runners" => {
                let (running, is_running) = mpsc::channel();
                let (stop, stopped) = async_channel::bounded(1);
                let background = std::thread::spawn(move || {
                    let result = runner::run(async {
                        running.send(()).unwrap();
                        stopped.recv().await.unwrap();
                    });
                    say(format!("background returned {result:?}"));
                });
                // The background run is running (and would own SIGINT, were it allowed to).
                is_running.recv().unwrap();
                let result = runner::run(async {
                    let _cleanup = SayOnDrop("main cleanup");
                    say_ready();
                    std::future::pending::<()>().await
                });
                say(format!("main returned {result:?}"));
                stop.send_blocking(()).unwrap();
                background.join().unwrap();
            }
            "graceful_task" => {
                let result = runner::run(async {
                    let (stop, stopped) = async_channel::bounded(1);
                    let (listening, is_listening) = async_channel::bounded(1);
                    runner::spawn(async move {
                        let ctrl_c = runner::ctrl_c();
                        listening.send(()).await.unwrap();
                        ctrl_c.await;
                        say("task saw Ctrl-C");
                        stop.send("stopped by the task").await.unwrap();
                    })
                    .detach();
                    is_listening.recv().await.unwrap();
                    say_ready();
                    stopped.recv().await.unwrap()
                });
                say(format!("run returned {result:?}"));
            }
            "ctrl_c_panicking_waker" => {
                struct PanicsOnWake;
                impl std::task::Wake for PanicsOnWake {
                    fn wake(self: std::sync::Arc<Self>) {
                        panic!("a waker that panics");
                    }
                }
                std::panic::set_hook(Box::new(|info| {
                    let message = info.payload().downcast_ref::<&str>().copied();
                    say(format!("panicked: {}", message.unwrap_or("?")));
                }));
                let result = runner::run(async {
                    let mut first = Box::pin(runner::ctrl_c());
                    let waker = std::task::Waker::from(std::sync::Arc::new(PanicsOnWake));
                    let polled = first
                        .as_mut()
                        .poll(&mut std::task::Context::from_waker(&waker));
                    assert!(polled.is_pending());
                    let other = runner::ctrl_c();
                    say_ready();
                    other.await;
                    say("the other ctrl_c resolved");
                    // The runner works on.
                    runner::sleep(Duration::from_millis(1)).await;
                    runner::spawn(async { 42 }).await
                });
                say(format!("run returned {result:?}"));
            }
            "ctrl_c_dropped" => {
                let result = runner::run(async {
                    let _cleanup = SayOnDrop("cleanup");
                    drop(runner::ctrl_c());
                    say_ready();
                    std::future::pending::<()>().await
                });
                say(format!("run returned {result:?}"));
            }
            "fresh_state" => {
                let result = runner::run(async {
                    say_ready();
                    std::future::pending::<()>().await
                });
                say(format!("run 1 returned {result:?}"));
                let pending = |run: &'static str| async move {
                    let state = match future::poll_once(runner::ctrl_c()).await {
                        Some(()) => "ready",
                        None => "pending",
                    };
                    say(format!("{run}: ctrl_c() is {state}"));
                };
                let mut off = Runner::builder().handle_ctrl_c(false).build();
                off.run(pending("run 2 (Ctrl-C not handled)")).unwrap();
                runner::run(pending("run 3 (Ctrl-C handled)")).unwrap();
                let result = runner::run(async {
                    let _cleanup = SayOnDrop("cleanup");
                    say_ready();
                    std::future::pending::<()>().await
                });
                say(format!("run 4 returned {result:?}"));
            }
            "foreign_ctrl_c" => {
                let outside = std::thread::spawn(runner::ctrl_c).join().unwrap();
                let (listening, is_listening) = mpsc::channel();
                let (stop, stopped) = async_channel::bounded(1);
                let background = std::thread::spawn(move || {
                    runner::run(async {
                        let ctrl_c = runner::ctrl_c();
                        listening.send(()).unwrap();
                        future::or(
                            async {
                                ctrl_c.await;
                                "Ctrl-C"
                            },
                            async { stopped.recv().await.unwrap() },
                        )
                        .await
                    })
                });
                is_listening.recv().unwrap();
                let result = runner::run(async {
                    let _cleanup = SayOnDrop("cleanup");
                    say_ready();
                    std::future::pending::<()>().await
                });
                say(format!("main returned {result:?}"));
                let state = match future::block_on(future::poll_once(outside)) {
                    Some(()) => "ready",
                    None => "pending",
                };
                say(format!("the CtrlC made outside any run is {state}"));
                stop.send_blocking("stopped by main").unwrap();
                say(format!(
                    "background returned {:?}",
                    background.join().unwrap()
                ));
            }
            "sigterm_default" => {
                let _ = runner::run(async {
                    let _cleanup = SayOnDrop("cleanup");
                    say_ready();
                    std::future::pending::<()>().await
                });
                say("run returned");
            }
            "sigterm" => {
                let mut runner = Runner::builder().handle_sigterm(true).build();
                let result = runner.run(async {
                    let _cleanup = SayOnDrop("cleanup");
                    say_ready();
                    std::future::pending::<()>().await
                });
                say(format!("run returned {result:?}"));
                idle()
            }
            "graceful" | "graceful_hangs" | "shutdown_signal" | "shutdown_signal_hangs" => {
                let mut runner = Runner::builder().handle_sigterm(true).build();
                let result = runner.run(async {
                    let stop: Pin<Box<dyn Future<Output = Signal>>> =
                        if scenario.starts_with("graceful") {
                            let ctrl_c = runner::ctrl_c();
                            Box::pin(async {
                                ctrl_c.await;
                                Signal::Interrupt
                            })
                        } else {
                            Box::pin(runner::signal::shutdown_signal())
                        };
                    say_ready();
                    let signal = stop.await;
                    say(format!("shutting down on {signal:?}"));
                    if scenario.ends_with("_hangs") {
                        std::future::pending::<()>().await;
                    }
                    runner::sleep(Duration::from_millis(1)).await;
                    42
                });
                say(format!("run returned {result:?}"));
            }
            "ctrl_c_then_sigterm" => {
                let mut runner = Runner::builder().handle_sigterm(true).build();
                let result = runner.run(async {
                    let _cleanup = SayOnDrop("cleanup");
                    let ctrl_c = runner::ctrl_c();
                    say_ready();
                    ctrl_c.await;
                    say("ctrl_c() resolved");
                });
                say(format!("run returned {result:?}"));
            }
            "own_sigterm_handler" => {
                use futures_lite::StreamExt;
                let mut signals = async_signal::Signals::new([async_signal::Signal::Term]).unwrap();
                let mut runner = Runner::builder().handle_sigterm(true).build();
                let result = runner.run(async {
                    say_ready();
                    signals.next().await;
                    say("own handler got SIGTERM");
                });
                say(format!("run returned {result:?}"));
                say("idle");
                read_line();
            }
            "errno" => {
                use std::io::Error;
                use std::os::fd::{FromRawFd, OwnedFd};
                use std::sync::atomic::{AtomicBool, Ordering};

                // A first run makes the self-pipe, the process's only sockets; a program that
                // closes descriptors it did not open (as daemons do) closes it.
                runner::run(async {}).unwrap();
                for entry in std::fs::read_dir("/proc/self/fd").unwrap() {
                    let path = entry.unwrap().path();
                    let is_socket = std::fs::read_link(&path)
                        .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
                    if is_socket {
                        let fd = path.file_name().unwrap().to_str().unwrap().parse().unwrap();
                        // SAFETY: nothing else uses this descriptor any more (the runner's pipe
                        // is broken on purpose: its handler's write now fails).
                        drop(unsafe { OwnedFd::from_raw_fd(fd) });
                    }
                }
                static STOP: AtomicBool = AtomicBool::new(false);
                std::thread::spawn(|| {
                    read_line();
                    STOP.store(true, Ordering::SeqCst);
                });
                let not_found = || std::fs::File::open("/nonexistent/runner").unwrap_err();
                let expected = not_found().raw_os_error();
                // The loop never yields: the run's Ctrl-C handling only ever runs in the handler.
                let changed = runner::run(async {
                    say_ready();
                    let mut changed = 0;
                    while !STOP.load(Ordering::SeqCst) {
                        // `errno` = ENOENT, then a stretch in which the handler may run.
                        let _ = not_found();
                        for _ in 0..1000 {
                            std::hint::spin_loop();
                        }
                        if Error::last_os_error().raw_os_error() != expected {
                            changed += 1;
                        }
                    }
                    changed
                })
                .unwrap();
                match changed {
                    0 => say("errno kept"),
                    n => say(format!("errno changed {n} times")),
                }
            }
            "blocking_after_signal" => {
                /// Spawns a job that never ends; returns where it was spawned, as the runner sees
                /// it.
                #[track_caller]
                fn endless_job() -> &'static std::panic::Location<'static> {
                    runner::spawn_blocking(|| loop {
                        std::thread::park();
                    })
                    .detach();
                    std::panic::Location::caller()
                }
                let mut runner = Runner::builder()
                    .handle_sigterm(true)
                    .shutdown_timeout(Duration::from_secs(30))
                    .on_diagnostic(|d| say(format!("diagnostic: {d}")))
                    .build();
                let result = runner.run(async {
                    let jobs = [endless_job(), endless_job()];
                    say_ready();
                    for job in jobs {
                        say(format!("job spawned at {job}"));
                    }
                    std::future::pending::<()>().await
                });
                say(format!("run returned {result:?}"));
                runner.close();
                say("closed");
            }
            other => panic!("unknown scenario {other}"),
        }
    }

    fn say(line: impl std::fmt::Display) {
        println!("@ {line}");
    }

    fn say_ready() {
        say(format!("ready {}", std::process::id()));
    }

    /// Says it is idle, then blocks (outside any run) until a signal ends the process.
    fn idle() -> ! {
        say("idle");
        loop {
            std::thread::park();
        }
    }

    fn read_line() -> String {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).unwrap();
        line.trim().to_owned()
    }

    struct SayOnDrop(&'static str);

    impl Drop for SayOnDrop {
        fn drop(&mut self) {
            say(self.0);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Driving a child.

    struct Child {
        process: std::process::Child,
        /// The pid that the child said in its ready line (the process to signal).
        pid: u32,
        lines: mpsc::Receiver<String>,
        status: Option<ExitStatus>,
    }

    #[derive(Debug, PartialEq, Eq)]
    enum Disposition {
        Default,
        Ignored,
        Caught,
    }

    impl Child {
        fn spawn(scenario: &str) -> Child {
            Child::start(Command::new(std::env::current_exe().unwrap()), scenario)
        }

        /// Runs the child through `sh -c script`, where `"$0" "$@"` is the child's command line.
        fn spawn_in_shell(scenario: &str, script: &str) -> Child {
            let mut shell = Command::new("sh");
            shell
                .arg("-c")
                .arg(script)
                .arg(std::env::current_exe().unwrap());
            Child::start(shell, scenario)
        }

        fn start(mut command: Command, scenario: &str) -> Child {
            let mut process = command
                .env(SCENARIO_VAR, scenario)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let stdout = BufReader::new(process.stdout.take().unwrap());
            let (tx, lines) = mpsc::channel();
            std::thread::spawn(move || {
                for line in stdout.lines() {
                    let Ok(line) = line else { break };
                    if let Some(at) = line.find("@ ") {
                        if tx.send(line[at + 2..].to_owned()).is_err() {
                            break;
                        }
                    }
                }
            });
            let mut child = Child {
                process,
                pid: 0,
                lines,
                status: None,
            };
            child.expect_ready();
            child
        }

        fn next_line(&self) -> String {
            self.lines
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|e| panic!("no line from the child within {PATIENCE:?}: {e}"))
        }

        fn expect(&self, expected: &str) {
            assert_eq!(self.next_line(), expected);
        }

        fn expect_ready(&mut self) {
            let line = self.next_line();
            let pid = line.strip_prefix("ready ");
            self.pid = pid
                .and_then(|pid| pid.parse().ok())
                .unwrap_or_else(|| panic!("expected `ready <pid>`, got {line:?}"));
        }

        /// Ctrl-C, as a terminal sends it: SIGINT from outside, through `kill`.
        fn interrupt(&self) {
            self.send(SIGINT);
        }

        /// SIGTERM, as a supervisor sends it, through `kill`.
        fn terminate(&self) {
            self.send(SIGTERM);
        }

        fn send(&self, signal: i32) {
            let status = Command::new("sh")
                .args(["-c", "kill -s \"$0\" \"$1\""])
                .arg(if signal == SIGTERM { "TERM" } else { "INT" })
                .arg(self.pid.to_string())
                .status()
                .unwrap();
            assert!(status.success(), "kill {signal} {} failed", self.pid);
        }

        fn send_line(&mut self, line: &str) {
            let stdin = self.process.stdin.as_mut().unwrap();
            writeln!(stdin, "{line}").unwrap();
            stdin.flush().unwrap();
        }

        fn is_running(&mut self) -> bool {
            self.process.try_wait().unwrap().is_none()
        }

        /// Waits for the child to exit, at most `EXIT_BOUND`.
        fn exits(&mut self) -> ExitStatus {
            if let Some(status) = self.status {
                return status;
            }
            let deadline = Instant::now() + EXIT_BOUND;
            loop {
                if let Some(status) = self.process.try_wait().unwrap() {
                    self.status = Some(status);
                    return status;
                }
                assert!(
                    Instant::now() < deadline,
                    "the child did not exit within {EXIT_BOUND:?}"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
        }

        fn dies_by(&mut self, signal: i32) {
            let status = self.exits();
            assert_eq!(
                status.signal(),
                Some(signal),
                "expected death by signal {signal}, got {status:?}"
            );
        }

        /// The protocol lines the child printed that were not read yet (once it has exited).
        fn rest(&mut self) -> Vec<String> {
            self.exits();
            self.lines.try_iter().collect()
        }

        /// Waits until no SIGINT is pending for the child, so the handler has run.
        fn wait_until_delivered(&self) {
            if cfg!(target_os = "linux") {
                let deadline = Instant::now() + PATIENCE;
                while signal_in(self.pid, SIGINT, "ShdPnd:")
                    || signal_in(self.pid, SIGINT, "SigPnd:")
                {
                    assert!(Instant::now() < deadline, "SIGINT still pending");
                    std::thread::sleep(Duration::from_millis(1));
                }
            } else {
                // No portable way to look; delivery takes microseconds.
                std::thread::sleep(Duration::from_millis(200));
            }
        }

        /// Asserts SIGINT's disposition in the child (Linux only; elsewhere a no-op).
        fn disposition_is(&self, expected: Disposition) {
            self.disposition_of_is(SIGINT, expected);
        }

        /// Asserts `signal`'s disposition in the child (Linux only; elsewhere a no-op).
        fn disposition_of_is(&self, signal: i32, expected: Disposition) {
            if !cfg!(target_os = "linux") {
                return;
            }
            let actual = match (
                signal_in(self.pid, signal, "SigIgn:"),
                signal_in(self.pid, signal, "SigCgt:"),
            ) {
                (true, _) => Disposition::Ignored,
                (false, true) => Disposition::Caught,
                (false, false) => Disposition::Default,
            };
            assert_eq!(
                actual, expected,
                "signal {signal}'s disposition in the child"
            );
        }
    }

    impl Drop for Child {
        fn drop(&mut self) {
            // A failed test must not leave its child behind.
            if self.status.is_none() {
                let _ = self.process.kill();
                let _ = self.process.wait();
            }
        }
    }

    /// Whether `signal` is in the signal mask `field` of `/proc/<pid>/status`.
    fn signal_in(pid: u32, signal: i32, field: &str) -> bool {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let mask = status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
        let mask = u64::from_str_radix(mask.trim(), 16).unwrap();
        mask & (1 << (signal - 1)) != 0
    }

    // ---------------------------------------------------------------------------------------------
    // The harness.

    /// What this file needs of libtest: runs the tests whose names contain one of the arguments
    /// (all without one; `--exact` for whole names), one after another (each spawns children,
    /// and the latency test wants a quiet machine), and prints libtest's summary line.
    mod harness {
        use std::panic::{catch_unwind, AssertUnwindSafe};
        use std::time::Instant;

        /// libtest's options that take a value, so that the value is not taken for a filter.
        const WITH_VALUE: &[&str] = &[
            "--test-threads",
            "--skip",
            "--color",
            "--format",
            "--logfile",
        ];

        pub(crate) fn run(tests: &[(&str, fn())]) {
            let mut filters = Vec::new();
            let (mut exact, mut list, mut skip_value) = (false, false, false);
            for arg in std::env::args().skip(1) {
                match arg.as_str() {
                    _ if std::mem::take(&mut skip_value) => {}
                    "--exact" => exact = true,
                    "--list" => list = true,
                    option if WITH_VALUE.contains(&option) => skip_value = true,
                    option if option.starts_with('-') => {}
                    _ => filters.push(arg),
                }
            }
            let selected: Vec<&(&str, fn())> = tests
                .iter()
                .filter(|(name, _)| {
                    filters.is_empty()
                        || filters.iter().any(|f| {
                            if exact {
                                name == f
                            } else {
                                name.contains(f.as_str())
                            }
                        })
                })
                .collect();
            if list {
                for (name, _) in &selected {
                    println!("{name}: test");
                }
                return;
            }
            println!("\nrunning {} tests", selected.len());
            let start = Instant::now();
            let mut failed = Vec::new();
            for (name, test) in &selected {
                let passed = catch_unwind(AssertUnwindSafe(test)).is_ok();
                println!("test {name} ... {}", if passed { "ok" } else { "FAILED" });
                if !passed {
                    failed.push(*name);
                }
            }
            if !failed.is_empty() {
                println!("\nfailures:");
                for name in &failed {
                    println!("    {name}");
                }
            }
            println!(
                "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; \
             finished in {:.2}s\n",
                if failed.is_empty() { "ok" } else { "FAILED" },
                selected.len() - failed.len(),
                failed.len(),
                tests.len() - selected.len(),
                start.elapsed().as_secs_f64(),
            );
            if !failed.is_empty() {
                std::process::exit(101);
            }
        }
    }
}
