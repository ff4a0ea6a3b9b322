//! Rounds, medians and the printed table.
//!
//! Within a workload every round runs each implementation once, in an order that rotates from
//! round to round, so that a burst of load from elsewhere on the machine hits all of them alike.
//! One warm-up round is run first and thrown away.

use std::fmt::Write as _;

use crate::workloads::Sampler;

/// One implementation of a workload, as a row of the table.
pub struct Row {
    pub label: &'static str,
    pub sample: Sampler,
}

/// One workload and the implementations that run it. The first row is runner's reference row:
/// the "runner ÷ row" column divides its median by each row's.
pub struct Group {
    pub name: &'static str,
    pub title: String,
    pub ops: u64,
    pub rows: Vec<Row>,
}

/// The medians of one workload, in nanoseconds per operation, by row label.
pub struct Measured {
    pub name: &'static str,
    pub title: String,
    pub rows: Vec<(&'static str, Stats)>,
}

#[derive(Clone, Copy)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// Process CPU time over wall time, median of the rounds: how many cores the row got.
    pub cores: f64,
}

impl Measured {
    pub fn get(&self, label: &str) -> Option<Stats> {
        self.rows.iter().find(|(l, _)| *l == label).map(|(_, s)| *s)
    }
}

/// Runs `rounds` interleaved rounds (after one warm-up) of every row of `group`.
pub fn measure(mut group: Group, rounds: usize) -> Measured {
    let n = group.rows.len();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); n];
    let mut cores: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); n];
    for round in 0..=rounds {
        for k in 0..n {
            let i = (k + round) % n;
            let cpu = cpu_time_ns();
            let elapsed = (group.rows[i].sample)();
            let cpu = cpu_time_ns() - cpu;
            if round > 0 {
                let wall = elapsed.as_nanos() as f64;
                samples[i].push(wall / group.ops as f64);
                cores[i].push(cpu / wall);
            }
        }
    }
    let rows = group
        .rows
        .iter()
        .zip(samples.iter_mut().zip(cores.iter_mut()))
        .map(|(row, (s, c))| {
            s.sort_by(f64::total_cmp);
            let stats = Stats {
                median: median(s),
                min: s[0],
                max: s[s.len() - 1],
                cores: median(c),
            };
            (row.label, stats)
        })
        .collect();
    Measured {
        name: group.name,
        title: group.title,
        rows,
    }
}

fn median(s: &mut [f64]) -> f64 {
    s.sort_by(f64::total_cmp);
    if s.len() % 2 == 1 {
        s[s.len() / 2]
    } else {
        (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0
    }
}

/// CPU time of the whole process (every thread), in nanoseconds.
fn cpu_time_ns() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant Linux knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return f64::NAN;
    }
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}

pub const HEADER: &str = "workload              implementation                  median ns/op    \
                          min ns/op    max ns/op  cores  runner ÷ row";

/// The table lines of one measured workload.
pub fn format(m: &Measured) -> String {
    let mut out = String::new();
    let reference = m.rows[0].1.median;
    for (i, (label, s)) in m.rows.iter().enumerate() {
        let title = if i == 0 { m.title.as_str() } else { "" };
        let _ = writeln!(
            out,
            "{title:<21} {label:<30} {:>13} {:>12} {:>12} {:>6.2} {:>13.2}",
            ns(s.median),
            ns(s.min),
            ns(s.max),
            s.cores,
            reference / s.median,
        );
    }
    out
}

/// A time in nanoseconds with three significant digits or so.
pub fn ns(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
