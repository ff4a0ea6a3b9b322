//! Settings read from the environment when the builder leaves them open.
//!
//! Each variable is read once per process, by the first runner that needs it (as a process's
//! configuration, not per runner: reading the environment takes a process-wide lock). A bad
//! value never fails a program: it is ignored with one warning line on stderr that names the
//! variable, the value and what would have been accepted.

use std::num::NonZeroUsize;
use std::sync::OnceLock;

use crate::debug::diagnostic;

/// The variable that switches debug mode on; documented at [`Builder::DEBUG_VAR`].
///
/// [`Builder::DEBUG_VAR`]: crate::Builder::DEBUG_VAR
pub(crate) const DEBUG_VAR: &str = "RUNNER_DEBUG";
/// The variable that sets the thread count; documented at [`Builder::THREADS_VAR`].
///
/// [`Builder::THREADS_VAR`]: crate::Builder::THREADS_VAR
pub(crate) const THREADS_VAR: &str = "RUNNER_THREADS";

/// The debug flag: the explicit setting if there is one, else `RUNNER_DEBUG`.
pub(crate) fn resolve_debug(explicit: Option<bool>) -> bool {
    static FROM_ENV: OnceLock<bool> = OnceLock::new();
    explicit.unwrap_or_else(|| *FROM_ENV.get_or_init(|| parse_debug(std::env::var_os(DEBUG_VAR))))
}

fn parse_debug(value: Option<std::ffi::OsString>) -> bool {
    let Some(value) = value else { return false };
    let text = value.to_string_lossy();
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => true,
        "" | "0" | "false" | "no" | "off" => false,
        _ => {
            diagnostic::write_line(format_args!(
                "runner: ignoring {DEBUG_VAR}={text:?}: expected one of 1, true, yes, on \
                 (debug mode on) or 0, false, no, off (off); debug mode stays off"
            ));
            false
        }
    }
}

/// The thread count: the explicit setting if there is one, else `RUNNER_THREADS`, else 1.
pub(crate) fn resolve_threads(explicit: Option<NonZeroUsize>) -> NonZeroUsize {
    static FROM_ENV: OnceLock<NonZeroUsize> = OnceLock::new();
    explicit
        .unwrap_or_else(|| *FROM_ENV.get_or_init(|| parse_threads(std::env::var_os(THREADS_VAR))))
}

fn parse_threads(value: Option<std::ffi::OsString>) -> NonZeroUsize {
    const ONE: NonZeroUsize = NonZeroUsize::MIN;
    let Some(value) = value else { return ONE };
    let text = value.to_string_lossy();
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return ONE;
    }
    if trimmed.eq_ignore_ascii_case("auto") {
        return std::thread::available_parallelism().unwrap_or(ONE);
    }
    match trimmed.parse::<NonZeroUsize>() {
        Ok(n) => n,
        Err(_) => {
            diagnostic::write_line(format_args!(
                "runner: ignoring {THREADS_VAR}={text:?}: expected a whole number of threads \
                 of at least 1, or \"auto\" for one per core; using 1 thread"
            ));
            ONE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(s: &str) -> Option<std::ffi::OsString> {
        Some(s.into())
    }

    #[test]
    fn debug_spellings() {
        for on in ["1", "true", "TRUE", "Yes", "on", " on "] {
            assert!(parse_debug(some(on)), "{on:?} should switch debug on");
        }
        for off in ["", "0", "false", "No", "OFF", "2", "maybe"] {
            assert!(!parse_debug(some(off)), "{off:?} should leave debug off");
        }
        assert!(!parse_debug(None));
    }

    #[test]
    fn thread_counts() {
        assert_eq!(parse_threads(None).get(), 1);
        assert_eq!(parse_threads(some("3")).get(), 3);
        assert_eq!(parse_threads(some("0")).get(), 1);
        assert_eq!(parse_threads(some("many")).get(), 1);
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(parse_threads(some("AUTO")).get(), cores);
    }
}
