//! A report never brings the program down: not a handler that panics, not a stderr nobody reads.
//! Both run as real child processes (this test binary, one `#[ignore]`d test at a time), since
//! the failure being ruled out is an abort of the whole process.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use support::{child_test_command, run_child_test, runner_lines, tagged_lines};

/// Spawns a detached task that panics with `message`, and waits until its panic was handled.
async fn detached_panic(message: &'static str) {
    let (tx, rx) = async_channel::bounded::<()>(1);
    runner::spawn(async move {
        let _tx = tx; // dropped when the task unwinds
        panic!("{message}");
    })
    .detach();
    let _ = rx.recv().await;
}

#[test]
#[ignore = "run by `a_panicking_handler_does_not_abort` in a child process"]
fn child_handler_panics() {
    let mut runner = runner::Runner::builder()
        .on_diagnostic(|_| panic!("the handler broke"))
        .build();
    runner.run(detached_panic("boom")).unwrap(); // spawn line: 16:5
    runner.close();
    println!("@ survived");
}

#[test]
fn a_panicking_handler_does_not_abort() {
    // `run_child_test` asserts the normal exit status (an abort is 134, SIGABRT).
    let output = run_child_test("child_handler_panics", &[]);
    assert_eq!(tagged_lines(&output, "@ "), ["survived"]);
    assert_eq!(
        runner_lines(&output),
        [format!(
            "runner: task #1 spawned at {}:16:5 panicked and nobody awaited it: boom (on stderr \
             because the on_diagnostic handler panicked on it: the handler broke)",
            file!()
        )]
    );
}

#[test]
#[ignore = "run by `a_stderr_nobody_reads_does_not_abort` in a child process"]
fn child_stderr_closed() {
    // Wait until the parent has closed the read end of our stderr, then prove it is closed.
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    let probe = std::io::stderr().write_all(b"probe\n");
    println!("@ stderr write: {:?}", probe.map_err(|e| e.kind()));
    let mut runner = runner::Runner::builder()
        .debug(true)
        .slow_poll_threshold(Duration::from_millis(10))
        .build();
    runner
        .run(async {
            detached_panic("boom").await; // reported: TaskPanicked
            runner::spawn(async { std::thread::sleep(Duration::from_millis(30)) }).await; // SlowPoll
            runner::spawn(std::future::pending::<()>()).detach(); // PendingTaskCancelled
        })
        .unwrap();
    runner.close();
    println!("@ survived");
}

#[test]
fn a_stderr_nobody_reads_does_not_abort() {
    let mut child = child_test_command("child_stderr_closed")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the child test process");
    drop(child.stderr.take()); // nobody reads the child's stderr any more
    writeln!(child.stdin.take().unwrap(), "go").unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let tagged: Vec<String> = stdout
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| l.split_once("@ ").map(|(_, rest)| rest.to_owned()))
        .collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}, {tagged:?}");
    assert_eq!(tagged, ["stderr write: Err(BrokenPipe)", "survived"]);
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;
