//! Ctrl-C, end to end: real child processes, real SIGINTs (`kill -INT`), assertions on the exit
//! status, the child's stdout, and timing.
//!
//! The child programs are this test binary itself, run again in "child mode": [`child`] is an
//! ordinary test that does nothing unless `RUNNER_CTRL_C_CHILD` names a scenario, and then runs
//! that scenario as the whole program (`--exact child --nocapture`). So the children are built by
//! the same `cargo test --test ctrl_c`, and the package ships no test-only binaries.
//!
//! Children print protocol lines starting with `@ ` (the test harness prints lines of its own) and
//! say `@ ready <pid>` before the parent signals them; the parent waits for that line, never for a
//! fixed time. Where a test needs to know that a signal was delivered or that a disposition is in
//! place, it reads `/proc/<pid>/status` (Linux; elsewhere those checks are skipped).

#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use runner::Runner;

const SIGINT: i32 = 2;
const SCENARIO_VAR: &str = "RUNNER_CTRL_C_CHILD";
/// Bound on anything the parent waits for: generous, for loaded machines; the latency test below
/// measures the real figure.
const PATIENCE: Duration = Duration::from_secs(10);
/// Bound from the last SIGINT to the child's exit.
const EXIT_BOUND: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// The parent's side.

#[test]
fn first_ctrl_c_cancels_the_main_future_and_a_later_run_works() {
    first_ctrl_c_cancels("cleanup");
}

#[test]
fn first_ctrl_c_cancels_the_main_future_with_worker_threads() {
    first_ctrl_c_cancels("cleanup_threads");
}

fn first_ctrl_c_cancels(scenario: &str) {
    let mut child = Child::spawn(scenario);
    child.disposition_is(Disposition::Caught);
    child.interrupt();
    let interrupted = Instant::now();
    child.expect("cleanup");
    child.expect("run returned Err(Interrupted)");
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
    child.dies_by_sigint();
}

#[test]
fn ctrl_c_after_a_completed_run_kills_the_process() {
    let mut child = Child::spawn("completed_run");
    child.expect("run returned Ok(())");
    child.expect("idle");
    child.disposition_is(Disposition::Default);
    child.interrupt();
    child.dies_by_sigint();
}

#[test]
fn handler_is_removed_when_the_main_future_panics() {
    let mut child = Child::spawn("panic");
    child.expect("run panicked");
    child.expect("idle");
    child.disposition_is(Disposition::Default);
    child.interrupt();
    child.dies_by_sigint();
}

#[test]
fn interrupted_main_dies_by_sigint() {
    let mut child = Child::spawn("exit_interrupted");
    child.interrupt();
    child.expect("cleanup");
    child.dies_by_sigint();
}

#[test]
fn interrupted_main_gives_the_shell_status_130() {
    // The shell does not exec the child, so that it can print `$?`; the child names its pid.
    let mut child =
        Child::spawn_in_shell("exit_interrupted", r#""$0" "$@"; echo "@ shell saw $?""#);
    child.interrupt();
    child.expect("cleanup");
    child.expect("shell saw 130");
    assert!(child.exits().success());
}

#[test]
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
    child.dies_by_sigint();
    assert!(!child.rest().contains(&"loop ended".to_owned()));
}

#[test]
fn second_ctrl_c_kills_a_hung_cleanup() {
    let mut child = Child::spawn("hung_cleanup");
    child.interrupt();
    child.expect("cleanup started");
    child.interrupt();
    child.dies_by_sigint();
}

#[test]
fn ignored_sigint_stays_ignored() {
    // As under `nohup`: the parent's disposition is SIG_IGN, inherited across exec.
    let mut child = Child::spawn_in_shell("wait_for_stdin", r#"trap "" INT; exec "$0" "$@""#);
    child.disposition_is(Disposition::Ignored);
    // Discarded by the kernel when sent, since the disposition is ignore.
    child.interrupt();
    child.send_line("go");
    child.expect("got go");
    child.expect("run returned Ok(())");
    child.expect("idle");
    child.disposition_is(Disposition::Ignored);
    child.interrupt();
    child.send_line("go");
    child.expect("done");
    assert!(child.exits().success());
}

#[test]
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

#[test]
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

#[test]
fn run_goes_on_when_the_handler_cannot_be_installed() {
    // The child uses up its file descriptors, so that the self-pipe cannot be made.
    let mut child = Child::spawn_in_shell("no_fds", r#"ulimit -n 64; exec "$0" "$@""#);
    child.disposition_is(Disposition::Default);
    child.interrupt();
    child.dies_by_sigint();
}

#[test]
fn opting_out_leaves_the_default() {
    let mut child = Child::spawn("opt_out");
    child.disposition_is(Disposition::Default);
    child.interrupt();
    child.dies_by_sigint();
    assert!(
        child.rest().is_empty(),
        "no cleanup runs: {:?}",
        child.rest()
    );
}

#[test]
fn only_one_runner_owns_sigint() {
    let mut child = Child::spawn("two_runners");
    child.interrupt();
    // The runner that took SIGINT first is interrupted; the other one finishes normally.
    child.expect("A cleanup");
    child.expect("A returned Err(Interrupted)");
    child.expect("B returned Ok(())");
    assert!(child.exits().success());
}

#[test]
fn ctrl_c_future_replaces_the_cancellation() {
    let mut child = Child::spawn("graceful");
    child.interrupt();
    child.expect("shutting down");
    child.expect("run returned Ok(42)");
    assert!(child.exits().success());
}

#[test]
fn ctrl_c_future_in_a_task_replaces_the_cancellation() {
    let mut child = Child::spawn("graceful_task");
    child.interrupt();
    child.expect("task saw Ctrl-C");
    child.expect("run returned Ok(\"stopped by the task\")");
    assert!(child.exits().success());
}

#[test]
fn dropped_ctrl_c_future_leaves_the_cancellation() {
    let mut child = Child::spawn("ctrl_c_dropped");
    child.interrupt();
    child.expect("cleanup");
    child.expect("run returned Err(Interrupted)");
    assert!(child.exits().success());
}

#[test]
fn second_ctrl_c_kills_a_graceful_shutdown() {
    let mut child = Child::spawn("graceful_hangs");
    child.interrupt();
    child.expect("shutting down");
    child.interrupt();
    child.dies_by_sigint();
}

/// The time from SIGINT to exit of an idle program that exits the way `#[runner::main]` does,
/// including the time to spawn `kill`. Prints the median of 20 runs
/// (`cargo test --test ctrl_c latency -- --nocapture`); asserts only a bound that no working
/// machine misses.
#[test]
fn latency_from_sigint_to_exit() {
    let mut latencies: Vec<Duration> = (0..20)
        .map(|_| {
            let mut child = Child::spawn("exit_interrupted");
            // From before `kill` starts: an upper bound (spawning `kill` is part of it).
            let sending = Instant::now();
            child.interrupt();
            child.dies_by_sigint();
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

/// The entry point of every child, run by the tests above with the scenario in the environment.
#[test]
#[ignore = "the child side of the tests above; run in a child process"]
fn child() {
    let scenario = std::env::var(SCENARIO_VAR).expect("run only as a child, by the tests above");
    match scenario.as_str() {
        "cleanup" | "cleanup_threads" => {
            let mut runner = match scenario.as_str() {
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
            let _ = runner::run(async {
                let _cleanup = HangOnDrop;
                say_ready();
                std::future::pending::<()>().await
            });
        }
        "wait_for_stdin" => {
            let result = runner::run(async {
                say_ready();
                let line = runner::spawn_blocking(read_line).await;
                say(format!("got {line}"));
            });
            say(format!("run returned {result:?}"));
            say("idle");
            read_line();
            say("done");
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
            // Start the reactor (global to the process) without taking SIGINT...
            let mut warm_up = Runner::builder().handle_ctrl_c(false).build();
            warm_up
                .run(runner::sleep(Duration::from_millis(1)))
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
        "two_runners" => {
            let (a_running, a_is_running) = mpsc::channel();
            let (a_done, a_is_done) = async_channel::bounded(1);
            let a = std::thread::spawn(move || {
                let result = runner::run(async {
                    let _cleanup = SayOnDrop("A cleanup");
                    a_running.send(()).unwrap();
                    std::future::pending::<()>().await
                });
                say(format!("A returned {result:?}"));
                a_done.send_blocking(()).unwrap();
            });
            // A owns SIGINT before B starts.
            a_is_running.recv().unwrap();
            let result = runner::run(async {
                say_ready();
                a_is_done.recv().await.unwrap();
            });
            say(format!("B returned {result:?}"));
            a.join().unwrap();
        }
        "graceful" | "graceful_hangs" => {
            let result = runner::run(async {
                let ctrl_c = runner::ctrl_c();
                say_ready();
                ctrl_c.await;
                say("shutting down");
                if scenario == "graceful_hangs" {
                    std::future::pending::<()>().await;
                }
                runner::sleep(Duration::from_millis(1)).await;
                42
            });
            say(format!("run returned {result:?}"));
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
        "ctrl_c_dropped" => {
            let result = runner::run(async {
                let _cleanup = SayOnDrop("cleanup");
                drop(runner::ctrl_c());
                say_ready();
                std::future::pending::<()>().await
            });
            say(format!("run returned {result:?}"));
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
            .args([
                "--exact",
                "child",
                "--include-ignored",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
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
                // The harness may print on the same line before ours.
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
        let status = Command::new("sh")
            .args(["-c", "kill -INT \"$0\""])
            .arg(self.pid.to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -INT {} failed", self.pid);
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

    fn dies_by_sigint(&mut self) {
        let status = self.exits();
        assert_eq!(
            status.signal(),
            Some(SIGINT),
            "expected death by SIGINT, got {status:?}"
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
            while sigint_in(self.pid, "ShdPnd:") || sigint_in(self.pid, "SigPnd:") {
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
        if !cfg!(target_os = "linux") {
            return;
        }
        let actual = match (
            sigint_in(self.pid, "SigIgn:"),
            sigint_in(self.pid, "SigCgt:"),
        ) {
            (true, _) => Disposition::Ignored,
            (false, true) => Disposition::Caught,
            (false, false) => Disposition::Default,
        };
        assert_eq!(actual, expected, "SIGINT's disposition in the child");
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

/// Whether SIGINT is in the signal mask `field` of `/proc/<pid>/status`.
fn sigint_in(pid: u32, field: &str) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    let mask = u64::from_str_radix(mask.trim(), 16).unwrap();
    mask & (1 << (SIGINT - 1)) != 0
}
