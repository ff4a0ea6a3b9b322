//! Debug mode's live-task snapshot: `Runner::tasks` and `runner::debug::tasks`.

use std::time::Duration;

use runner::{debug::TaskSnapshot, debug::TaskState, Runner};

/// One thread: the states a snapshot shows depend on which thread runs what.
fn debug_runner() -> Runner {
    Runner::builder().debug(true).threads(1).build()
}

fn find(tasks: &[TaskSnapshot], id: u64) -> &TaskSnapshot {
    tasks
        .iter()
        .find(|t| t.task.id == id)
        .unwrap_or_else(|| panic!("no task #{id} in {tasks:#?}"))
}

#[test]
fn each_live_task_is_listed_with_its_spawn_site_polls_and_state() {
    let mut runner = debug_runner();
    let first = line!() + 3;
    let tasks = runner
        .run(async {
            let waiting = runner::spawn(std::future::pending::<()>());
            let (tx, rx) = async_channel::bounded::<()>(1);
            let woken = runner::spawn(async move { rx.recv().await });
            let blocked = runner::spawn(async {
                std::thread::sleep(Duration::from_millis(60));
                std::future::pending::<()>().await
            });
            runner::sleep(Duration::from_millis(10)).await; // every task has run and waits
            tx.send(()).await.unwrap(); // wakes `woken`, which has not run since
            let tasks = runner::debug::tasks();
            drop((waiting, woken, blocked));
            tasks
        })
        .unwrap();
    assert_eq!(tasks.len(), 4, "{tasks:#?}");
    let main = find(&tasks, 0);
    assert!(main.task.is_main());
    assert_eq!(main.state, TaskState::Running);
    assert_eq!(
        main.polls, 1,
        "the main future's poll in progress is not counted yet"
    );
    for (id, line) in [(1, first), (2, first + 2), (3, first + 3)] {
        let task = find(&tasks, id);
        assert_eq!(
            (task.task.spawned_at.file(), task.task.spawned_at.line()),
            (file!(), line)
        );
        assert_eq!(task.polls, 1, "{task:?}");
        assert!(task.age >= Duration::from_millis(8), "{task:?}");
    }
    assert_eq!(find(&tasks, 1).state, TaskState::Waiting);
    assert_eq!(find(&tasks, 2).state, TaskState::Scheduled);
    assert_eq!(find(&tasks, 3).state, TaskState::Waiting);
    // Timed with the coarse clock: a kernel tick (1-4 ms), more on a busy VM, so a wide margin.
    assert!(find(&tasks, 3).poll_time >= Duration::from_millis(40));
    assert!(find(&tasks, 1).poll_time < Duration::from_millis(40));
}

#[test]
fn ages_grow_and_finished_tasks_leave_the_list() {
    let mut runner = debug_runner();
    runner
        .run(async {
            runner::spawn(std::future::pending::<()>()).detach();
            runner::spawn(async { 1 }).await;
        })
        .unwrap();
    let before = runner.tasks();
    assert_eq!(before.len(), 1, "{before:#?}");
    assert_eq!(before[0].task.id, 1);
    std::thread::sleep(Duration::from_millis(50));
    let after = runner.tasks();
    assert!(
        after[0].age >= before[0].age + Duration::from_millis(40),
        "{after:?}"
    );
    runner.close();
    assert!(runner.tasks().is_empty());
}

#[test]
fn a_task_that_yields_is_scheduled_and_counts_its_polls() {
    let mut runner = debug_runner();
    let task = runner
        .run(async {
            let yielder = runner::spawn(async {
                loop {
                    futures_lite::future::yield_now().await;
                }
            });
            for _ in 0..5 {
                futures_lite::future::yield_now().await;
            }
            let tasks = runner::debug::tasks();
            drop(yielder);
            tasks.into_iter().find(|t| t.task.id == 1).unwrap()
        })
        .unwrap();
    assert_eq!(task.state, TaskState::Scheduled);
    assert!(task.polls >= 2, "{task:?}");
}

#[test]
fn nothing_is_recorded_with_debug_off() {
    let mut runner = Runner::builder().debug(false).build();
    let inside = runner
        .run(async {
            runner::spawn(std::future::pending::<()>()).detach();
            runner::debug::tasks()
        })
        .unwrap();
    assert!(inside.is_empty());
    assert!(runner.tasks().is_empty());
}

#[test]
fn the_snapshot_line() {
    let mut runner = debug_runner();
    let line = line!() + 3;
    runner
        .run(async {
            runner::spawn(std::future::pending::<()>()).detach();
            runner::sleep(Duration::from_millis(5)).await; // the task has run once
        })
        .unwrap();
    let task = runner.tasks().remove(0);
    assert_eq!(
        task.to_string(),
        format!(
            "task #1 spawned at {}:{line}:13 (age {:.3} s, 1 poll taking {:.3} s, waiting)",
            file!(),
            task.age.as_secs_f64(),
            task.poll_time.as_secs_f64()
        )
    );
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;

#[test]
fn records_of_finished_tasks_are_reused_without_mixing_up_tasks() {
    // 1000 tasks come and go around 10 that stay; the snapshot lists exactly the 10 (and the
    // main future), each with its own number, poll count and state.
    let mut runner = debug_runner();
    let tasks = runner
        .run(async {
            let mut stay = Vec::new();
            for round in 0..10u64 {
                let brief: Vec<_> = (0..100).map(|_| runner::spawn(async {})).collect();
                stay.push(runner::spawn(std::future::pending::<()>()));
                for task in brief {
                    task.await;
                }
                assert_eq!(runner::debug::tasks().len(), 2 + round as usize);
            }
            runner::yield_now().await;
            let tasks = runner::debug::tasks();
            drop(stay);
            runner::yield_now().await; // the dropped tasks' futures go
            tasks
        })
        .unwrap();
    let ids: Vec<u64> = tasks.iter().map(|t| t.task.id).collect();
    let expected: Vec<u64> = std::iter::once(0)
        .chain((1..=10).map(|r| r * 101))
        .collect();
    assert_eq!(ids, expected);
    for task in &tasks[1..] {
        assert_eq!(task.polls, 1, "{task}");
        assert_eq!(task.state, TaskState::Waiting, "{task}");
    }
    assert!(runner.tasks().is_empty());
}
