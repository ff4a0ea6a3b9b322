//! Debug mode says, once per run, where `ctrl_c()` / `shutdown_signal()` was called in a run
//! where it can never resolve, and why. These runs are on libtest's threads, which are not the
//! main thread; the inherited-ignored SIGINT case is tested with a real child in
//! `extra-tests/tests/ctrl_c.rs`.

use std::panic::Location;
use std::sync::{Arc, Mutex};

use runner::diagnostic::Diagnostic;
use runner::signal::NotHandled;
use runner::Builder;

/// Each `CtrlCNeverFires` report: function, file, line, why.
type Reports = Arc<Mutex<Vec<(&'static str, &'static str, u32, NotHandled)>>>;

fn recording(builder: Builder) -> (runner::Runner, Reports) {
    let reports = Reports::default();
    let sink = reports.clone();
    let runner = builder
        .on_diagnostic(move |d| {
            if let Diagnostic::CtrlCNeverFires {
                function,
                called_at,
                why,
            } = d
            {
                let at: &Location<'_> = called_at;
                sink.lock()
                    .unwrap()
                    .push((*function, at.file(), at.line(), *why));
            }
        })
        .build();
    (runner, reports)
}

#[test]
fn a_run_off_the_main_thread_says_so_once_naming_the_first_call() {
    let (mut runner, reports) = recording(Builder::new().debug(true));
    let line = runner
        .run(async {
            let line = line!() + 1;
            let first = runner::ctrl_c();
            // The same run again: not reported twice.
            let second = runner::ctrl_c();
            let stop = runner::signal::shutdown_signal();
            drop((first, second, stop));
            line
        })
        .unwrap();
    assert_eq!(
        *reports.lock().unwrap(),
        [("ctrl_c", file!(), line, NotHandled::NotMainThread)]
    );
    // Once per run: the next run says it again.
    let line = runner
        .run(async {
            let line = line!() + 1;
            let _stop = runner::signal::shutdown_signal();
            line
        })
        .unwrap();
    assert_eq!(
        reports.lock().unwrap()[1..],
        [("shutdown_signal", file!(), line, NotHandled::NotMainThread)]
    );
}

#[test]
fn handle_ctrl_c_false_is_named_and_the_future_stays_pending() {
    let (mut runner, reports) = recording(Builder::new().debug(true).handle_ctrl_c(false));
    let line = runner
        .run(async {
            let line = line!() + 1;
            let ctrl_c = runner::ctrl_c();
            let timed_out = runner::timeout(std::time::Duration::from_millis(20), ctrl_c).await;
            assert!(timed_out.is_err(), "ctrl_c() resolved without a Ctrl-C");
            line
        })
        .unwrap();
    assert_eq!(
        *reports.lock().unwrap(),
        [("ctrl_c", file!(), line, NotHandled::Disabled)]
    );
}

#[test]
fn the_report_reads_as_a_sentence() {
    let report = Arc::new(Mutex::new(String::new()));
    let sink = report.clone();
    let mut runner = Builder::new()
        .debug(true)
        .handle_ctrl_c(false)
        .on_diagnostic(move |d| *sink.lock().unwrap() = d.to_string())
        .build();
    let line = runner
        .run(async {
            let line = line!() + 1;
            drop(runner::ctrl_c());
            line
        })
        .unwrap();
    assert_eq!(
        *report.lock().unwrap(),
        format!(
            "ctrl_c() called at {}:{line}:18 will never resolve: this run does not handle \
             Ctrl-C, because the runner was built with handle_ctrl_c(false) (as every \
             #[runner::test] is)",
            file!()
        )
    );
}

#[test]
fn nothing_is_said_outside_debug_mode_or_outside_a_run() {
    let (mut runner, reports) = recording(Builder::new().debug(false).handle_ctrl_c(false));
    runner.run(async { drop(runner::ctrl_c()) }).unwrap();
    drop(runner::ctrl_c());
    assert_eq!(*reports.lock().unwrap(), []);
}
