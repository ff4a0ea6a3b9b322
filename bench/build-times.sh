#!/usr/bin/env bash
# Clean-build time and dependency count of a hello-world binary written four ways:
#   runner:        fn main() { runner::run(async { println!("hello") }).unwrap() }  (runner by path)
#   runner-main:   #[runner::main] async fn main() { println!("hello") }            (runner by path)
#   tokio:         #[tokio::main(flavor = "current_thread")], tokio with features rt + macros
#   smol:          #[apply(main!)] from smol-macros, on smol 2
#
# Usage: bench/build-times.sh [--dev-only]
#
# It writes the three projects into a temporary directory, downloads their dependencies first
# (not timed; needs crates.io), then times `cargo build` and `cargo build --release` from a clean
# target directory for each: wall time, and CPU time in parentheses. Dependencies are the distinct packages of `cargo tree` (normal and
# build dependencies, proc-macros included, the project itself excluded). Not run in CI: the
# numbers depend on the machine and on what else it is doing, so note `nproc` and `uptime`.
#
# Both runner projects compile runner-macros (and so syn): the `runner` facade depends on it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
profiles=(dev release)
if [[ "${1:-}" == "--dev-only" ]]; then
    profiles=(dev)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/runner-build-times.XXXXXX")
trap 'rm -rf "$work"' EXIT

new_project() { # name, dependencies (Cargo.toml lines), main.rs
    mkdir -p "$work/$1/src"
    cat >"$work/$1/Cargo.toml" <<EOF
[package]
name = "hello-$1"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$2

[workspace]
EOF
    printf '%s\n' "$3" >"$work/$1/src/main.rs"
}

new_project runner "runner = { path = \"$root\" }" \
'fn main() {
    runner::run(async { println!("hello") }).unwrap()
}'

new_project runner-main "runner = { path = \"$root\" }" \
'#[runner::main]
async fn main() {
    println!("hello")
}'

new_project tokio 'tokio = { version = "1", features = ["rt", "macros"] }' \
'#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("hello")
}'

new_project smol 'smol = "2"
smol-macros = "0.1"
macro_rules_attribute = "0.2"' \
'use macro_rules_attribute::apply;
use smol_macros::main;

#[apply(main!)]
async fn main() {
    println!("hello")
}'

printf 'date:    %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
printf 'machine: %s CPUs, %s\n' "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
printf 'load:    %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'cargo:   %s\n\n' "$(cargo --version)"

header="project      deps"
for p in "${profiles[@]}"; do header+=$(printf '  %16s' "$p wall (cpu)"); done
echo "$header"

TIMEFORMAT='%R %U %S'
for name in runner runner-main tokio smol; do
    dir="$work/$name"
    (cd "$dir" && cargo fetch -q)
    deps=$(cd "$dir" && cargo tree -q -e normal,build --prefix none --format '{p}' \
        | awk '{print $1, $2}' | sort -u | grep -vc "^hello-$name ")
    line=$(printf '%-11s %5s' "$name" "$deps")
    for p in "${profiles[@]}"; do
        flag=()
        [[ "$p" == release ]] && flag=(--release)
        target="$work/target-$name-$p"
        # Wall time, and CPU time (user + system, all cores): the CPU time barely moves when
        # other work shares the machine, the wall time does.
        read -r wall user sys < <({ time (cd "$dir" && CARGO_TARGET_DIR="$target" \
            cargo build -q --offline "${flag[@]}" 2>"$work/build-$name-$p.log"); } 2>&1)
        line+=$(printf '  %6.1fs (%5.1fs)' "$wall" "$(echo "$user + $sys" | bc)")
        # The binary works.
        [[ "$("$target/${p/dev/debug}/hello-$name")" == hello ]]
    done
    echo "$line"
done
printf '\nload:    %s (at end)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
