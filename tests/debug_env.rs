//! Switching debug mode: the builder's setting wins, else `RUNNER_DEBUG` decides.

mod support;

use support::{run_child_test, runner_lines, tagged_lines};

/// Child side: prints what each way of building resolves to.
#[test]
#[ignore = "run by the tests below in a child process with RUNNER_DEBUG set"]
fn child_prints_resolved_debug_flags() {
    let unset = runner::Runner::new().is_debug();
    let on = runner::Runner::builder().debug(true).build().is_debug();
    let off = runner::Runner::builder().debug(false).build().is_debug();
    let none = runner::Runner::builder().debug(None).build().is_debug();
    println!("flags: {unset} {on} {off} {none}");
}

fn flags_with(value: Option<&str>) -> (String, Vec<String>) {
    let env: Vec<(&str, &str)> = value.map(|v| ("RUNNER_DEBUG", v)).into_iter().collect();
    let output = run_child_test("child_prints_resolved_debug_flags", &env);
    let flags = tagged_lines(&output, "flags: ");
    assert_eq!(flags.len(), 1, "{output:?}");
    (flags[0].clone(), runner_lines(&output))
}

#[test]
fn each_accepted_spelling_switches_debug_on() {
    for value in ["1", "true", "TRUE", "yes", "Yes", "on", "ON"] {
        let (flags, warnings) = flags_with(Some(value));
        // The environment decides only where the builder left it open.
        assert_eq!(flags, "true true false true", "RUNNER_DEBUG={value}");
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}

#[test]
fn unset_empty_and_off_spellings_leave_debug_off() {
    let (flags, warnings) = flags_with(None);
    assert_eq!(flags, "false true false false");
    assert!(warnings.is_empty(), "{warnings:?}");
    for value in ["", "0", "false", "no", "off", "OFF"] {
        let (flags, warnings) = flags_with(Some(value));
        assert_eq!(flags, "false true false false", "RUNNER_DEBUG={value}");
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}

#[test]
fn a_bad_value_leaves_debug_off_with_one_warning_per_process() {
    let (flags, warnings) = flags_with(Some("verbose"));
    assert_eq!(flags, "false true false false");
    // Two of the four runners left the flag to the environment; it is read, and warned about,
    // once.
    let expected = "runner: ignoring RUNNER_DEBUG=\"verbose\": expected one of 1, true, yes, on \
                    (debug mode on) or 0, false, no, off (off); debug mode stays off";
    assert_eq!(warnings, [expected]);
}

#[test]
fn is_debug_tells_code_inside_a_run_about_its_runner() {
    assert!(!runner::is_debug(), "outside any runner");
    let mut on = runner::Runner::builder().debug(true).build();
    let mut off = runner::Runner::builder().debug(false).build();
    assert_eq!(on.run(async { runner::is_debug() }), Ok(true));
    assert_eq!(off.run(async { runner::is_debug() }), Ok(false));
    assert_eq!(
        on.run(async { runner::spawn(async { runner::is_debug() }).await }),
        Ok(true),
        "tasks see their runner's flag"
    );
    assert!(!runner::is_debug(), "outside again after the run");
}
