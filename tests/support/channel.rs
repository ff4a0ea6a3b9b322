//! A small async channel for the tests, with the part of `async-channel`'s API they use.
//!
//! Written here so that the facade has no test-only dependency to build for
//! `cargo run --example ...`: it needs only event-listener, which the runtime already builds.
#![allow(dead_code)] // each test file uses a part of it

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use event_listener::Event;

struct Channel<T> {
    state: Mutex<State<T>>,
    capacity: Option<usize>,
    // Notified when a message arrives or the last sender goes.
    readable: Event,
    // Notified when room frees up or the last receiver goes.
    writable: Event,
}

struct State<T> {
    queue: VecDeque<T>,
    senders: usize,
    receivers: usize,
}

impl<T> Channel<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub struct Sender<T>(Arc<Channel<T>>);
pub struct Receiver<T>(Arc<Channel<T>>);

/// A channel that holds at most `capacity` messages.
pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "capacity must be positive");
    make(Some(capacity))
}

pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    make(None)
}

fn make<T>(capacity: Option<usize>) -> (Sender<T>, Receiver<T>) {
    let channel = Arc::new(Channel {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            senders: 1,
            receivers: 1,
        }),
        capacity,
        readable: Event::new(),
        writable: Event::new(),
    });
    (Sender(channel.clone()), Receiver(channel))
}

#[derive(Debug, PartialEq, Eq)]
pub struct SendError<T>(pub T);

#[derive(Debug, PartialEq, Eq)]
pub enum TrySendError<T> {
    Full(T),
    Closed(T),
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct RecvError;

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryRecvError {
    Empty,
    Closed,
}

impl<T> Sender<T> {
    pub fn try_send(&self, message: T) -> Result<(), TrySendError<T>> {
        let mut state = self.0.lock();
        if state.receivers == 0 {
            return Err(TrySendError::Closed(message));
        }
        if self.0.capacity.is_some_and(|c| state.queue.len() >= c) {
            return Err(TrySendError::Full(message));
        }
        state.queue.push_back(message);
        drop(state);
        self.0.readable.notify(1);
        Ok(())
    }

    pub async fn send(&self, mut message: T) -> Result<(), SendError<T>> {
        loop {
            let listener = self.0.writable.listen();
            match self.try_send(message) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(m)) => return Err(SendError(m)),
                Err(TrySendError::Full(m)) => message = m,
            }
            listener.await;
        }
    }

    pub fn send_blocking(&self, message: T) -> Result<(), SendError<T>> {
        futures_lite::future::block_on(self.send(message))
    }
}

impl<T> Receiver<T> {
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut state = self.0.lock();
        match state.queue.pop_front() {
            Some(message) => {
                drop(state);
                self.0.writable.notify(1);
                Ok(message)
            }
            None if state.senders == 0 => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    pub async fn recv(&self) -> Result<T, RecvError> {
        loop {
            let listener = self.0.readable.listen();
            match self.try_recv() {
                Ok(message) => return Ok(message),
                Err(TryRecvError::Closed) => return Err(RecvError),
                Err(TryRecvError::Empty) => listener.await,
            }
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.0.lock().senders += 1;
        Sender(self.0.clone())
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.0.lock().receivers += 1;
        Receiver(self.0.clone())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.senders -= 1;
        if state.senders == 0 {
            drop(state);
            self.0.readable.notify(usize::MAX);
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.receivers -= 1;
        if state.receivers == 0 {
            drop(state);
            self.0.writable.notify(usize::MAX);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sender { .. }")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Receiver { .. }")
    }
}
