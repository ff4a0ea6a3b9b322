//! `close` joins the worker threads: none is left behind. Alone in its test binary, because it
//! counts the threads of the whole process. Linux only: it reads `/proc/self/task`.
#![cfg(target_os = "linux")]

use std::time::Duration;

fn worker_threads_alive() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("Linux /proc")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("runner-worker"))
        .count()
}

/// Worker threads name themselves once they start running: wait (bounded) until they have.
fn wait_for_workers(n: usize) {
    wait_until_workers(n, Duration::from_secs(5));
    assert_eq!(worker_threads_alive(), n);
}

/// Waits until `n` workers are listed, for at most `patience`.
fn wait_until_workers(n: usize, patience: Duration) {
    let deadline = std::time::Instant::now() + patience;
    while worker_threads_alive() != n && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// After `close` or drop: no worker left. A joined thread can stay listed in `/proc` for a
/// moment: the kernel wakes its joiner early in the thread's exit, before it drops the thread
/// from the list (seen once, in a loop over the whole suite on a loaded machine). A worker that
/// was not joined runs its loop, or sleeps, for far longer than the 100 ms allowed here.
fn assert_workers_gone(what: &str) {
    wait_until_workers(0, Duration::from_millis(100));
    assert_eq!(worker_threads_alive(), 0, "{what}");
}

#[test]
fn close_and_drop_join_every_worker_thread() {
    // A new thread carries its creator's name until it names itself. async-io starts its own
    // thread on the first `block_on` of the process: if a worker made it, it would count as a
    // worker for a moment. Make it here first.
    runner::Runner::builder()
        .threads(1)
        .build()
        .run(async {})
        .unwrap();
    let mut runner = runner::Runner::builder().threads(4).build();
    assert_eq!(worker_threads_alive(), 0, "workers start lazily");
    runner
        .run(async {
            for _ in 0..10 {
                runner::spawn(runner::sleep(Duration::from_secs(3600))).detach();
            }
        })
        .unwrap();
    wait_for_workers(3);
    runner.close();
    assert_workers_gone("close joined the workers");

    let mut dropped = runner::Runner::builder().threads(2).build();
    dropped.run(async {}).unwrap();
    wait_for_workers(1);
    drop(dropped);
    assert_workers_gone("drop joined the worker");
}
