//! The `tokio` feature (`cargo test --features tokio`): tokio-only code runs inside a runner,
//! with real sockets, timers, threads and processes, and `close` shuts the runner's tokio down.

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use runner::diagnostic::Diagnostic;
use runner::{Builder, Runner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A loopback echo on `tokio::net`: a server task, a client, `rounds` round trips of 64 bytes.
async fn tokio_echo(rounds: usize) -> usize {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        loop {
            match stream.read(&mut buf).await.unwrap() {
                0 => break,
                n => stream.write_all(&buf[..n]).await.unwrap(),
            }
        }
    });
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 64];
    for round in 0..rounds {
        let message = [round as u8; 64];
        client.write_all(&message).await.unwrap();
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, message);
    }
    drop(client);
    server.await.unwrap();
    rounds
}

#[runner::main]
async fn main_with_tokio_net() -> usize {
    tokio_echo(100).await
}

#[test]
fn tokio_net_echo_inside_runner_main() {
    assert_eq!(main_with_tokio_net(), 100);
}

#[runner::main]
async fn main_with_tokio_time_spawn_blocking_timeout() -> (Duration, u32, u32, bool) {
    let start = Instant::now();
    tokio::time::sleep(Duration::from_millis(30)).await;
    let slept = start.elapsed();
    let spawned = tokio::spawn(async { 20 }).await.unwrap();
    let blocking = tokio::task::spawn_blocking(|| 22).await.unwrap();
    let timed_out = tokio::time::timeout(Duration::from_millis(10), std::future::pending::<()>())
        .await
        .is_err();
    (slept, spawned, blocking, timed_out)
}

#[test]
fn tokio_time_spawn_blocking_and_timeout_inside_runner_main() {
    let (slept, spawned, blocking, timed_out) = main_with_tokio_time_spawn_blocking_timeout();
    assert!(slept >= Duration::from_millis(30), "slept {slept:?}");
    assert_eq!((spawned, blocking, timed_out), (20, 22, true));
}

#[runner::main]
async fn main_with_tokio_process() -> String {
    let output = tokio::process::Command::new(std::env::current_exe().unwrap())
        .arg("--list")
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn tokio_process_inside_runner_main() {
    // The child is this test binary, asked for its list of tests.
    let listed = main_with_tokio_process();
    assert!(
        listed.contains("tokio_process_inside_runner_main"),
        "{listed}"
    );
}

#[runner::test]
async fn runner_test_with_tokio_code() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(5)).await;
        tx.send(7).unwrap();
    });
    assert_eq!(rx.await, Ok(7));
    assert_eq!(tokio_echo(10).await, 10);
}

#[test]
fn tokio_spawn_on_each_worker_thread_of_three() {
    let mut runner = Builder::new().threads(3).build();
    let workers = runner
        .run(async {
            let barrier = Arc::new(Barrier::new(3));
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let barrier = barrier.clone();
                    runner::spawn(async move {
                        // Blocking on purpose: the three tasks run on three threads at once.
                        barrier.wait();
                        let name = std::thread::current().name().map(str::to_owned);
                        let answer = tokio::spawn(async { 2 }).await.unwrap();
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        (name, answer)
                    })
                })
                .collect();
            let mut names = HashSet::new();
            for task in tasks {
                let (name, answer) = task.await;
                assert_eq!(answer, 2);
                names.insert(name);
            }
            names
        })
        .unwrap();
    assert_eq!(workers.len(), 3, "{workers:?}");
    let named = |n: &str| workers.contains(&Some(n.to_owned()));
    assert!(
        named("runner-worker-1") && named("runner-worker-2"),
        "{workers:?}"
    );
}

/// Keeps the reports about tokio: debug mode (RUNNER_DEBUG=1) may add slow polls on a busy machine.
fn keep_tokio_reports(reports: &Mutex<Vec<Diagnostic>>, d: &Diagnostic) {
    if let Diagnostic::TokioBlockingJobsLeftRunning { .. }
    | Diagnostic::TokioRuntimeMissing { .. } = d
    {
        reports.lock().unwrap().push(d.clone());
    }
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn close_drops_a_pending_tokio_task() {
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(dropped.clone());
    let mut runner = Runner::new();
    runner
        .run(async move {
            tokio::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            tokio::task::yield_now().await;
        })
        .unwrap();
    assert!(
        !dropped.load(Ordering::SeqCst),
        "the tokio task is pending until close"
    );
    runner.close();
    assert!(
        dropped.load(Ordering::SeqCst),
        "close dropped the tokio task"
    );
}

/// A runner task's destructor that calls tokio: `close` cancels the runner's tasks inside the
/// runner's tokio context, before tokio shuts down.
#[test]
fn runner_tasks_are_cancelled_inside_the_tokio_context() {
    struct SpawnsOnDrop(Arc<Mutex<Option<bool>>>);
    impl Drop for SpawnsOnDrop {
        fn drop(&mut self) {
            let found = tokio::runtime::Handle::try_current().is_ok();
            *self.0.lock().unwrap() = Some(found);
        }
    }
    let seen = Arc::new(Mutex::new(None));
    let guard = SpawnsOnDrop(seen.clone());
    let mut runner = Runner::new();
    runner
        .run(async move {
            runner::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            })
            .detach();
        })
        .unwrap();
    runner.close();
    assert_eq!(*seen.lock().unwrap(), Some(true));
}

#[test]
fn each_runner_has_a_fresh_tokio_runtime() {
    let mut first = Runner::new();
    let mut second = Runner::new();
    let listener = first
        .run(async { tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap() })
        .unwrap();
    first.close();
    // The first runtime is gone: the listener it registered fails to accept, it does not hang.
    let accepted = second.run(listener.accept());
    assert!(matches!(accepted, Ok(Err(_))), "{accepted:?}");
    // The second runner works on its own.
    assert_eq!(second.run(tokio_echo(20)), Ok(20));
    second.close();
    assert_eq!(runner::run(tokio_echo(5)), Ok(5));
}

#[test]
fn a_blocking_job_that_outlives_close_gets_an_error_from_tokio() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (closed, close_over) = std::sync::mpsc::channel::<()>();
    let mut runner = Builder::new()
        .shutdown_timeout(Duration::ZERO)
        .on_diagnostic(|_| {})
        .build();
    runner
        .run(async move {
            runner::spawn_blocking(move || {
                // Until `close` is over, its tokio runtime shut down.
                close_over
                    .recv_timeout(Duration::from_secs(10))
                    .expect("close returns");
                let result = std::panic::catch_unwind(|| {
                    let rt = tokio::runtime::Handle::current();
                    rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                        .map(drop)
                });
                tx.send(result.map_err(|_| ()).and_then(|r| r.map_err(|_| ())))
                    .unwrap();
            })
            .detach();
        })
        .unwrap();
    runner.close();
    closed.send(()).unwrap();
    let result = rx.recv_timeout(Duration::from_secs(10)).expect("no hang");
    assert!(result.is_err(), "tokio calls fail after close");
}

#[test]
fn tokio_blocking_jobs_left_running_are_reported() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let mut runner = Builder::new()
        .shutdown_timeout(Duration::from_millis(50))
        .on_diagnostic(move |d| keep_tokio_reports(&sink, d))
        .build();
    runner
        .run(async {
            let (started, job_started) = std::sync::mpsc::channel();
            drop(tokio::task::spawn_blocking(move || {
                started.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(3000))
            }));
            job_started.recv().unwrap();
            // Quick jobs leave idle threads behind: those are not reported.
            for _ in 0..3 {
                tokio::task::spawn_blocking(|| ()).await.unwrap();
            }
        })
        .unwrap();
    let start = Instant::now();
    runner.close();
    assert!(
        start.elapsed() < Duration::from_millis(2000),
        "close waited for the job"
    );
    let seen = seen.lock().unwrap();
    assert!(
        matches!(
            seen[..],
            [Diagnostic::TokioBlockingJobsLeftRunning { threads: 1, .. }]
        ),
        "{seen:?}"
    );
    assert!(seen[0]
        .to_string()
        .contains("1 tokio spawn_blocking job was"));
}

#[test]
fn close_waits_for_tokio_blocking_jobs_within_the_shutdown_timeout() {
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let mut runner = Builder::new()
        .on_diagnostic(|d| {
            if let Diagnostic::TokioBlockingJobsLeftRunning { .. } = d {
                panic!("unexpected report: {d}")
            }
        })
        .build();
    runner
        .run(async move {
            drop(tokio::task::spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(50));
                flag.store(true, Ordering::SeqCst);
            }));
        })
        .unwrap();
    runner.close();
    assert!(done.load(Ordering::SeqCst));
}

#[test]
fn closing_inside_another_runners_run_does_not_panic_or_wait() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let mut inner = Builder::new()
        .on_diagnostic(move |d| keep_tokio_reports(&sink, d))
        .build();
    inner
        .run(async {
            let (started, job_started) = std::sync::mpsc::channel();
            drop(tokio::task::spawn_blocking(move || {
                started.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(3000))
            }));
            tokio::spawn(std::future::pending::<()>());
            job_started.recv().unwrap();
        })
        .unwrap();
    let mut outer = Runner::new();
    let waited = outer
        .run(async move {
            // Dropping a tokio runtime here would panic if it waited: the close waits for nothing.
            let start = Instant::now();
            drop(inner);
            start.elapsed()
        })
        .unwrap();
    assert!(waited < Duration::from_millis(1500), "waited {waited:?}");
    let seen = seen.lock().unwrap();
    assert!(
        matches!(
            seen[..],
            [Diagnostic::TokioBlockingJobsLeftRunning {
                threads: 1,
                timeout: Duration::ZERO
            }]
        ),
        "{seen:?}"
    );
}

#[test]
fn run_inside_a_tokio_runtime_enters_that_runtime() {
    // One worker: a run inside a tokio task gives its queue away (`block_in_place`), so what the
    // run spawns on tokio does not wait for the run to end.
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (inside, echoed) = tokio_rt.block_on(async {
        let mut runner = Runner::new();
        let result = runner.run(async {
            let inside = tokio::runtime::Handle::current().runtime_flavor();
            (inside, tokio_echo(10).await)
        });
        runner.close();
        result.unwrap()
    });
    assert_eq!(inside, tokio::runtime::RuntimeFlavor::MultiThread);
    assert_eq!(echoed, 10);
    // From a tokio task too.
    let from_task = tokio_rt
        .block_on(tokio_rt.spawn(async { runner::run(async { tokio::spawn(async { 3 }).await }) }))
        .unwrap();
    assert_eq!(from_task.unwrap().unwrap(), 3);
}

#[test]
fn a_runner_started_in_a_blocking_job_has_its_own_runtime() {
    let nested = runner::run(async {
        runner::spawn_blocking(|| runner::run(tokio_echo(10)).unwrap()).await
    });
    assert_eq!(nested, Ok(10));
}

#[test]
fn builder_tokio_false_leaves_tokio_out_and_hints_at_the_switch() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let mut runner = Builder::new()
        .tokio(false)
        .on_diagnostic(move |d| {
            // Debug mode (RUNNER_DEBUG=1) may add a slow poll: the panic hook is slow.
            if let Diagnostic::TokioRuntimeMissing { .. } = d {
                sink.lock().unwrap().push(d.to_string())
            }
        })
        .build();
    let found = runner
        .run(async { tokio::runtime::Handle::try_current().is_ok() })
        .unwrap();
    assert!(!found);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runner.run(async { tokio::time::sleep(Duration::from_millis(1)).await })
    }));
    assert!(panicked.is_err());
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].contains("Builder::tokio(false)"), "{seen:?}");
}

#[test]
fn async_io_still_works_with_the_feature() {
    // async-io's reactor runs on its helper thread while tokio drives this one.
    let echoed = runner::run(async {
        let listener = async_io::Async::<std::net::TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
        let addr = listener.get_ref().local_addr().unwrap();
        let server = runner::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 5];
            futures_lite::io::AsyncReadExt::read_exact(&mut &stream, &mut buf)
                .await
                .unwrap();
            buf
        });
        let stream = async_io::Async::<std::net::TcpStream>::connect(addr)
            .await
            .unwrap();
        futures_lite::io::AsyncWriteExt::write_all(&mut &stream, b"hello")
            .await
            .unwrap();
        runner::sleep(Duration::from_millis(5)).await;
        server.await
    });
    assert_eq!(echoed, Ok(*b"hello"));
}

#[test]
fn a_runner_closed_inside_a_tokio_runtime_does_not_panic() {
    let mut runner = Builder::new().on_diagnostic(|_| {}).build();
    runner
        .run(async {
            tokio::spawn(std::future::pending::<()>());
            drop(tokio::task::spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(3000))
            }));
        })
        .unwrap();
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Dropping a tokio runtime that waits would panic here ("Cannot drop a runtime in a context
    // where blocking is not allowed"): the close waits for nothing.
    let waited = tokio_rt.block_on(async move {
        let start = Instant::now();
        drop(runner);
        start.elapsed()
    });
    assert!(waited < Duration::from_millis(1500), "waited {waited:?}");
}

/// Spawns a task of the runner when dropped, and says whether that task had finished at once.
struct SpawnsOnTheRunner(std::sync::mpsc::Sender<bool>);

impl Drop for SpawnsOnTheRunner {
    fn drop(&mut self) {
        let spawned = std::panic::catch_unwind(|| runner::spawn(std::future::pending::<()>()));
        // A panic ("outside a runner") would leave the channel without a message.
        if let Ok(task) = spawned {
            let _ = self.0.send(task.is_finished());
        }
    }
}

#[test]
fn what_a_tokio_tasks_destructor_spawns_during_close_is_cancelled_at_once() {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut runner = Runner::new();
    runner
        .run(async move {
            let guard = SpawnsOnTheRunner(tx);
            tokio::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            tokio::task::yield_now().await;
        })
        .unwrap();
    // tokio drops the task as the runner closes.
    runner.close();
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(true));
}
