//! A runner's tokio runtime, with the `tokio` feature: what drives the thread inside `run`, the
//! context the runner's other threads enter, and its shutdown. Without the feature every type
//! here is empty and every function does what the runner does without tokio, so that callers
//! need no `cfg`.
//!
//! tokio's `block_on` drives the thread inside `run` (with the executor inside it): tokio's I/O
//! driver then owns that thread, so `tokio::net` is as fast as on tokio itself, and async-io's
//! reactor moves to its helper thread. `Builder::tokio(false)` keeps async-io on the thread.

use std::future::Future;
use std::time::Duration;

/// What tokio's panic says when code that needs its runtime runs outside one.
pub(crate) const NO_RUNTIME: &str = "must be called from the context of a Tokio 1.x runtime";

/// A runner's tokio runtime: its own, one it found running where it started, or none.
pub(crate) struct Tokio {
    #[cfg(feature = "tokio")]
    inner: imp::Inner,
}

/// The context a runner's threads enter: cheap to clone, kept in the runner's shared state.
#[derive(Clone, Default)]
pub(crate) struct TokioHandle {
    #[cfg(feature = "tokio")]
    handle: Option<tokio::runtime::Handle>,
}

/// The runner's tokio context, entered on this thread until dropped.
pub(crate) struct TokioEntered<'a> {
    #[cfg(feature = "tokio")]
    _guard: Option<tokio::runtime::EnterGuard<'a>>,
    #[cfg(not(feature = "tokio"))]
    _handle: std::marker::PhantomData<&'a ()>,
}

/// Whether this thread is already in a tokio context that no runner of this process entered
/// for it: a tokio task, tokio's `block_on`, or a `Handle::enter`. `ours` says that the thread
/// belongs to a runner (which entered whatever context it has).
pub(crate) fn in_foreign_context(ours: bool) -> bool {
    #[cfg(feature = "tokio")]
    {
        !ours && tokio::runtime::Handle::try_current().is_ok()
    }
    #[cfg(not(feature = "tokio"))]
    {
        let _ = ours;
        false
    }
}

impl Tokio {
    /// A runner's tokio: none when `enabled` is false (or without the feature); the context
    /// already present when the runner starts inside one (`foreign`); else a fresh runtime.
    pub(crate) fn start(enabled: bool, foreign: bool) -> Tokio {
        #[cfg(feature = "tokio")]
        {
            Tokio {
                inner: imp::Inner::start(enabled, foreign),
            }
        }
        #[cfg(not(feature = "tokio"))]
        {
            let _ = (enabled, foreign);
            Tokio {}
        }
    }

    /// The context the runner's worker threads, blocking jobs and `close` enter.
    pub(crate) fn handle(&self) -> TokioHandle {
        #[cfg(feature = "tokio")]
        {
            TokioHandle {
                handle: self.inner.handle(),
            }
        }
        #[cfg(not(feature = "tokio"))]
        {
            TokioHandle {}
        }
    }

    /// Polls `future` to completion on the thread inside `run`: with tokio's `block_on` when the
    /// runner owns its runtime and the thread is in no other tokio context (`foreign`); else
    /// with async-io's, inside the runner's context or the one the thread already has.
    pub(crate) fn block_on<F: Future>(&self, foreign: bool, future: F) -> F::Output {
        #[cfg(feature = "tokio")]
        {
            self.inner.block_on(foreign, future)
        }
        #[cfg(not(feature = "tokio"))]
        {
            let _ = foreign;
            async_io::block_on(future)
        }
    }

    /// Shuts the runtime down (if the runner owns one): its pending tasks are dropped, and its
    /// `spawn_blocking` threads waited for up to `timeout`. Returns how many threads were still
    /// running a blocking job then.
    pub(crate) fn shut_down(self, timeout: Duration) -> usize {
        #[cfg(feature = "tokio")]
        {
            self.inner.shut_down(timeout)
        }
        #[cfg(not(feature = "tokio"))]
        {
            let _ = timeout;
            0
        }
    }
}

impl TokioHandle {
    /// Whether there is a runtime to enter.
    pub(crate) fn is_some(&self) -> bool {
        #[cfg(feature = "tokio")]
        {
            self.handle.is_some()
        }
        #[cfg(not(feature = "tokio"))]
        {
            false
        }
    }

    /// Enters the runner's tokio context on this thread (if it has one) until the guard drops.
    pub(crate) fn enter(&self) -> TokioEntered<'_> {
        #[cfg(feature = "tokio")]
        {
            TokioEntered {
                _guard: self.handle.as_ref().map(tokio::runtime::Handle::enter),
            }
        }
        #[cfg(not(feature = "tokio"))]
        {
            TokioEntered {
                _handle: std::marker::PhantomData,
            }
        }
    }
}

/// The one timer that wakes a runner's timer queue at its earliest deadline: tokio's, when the
/// thread polling it is inside the runner's own tokio `block_on` (then async-io's reactor is not
/// on this thread, and its timer would fire from async-io's helper thread); async-io's otherwise.
/// Which one is decided at every poll, so a run that async-io drives never waits on tokio's.
pub(crate) struct WakeTimer {
    io: async_io::Timer,
    #[cfg(feature = "tokio")]
    tokio: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl WakeTimer {
    pub(crate) fn never() -> WakeTimer {
        WakeTimer {
            io: async_io::Timer::never(),
            #[cfg(feature = "tokio")]
            tokio: None,
        }
    }

    /// Polls the timer set to `deadline` (a real instant). `tokio_ok`: the runner's tasks run on
    /// this thread only, so that tokio's timer fires whenever they can run.
    pub(crate) fn poll_at(
        &mut self,
        deadline: std::time::Instant,
        tokio_ok: bool,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        #[cfg(feature = "tokio")]
        if tokio_ok && imp::drives_tokio() {
            let deadline = tokio::time::Instant::from_std(deadline);
            let sleep = self
                .tokio
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
            if sleep.deadline() != deadline {
                sleep.as_mut().reset(deadline);
            }
            return sleep.as_mut().poll(cx);
        }
        let _ = tokio_ok;
        self.io.set_at(deadline);
        std::pin::Pin::new(&mut self.io).poll(cx).map(drop)
    }
}

#[cfg(feature = "tokio")]
mod imp {
    use std::cell::Cell;
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use tokio::runtime::{Builder, Handle, Runtime, RuntimeFlavor};

    pub(super) enum Inner {
        None,
        Own {
            runtime: Runtime,
            /// The runtime's live threads: with the current-thread flavor, only those of its
            /// blocking pool.
            threads: Arc<AtomicUsize>,
        },
        /// The runtime the runner started in: it is not the runner's to shut down.
        Found(Handle),
    }

    impl Inner {
        pub(super) fn start(enabled: bool, foreign: bool) -> Inner {
            if !enabled {
                return Inner::None;
            }
            if foreign {
                if let Ok(handle) = Handle::try_current() {
                    return Inner::Found(handle);
                }
            }
            let threads = Arc::new(AtomicUsize::new(0));
            let (started, stopped) = (threads.clone(), threads.clone());
            let runtime = Builder::new_current_thread()
                .enable_all()
                .thread_name("runner-tokio-blocking")
                .on_thread_start(move || {
                    started.fetch_add(1, Ordering::SeqCst);
                })
                .on_thread_stop(move || {
                    stopped.fetch_sub(1, Ordering::SeqCst);
                })
                .build()
                .unwrap_or_else(|e| panic!("runner: could not start the tokio runtime: {e}"));
            Inner::Own { runtime, threads }
        }

        pub(super) fn handle(&self) -> Option<Handle> {
            match self {
                Inner::None => None,
                Inner::Own { runtime, .. } => Some(runtime.handle().clone()),
                Inner::Found(handle) => Some(handle.clone()),
            }
        }

        pub(super) fn block_on<F: Future>(&self, foreign: bool, future: F) -> F::Output {
            match self {
                Inner::Own { runtime, .. } if !foreign => {
                    let _driving = Driving::enter();
                    runtime.block_on(future)
                }
                // Entering the runtime the runner started in: its own threads drive it.
                Inner::Found(handle) if !foreign => {
                    let _entered = handle.enter();
                    async_io::block_on(future)
                }
                // `block_on` would panic ("Cannot start a runtime from within a runtime"): the
                // thread keeps the context it has. On a worker of a multi-thread runtime, the run
                // hands the worker's queue to another thread first (tokio's `block_in_place`): a
                // task it spawns would otherwise wait in this worker's queue for the run to end.
                _ if foreign
                    && Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread =>
                {
                    tokio::task::block_in_place(|| async_io::block_on(future))
                }
                _ => async_io::block_on(future),
            }
        }

        pub(super) fn shut_down(self, timeout: Duration) -> usize {
            let Inner::Own { runtime, threads } = self else {
                return 0;
            };
            let start = Instant::now();
            runtime.shutdown_timeout(timeout);
            // An idle thread of the pool exits as soon as it sees the shutdown; with no time to
            // wait (inside another runtime), give those a moment, so that only busy ones count.
            while threads.load(Ordering::SeqCst) > 0 && start.elapsed() < IDLE_EXIT {
                std::thread::yield_now();
            }
            threads.load(Ordering::SeqCst)
        }
    }

    thread_local! {
        /// Whether this thread is inside a runner's own tokio `block_on`.
        static DRIVING: Cell<bool> = const { Cell::new(false) };
    }

    /// Whether this thread is inside a runner's own tokio `block_on` (its timers fire here).
    pub(super) fn drives_tokio() -> bool {
        DRIVING.with(Cell::get)
    }

    /// Marks the thread as inside a runner's own tokio `block_on` until dropped.
    struct Driving(bool);

    impl Driving {
        fn enter() -> Driving {
            Driving(DRIVING.with(|d| d.replace(true)))
        }
    }

    impl Drop for Driving {
        fn drop(&mut self) {
            let _ = DRIVING.try_with(|d| d.set(self.0));
        }
    }

    /// How long an idle blocking thread of tokio's takes at most to exit after the shutdown.
    const IDLE_EXIT: Duration = Duration::from_millis(5);
}
