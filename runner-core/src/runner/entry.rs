//! What `#[runner::main]` and `#[runner::test]` expand to call. Not a public API: only the
//! macros' expansions use it, and it changes whenever they do.
//!
//! The expansions stay thin: they hand over the attribute's arguments and the body as a future,
//! and these functions build the runner, run the future, and turn the outcome into the
//! function's return value or a panic with a message.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_io::Timer;
use futures_lite::future;

use crate::debug::diagnostic;
use crate::debug::diagnostic::Diagnostic;
use crate::debug::{self, TaskSnapshot};
pub use crate::runner::builder::Builder;
use crate::runner::error::RunError;
use crate::signal;
use crate::sync;

/// A one-thread runner on async-executor, the engine such a runner had before its own
/// scheduler: for the bench crate, so that one run measures both.
pub fn executor_engine(mut builder: Builder) -> Builder {
    builder.executor_engine = true;
    builder
}

/// Names `!` on stable Rust: `<fn() -> ! as FnOutput>::Output` is the never type, which lets the
/// expansion of `async fn main() -> !` check that the body diverges.
pub trait FnOutput {
    /// The function's return type.
    type Output;
}

impl<T> FnOutput for fn() -> T {
    type Output = T;
}

/// Runs the body of a `#[runner::main]` function on a fresh runner, closes it, and returns the
/// body's output.
///
/// After Ctrl-C or SIGTERM the process ends as a shell expects, by that signal
/// ([`signal::exit_interrupted`], [`signal::exit_terminated`]); any other [`RunError`] (a
/// nested call) panics with its message.
#[track_caller]
pub fn main<F: Future>(builder: Builder, future: F) -> F::Output {
    let mut runner = builder.build();
    let output = runner.run(future);
    runner.close();
    match output {
        Ok(output) => output,
        Err(RunError::Interrupted) => signal::exit_interrupted(),
        Err(RunError::Terminated) => signal::exit_terminated(),
        Err(error) => panic!("{error}"),
    }
}

/// The arguments of `#[runner::test]`, and the test's name.
#[derive(Debug)]
pub struct Test {
    name: String,
    timeout: Option<Duration>,
}

impl Test {
    /// The test `name` in the module `module_path` (as `module_path!()` gives it), without a
    /// timeout.
    pub fn new(module_path: &str, name: &str) -> Test {
        // `module_path!()` starts with the crate's name; test names as libtest prints them don't.
        let name = match module_path.split_once("::") {
            Some((_crate, module)) => format!("{module}::{name}"),
            None => name.to_owned(),
        };
        Test {
            name,
            timeout: None,
        }
    }

    /// `timeout = ".."`, in milliseconds (the macro has checked that it is more than 0).
    pub fn timeout_ms(mut self, millis: u64) -> Test {
        self.timeout = Some(Duration::from_millis(millis));
        self
    }
}

/// Runs the body of a `#[runner::test]` function on a fresh runner and returns its output.
///
/// The runner is built from `builder` (the attribute's settings), in debug mode unless `debug =
/// false` (`RUNNER_DEBUG` does not switch it off), and never handles Ctrl-C or SIGTERM. Its
/// diagnostics go to stderr (which the test harness captures) as usual. With a timeout shorter
/// than the slow-poll threshold, the threshold is the timeout: a poll that alone outlasts the
/// timeout is always reported.
///
/// # Panics
///
/// When the body panics (with the body's panic), when the timeout expires first (in debug mode
/// the message lists every task still pending, main future included, with its spawn line and
/// age), when a task
/// the test spawned panicked and nobody awaited it (the message names the test and the line that
/// spawned the task), and when the body finished after its timeout because something blocked
/// the thread so that the timeout could not fire (the message says by how much, and where the
/// slowest poll was, if one was seen). A test that panicked itself reports only its own panic.
#[track_caller]
pub fn test<F: Future>(test: Test, builder: Builder, future: F) -> F::Output {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let sink = seen.clone();
    let debug = builder.debug.unwrap_or(true);
    let mut builder = builder
        .debug(debug)
        .handle_ctrl_c(false)
        .on_diagnostic(move |diagnostic| {
            diagnostic::print(diagnostic);
            sync::lock(&sink).note(diagnostic);
        });
    if let Some(timeout) = test.timeout {
        builder.slow_poll_threshold = builder.slow_poll_threshold.min(timeout);
    }
    let mut runner = builder.build();
    let started = Instant::now();
    let output = match test.timeout {
        None => runner.run(async { Ok(future.await) }),
        Some(timeout) => runner.run(future::or(async { Ok(future.await) }, async {
            // On the runner's clock, so that a paused test that hangs on a long sleep fails at
            // once; and in real time, so that it fails even if its clock stands still.
            future::or(crate::time::sleep(timeout), async {
                Timer::after(timeout).await;
            })
            .await;
            Err(debug::tasks())
        })),
    };
    let took = started.elapsed();
    // Closing cancels what is left and joins the workers: every task's panic is reported by now.
    runner.close();
    let Seen { panicked, slowest } = std::mem::take(&mut *sync::lock(&seen));
    let timeout = test.timeout.unwrap_or(Duration::MAX);
    match output {
        Err(error) => panic!("test `{}` could not run: {error}", test.name),
        Ok(Err(pending)) => panic!(
            "test `{}` timed out after {}: its future was still pending, so it was cancelled{}",
            test.name,
            HumanDuration(timeout),
            PendingTasks(&pending),
        ),
        Ok(Ok(_)) if !panicked.is_empty() => panic!(
            "test `{}` failed: a task it spawned panicked and nobody awaited it ({})",
            test.name,
            panicked.join("; "),
        ),
        Ok(Ok(_)) if took > timeout => panic!(
            "test `{}` finished after its timeout: it took {:.3} s, {:.3} s more than {} \
             (the thread was blocked, so the timeout could not fire){}",
            test.name,
            took.as_secs_f64(),
            (took - timeout).as_secs_f64(),
            HumanDuration(timeout),
            match slowest {
                Some(slowest) => format!("; the slowest poll: {slowest}"),
                None => String::new(),
            },
        ),
        Ok(Ok(output)) => output,
    }
}

/// What a test's runner reported that decides the test's outcome.
#[derive(Default)]
struct Seen {
    /// Each unretrieved task panic, as its report reads.
    panicked: Vec<String>,
    /// The longest slow poll.
    slowest: Option<Diagnostic>,
}

impl Seen {
    fn note(&mut self, diagnostic: &Diagnostic) {
        match diagnostic {
            Diagnostic::TaskPanicked { .. } => self.panicked.push(diagnostic.to_string()),
            Diagnostic::SlowPoll { elapsed, .. } => {
                let longer = match &self.slowest {
                    Some(Diagnostic::SlowPoll {
                        elapsed: slowest, ..
                    }) => elapsed > slowest,
                    _ => true,
                };
                if longer {
                    self.slowest = Some(diagnostic.clone());
                }
            }
            _ => {}
        }
    }
}

/// The tasks a timed-out test left pending, as its failure message lists them (nothing with
/// debug mode off, which keeps no record of them).
struct PendingTasks<'a>(&'a [TaskSnapshot]);

impl fmt::Display for PendingTasks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, task) in self.0.iter().enumerate() {
            f.write_str(if i == 0 { "; still pending: " } else { "; " })?;
            write!(f, "{task}")?;
        }
        Ok(())
    }
}

/// A duration in the units `timeout = ".."` takes: `250ms`, `5s`, `1m`.
struct HumanDuration(Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis % 60_000 == 0 {
            write!(f, "{}m", millis / 60_000)
        } else if millis % 1_000 == 0 {
            write!(f, "{}s", millis / 1_000)
        } else {
            write!(f, "{millis}ms")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_names_drop_the_crate() {
        assert_eq!(Test::new("my_crate", "works").name, "works");
        assert_eq!(Test::new("my_crate::a::b", "works").name, "a::b::works");
    }

    #[test]
    fn durations_read_as_written() {
        let shown = |ms| HumanDuration(Duration::from_millis(ms)).to_string();
        assert_eq!(shown(250), "250ms");
        assert_eq!(shown(5_000), "5s");
        assert_eq!(shown(1_500), "1500ms");
        assert_eq!(shown(120_000), "2m");
    }
}
