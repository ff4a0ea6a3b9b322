//! Debug mode reports each task still pending at `close`, before it is cancelled.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use runner::{diagnostic::Diagnostic, Runner};

#[derive(Debug, PartialEq)]
enum Event {
    Reported(u32),
    Dropped,
}

struct OnDrop(Arc<Mutex<Vec<Event>>>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(Event::Dropped);
    }
}

fn run_and_close(debug: bool) -> (Vec<Event>, u32) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let mut runner = Runner::builder()
        .debug(debug)
        .on_diagnostic(move |d| {
            if let Diagnostic::PendingTaskCancelled { task } = d {
                assert_eq!(task.spawned_at.file(), file!());
                sink.lock()
                    .unwrap()
                    .push(Event::Reported(task.spawned_at.line()));
            }
        })
        .build();
    let guard = OnDrop(events.clone());
    let line = line!() + 3;
    runner
        .run(async move {
            runner::spawn(async move {
                let _guard = guard;
                runner::sleep(Duration::from_secs(3600)).await;
            })
            .detach();
            runner::sleep(Duration::from_millis(5)).await;
        })
        .unwrap();
    runner.close();
    let events = std::mem::take(&mut *events.lock().unwrap());
    (events, line)
}

#[test]
fn a_pending_task_is_reported_with_its_spawn_site_before_it_is_cancelled() {
    let (events, line) = run_and_close(true);
    assert_eq!(events, [Event::Reported(line), Event::Dropped]);
}

#[test]
fn nothing_is_reported_with_debug_off() {
    let (events, _) = run_and_close(false);
    assert_eq!(events, [Event::Dropped]);
}

#[test]
fn finished_tasks_are_not_reported() {
    let reports = Arc::new(Mutex::new(0));
    let sink = reports.clone();
    let mut runner = Runner::builder()
        .debug(true)
        .on_diagnostic(move |d| {
            // Not the slow polls that a loaded machine may cause: the reports about pending
            // tasks.
            if matches!(
                d,
                Diagnostic::PendingTaskCancelled { .. } | Diagnostic::PendingTaskDropped { .. }
            ) {
                *sink.lock().unwrap() += 1;
            }
        })
        .build();
    runner
        .run(async {
            for _ in 0..10 {
                runner::spawn(async { runner::sleep(Duration::from_millis(1)).await }).await;
            }
        })
        .unwrap();
    runner.close();
    assert_eq!(*reports.lock().unwrap(), 0);
}

#[test]
fn the_cancelled_task_sentence() {
    let text = Diagnostic::PendingTaskCancelled {
        task: task_info_from_a_real_report(),
    }
    .to_string();
    assert!(text.starts_with("task #1 spawned at "), "{text}");
    assert!(
        text.ends_with(" was still pending when the runner closed; it was cancelled"),
        "{text}"
    );
}

/// `TaskInfo` is non-exhaustive: take one from a real diagnostic.
fn task_info_from_a_real_report() -> runner::diagnostic::TaskInfo {
    let info = Arc::new(Mutex::new(None));
    let sink = info.clone();
    let mut runner = Runner::builder()
        .debug(true)
        .on_diagnostic(move |d| {
            if let Diagnostic::PendingTaskCancelled { task } = d {
                *sink.lock().unwrap() = Some(*task);
            }
        })
        .build();
    runner
        .run(async { runner::spawn(std::future::pending::<()>()).detach() })
        .unwrap();
    runner.close();
    let info = info.lock().unwrap().expect("a report");
    info
}

#[test]
fn local_tasks_and_tasks_on_workers_are_reported_too() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let mut runner = Runner::builder()
        .debug(true)
        .threads(2)
        .on_diagnostic(move |d| {
            if let Diagnostic::PendingTaskCancelled { task } = d {
                sink.lock().unwrap().push(task.spawned_at.line());
            }
        })
        .build();
    let (spawned, local) = (line!() + 3, line!() + 4);
    runner
        .run(async {
            runner::spawn(std::future::pending::<()>()).detach();
            runner::spawn_local(std::future::pending::<()>()).detach();
            runner::sleep(Duration::from_millis(5)).await;
        })
        .unwrap();
    runner.close();
    let mut lines = std::mem::take(&mut *lines.lock().unwrap());
    lines.sort();
    assert_eq!(lines, [spawned, local]);
}
