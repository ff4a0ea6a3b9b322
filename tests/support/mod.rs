//! Runs one `#[ignore]`d test of the current test binary in a child process, for behaviour that
//! needs a fresh process: environment variables read at build time, what lands on stderr.
#![allow(dead_code)]

use std::process::{Command, Output};

/// The command that runs the ignored test `name` of this test binary alone, output not captured,
/// with the runner's environment variables removed.
pub fn child_test_command(name: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("test binary path"));
    command
        .args([
            "--exact",
            name,
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_remove("RUNNER_DEBUG")
        .env_remove("RUNNER_THREADS");
    command
}

/// Runs the ignored test `name` of this test binary in a child process with `env` set.
pub fn run_child_test(name: &str, env: &[(&str, &str)]) -> Output {
    let mut command = child_test_command(name);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = output_of(&mut command);
    assert!(
        output.status.success(),
        "child test {name} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs `command` to its end and collects its output. Under wine, starting a process has failed
/// once in a dozen CI runs with `ERROR_INTERNAL_ERROR` (1359, "Internal error.") from
/// `CreateProcess`, the next start of the same program working: that error gets two more tries.
pub fn output_of(command: &mut Command) -> Output {
    const ERROR_INTERNAL_ERROR: i32 = 1359;
    let mut tries = 1;
    loop {
        match command.output() {
            Ok(output) => return output,
            Err(error)
                if cfg!(windows)
                    && error.raw_os_error() == Some(ERROR_INTERNAL_ERROR)
                    && tries < 3 =>
            {
                eprintln!("starting the child failed ({error}): trying again");
                tries += 1;
            }
            Err(error) => panic!("start the child test process: {error:?}"),
        }
    }
}

/// The lines of the child's stderr that the runner printed.
pub fn runner_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| l.starts_with("runner: "))
        .map(str::to_owned)
        .collect()
}

/// What the child printed on stdout after `tag`, one entry per line that has it (libtest may put
/// its own `test name ... ` in front on the same line).
pub fn tagged_lines(output: &Output, tag: &str) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_once(tag).map(|(_, rest)| rest))
        .map(str::to_owned)
        .collect()
}
