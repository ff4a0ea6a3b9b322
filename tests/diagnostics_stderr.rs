//! Without a handler, each diagnostic is one `runner:` line on stderr.

mod support;

use std::time::Duration;

use support::{run_child_test, runner_lines};

#[test]
#[ignore = "run by the tests below in a child process, whose stderr they read"]
fn child_misbehaves() {
    let mut runner = runner::Runner::builder()
        .debug(true)
        .slow_poll_threshold(Duration::from_millis(30))
        .shutdown_timeout(Duration::from_millis(50))
        .build();
    std::panic::set_hook(Box::new(|_| {}));
    runner
        .run(async {
            runner::spawn(async { std::thread::sleep(Duration::from_millis(60)) }).await; // line 20
            runner::spawn(async { panic!("oops") }).detach(); // line 21
            runner::spawn(std::future::pending::<()>()).detach(); // line 22
            runner::spawn_blocking(|| std::thread::sleep(Duration::from_millis(500))).detach();
            runner::sleep(Duration::from_millis(10)).await;
        })
        .unwrap();
    runner.close();
}

#[test]
fn diagnostics_go_to_stderr_one_line_each() {
    let output = run_child_test("child_misbehaves", &[]);
    let mut lines = runner_lines(&output);
    // A loaded machine may make a poll of the main future slow: those lines are not counted.
    lines.retain(|line| !line.starts_with("runner: the main future run at "));
    let file = file!();
    // The watchdog reports the 60 ms poll while it runs, unless a loaded machine kept the
    // watchdog's thread from running until the poll was over.
    if lines.len() == 5 {
        let stuck = lines.remove(0);
        let prefix =
            format!("runner: task #1 spawned at {file}:20:13 has blocked the executor for ");
        let so_far = seconds(
            &stuck,
            &prefix,
            " s so far, in a poll that has not returned",
        );
        // A busy machine stretches the 60 ms sleep: a wide margin, but under a second.
        assert!((0.03..1.0).contains(&so_far), "{stuck}");
    }
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let prefix = format!("runner: task #1 spawned at {file}:20:13 blocked the executor for ");
    let blocked = seconds(&lines[0], &prefix, " s in one poll");
    // Debug mode times polls with the coarse clock, exact to a kernel tick (1-4 ms, 10 at
    // HZ=100): a 60 ms poll may read as 56 ms.
    assert!((0.05..1.0).contains(&blocked), "{}", lines[0]);
    assert_eq!(
        lines[1],
        format!("runner: task #2 spawned at {file}:21:13 panicked and nobody awaited it: oops")
    );
    assert_eq!(
        lines[2],
        format!(
            "runner: task #3 spawned at {file}:22:13 was still pending when the runner closed; \
             it was cancelled"
        )
    );
    let named = format!(
        "runner: 1 blocking job was still running when the shutdown timeout of 0.050 s expired; \
         the runner closed without waiting for it: task #4 spawned at {file}:23:13 "
    );
    let how_long = lines[3].strip_prefix(&named).expect(&lines[3]);
    // On a loaded machine the pool's thread may not have started the job yet.
    if how_long != "(not started)" {
        let ran = how_long
            .strip_prefix("(running for ")
            .and_then(|s| s.strip_suffix(" s)"))
            .and_then(|s| s.parse::<f64>().ok())
            .expect(&lines[3]);
        assert!((0.0..10.0).contains(&ran), "{}", lines[3]);
    }
}

/// The number between `before` and `after` in `line`.
fn seconds(line: &str, before: &str, after: &str) -> f64 {
    line.strip_prefix(before)
        .and_then(|rest| rest.strip_suffix(after))
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("expected `{before}<seconds>{after}`, got {line}"))
}
