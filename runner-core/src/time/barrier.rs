//! The reactor barrier: proof that every I/O event already ready in the kernel has been
//! dispatched, before a paused clock jumps.
//!
//! async-io has no public "poll the reactor now", and the reactor may be held by another thread
//! (async-io's own, or another runner's). So the barrier writes one byte into a socket pair and
//! awaits the other end readable: that event comes from a reactor poll begun after the write,
//! and one poll dispatches every event ready at the time, whichever thread runs it. That holds
//! for epoll and kqueue.
//!
//! It does so twice. The poll that reports the first byte wakes its wakers one by one, and on
//! another thread the barrier's own wake may come before the wake of a task whose I/O was ready
//! too (a test saw the clock jump past such a task in about one run in twenty). async-io wakes
//! them all before it releases the reactor, and the second byte is reported by a later poll, so
//! once the second pass is done every wake of the first poll has happened. On Windows the reactor learns of ready sockets through completion
//! ports, in no set order, so there the barrier is best effort (the README says so).

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use async_io::Async;

#[cfg(unix)]
type Socket = std::os::unix::net::UnixStream;
#[cfg(not(unix))]
type Socket = std::net::TcpStream;

pub(crate) struct ReactorBarrier {
    reader: Async<Socket>,
    writer: Socket,
    /// Whether a pass was given up after its write: its byte may still be in the socket.
    dirty: AtomicBool,
}

impl ReactorBarrier {
    pub(crate) fn new() -> io::Result<ReactorBarrier> {
        let (reader, writer) = pair()?;
        writer.set_nonblocking(true)?;
        Ok(ReactorBarrier {
            reader: Async::new(reader)?,
            writer,
            dirty: AtomicBool::new(false),
        })
    }

    /// Returns once the reactor has dispatched every event that was ready when it was called,
    /// and woken every waker of those events.
    pub(crate) async fn pass(&self) {
        self.round().await;
        self.round().await;
    }

    /// One byte through the socket pair.
    async fn round(&self) {
        // Bytes of passes given up halfway (something woke first) would fill the socket.
        if self.dirty.swap(true, Ordering::Relaxed) {
            self.drain();
        }
        // Into a drained socket the byte always fits; if it did not, the socket would be
        // readable all the same.
        let _ = (&self.writer).write(&[1]);
        let _ = self.reader.readable().await;
        self.drain();
        self.dirty.store(false, Ordering::Relaxed);
    }

    fn drain(&self) {
        let mut bytes = [0; 64];
        // Non-blocking (async-io made it so): a short read took all there was.
        while let Ok(64) = self.reader.get_ref().read(&mut bytes) {}
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
