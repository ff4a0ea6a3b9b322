//! `examples/echo_server.rs`, run as built, driven with real connections and real SIGINTs and
//! SIGTERMs.
//!
//! `cargo test` builds the examples before it runs any test; the example's binary is found next
//! to this test's (`target/<profile>/examples/`). Run alone (`cargo test --test echo_server`),
//! it needs `cargo build --example echo_server` first, and says so rather than test a stale build.

#![cfg(unix)]

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;
const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn first_ctrl_c_stops_accepting_and_lets_open_connections_finish() {
    let mut server = Server::start();
    let mut open = server.connect();
    assert_eq!(round_trip(&mut open, "hello\n"), "hello\n");
    let mut closed = server.connect();
    assert_eq!(round_trip(&mut closed, "world\n"), "world\n");
    finish(closed);

    server.interrupt();
    server.expect("Ctrl-C: stopped accepting, letting open connections finish");
    let refused = TcpStream::connect(server.addr).expect_err("the listener must be closed");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    // The open connection is still served until its client closes it.
    assert_eq!(round_trip(&mut open, "bye\n"), "bye\n");
    assert!(server.is_running());
    finish(open);

    server.expect("served 2 connection(s), echoed 16 bytes");
    let status = server.exits();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn second_ctrl_c_forces_exit() {
    let mut server = Server::start();
    let mut open = server.connect();
    assert_eq!(round_trip(&mut open, "hello\n"), "hello\n");
    server.interrupt();
    server.expect("Ctrl-C: stopped accepting, letting open connections finish");
    // The client never closes; the second Ctrl-C ends the server anyway.
    server.interrupt();
    let status = server.exits();
    assert_eq!(status.signal(), Some(SIGINT), "{status:?}");
}

#[test]
fn first_sigterm_stops_accepting_and_lets_open_connections_finish() {
    let mut server = Server::start();
    let mut open = server.connect();
    assert_eq!(round_trip(&mut open, "hello\n"), "hello\n");
    server.terminate();
    server.expect("SIGTERM: stopped accepting, letting open connections finish");
    let refused = TcpStream::connect(server.addr).expect_err("the listener must be closed");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    assert_eq!(round_trip(&mut open, "bye\n"), "bye\n");
    finish(open);
    server.expect("served 1 connection(s), echoed 10 bytes");
    assert_eq!(server.exits().code(), Some(0));
}

#[test]
fn second_sigterm_forces_exit_by_sigterm() {
    let mut server = Server::start();
    let mut open = server.connect();
    assert_eq!(round_trip(&mut open, "hello\n"), "hello\n");
    server.terminate();
    server.expect("SIGTERM: stopped accepting, letting open connections finish");
    server.terminate();
    let status = server.exits();
    assert_eq!(status.signal(), Some(SIGTERM), "{status:?}");
}

#[test]
fn ctrl_c_with_no_connection_exits_at_once() {
    let mut server = Server::start();
    server.interrupt();
    server.expect("Ctrl-C: stopped accepting, letting open connections finish");
    server.expect("served 0 connection(s), echoed 0 bytes");
    assert_eq!(server.exits().code(), Some(0));
}

struct Server {
    process: Child,
    lines: mpsc::Receiver<String>,
    addr: SocketAddr,
}

impl Server {
    fn start() -> Server {
        let deps = std::env::current_exe().unwrap();
        let binary = deps
            .parent()
            .and_then(|deps| deps.parent())
            .unwrap()
            .join("examples")
            .join("echo_server");
        let source =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/echo_server.rs");
        let modified = |path: &std::path::Path| path.metadata().and_then(|m| m.modified()).ok();
        assert!(
            modified(&binary) >= modified(&source),
            "{} is missing or older than its source: run `cargo test` (which builds the \
             examples) or `cargo build --example echo_server`",
            binary.display()
        );
        assert!(
            !sigint_ignored(),
            "SIGINT is ignored in this test process (started in the background by a \
             non-interactive shell, or under nohup?): the server inherits that, and runner leaves \
             an ignored Ctrl-C alone by design, so the Ctrl-C tests cannot pass; run the tests \
             in the foreground"
        );
        let mut process = Command::new(binary).stdout(Stdio::piped()).spawn().unwrap();
        let stdout = BufReader::new(process.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            process,
            lines,
            addr: ([127, 0, 0, 1], 0).into(),
        };
        // The ready line.
        let line = server.line();
        server.addr = line
            .strip_prefix("listening on ")
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("expected `listening on <addr>`, got {line:?}"));
        server
    }

    /// The server's next line, waited for at most `PATIENCE`.
    fn line(&mut self) -> String {
        self.lines
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|e| panic!("no line from the server within {PATIENCE:?}: {e}"))
    }

    fn expect(&mut self, expected: &str) {
        assert_eq!(self.line(), expected);
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream
    }

    fn interrupt(&self) {
        // Ctrl-C, as a terminal sends it: SIGINT from outside (the shell's `kill`).
        self.kill("INT");
    }

    fn terminate(&self) {
        // As a supervisor stops a service.
        self.kill("TERM");
    }

    fn kill(&self, signal: &str) {
        let status = Command::new("sh")
            .args(["-c", "kill -s \"$0\" \"$1\""])
            .arg(signal)
            .arg(self.process.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn is_running(&mut self) -> bool {
        self.process.try_wait().unwrap().is_none()
    }

    fn exits(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.process.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn round_trip(stream: &mut TcpStream, text: &str) -> String {
    stream.write_all(text.as_bytes()).unwrap();
    let mut echoed = vec![0; text.len()];
    stream.read_exact(&mut echoed).unwrap();
    String::from_utf8(echoed).unwrap()
}

/// Closes the client's side and waits until the server closed its side too.
fn finish(mut stream: TcpStream) {
    stream.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "unexpected bytes {rest:?}");
}

/// Whether this process ignores SIGINT (read from `/proc`; `false` where there is none).
fn sigint_ignored() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (SIGINT - 1)) != 0)
}
