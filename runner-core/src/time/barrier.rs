//! The reactor barrier: proof that every I/O event already ready in the kernel has been
//! dispatched, before a paused clock jumps.
//!
//! async-io has no public "poll the reactor now", and the reactor may be held by another thread
//! (async-io's own, or another runner's). So the barrier keeps one byte in a socket pair, and
//! awaits the other end readable: async-io arms the socket when the wait begins and counts
//! only an event from a reactor poll begun after that, and one poll dispatches every event ready
//! at the time, whichever thread runs it. That holds for epoll and kqueue. The byte stays: the
//! socket is always readable, so each wait costs the re-arming and no write or read.
//!
//! The poll that reports the socket wakes its wakers one by one. When it runs on another thread,
//! the barrier's own wake may come before the wake of a task whose I/O was ready too (a test saw
//! the clock jump past such a task in about one run in twenty). async-io wakes them all before
//! it releases the reactor, so then the barrier waits a second time: a later poll reports it,
//! and once it has, every wake of the first poll has happened. When the poll runs on this thread
//! (inside `block_on`, the usual case), its wakes are all done before `block_on` polls again,
//! and one wait is enough. The barrier tells the two apart by where its own wake came from, not
//! by the socket's readiness alone: a poll elsewhere marks the socket ready before it calls the
//! wakers, and a look in between finds it ready with no wake seen; that counts as elsewhere.
//!
//! On Windows the reactor learns of ready sockets through completion ports, in no set order, so
//! there the barrier is best effort (the README says so).

use std::future::Future;
use std::io::{self, Write};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::thread::{self, ThreadId};

use async_io::Async;
use futures_lite::future;

/// Which thread's reactor poll woke the barrier.
#[derive(PartialEq, Eq)]
enum WokenFrom {
    Here,
    /// Another thread's, or none seen yet: the socket's event can be read as delivered before
    /// the poll that delivered it has called its wakers.
    Elsewhere,
}

/// The wakes a round's waker has passed on, by where they came from.
#[derive(Default)]
struct Wakes {
    here: AtomicBool,
    elsewhere: AtomicBool,
}

/// The barrier's waker: notes where each wake comes from (`home` or another thread), and
/// passes it on.
struct Noting {
    home: ThreadId,
    inner: Waker,
    wakes: Arc<Wakes>,
}

impl Wake for Noting {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let from = match thread::current().id() == self.home {
            true => &self.wakes.here,
            false => &self.wakes.elsewhere,
        };
        from.store(true, Ordering::Release);
        self.inner.wake_by_ref();
    }
}

#[cfg(unix)]
type Socket = std::os::unix::net::UnixStream;
#[cfg(not(unix))]
type Socket = std::net::TcpStream;

pub(crate) struct ReactorBarrier {
    /// Readable for good: the other end, dropped here, wrote one byte into it.
    reader: Async<Socket>,
}

impl ReactorBarrier {
    pub(crate) fn new() -> io::Result<ReactorBarrier> {
        let (reader, mut writer) = pair()?;
        writer.write_all(&[1])?;
        Ok(ReactorBarrier {
            reader: Async::new(reader)?,
        })
    }

    /// Returns once the reactor has dispatched every event that was ready when it was called,
    /// and woken every waker of those events.
    pub(crate) async fn pass(&self) {
        if self.round().await == WokenFrom::Elsewhere {
            self.round().await;
        }
    }

    /// One wait for the socket: where the reactor poll that reported it ran.
    async fn round(&self) -> WokenFrom {
        let wakes = Arc::new(Wakes::default());
        let home = thread::current().id();
        let mut readable = pin!(self.reader.readable());
        let _ = future::poll_fn(|cx| {
            let waker = Waker::from(Arc::new(Noting {
                home,
                inner: cx.waker().clone(),
                wakes: wakes.clone(),
            }));
            readable.as_mut().poll(&mut Context::from_waker(&waker))
        })
        .await;
        // A reactor poll on this thread calls all its wakers before `block_on` polls again,
        // and polls run one at a time: a wake from here means a whole poll of this thread's.
        // Ready with no such wake, the socket may have been seen ready while another
        // thread's poll was still calling its wakers.
        match (
            wakes.here.load(Ordering::Acquire),
            wakes.elsewhere.load(Ordering::Acquire),
        ) {
            (true, false) => WokenFrom::Here,
            _ => WokenFrom::Elsewhere,
        }
    }
}

#[cfg(unix)]
fn pair() -> io::Result<(Socket, Socket)> {
    Socket::pair()
}

#[cfg(not(unix))]
fn pair() -> io::Result<(Socket, Socket)> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    let writer = Socket::connect(listener.local_addr()?)?;
    let (reader, _) = listener.accept()?;
    writer.set_nodelay(true)?;
    Ok((reader, writer))
}
