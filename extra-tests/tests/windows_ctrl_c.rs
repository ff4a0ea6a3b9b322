//! Ctrl-C on Windows, end to end: real Windows programs run under wine, sent real SIGINTs,
//! which wine turns into `CTRL_C_EVENT` for the program. Assertions on the exit code and the
//! child's stdout.
//!
//! This file is two programs. Built for Windows, it is the child: `RUNNER_CTRL_C_CHILD` names
//! a scenario, which `main` runs as the whole program, on its main thread (hence
//! `harness = false`). Built for Linux, it is the parent: it runs the Windows build (the
//! `.exe` that `RUNNER_WINDOWS_CTRL_C_EXE` names) under wine (`RUNNER_WINE`, by default
//! `/usr/lib/wine/wine64`), and signals it with `kill`. A Windows test under wine can neither
//! signal a child nor use `GenerateConsoleCtrlEvent`, so the parent is on the Linux side;
//! `.ci/run` builds the `.exe` and sets both variables. Without them the parent says it skipped,
//! and fails if `RUNNER_CI_ALL_PLATFORMS=1` (CI that must check every platform).
//!
//! Only SIGINT becomes a console event under wine: Break and close are tested by calling the
//! handler routine in `runner-core`'s own Windows tests.
//!
//! The exit code `STATUS_CONTROL_C_EXIT` (0xC000013A) reads as 58 (its low byte) under wine.

fn main() {
    #[cfg(windows)]
    child::main();
    #[cfg(unix)]
    parent::main();
}

/// The child scenarios print protocol lines starting with `@ `, and `@ ready` once the run has
/// taken Ctrl-C.
#[cfg(windows)]
mod child {
    use std::time::Duration;

    use runner::diagnostic::Diagnostic;
    use runner::Runner;

    pub(crate) fn main() {
        let Ok(scenario) = std::env::var("RUNNER_CTRL_C_CHILD") else {
            println!("windows_ctrl_c: the child programs; the Linux build runs them under wine");
            return;
        };
        match scenario.as_str() {
            "interrupted_main" => interrupted_main(),
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
                let _ = runner::run(async {
                    let _hang = HangOnDrop;
                    say("ready");
                    std::future::pending::<()>().await
                });
            }
            "ctrl_c_future" => {
                let result = runner::run(async {
                    let ctrl_c = runner::ctrl_c();
                    say("ready");
                    ctrl_c.await;
                    say("ctrl_c resolved");
                    5
                });
                say(format!("run returned {result:?}"));
            }
            "opted_out" => {
                let mut runner = Runner::builder().handle_ctrl_c(false).build();
                let result = runner.run(async {
                    let _cleanup = SayOnDrop("cleanup");
                    say("ready");
                    std::future::pending::<()>().await
                });
                say(format!("run returned {result:?}"));
            }
            "after_the_run" => {
                runner::run(async {}).unwrap();
                say("ready");
                loop {
                    std::thread::park();
                }
            }
            "ignore_flag" => {
                // As a process started with CREATE_NEW_PROCESS_GROUP.
                // SAFETY: a null routine with TRUE only sets the process's ignore-Ctrl-C flag.
                #[allow(unsafe_code)]
                let set =
                    unsafe { windows_sys::Win32::System::Console::SetConsoleCtrlHandler(None, 1) };
                assert_ne!(set, 0);
                let mut runner = Runner::builder()
                    .debug(true)
                    .on_diagnostic(|d| {
                        if let Diagnostic::CtrlCNeverFires { why, .. } = d {
                            say(format!("report {why:?}"));
                        }
                    })
                    .build();
                let result = runner.run(async {
                    let _ctrl_c = runner::ctrl_c();
                    say("ready");
                    // Long enough for the parent's SIGINT to arrive and be ignored.
                    runner::sleep(Duration::from_secs(2)).await;
                    "slept"
                });
                say(format!("run returned {result:?}"));
            }
            other => panic!("no scenario {other:?}"),
        }
    }

    /// Cancelled by Ctrl-C: the body's destructors run, then the process exits as a console
    /// program ended by Ctrl-C does.
    #[runner::main]
    async fn interrupted_main() {
        let _cleanup = SayOnDrop("cleanup");
        say("ready");
        std::future::pending::<()>().await
    }

    fn say(line: impl std::fmt::Display) {
        println!("@ {line}");
    }

    struct SayOnDrop(&'static str);

    impl Drop for SayOnDrop {
        fn drop(&mut self) {
            say(self.0);
        }
    }
}

#[cfg(unix)]
mod parent {
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// Generous: wine starts slowly on a busy machine.
    const PATIENCE: Duration = Duration::from_secs(60);
    /// `STATUS_CONTROL_C_EXIT` as wine reports it: its low byte.
    const CONTROL_C_EXIT: i32 = 0x3A;
    /// The exit code of a process that Windows' default routine ends on Ctrl-C, as wine 8
    /// reports it (on Windows it is `STATUS_CONTROL_C_EXIT`); a program that handled the event
    /// would say more lines instead.
    const DEFAULT_ROUTINE_EXIT: i32 = 0;

    /// A test: its name and its function.
    type Test = (&'static str, fn(&Wine));

    pub(crate) fn main() {
        let Some(exe) = std::env::var_os("RUNNER_WINDOWS_CTRL_C_EXE") else {
            let message = "windows_ctrl_c: SKIPPED, no Windows build to run under wine \
                           (RUNNER_WINDOWS_CTRL_C_EXE is unset; .ci/run sets it)";
            if std::env::var("RUNNER_CI_ALL_PLATFORMS").as_deref() == Ok("1") {
                panic!("{message}, and RUNNER_CI_ALL_PLATFORMS=1");
            }
            println!("{message}");
            return;
        };
        let wine = std::env::var_os("RUNNER_WINE").unwrap_or("/usr/lib/wine/wine64".into());
        let tests: &[Test] = &[
            (
                "main_cancels_runs_destructors_and_exits_interrupted",
                main_cancels_runs_destructors_and_exits_interrupted,
            ),
            ("second_ctrl_c_exits_at_once", second_ctrl_c_exits_at_once),
            ("ctrl_c_future_resolves", ctrl_c_future_resolves),
            (
                "opting_out_leaves_the_default",
                opting_out_leaves_the_default,
            ),
            (
                "after_the_run_ctrl_c_ends_the_process_by_default",
                after_the_run_ctrl_c_ends_the_process_by_default,
            ),
            (
                "the_ignore_flag_is_respected_and_reported",
                the_ignore_flag_is_respected_and_reported,
            ),
        ];
        let filters: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .collect();
        let wine = Wine {
            wine: wine.into(),
            exe: exe.into(),
        };
        let mut failed = Vec::new();
        for (name, test) in tests {
            if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
                continue;
            }
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| test(&wine));
            let verdict = if outcome.is_ok() { "ok" } else { "FAILED" };
            println!(
                "test {name} ... {verdict} ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
            if outcome.is_err() {
                failed.push(*name);
            }
        }
        assert!(failed.is_empty(), "failed: {failed:?}");
    }

    fn main_cancels_runs_destructors_and_exits_interrupted(wine: &Wine) {
        let mut child = wine.spawn("interrupted_main");
        child.interrupt();
        child.expect("cleanup");
        assert_eq!(child.exit_code(), CONTROL_C_EXIT);
    }

    fn second_ctrl_c_exits_at_once(wine: &Wine) {
        let mut child = wine.spawn("hung_cleanup");
        child.interrupt();
        child.expect("cleanup started");
        let second = Instant::now();
        child.interrupt();
        assert_eq!(child.exit_code(), CONTROL_C_EXIT);
        assert!(
            second.elapsed() < Duration::from_secs(10),
            "{:?}",
            second.elapsed()
        );
    }

    fn ctrl_c_future_resolves(wine: &Wine) {
        let mut child = wine.spawn("ctrl_c_future");
        child.interrupt();
        child.expect("ctrl_c resolved");
        child.expect("run returned Ok(5)");
        assert_eq!(child.exit_code(), 0);
    }

    fn opting_out_leaves_the_default(wine: &Wine) {
        let mut child = wine.spawn("opted_out");
        child.interrupt();
        // Windows' default routine ends the process at once: no destructor runs, `run` does not
        // return.
        assert_eq!(child.exit_code(), DEFAULT_ROUTINE_EXIT);
        assert_eq!(child.rest(), Vec::<String>::new());
    }

    fn after_the_run_ctrl_c_ends_the_process_by_default(wine: &Wine) {
        let mut child = wine.spawn("after_the_run");
        child.interrupt();
        // Ended by the default routine, which only ends a process that no routine took the
        // event from.
        assert_eq!(child.exit_code(), DEFAULT_ROUTINE_EXIT);
    }

    fn the_ignore_flag_is_respected_and_reported(wine: &Wine) {
        let mut child = wine.spawn_after("ignore_flag", "report Ignored");
        child.interrupt();
        child.expect("run returned Ok(\"slept\")");
        assert_eq!(child.exit_code(), 0);
    }

    struct Wine {
        wine: std::path::PathBuf,
        exe: std::path::PathBuf,
    }

    impl Wine {
        /// Starts `scenario` and waits for its `ready` line.
        fn spawn(&self, scenario: &str) -> Running {
            self.spawn_after(scenario, "")
        }

        /// Starts `scenario` and waits for `before` (unless empty), then its `ready` line.
        fn spawn_after(&self, scenario: &str, before: &str) -> Running {
            let mut process = Command::new(&self.wine)
                .arg(&self.exe)
                .env("RUNNER_CTRL_C_CHILD", scenario)
                .env("WINEDEBUG", "-all")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", self.wine));
            let stdout = BufReader::new(process.stdout.take().unwrap());
            let (tx, lines) = mpsc::channel();
            std::thread::spawn(move || {
                for line in stdout.lines() {
                    let Ok(line) = line else { break };
                    if let Some(line) = line.trim_end().strip_prefix("@ ") {
                        if tx.send(line.to_owned()).is_err() {
                            break;
                        }
                    }
                }
            });
            let child = Running { process, lines };
            if !before.is_empty() {
                child.expect(before);
            }
            child.expect("ready");
            child
        }
    }

    struct Running {
        process: Child,
        lines: mpsc::Receiver<String>,
    }

    impl Running {
        fn expect(&self, expected: &str) {
            let line = self
                .lines
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|e| panic!("expected {expected:?}, no line: {e}"));
            assert_eq!(line, expected);
        }

        /// SIGINT to the wine process, which wine turns into `CTRL_C_EVENT`.
        fn interrupt(&self) {
            let status = Command::new("kill")
                .args(["-INT", &self.process.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
        }

        /// Waits (at most `PATIENCE`) for the exit; its code.
        fn exit_code(&mut self) -> i32 {
            let deadline = Instant::now() + PATIENCE;
            loop {
                if let Some(status) = self.process.try_wait().unwrap() {
                    return status
                        .code()
                        .unwrap_or_else(|| panic!("ended by a signal: {status:?}"));
                }
                if Instant::now() > deadline {
                    let _ = self.process.kill();
                    panic!("still running after {PATIENCE:?}");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        /// The lines said after the last one read, once the child has exited: all in the pipe
        /// by then (a wineserver that inherited the pipe may keep it open, so no end is awaited).
        fn rest(&self) -> Vec<String> {
            std::iter::from_fn(|| self.lines.recv_timeout(Duration::from_millis(500)).ok())
                .collect()
        }
    }

    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
    }
}
