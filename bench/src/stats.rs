//! Timing samples and their summary.

use std::time::Duration;

/// The latencies of one measured loop.
pub struct Sample {
    /// Wall-clock time of the whole loop.
    pub total: Duration,
    /// Each operation's latency, sorted.
    latencies: Vec<Duration>,
}

impl Sample {
    /// A sample from the loop's total time and each operation's latency.
    pub fn new(total: Duration, mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        Sample { total, latencies }
    }

    /// One sample from several rounds of the same loop.
    pub fn merge(parts: Vec<Sample>) -> Self {
        let total = parts.iter().map(|part| part.total).sum();
        let latencies = parts.into_iter().flat_map(|part| part.latencies).collect();
        Sample::new(total, latencies)
    }

    /// Operations measured.
    pub fn ops(&self) -> usize {
        self.latencies.len()
    }

    /// Operations per second over the whole loop.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops() as f64 / self.total.as_secs_f64()
    }

    /// Mean microseconds per operation over the whole loop.
    pub fn mean_us(&self) -> f64 {
        self.total.as_secs_f64() * 1e6 / self.ops() as f64
    }

    /// The `p`-th percentile latency in microseconds (`p` in 0..=100).
    pub fn percentile_us(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank].as_secs_f64() * 1e6
    }

    /// The median latency.
    pub fn median(&self) -> Duration {
        self.latencies
            .get(self.latencies.len() / 2)
            .copied()
            .unwrap_or_default()
    }

    /// The fastest operation.
    pub fn min(&self) -> Duration {
        self.latencies.first().copied().unwrap_or_default()
    }

    /// The slowest operation.
    pub fn max(&self) -> Duration {
        self.latencies.last().copied().unwrap_or_default()
    }
}

/// `12 345` (thousands separated by a thin space-like plain space, as in the targets).
pub fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (index, ch) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}
