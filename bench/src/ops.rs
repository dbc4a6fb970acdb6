//! One measured operation of one client, and running it from several tasks at once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use crate::BenchResult;
use crate::stats::Sample;

/// An error an operation may end with, sendable between tasks.
pub type OpError = Box<dyn std::error::Error + Send + Sync>;
type OpFuture = Pin<Box<dyn Future<Output = Result<(), OpError>> + Send>>;
/// One operation of one client, callable from any task.
pub type Op = Arc<dyn Fn() -> OpFuture + Send + Sync>;

/// An [`Op`] from an async closure.
pub fn op<F, Fut>(f: F) -> Op
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), OpError>> + Send + 'static,
{
    Arc::new(move || Box::pin(f()))
}

/// `ops` operations split over `tasks` tasks running at once (1: sequential); each
/// operation's latency and the wall-clock total.
pub async fn run_tasks(op: &Op, ops: usize, tasks: usize) -> BenchResult<Sample> {
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let op = Arc::clone(op);
            let n = (task + 1) * ops / tasks - task * ops / tasks;
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(n);
                for _ in 0..n {
                    let t = Instant::now();
                    op().await?;
                    latencies.push(t.elapsed());
                }
                Ok::<_, OpError>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(ops);
    for handle in handles {
        let done = handle
            .await?
            .map_err(|e| -> Box<dyn std::error::Error> { e })?;
        latencies.extend(done);
    }
    Ok(Sample::new(started.elapsed(), latencies))
}
