//! A small real program: concurrent tasks, timers, and a blocking job, entered with
//! `#[runner::main]`.
//!
//! Run it with `cargo run --example hello`.

use std::time::{Duration, Instant};

#[runner::main]
async fn main() {
    let started = Instant::now();

    // Three tasks sleep concurrently: together they take as long as the longest one.
    let sleepers: Vec<_> = [30u64, 10, 20]
        .into_iter()
        .map(|ms| {
            runner::spawn(async move {
                runner::sleep(Duration::from_millis(ms)).await;
                format!("slept {ms} ms")
            })
        })
        .collect();

    // CPU-heavy work goes to the blocking pool so that it does not stall the tasks above.
    let primes = runner::spawn_blocking(|| (2..20_000u32).filter(|&n| is_prime(n)).count());

    for sleeper in sleepers {
        println!("{}", sleeper.await);
    }
    println!("{} primes below 20000", primes.await);
    println!("done in {:?}", started.elapsed());
}

fn is_prime(n: u32) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
}
