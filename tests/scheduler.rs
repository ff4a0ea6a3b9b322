//! The promises of the scheduler that runs a one-thread runner's tasks: fairness against timers
//! and I/O, the cap on the LIFO slot, wakes from other threads, wakes during close, a task that
//! wakes itself from its own destructor, and `Runner::executor()`'s tasks.

use std::future::{poll_fn, Future};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use async_io::Async;
use runner::{yield_now, Runner};

fn one_thread() -> Runner {
    one_thread_builder().build()
}

/// [`one_thread`]'s builder, for tests that configure more before building.
fn one_thread_builder() -> runner::Builder {
    Runner::builder()
        .threads(1)
        .debug(false)
        .handle_ctrl_c(false)
}

/// Runs `f` on a thread of its own and fails the test if it takes longer than `limit`: a
/// scheduler that starves something must fail, not hang the suite.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(f()).unwrap());
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"))
}

/// A task that yields until `stop` is set, or gives up after 10 s; returns whether it was stopped.
async fn yield_until(stop: Arc<AtomicBool>) -> bool {
    let start = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        if start.elapsed() > Duration::from_secs(10) {
            return false;
        }
        yield_now().await;
    }
    true
}

#[test]
fn a_task_that_always_yields_does_not_starve_a_timer() {
    let stopped = one_thread().run(async {
        let stop = Arc::new(AtomicBool::new(false));
        let yielder = runner::spawn(yield_until(stop.clone()));
        runner::sleep(Duration::from_millis(10)).await;
        stop.store(true, Ordering::SeqCst);
        yielder.await
    });
    assert_eq!(
        stopped,
        Ok(true),
        "the timer fired only after the yielder gave up"
    );
}

#[test]
fn a_task_that_always_yields_does_not_starve_an_io_wake() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let writer = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        thread::sleep(Duration::from_millis(10));
        stream.write_all(b"x").unwrap();
    });
    let stopped = one_thread().run(async move {
        let mut stream = Async::<TcpStream>::connect(address).await.unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let yielder = runner::spawn(yield_until(stop.clone()));
        let mut byte = [0u8];
        futures_lite::AsyncReadExt::read_exact(&mut stream, &mut byte)
            .await
            .unwrap();
        stop.store(true, Ordering::SeqCst);
        yielder.await
    });
    writer.join().unwrap();
    assert_eq!(
        stopped,
        Ok(true),
        "the read woke only after the yielder gave up"
    );
}

/// Two tasks that take turns, each waking the other: the woken one runs next (the LIFO slot).
struct Turns {
    state: Mutex<(usize, [Option<Waker>; 2])>,
    stop: AtomicBool,
    round_trips: AtomicUsize,
}

impl Turns {
    /// Waits for `me`'s turn, then gives the turn to the other one and wakes it.
    async fn play(self: Arc<Self>, me: usize) {
        while !self.stop.load(Ordering::SeqCst) {
            poll_fn(|cx| {
                let mut state = self.state.lock().unwrap();
                if state.0 == me || self.stop.load(Ordering::SeqCst) {
                    Poll::Ready(())
                } else {
                    state.1[me] = Some(cx.waker().clone());
                    Poll::Pending
                }
            })
            .await;
            if me == 0 && self.round_trips.fetch_add(1, Ordering::SeqCst) > 100_000 {
                return; // starved: the assertion below says so
            }
            let mut state = self.state.lock().unwrap();
            state.0 = 1 - me;
            if let Some(other) = state.1[1 - me].take() {
                drop(state);
                other.wake();
            }
        }
    }
}

#[test]
fn two_tasks_that_wake_each_other_cannot_starve_a_third() {
    let round_trips = within(Duration::from_secs(60), || {
        one_thread()
            .run(async {
                let turns = Arc::new(Turns {
                    state: Mutex::new((2, [None, None])),
                    stop: AtomicBool::new(false),
                    round_trips: AtomicUsize::new(0),
                });
                let a = runner::spawn(turns.clone().play(0));
                let b = runner::spawn(turns.clone().play(1));
                // Both wait for their turn.
                yield_now().await;
                let first = {
                    let mut state = turns.state.lock().unwrap();
                    state.0 = 0;
                    state.1[0].take().unwrap()
                };
                // The ping-pong starts ahead of the third task in the queue.
                first.wake();
                let stopper = turns.clone();
                let third = runner::spawn(async move {
                    stopper.stop.store(true, Ordering::SeqCst);
                    let wakers = std::mem::take(&mut stopper.state.lock().unwrap().1);
                    wakers.into_iter().flatten().for_each(Waker::wake);
                });
                third.await;
                a.await;
                b.await;
                turns.round_trips.load(Ordering::SeqCst)
            })
            .unwrap()
    });
    assert!(
        round_trips < 10,
        "the third task ran only after {round_trips} round trips of the other two"
    );
}

/// A future that completes once `flag` is set, woken by whoever sets it.
#[derive(Clone, Default)]
struct Flag(Arc<Mutex<(bool, Option<Waker>)>>);

impl Flag {
    fn set(&self) {
        let waker = {
            let mut state = self.0.lock().unwrap();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let flag = self.clone();
        poll_fn(move |cx| {
            let mut state = flag.0.lock().unwrap();
            if state.0 {
                Poll::Ready(())
            } else {
                state.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

#[test]
fn a_task_woken_from_another_thread_runs() {
    within(Duration::from_secs(60), || {
        one_thread()
            .run(async {
                let flag = Flag::default();
                let task = runner::spawn(flag.wait());
                let setter = flag.clone();
                let thread = thread::spawn(move || {
                    thread::sleep(Duration::from_millis(20));
                    setter.set();
                });
                task.await;
                thread.join().unwrap();
            })
            .unwrap();
    });
}

#[test]
fn a_main_future_woken_from_another_thread_runs() {
    within(Duration::from_secs(60), || {
        let flag = Flag::default();
        let setter = flag.clone();
        let thread = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            setter.set();
        });
        one_thread().run(flag.wait()).unwrap();
        thread.join().unwrap();
    });
}

#[test]
fn tasks_spawned_and_woken_by_a_blocking_job_run() {
    let out = within(Duration::from_secs(60), || {
        one_thread()
            .run(async {
                let flag = Flag::default();
                let waiting = runner::spawn(flag.wait());
                let setter = flag.clone();
                let spawned = runner::spawn_blocking(move || {
                    setter.set();
                    runner::spawn(async { 7 })
                })
                .await;
                waiting.await;
                spawned.await
            })
            .unwrap()
    });
    assert_eq!(out, 7);
}

/// Records where and whether it was dropped.
struct DropSpy(Arc<Mutex<Vec<ThreadId>>>);

impl Drop for DropSpy {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(thread::current().id());
    }
}

#[test]
fn a_task_woken_by_a_destructor_during_close_is_cancelled_on_the_closing_thread() {
    let drops = Arc::new(Mutex::new(Vec::new()));
    let mut runner = one_thread();
    let flag = Flag::default();
    runner
        .run({
            let (drops, flag) = (drops.clone(), flag.clone());
            async move {
                let spy = DropSpy(drops.clone());
                let wait = flag.wait();
                runner::spawn(async move {
                    let _spy = spy;
                    wait.await;
                })
                .detach();
                // This task's destructor wakes the one above.
                struct SetOnDrop(Flag);
                impl Drop for SetOnDrop {
                    fn drop(&mut self) {
                        self.0.set();
                    }
                }
                let setter = SetOnDrop(flag);
                let spy = DropSpy(drops);
                runner::spawn(async move {
                    let _setter = setter;
                    let _spy = spy;
                    std::future::pending::<()>().await;
                })
                .detach();
                yield_now().await;
            }
        })
        .unwrap();
    runner.close();
    let drops = drops.lock().unwrap();
    assert_eq!(drops.len(), 2, "both tasks were dropped by close");
    assert!(drops.iter().all(|&id| id == thread::current().id()));
}

#[test]
fn wakes_from_another_thread_during_close_never_keep_a_task_alive() {
    for _ in 0..50 {
        let drops = Arc::new(Mutex::new(Vec::new()));
        let mut runner = one_thread();
        let waker = Arc::new(Mutex::new(None::<Waker>));
        runner
            .run({
                let (drops, waker) = (drops.clone(), waker.clone());
                async move {
                    let spy = DropSpy(drops);
                    runner::spawn(async move {
                        let _spy = spy;
                        poll_fn(|cx| {
                            *waker.lock().unwrap() = Some(cx.waker().clone());
                            Poll::<()>::Pending
                        })
                        .await
                    })
                    .detach();
                    yield_now().await;
                }
            })
            .unwrap();
        let waker = waker.lock().unwrap().take().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let waking = {
            let stop = stop.clone();
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    waker.wake_by_ref();
                }
            })
        };
        runner.close();
        assert_eq!(drops.lock().unwrap().len(), 1, "close dropped the task");
        stop.store(true, Ordering::SeqCst);
        waking.join().unwrap();
    }
}

/// Wakes its own task when dropped.
struct WakeSelfOnDrop(Option<Waker>, Arc<AtomicUsize>);

impl Drop for WakeSelfOnDrop {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
        if let Some(waker) = self.0.take() {
            waker.wake();
        }
    }
}

/// Pending forever (or until `finish`), keeping a guard that wakes this task when dropped.
struct WakesItself {
    guard: WakeSelfOnDrop,
    finish: bool,
}

impl Future for WakesItself {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.guard.0 = Some(cx.waker().clone());
        if self.finish {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn a_task_that_wakes_itself_from_its_destructor_is_dropped_once() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut runner = one_thread();
    let guard = |d: &Arc<AtomicUsize>| WakeSelfOnDrop(None, d.clone());
    let cancelled = runner
        .run({
            let dropped = dropped.clone();
            async move {
                // Finished, cancelled by its handle, and left for close.
                runner::spawn(WakesItself {
                    guard: guard(&dropped),
                    finish: true,
                })
                .await;
                let task = runner::spawn(WakesItself {
                    guard: guard(&dropped),
                    finish: false,
                });
                yield_now().await;
                let cancelled = task.cancel().await;
                runner::spawn(WakesItself {
                    guard: guard(&dropped),
                    finish: false,
                })
                .detach();
                yield_now().await;
                cancelled
            }
        })
        .unwrap();
    assert_eq!(cancelled, None);
    assert_eq!(dropped.load(Ordering::SeqCst), 2);
    runner.close();
    assert_eq!(dropped.load(Ordering::SeqCst), 3);
}

#[test]
fn tasks_on_the_handed_out_executor_run_while_the_runner_runs() {
    let out = within(Duration::from_secs(60), || {
        let mut runner = one_thread();
        let executor = runner.executor().unwrap();
        let before = executor.spawn(async { 1 });
        let from_thread = {
            let executor = executor.clone();
            thread::spawn(move || executor.spawn(async { 2 }))
                .join()
                .unwrap()
        };
        runner
            .run(async move {
                let timed = executor.spawn(async {
                    runner::sleep(Duration::from_millis(5)).await;
                    3
                });
                before.await + from_thread.await + timed.await
            })
            .unwrap()
    });
    assert_eq!(out, 6);
}

#[test]
fn a_yield_in_the_main_future_lets_the_tasks_run_first() {
    let order = one_thread().run(async {
        let order = Arc::new(Mutex::new(Vec::new()));
        for i in 0..3 {
            let order = order.clone();
            runner::spawn(async move { order.lock().unwrap().push(i) }).detach();
        }
        yield_now().await;
        order.lock().unwrap().push(99);
        Arc::try_unwrap(order).unwrap().into_inner().unwrap()
    });
    assert_eq!(order, Ok(vec![0, 1, 2, 99]));
}

#[test]
fn a_task_handle_is_two_words() {
    // The "lean task": the handle of a one-thread runner's task is async-task's pointer
    // plus one word (its number and spawn site travel in the task's own allocation).
    assert!(std::mem::size_of::<runner::Task<u64>>() <= 16);
    assert!(std::mem::size_of::<runner::task::FallibleTask<[u8; 64]>>() <= 16);
}

#[test]
fn handles_awaited_on_other_threads_while_close_cancels_read_the_cancellation() {
    for _ in 0..20 {
        let mut runner = one_thread();
        let line = line!() + 4;
        let tasks = runner
            .run(async {
                (0..64)
                    .map(|_| runner::spawn(std::future::pending::<u8>()))
                    .collect::<Vec<_>>()
            })
            .unwrap();
        let (polled_tx, polled_rx) = mpsc::channel();
        let awaiters: Vec<_> = tasks
            .into_iter()
            .enumerate()
            .map(|(i, task)| {
                let polled = polled_tx.clone();
                thread::spawn(move || {
                    // Polled once before close, so that each awaiter waits while close runs.
                    let mut task = Box::pin(task);
                    let waker = Waker::noop();
                    assert!(task
                        .as_mut()
                        .poll(&mut Context::from_waker(waker))
                        .is_pending());
                    polled.send(()).unwrap();
                    let task = Pin::into_inner(task);
                    if i % 2 == 0 {
                        Ok(futures_lite::future::block_on(task.fallible()))
                    } else {
                        let awaited =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                futures_lite::future::block_on(task)
                            }));
                        Err(*awaited.unwrap_err().downcast::<String>().unwrap())
                    }
                })
            })
            .collect();
        for _ in 0..64 {
            polled_rx.recv().unwrap();
        }
        runner.close();
        for awaiter in awaiters {
            match awaiter.join().unwrap() {
                Ok(output) => assert_eq!(output, None),
                Err(message) => {
                    assert!(message.contains("was cancelled"), "{message}");
                    assert!(
                        message.contains(&format!("scheduler.rs:{line}:")),
                        "{message}"
                    );
                }
            }
        }
    }
}

/// Spawns a task when dropped, and hands its handle out.
struct SpawnOnDrop(mpsc::Sender<runner::Task<u8>>);

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(runner::spawn(async { 7 }));
    }
}

#[test]
fn a_task_spawned_by_a_destructor_during_close_reads_as_cancelled() {
    let mut runner = one_thread();
    let (tx, rx) = mpsc::channel();
    runner
        .run(async move {
            let guard = SpawnOnDrop(tx);
            runner::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            })
            .detach();
            yield_now().await;
        })
        .unwrap();
    runner.close();
    let task = rx.recv().unwrap();
    assert!(task.is_finished(), "cancelled before it started");
    let awaited = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures_lite::future::block_on(task)
    }));
    let message = *awaited.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("was cancelled"), "{message}");
    assert!(message.contains("scheduler.rs:"), "{message}");
}

/// The own engine's task wrapper keeps no copy of the task's name: the engine names the task
/// it runs or drops. A destructor that panics when the task's handle cancels it is still
/// reported under the task's spawn site (for one that `close` cancels, see `tests/close.rs`).
#[test]
fn a_destructor_that_panics_when_its_handle_cancels_the_task_is_reported_by_name() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("destructor boom");
        }
    }
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let mut runner = one_thread_builder()
        .on_diagnostic(move |d| {
            if let runner::diagnostic::Diagnostic::TaskPanicked { .. } = d {
                sink.lock().unwrap().push(d.to_string());
            }
        })
        .build();
    let line = line!() + 3;
    runner
        .run(async {
            let task = runner::spawn(async {
                let _bomb = PanicOnDrop;
                std::future::pending::<()>().await
            });
            yield_now().await;
            drop(task);
            // The engine drops the cancelled task's future at its next turn.
            yield_now().await;
        })
        .unwrap();
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].contains(&format!(" spawned at {}:{line}:", file!())),
        "{reports:?}"
    );
    assert!(reports[0].ends_with(": destructor boom"), "{reports:?}");
}
