//! The `tokio` feature's rows (built with `--features tokio`): a `tokio::net` echo inside runner
//! against native tokio and smol + `async_compat::Compat`, an async-net echo with the runner's
//! tokio on and off, and lifecycle, yield, pingpong and timers with the runner's tokio on and
//! off (`Builder::tokio(false)`: the same binary, the feature's code switched off).

use std::time::{Duration, Instant};

use crate::drivers::RunnerDriver;
use crate::harness::{Group, Measured, Stats};
use crate::workloads::{fresh, timed, trivial, PingPong, Timers, Yield};
use crate::{row, tokio_lifecycle, Workload, TOKIO};

pub const RUNNER_TOKIO: &str = "runner, tokio on";
pub const RUNNER_NO_TOKIO: &str = "runner, tokio(false)";
pub const COMPAT: &str = "smol + async_compat";
pub const RAW: &str = crate::RAW;

/// Round trips of 64 bytes per echo sample, as in the probe.
const ROUND_TRIPS: usize = 20_000;

pub const WORKLOADS: &[Workload] = &[
    ("tokio_echo", tokio_echo),
    ("async_net_echo", async_net_echo),
    ("tokio_lifecycle", lifecycle),
    ("tokio_yield", yield_),
    ("tokio_pingpong", pingpong),
    ("tokio_timers", timers),
];

fn runner(tokio: bool) -> runner::Runner {
    runner::Runner::builder()
        .debug(false)
        .threads(1)
        .handle_ctrl_c(false)
        .tokio(tokio)
        .build()
}

/// A loopback echo on `tokio::net`: the server spawned with `spawn`, the client in the caller.
async fn tokio_echo_body<S, H>(spawn: S)
where
    S: FnOnce(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) -> H,
    H: std::future::Future<Output = ()>,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn(Box::pin(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        stream.set_nodelay(true).unwrap();
        let mut buf = [0u8; 64];
        loop {
            match stream.read(&mut buf).await.unwrap() {
                0 => break,
                n => stream.write_all(&buf[..n]).await.unwrap(),
            }
        }
    }));
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    client.set_nodelay(true).unwrap();
    let mut buf = [7u8; 64];
    for _ in 0..ROUND_TRIPS {
        client.write_all(&buf).await.unwrap();
        client.read_exact(&mut buf).await.unwrap();
    }
    drop(client);
    server.await;
}

/// The same echo on async-net.
async fn async_net_echo_body<S, H>(spawn: S)
where
    S: FnOnce(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) -> H,
    H: std::future::Future<Output = ()>,
{
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let listener = async_net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn(Box::pin(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        stream.set_nodelay(true).unwrap();
        let mut buf = [0u8; 64];
        loop {
            match stream.read(&mut buf).await.unwrap() {
                0 => break,
                n => stream.write_all(&buf[..n]).await.unwrap(),
            }
        }
    }));
    let mut client = async_net::TcpStream::connect(addr).await.unwrap();
    client.set_nodelay(true).unwrap();
    let mut buf = [7u8; 64];
    for _ in 0..ROUND_TRIPS {
        client.write_all(&buf).await.unwrap();
        client.read_exact(&mut buf).await.unwrap();
    }
    drop(client);
    server.await;
}

/// Samples `once` on a runner kept across rounds.
fn on_runner(tokio: bool, once: fn(&mut runner::Runner)) -> crate::workloads::Sampler {
    let mut runner = runner(tokio);
    runner.run(async {}).unwrap();
    Box::new(move || {
        let start = Instant::now();
        once(&mut runner);
        start.elapsed()
    })
}

fn runner_tokio_echo(runner: &mut runner::Runner) {
    runner
        .run(tokio_echo_body(|server| runner::spawn(server)))
        .unwrap();
}

fn runner_async_net_echo(runner: &mut runner::Runner) {
    runner
        .run(async_net_echo_body(|server| runner::spawn(server)))
        .unwrap();
}

fn tokio_echo() -> Group {
    let native = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Box::new(move || {
            let start = Instant::now();
            rt.block_on(tokio_echo_body(|server| {
                let handle = tokio::spawn(server);
                async move { handle.await.unwrap() }
            }));
            start.elapsed()
        }) as crate::workloads::Sampler
    };
    let compat = {
        let executor = std::sync::Arc::new(async_executor::Executor::new());
        Box::new(move || {
            let start = Instant::now();
            let ex = executor.clone();
            let body = tokio_echo_body(move |server| ex.spawn(async_compat::Compat::new(server)));
            async_io::block_on(executor.run(async_compat::Compat::new(body)));
            start.elapsed()
        }) as crate::workloads::Sampler
    };
    Group {
        name: "tokio_echo",
        title: "tokio::net echo 20k".into(),
        ops: ROUND_TRIPS as u64,
        rows: vec![
            row(RUNNER_TOKIO, on_runner(true, runner_tokio_echo)),
            row(TOKIO, native),
            row(COMPAT, compat),
        ],
    }
}

fn async_net_echo() -> Group {
    let raw = {
        let executor = std::sync::Arc::new(async_executor::Executor::new());
        Box::new(move || {
            let start = Instant::now();
            let ex = executor.clone();
            let body = async_net_echo_body(move |server| ex.spawn(server));
            async_io::block_on(executor.run(body));
            start.elapsed()
        }) as crate::workloads::Sampler
    };
    Group {
        name: "async_net_echo",
        title: "async-net echo 20k".into(),
        ops: ROUND_TRIPS as u64,
        rows: vec![
            row(RUNNER_TOKIO, on_runner(true, runner_async_net_echo)),
            row(RUNNER_NO_TOKIO, on_runner(false, runner_async_net_echo)),
            row(RAW, raw),
        ],
    }
}

fn lifecycle() -> Group {
    const N: usize = 1000;
    let runner_with = |tokio: bool| {
        fresh(N, move || {
            let mut runner = runner(tokio);
            runner.run(trivial()).unwrap();
            runner.close();
        })
    };
    Group {
        name: "tokio_lifecycle",
        title: "tokio lifecycle".into(),
        ops: N as u64,
        rows: vec![
            row(RUNNER_TOKIO, runner_with(true)),
            row(RUNNER_NO_TOKIO, runner_with(false)),
            row(TOKIO, fresh(N, tokio_lifecycle)),
        ],
    }
}

fn driver(tokio: bool) -> RunnerDriver {
    RunnerDriver(runner(tokio))
}

fn yield_() -> Group {
    const N: usize = 1_000_000;
    Group {
        name: "tokio_yield",
        title: "tokio yield 1M".into(),
        ops: N as u64,
        rows: vec![
            row(RUNNER_TOKIO, timed(driver(true), Yield(N))),
            row(RUNNER_NO_TOKIO, timed(driver(false), Yield(N))),
        ],
    }
}

fn pingpong() -> Group {
    const ROUND_TRIPS: usize = 100_000;
    Group {
        name: "tokio_pingpong",
        title: "tokio pingpong 200k".into(),
        ops: 2 * ROUND_TRIPS as u64,
        rows: vec![
            row(RUNNER_TOKIO, timed(driver(true), PingPong(ROUND_TRIPS))),
            row(RUNNER_NO_TOKIO, timed(driver(false), PingPong(ROUND_TRIPS))),
        ],
    }
}

fn timers() -> Group {
    const N: usize = 20_000;
    let work = || Timers(N, Duration::from_millis(1));
    Group {
        name: "tokio_timers",
        title: "tokio timers 20k".into(),
        ops: N as u64,
        rows: vec![
            row(RUNNER_TOKIO, timed(driver(true), work())),
            row(RUNNER_NO_TOKIO, timed(driver(false), work())),
        ],
    }
}

/// The targets for the feature, as `check(what, numerator, denominator, limit)` calls.
pub fn targets(results: &[Measured], check: &mut dyn FnMut(String, Stats, Stats, f64)) {
    let find = |name: &str| results.iter().find(|m| m.name == name);
    if let Some(m) = find("tokio_echo") {
        if let (Some(ours), Some(native)) = (m.get(RUNNER_TOKIO), m.get(TOKIO)) {
            check(
                "tokio_echo: runner / tokio current-thread".into(),
                ours,
                native,
                1.10,
            );
        }
        if let (Some(ours), Some(compat)) = (m.get(RUNNER_TOKIO), m.get(COMPAT)) {
            check(
                "tokio_echo: runner / smol + async_compat".into(),
                ours,
                compat,
                1.00,
            );
        }
    }
    if let Some(m) = find("async_net_echo") {
        if let (Some(on), Some(off)) = (m.get(RUNNER_TOKIO), m.get(RUNNER_NO_TOKIO)) {
            check(
                "async_net_echo: tokio on / off (goal)".into(),
                on,
                off,
                1.10,
            );
        }
    }
    if let Some(m) = find("tokio_lifecycle") {
        if let (Some(on), Some(native)) = (m.get(RUNNER_TOKIO), m.get(TOKIO)) {
            check(
                "tokio_lifecycle: runner tokio on / tokio current-thread".into(),
                on,
                native,
                1.20,
            );
        }
    }
    for name in ["tokio_yield", "tokio_pingpong", "tokio_timers"] {
        if let Some(m) = find(name) {
            if let (Some(on), Some(off)) = (m.get(RUNNER_TOKIO), m.get(RUNNER_NO_TOKIO)) {
                check(format!("{name}: tokio on / off"), on, off, 1.10);
            }
        }
    }
}
