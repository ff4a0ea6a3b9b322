//! After a burst of tasks, an idle runner gives back the memory its run queue and its list of
//! pending tasks grew to, rather than keeping it until it closes. One test in its own file: the
//! counting allocator counts the whole process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

use runner::{yield_now, Runner};

/// The system allocator, counting the bytes live.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call goes to `System` with the caller's arguments; the count is only read.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const BURST: usize = 300_000;

#[test]
fn an_idle_runner_gives_back_what_a_burst_of_tasks_grew() {
    let mut runner = Runner::builder()
        .threads(1)
        .debug(false)
        .handle_ctrl_c(false)
        .build();
    runner.run(async {}).unwrap();
    let (before, after) = runner
        .run(async {
            // The runner's own timer task is listed as pending from here, ahead of the burst.
            runner::sleep(std::time::Duration::from_millis(1)).await;
            let before = LIVE.load(Relaxed);
            // All at once: the run queue holds them all. Each is pending once, so it is listed
            // for `close` too.
            let tasks: Vec<_> = (0..BURST)
                .map(|_| runner::spawn(async { yield_now().await }))
                .collect();
            for task in tasks {
                task.await;
            }
            // Idle once: the queues are empty.
            runner::sleep(std::time::Duration::from_millis(1)).await;
            (before, LIVE.load(Relaxed))
        })
        .unwrap();
    let kept = after - before;
    // Each task's queue entry and list entry are 16 bytes: kept, they would be 9.6 MB here.
    assert!(
        kept < 1 << 20,
        "{kept} bytes still held after {BURST} tasks finished"
    );
}
