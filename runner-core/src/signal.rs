//! Ctrl-C (SIGINT) handling. Placeholder until the Ctrl-C issue lands.

/// Ends the process the way a program killed by Ctrl-C ends (shell status 130).
pub fn exit_interrupted() -> ! {
    std::process::exit(130)
}
