//! For the tests of timeouts and task groups: drop guards (values that report, through a
//! channel, that their destructor has run) and a way to run a test body in every kind of runner.
//!
//! Include with `#[path = "support/groups.rs"] mod groups;`.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use runner::Runner;

/// Runs `body` to completion in `runner::run`, in runners of one and three threads, and in a
/// two-threaded runner in debug mode.
pub fn on_every_runner<F: Future<Output = ()>>(body: impl Fn() -> F) {
    runner::run(body()).unwrap();
    for threads in [1, 3] {
        let mut runner = Runner::builder().threads(threads).build();
        runner.run(body()).unwrap();
    }
    let mut runner = Runner::builder().threads(2).debug(true).build();
    runner.run(body()).unwrap();
}

/// Sends its id to its channel when dropped.
pub struct DropGuard(pub usize, pub crate::async_channel::Sender<usize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        let _ = self.1.try_send(self.0);
    }
}

/// A channel for guards, and the ids of the guards dropped so far.
pub struct Drops {
    sender: crate::async_channel::Sender<usize>,
    receiver: crate::async_channel::Receiver<usize>,
}

impl Drops {
    pub fn new() -> Drops {
        let (sender, receiver) = crate::async_channel::unbounded();
        Drops { sender, receiver }
    }

    pub fn guard(&self, id: usize) -> DropGuard {
        DropGuard(id, self.sender.clone())
    }

    /// The ids dropped by now, sorted, without waiting.
    pub fn dropped(&self) -> Vec<usize> {
        let mut ids = Vec::new();
        while let Ok(id) = self.receiver.try_recv() {
            ids.push(id);
        }
        ids.sort_unstable();
        ids
    }

    /// Waits (60 s at most: the machine may be loaded) until `n` more guards have dropped, and
    /// returns their ids, sorted.
    pub async fn wait_for(&self, n: usize) -> Vec<usize> {
        let mut ids = Vec::new();
        for _ in 0..n {
            let id = runner::timeout(Duration::from_secs(60), self.receiver.recv())
                .await
                .expect("a drop guard was not dropped within 60 s")
                .expect("the drop guards' channel is open");
            ids.push(id);
        }
        ids.sort_unstable();
        ids
    }
}
