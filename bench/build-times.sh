#!/usr/bin/env bash
# Clean-build time and dependency count of a hello-world binary written five ways:
#   runner:        fn main() { runner::run(async { println!("hello") }).unwrap() }  (runner by path)
#   runner-main:   #[runner::main] async fn main() { println!("hello") }            (runner by path)
#   tokio:         #[tokio::main(flavor = "current_thread")], tokio with features rt + macros
#   tokio-net:     the same with features rt + macros + net + time (a reactor, as runner has)
#   smol:          #[apply(main!)] from smol-macros, on smol 2
#
# Usage: bench/build-times.sh [--dev-only] [--rounds N]
#
# It writes the projects into a temporary directory, downloads their dependencies first (not
# timed; needs crates.io), then times `cargo build` (and `cargo build --release`) from a clean
# target directory for each: wall time, and CPU time (user + system, all cores) in parentheses.
# With `--rounds N` (default 1) every project is built N times, the projects interleaved round
# by round so that they share the machine's load alike, and the median round is shown.
# Dependencies are the distinct packages of `cargo tree` (normal and build dependencies,
# proc-macros included, the project itself excluded). Not run in CI: the numbers depend on the
# machine and on what else it is doing, so it prints `nproc` and the load.
#
# Both runner projects compile runner-macros (and so syn): the `runner` facade depends on it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
profiles=(dev release)
rounds=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --dev-only) profiles=(dev) ;;
        --rounds) rounds="$2"; shift ;;
        *) echo "usage: $0 [--dev-only] [--rounds N]" >&2; exit 2 ;;
    esac
    shift
done

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

new_project runner "runner = { package = \"async-runner\", path = \"$root\" }" \
'fn main() {
    runner::run(async { println!("hello") }).unwrap()
}'

new_project runner-main "runner = { package = \"async-runner\", path = \"$root\" }" \
'#[runner::main]
async fn main() {
    println!("hello")
}'

new_project tokio 'tokio = { version = "1", features = ["rt", "macros"] }' \
'#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("hello")
}'

new_project tokio-net 'tokio = { version = "1", features = ["rt", "macros", "net", "time"] }' \
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

names=(runner runner-main tokio tokio-net smol)
for name in "${names[@]}"; do
    (cd "$work/$name" && cargo fetch -q)
done

printf 'date:    %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
printf 'machine: %s CPUs, %s\n' "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
printf 'load:    %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'cargo:   %s\n' "$(cargo --version)"
printf 'rounds:  %s, interleaved; the median round\n\n' "$rounds"

TIMEFORMAT='%R %U %S'
# One clean build: prints "wall cpu" in seconds.
build() { # name, profile, round
    local dir="$work/$1" target="$work/target-$1-$2-$3" flag=()
    [[ "$2" == release ]] && flag=(--release)
    local wall user sys
    read -r wall user sys < <({ time (cd "$dir" && CARGO_TARGET_DIR="$target" \
        cargo build -q --offline "${flag[@]}" 2>"$work/build-$1-$2.log"); } 2>&1)
    # The binary works.
    [[ "$("$target/${2/dev/debug}/hello-$1")" == hello ]]
    rm -rf "$target"
    echo "$wall $(echo "$user + $sys" | bc)"
}

# Median of the numbers on stdin.
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

for ((round = 1; round <= rounds; round++)); do
    for name in "${names[@]}"; do
        for p in "${profiles[@]}"; do
            build "$name" "$p" "$round" >>"$work/times-$name-$p"
        done
    done
done

header="project      deps"
for p in "${profiles[@]}"; do header+=$(printf '  %16s' "$p wall (cpu)"); done
echo "$header"
for name in "${names[@]}"; do
    deps=$(cd "$work/$name" && cargo tree -q -e normal,build --prefix none --format '{p}' \
        | awk '{print $1, $2}' | sort -u | grep -vc "^hello-$name ")
    line=$(printf '%-11s %5s' "$name" "$deps")
    for p in "${profiles[@]}"; do
        wall=$(cut -d' ' -f1 "$work/times-$name-$p" | median)
        cpu=$(cut -d' ' -f2 "$work/times-$name-$p" | median)
        line+=$(printf '  %6.1fs (%5.1fs)' "$wall" "$cpu")
    done
    echo "$line"
done
printf '\nload:    %s (at end)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
