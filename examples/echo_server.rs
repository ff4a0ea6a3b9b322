//! A TCP echo server that shuts down gracefully on Ctrl-C, with `runner::ctrl_c`.
//!
//! Run it with `cargo run --example echo_server`, connect with `nc 127.0.0.1 <port>`, type a few
//! lines, then press Ctrl-C in the server's terminal. The first Ctrl-C stops accepting, lets the
//! open connections finish (until their clients close them), prints a summary and exits 0. A
//! second Ctrl-C ends the server at once, in case a client never closes.

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_io::Async;
use futures_lite::{future, io};

fn main() -> io::Result<()> {
    match runner::run(serve()) {
        Ok(summary) => {
            println!("{}", summary?);
            Ok(())
        }
        // A Ctrl-C before `serve` made its `CtrlC` cancels it as usual.
        Err(runner::RunError::Interrupted) => runner::signal::exit_interrupted(),
        Err(e) => Err(io::Error::other(e)),
    }
}

/// Serves until Ctrl-C, then waits for the open connections; returns a one-line summary.
async fn serve() -> io::Result<String> {
    // Made first, so that from here on Ctrl-C resolves it instead of cancelling `serve`.
    let mut ctrl_c = runner::ctrl_c();
    let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0))?;
    println!("listening on {}", listener.get_ref().local_addr()?);

    let echoed = Arc::new(AtomicU64::new(0));
    let mut connections = Vec::new();
    let mut accepted = 0;
    loop {
        let accept = async { Some(listener.accept().await) };
        let stop = async {
            (&mut ctrl_c).await;
            None
        };
        match future::or(accept, stop).await {
            Some(Ok((stream, _peer))) => {
                accepted += 1;
                // Forget the connections that are done (dropping a finished task is a no-op).
                connections.retain(|connection: &runner::Task<()>| !connection.is_finished());
                connections.push(runner::spawn(echo(stream, echoed.clone())));
            }
            // Out of file descriptors, a connection reset before it was accepted, ...: go on.
            Some(Err(e)) => eprintln!("accept failed: {e}"),
            None => break,
        }
    }

    drop(listener);
    println!("Ctrl-C: stopped accepting, letting open connections finish");
    for connection in connections {
        connection.await;
    }
    Ok(format!(
        "served {accepted} connection(s), echoed {} bytes",
        echoed.load(Ordering::Relaxed)
    ))
}

/// Echoes everything the client sends until it closes its side.
async fn echo(stream: Async<TcpStream>, echoed: Arc<AtomicU64>) {
    match io::copy(&stream, &mut &stream).await {
        Ok(bytes) => {
            echoed.fetch_add(bytes, Ordering::Relaxed);
        }
        Err(e) => eprintln!("connection failed: {e}"),
    }
}
