//! A TCP echo server that shuts down gracefully on Ctrl-C or SIGTERM, with
//! `runner::signal::shutdown_signal`.
//!
//! Run it with `cargo run --example echo_server`, connect with `nc 127.0.0.1 <port>`, type a few
//! lines, then press Ctrl-C in the server's terminal (or `kill <pid>`, as a supervisor stops a
//! service). The first signal stops accepting, lets the open connections finish (until their
//! clients close them), prints a summary and exits 0. A second Ctrl-C or SIGTERM ends the server
//! at once, by that signal, in case a client never closes.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_io::Async;
use futures_lite::{future, io};

fn main() -> io::Result<()> {
    // SIGTERM is opt-in: handled like Ctrl-C, for a server that a supervisor stops.
    let mut runner = runner::Runner::builder().handle_sigterm(true).build();
    let served = runner.run(serve());
    runner.close();
    match served {
        Ok(summary) => {
            println!("{}", summary?);
            Ok(())
        }
        // A signal before `serve` made its `ShutdownSignal` cancels it as usual.
        Err(runner::RunError::Interrupted) => runner::signal::exit_interrupted(),
        Err(runner::RunError::Terminated) => runner::signal::exit_terminated(),
        Err(e) => Err(io::Error::other(e)),
    }
}

/// What the accept loop waits for.
enum Next {
    Accepted(io::Result<(Async<TcpStream>, SocketAddr)>),
    Stop(runner::signal::Signal),
}

/// Serves until Ctrl-C or SIGTERM, then waits for the open connections; returns a one-line
/// summary.
async fn serve() -> io::Result<String> {
    // Made first, so that from here on either signal resolves it instead of cancelling `serve`.
    let mut stop = runner::signal::shutdown_signal();
    let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0))?;
    println!("listening on {}", listener.get_ref().local_addr()?);

    let echoed = Arc::new(AtomicU64::new(0));
    let mut connections = Vec::new();
    let mut accepted = 0;
    let signal = loop {
        let accept = async { Next::Accepted(listener.accept().await) };
        let stopped = async { Next::Stop((&mut stop).await) };
        match future::or(accept, stopped).await {
            Next::Accepted(Ok((stream, _peer))) => {
                accepted += 1;
                // Forget the connections that are done (dropping a finished task is a no-op).
                connections.retain(|connection: &runner::Task<()>| !connection.is_finished());
                connections.push(runner::spawn(echo(stream, echoed.clone())));
            }
            // Out of file descriptors, a connection reset before it was accepted, ...: go on.
            Next::Accepted(Err(e)) => eprintln!("accept failed: {e}"),
            Next::Stop(signal) => break signal,
        }
    };

    drop(listener);
    let signal = match signal {
        runner::signal::Signal::Terminate => "SIGTERM",
        _ => "Ctrl-C",
    };
    println!("{signal}: stopped accepting, letting open connections finish");

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
