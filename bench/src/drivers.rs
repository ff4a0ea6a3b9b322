//! The implementations under test, behind one small interface: a `Driver` runs a main future to
//! completion on its thread, and its `Spawner` is what the workloads call inside that future.
//!
//! Each driver is built once per workload and reused across rounds (warm pools, warm
//! allocations), as a long-lived program would use it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use async_executor::Executor;

/// Spawns tasks and blocking jobs, and sleeps, the way one implementation does.
pub trait Spawner: Clone + Send + Sync + 'static {
    /// A task's handle: awaiting it gives the task's output.
    type Handle<T: Send + 'static>: Future<Output = T> + Send + 'static;

    fn spawn<F>(&self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    fn spawn_blocking<T, F>(&self, f: F) -> Self::Handle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static;

    /// `n` round trips of one byte over a loopback TCP connection: an echo task and this one.
    fn echo(&self, n: usize) -> impl Future<Output = ()>;
}

/// Runs a main future to completion on the calling thread.
pub trait Driver {
    type Spawner: Spawner;

    fn spawner(&self) -> Self::Spawner;

    fn block_on<F: Future>(&mut self, future: F) -> F::Output;
}

// ---------------------------------------------------------------------------------------------
// runner

/// `runner`'s free functions: they find the runner through a thread-local.
#[derive(Clone, Copy)]
pub struct RunnerSpawner;

impl Spawner for RunnerSpawner {
    type Handle<T: Send + 'static> = runner::Task<T>;

    fn spawn<F>(&self, future: F) -> runner::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        runner::spawn(future)
    }

    fn spawn_blocking<T, F>(&self, f: F) -> runner::Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        runner::spawn_blocking(f)
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        let timer = runner::sleep(duration);
        async move {
            timer.await;
        }
    }

    fn echo(&self, n: usize) -> impl Future<Output = ()> {
        smol_echo(*self, n)
    }
}

/// A `runner::Runner`, started once and reused; closed when dropped.
pub struct RunnerDriver(pub runner::Runner);

impl RunnerDriver {
    /// Debug mode and threads as given, Ctrl-C handling off (nothing to interrupt here).
    pub fn new(debug: bool, threads: usize) -> Self {
        let runner = runner::Runner::builder()
            .debug(debug)
            .threads(threads)
            .handle_ctrl_c(false)
            .build();
        RunnerDriver(runner)
    }

    /// One thread on async-executor: the engine a one-thread runner had before its own
    /// scheduler (the "before" rows).
    pub fn executor_engine(debug: bool) -> Self {
        let builder = runner::Runner::builder()
            .debug(debug)
            .threads(1)
            .handle_ctrl_c(false);
        RunnerDriver(runner::__private::executor_engine(builder).build())
    }

    /// One thread with its clock paused, as `#[runner::test(start_paused = true)]` (debug off).
    pub fn paused() -> Self {
        let runner = runner::Runner::builder()
            .debug(false)
            .start_paused(true)
            .handle_ctrl_c(false)
            .build();
        RunnerDriver(runner)
    }
}

impl Driver for RunnerDriver {
    type Spawner = RunnerSpawner;

    fn spawner(&self) -> RunnerSpawner {
        RunnerSpawner
    }

    fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        self.0.run(future).expect("runner::Runner::run failed")
    }
}

// ---------------------------------------------------------------------------------------------
// raw async-executor + async-io

/// A plain `async_executor::Executor`, as a smol user holds it.
#[derive(Clone)]
pub struct RawSpawner(Arc<Executor<'static>>);

impl Spawner for RawSpawner {
    type Handle<T: Send + 'static> = async_executor::Task<T>;

    fn spawn<F>(&self, future: F) -> async_executor::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn(future)
    }

    fn spawn_blocking<T, F>(&self, f: F) -> async_executor::Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // smol's pool; its handle is the same `async_task::Task` type.
        blocking::unblock(f)
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        let timer = async_io::Timer::after(duration);
        async move {
            timer.await;
        }
    }

    fn echo(&self, n: usize) -> impl Future<Output = ()> {
        smol_echo(self.clone(), n)
    }
}

/// The echo workload on async-io's `Async<TcpStream>` (what async-net wraps).
async fn smol_echo<S: Spawner>(spawner: S, n: usize) {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let listener = async_io::Async::<std::net::TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
    let address = listener.get_ref().local_addr().unwrap();
    let server = spawner.spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut byte = [0u8];
        while stream.read_exact(&mut byte).await.is_ok() {
            stream.write_all(&byte).await.unwrap();
        }
    });
    let mut client = async_io::Async::<std::net::TcpStream>::connect(address)
        .await
        .unwrap();
    client.get_ref().set_nodelay(true).unwrap();
    let mut byte = [0u8];
    for i in 0..n {
        byte[0] = i as u8;
        client.write_all(&byte).await.unwrap();
        client.read_exact(&mut byte).await.unwrap();
    }
    drop(client);
    server.await;
}

/// `async_io::block_on(executor.run(future))`, plus `extra` threads that run the same executor
/// (the hand-written multi-threaded smol setup).
pub struct RawDriver {
    executor: Arc<Executor<'static>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl RawDriver {
    pub fn new(threads: usize) -> Self {
        let executor = Arc::new(Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (1..threads)
            .map(|_| {
                let (executor, stopped) = (executor.clone(), stopped.clone());
                std::thread::spawn(move || {
                    let _ = async_io::block_on(executor.run(stopped.recv()));
                })
            })
            .collect();
        RawDriver {
            executor,
            stop: Some(stop),
            threads,
        }
    }
}

impl Driver for RawDriver {
    type Spawner = RawSpawner;

    fn spawner(&self) -> RawSpawner {
        RawSpawner(self.executor.clone())
    }

    fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        async_io::block_on(self.executor.run(future))
    }
}

impl Drop for RawDriver {
    fn drop(&mut self) {
        // Closing the channel ends every `stopped.recv()`.
        drop(self.stop.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// tokio

#[derive(Clone, Copy)]
pub struct TokioSpawner;

/// A tokio `JoinHandle` whose output is unwrapped, so all handles yield `T`.
pub struct TokioHandle<T>(tokio::task::JoinHandle<T>);

impl<T> Future for TokioHandle<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.expect("tokio task failed"))
    }
}

impl Spawner for TokioSpawner {
    type Handle<T: Send + 'static> = TokioHandle<T>;

    fn spawn<F>(&self, future: F) -> TokioHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        TokioHandle(tokio::spawn(future))
    }

    fn spawn_blocking<T, F>(&self, f: F) -> TokioHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        TokioHandle(tokio::task::spawn_blocking(f))
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep(duration)
    }

    async fn echo(&self, n: usize) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut byte = [0u8];
            while stream.read_exact(&mut byte).await.is_ok() {
                stream.write_all(&byte).await.unwrap();
            }
        });
        let mut client = tokio::net::TcpStream::connect(address).await.unwrap();
        client.set_nodelay(true).unwrap();
        let mut byte = [0u8];
        for i in 0..n {
            byte[0] = i as u8;
            client.write_all(&byte).await.unwrap();
            client.read_exact(&mut byte).await.unwrap();
        }
        drop(client);
        server.await.unwrap();
    }
}

/// A tokio runtime: current-thread, or multi-thread with `workers` worker threads.
pub struct TokioDriver(tokio::runtime::Runtime);

impl TokioDriver {
    pub fn current_thread() -> Self {
        TokioDriver(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime"),
        )
    }

    /// Current-thread with the clock paused: `#[tokio::test(start_paused = true)]`.
    pub fn paused() -> Self {
        TokioDriver(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("tokio runtime"),
        )
    }

    pub fn multi_thread(workers: usize) -> Self {
        TokioDriver(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .expect("tokio runtime"),
        )
    }
}

impl Driver for TokioDriver {
    type Spawner = TokioSpawner;

    fn spawner(&self) -> TokioSpawner {
        TokioSpawner
    }

    fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        self.0.block_on(future)
    }
}
