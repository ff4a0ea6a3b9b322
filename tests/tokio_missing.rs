//! Without the `tokio` feature: tokio is not compiled into the facade at all, and a panic of
//! tokio's for want of a runtime gets a line on stderr naming the feature (each case runs in a
//! child process, whose stderr the parent reads).
#![cfg(not(feature = "tokio"))]

mod support;

use std::time::Duration;

use support::{child_test_command, output_of, runner_lines};

/// The runner's lines on the child's stderr, and whether tokio's own message is there too.
fn hint_of_child(name: &str) -> (Vec<String>, bool) {
    let output = output_of(&mut child_test_command(name));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tokio_said = stderr.contains("must be called from the context of a Tokio 1.x runtime");
    (runner_lines(&output), tokio_said)
}

fn assert_one_hint(name: &str, who: &str) {
    let (lines, tokio_said) = hint_of_child(name);
    assert!(tokio_said, "tokio's own message is kept");
    let hints: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("features = [\"tokio\"]"))
        .collect();
    assert_eq!(hints.len(), 1, "{lines:#?}");
    assert!(hints[0].contains(who), "{hints:?}");
    assert!(
        hints[0].contains("the `tokio` feature of async-runner"),
        "{hints:?}"
    );
}

#[test]
#[ignore = "child process of main_future_gets_the_hint"]
fn child_main_future_calls_tokio() {
    let _ = runner::run(async { tokio::time::sleep(Duration::from_millis(1)).await });
}

#[test]
fn main_future_gets_the_hint() {
    assert_one_hint("child_main_future_calls_tokio", "the main future");
}

#[test]
#[ignore = "child process of tasks_get_the_hint_once_per_runner"]
fn child_tasks_call_tokio() {
    let mut runner = runner::Runner::new();
    runner
        .run(async {
            for _ in 0..2 {
                runner::spawn(async { drop(tokio::spawn(async {})) }).detach();
            }
            runner::sleep(Duration::from_millis(20)).await;
        })
        .unwrap();
    // A second runner gets its own hint.
    let _ = runner::run(async {
        runner::spawn(async { drop(tokio::spawn(async {})) }).detach();
        runner::sleep(Duration::from_millis(20)).await;
    });
}

#[test]
fn tasks_get_the_hint_once_per_runner() {
    let (lines, _) = hint_of_child("child_tasks_call_tokio");
    let hints = lines
        .iter()
        .filter(|l| l.contains("features = [\"tokio\"]"));
    assert_eq!(hints.count(), 2, "{lines:#?}");
    assert!(
        lines.iter().any(|l| l.contains("task #1 spawned at")),
        "{lines:#?}"
    );
}

#[test]
#[ignore = "child process of blocking_jobs_get_the_hint"]
fn child_blocking_job_calls_tokio() {
    let _ =
        runner::run(async { runner::spawn_blocking(|| tokio::runtime::Handle::current()).await });
}

#[test]
fn blocking_jobs_get_the_hint() {
    assert_one_hint("child_blocking_job_calls_tokio", "task #1 spawned at");
}

/// Not under wine (CI's Windows run): the cargo there is the host's, a Linux program.
#[cfg(not(windows))]
mod tree {
    use std::process::Command;

    /// `cargo tree` of the facade, normal dependencies only, with `args` added.
    fn facade_tree(args: &[&str]) -> String {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(cargo)
            .args([
                "tree",
                "-e",
                "normal",
                "-p",
                "async-runner",
                "--prefix",
                "none",
            ])
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run cargo tree");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    #[test]
    fn without_the_feature_tokio_is_not_compiled() {
        let tree = facade_tree(&[]);
        assert!(tree.contains("async-runner-core"), "{tree}");
        assert!(!tree.lines().any(|l| l.starts_with("tokio ")), "{tree}");
        // The check can fail: with the feature, tokio is there.
        let with_feature = facade_tree(&["--features", "tokio"]);
        assert!(
            with_feature.lines().any(|l| l.starts_with("tokio ")),
            "{with_feature}"
        );
    }
}
