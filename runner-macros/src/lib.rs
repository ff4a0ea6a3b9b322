//! Procedural macros for the `runner` crate: `#[runner::main]` and `#[runner::test]`.
//!
//! Use them through the `runner` facade. Each stage has its module: `args` parses the
//! attribute's arguments, `item` the function's signature (the body stays tokens), and `expand`
//! writes the expansion, which calls the runtime through `runner::__private`.

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

mod args;
mod expand;
mod item;

use proc_macro::TokenStream;

use crate::args::Kind;

/// Runs an `async fn` to completion on a fresh [`Runner`], then closes the runner:
/// `asyncio.run(main())` as an attribute.
///
/// The function becomes a plain function with the same name, visibility, attributes, docs and
/// return type, so it also works on functions not named `main` (a synchronous entry point into
/// async code). It takes no parameters and may return anything `main` may return: `()`,
/// `Result<(), E>`, [`ExitCode`](std::process::ExitCode), `!`, and so on.
///
/// When the body finishes, the runner closes: tasks still pending are cancelled and blocking
/// jobs are waited for. Ctrl-C (and SIGTERM, with `sigterm = true`) cancels the body and ends
/// the process the way a shell expects, by that signal; this needs the function to run on the
/// process's main thread, as `main` does (elsewhere the signals are left to the program). A
/// panic in the body propagates after the runner has closed. Calling the function from inside
/// another runner panics ([`RunError::Nested`]).
///
/// # Arguments
///
/// | argument | default | meaning |
/// | --- | --- | --- |
/// | `debug = true` | `RUNNER_DEBUG` | [`Builder::debug`]: report slow polls and cancelled tasks |
/// | `threads = N` | `RUNNER_THREADS`, else 1 | [`Builder::threads`]: `N >= 1` threads in all |
/// | `start_paused = true` | `false` | [`Builder::start_paused`]: the clock starts paused (one thread) |
/// | `ctrl_c = false` | `true` | [`Builder::handle_ctrl_c`]: cancel the body on Ctrl-C |
/// | `sigterm = true` | `false` | [`Builder::handle_sigterm`]: cancel the body on SIGTERM too |
/// | `crate = "path"` | `"runner"` | where the `runner` crate is, for re-exports and renames |
///
/// Under a renamed dependency, `rt = { package = "async-runner", .. }`, write
/// `#[rt::main(crate = "rt")]`: without it the error is "cannot find `runner` in the crate root",
/// on the attribute.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// #[runner::main]
/// async fn main() {
///     let task = runner::spawn(async { 6 * 7 });
///     runner::sleep(Duration::from_millis(1)).await;
///     assert_eq!(task.await, 42);
/// }
/// ```
///
/// With arguments, a `Result`, and a name other than `main`:
///
/// ```
/// /// Fetches the answer; callable from synchronous code.
/// #[runner::main(threads = 2, debug = true, ctrl_c = false)]
/// pub async fn answer() -> Result<u32, std::num::ParseIntError> {
///     assert!(runner::is_debug());
///     let text = runner::spawn_blocking(|| "42".to_owned()).await;
///     text.parse()
/// }
///
/// fn main() {
///     assert_eq!(answer(), Ok(42));
/// }
/// ```
///
/// [`Runner`]: https://docs.rs/async-runner/latest/runner/struct.Runner.html
/// [`RunError::Nested`]: https://docs.rs/async-runner/latest/runner/enum.RunError.html
/// [`Builder::debug`]: https://docs.rs/async-runner/latest/runner/struct.Builder.html#method.debug
/// [`Builder::threads`]: https://docs.rs/async-runner/latest/runner/struct.Builder.html#method.threads
/// [`Builder::start_paused`]: https://docs.rs/async-runner/latest/runner/struct.Builder.html#method.start_paused
/// [`Builder::handle_ctrl_c`]:
///     https://docs.rs/async-runner/latest/runner/struct.Builder.html#method.handle_ctrl_c
/// [`Builder::handle_sigterm`]:
///     https://docs.rs/async-runner/latest/runner/struct.Builder.html#method.handle_sigterm
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on a fresh runner in debug mode: Python's `IsolatedAsyncioTestCase`.
///
/// The function becomes a `#[test]` function; the `#[test]` goes after your own attributes, so
/// `#[should_panic]`, `#[ignore]` and test-generating macros placed above (`#[test_case(..)]`,
/// `#[rstest]`) keep working. Do not add `#[test]` yourself. The test takes no parameters and
/// returns `()` or a `Result<(), E>` with `E: Debug`.
///
/// Each test gets its own runner, closed when the test ends. The test fails when:
/// - its body panics or returns `Err`, as any test;
/// - it is still pending after `timeout` (the future is cancelled; the message names the test
///   and the timeout);
/// - a task it spawned and detached panicked, even if the body itself succeeded (the message
///   names the line that spawned the task).
///
/// Tests never handle Ctrl-C or SIGTERM, so that they stop `cargo test` as usual.
///
/// # Arguments
///
/// | argument | default | meaning |
/// | --- | --- | --- |
/// | `debug = false` | `true` | [`Builder::debug`]: report slow polls and cancelled tasks |
/// | `threads = N` | `RUNNER_THREADS`, else 1 | [`Builder::threads`]: `N >= 1` threads in all |
/// | `start_paused = true` | `false` | [`Builder::start_paused`]: the clock starts paused (one thread) |
/// | `timeout = "5s"` | none | fail the test after this long: `"250ms"`, `"5s"`, `"1m"` |
/// | `crate = "path"` | `"runner"` | where the `runner` crate is, for re-exports and renames |
///
/// With `start_paused = true` the timeout counts on the runner's paused clock, so a test that
/// hangs on a long sleep fails at once; it holds in real time as well.
///
/// The timeout fires only when the test's thread gets back to the runner: a test that blocks
/// its thread without ever awaiting (an endless loop, `std::thread::sleep`) is not interrupted.
/// It still fails when it finishes after its timeout: the message says by how much, and in debug
/// mode which poll blocked the thread (the task's spawn line and the poll's duration). A test
/// that times out fails with a list of the tasks still pending, the main future included, each
/// with its spawn line and age.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// #[runner::test]
/// async fn tasks_run_in_debug_mode() {
///     assert!(runner::is_debug());
///     assert_eq!(runner::spawn(async { 1 + 1 }).await, 2);
/// }
///
/// #[runner::test(timeout = "5s", threads = 2)]
/// async fn finishes_in_time() -> Result<(), std::num::ParseIntError> {
///     runner::sleep(Duration::from_millis(1)).await;
///     assert_eq!("7".parse::<u8>()?, 7);
///     Ok(())
/// }
///
/// #[runner::test(timeout = "50ms")]
/// #[should_panic(expected = "timed out after 50ms")]
/// async fn hangs() {
///     std::future::pending::<()>().await;
/// }
/// # fn main() {}
/// ```
///
/// [`Builder::debug`]: https://docs.rs/async-runner/latest/runner/struct.Builder.html#method.debug
/// [`Builder::threads`]: https://docs.rs/async-runner/latest/runner/struct.Builder.html#method.threads
/// [`Builder::start_paused`]: https://docs.rs/async-runner/latest/runner/struct.Builder.html#method.start_paused
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(Kind::Test, args.into(), item.into()).into()
}
