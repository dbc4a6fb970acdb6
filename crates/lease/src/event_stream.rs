//! [`EventStream`]: the events of every managed lease, or of one until it stops, pulled
//! one at a time (what the bindings' iterators read).

use std::sync::Arc;

use ironsecrets_core::LeasedCredential;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, watch};

use crate::{LeaseEvent, LeaseManager, ManagedLease};

/// A pull-based stream of [`LeaseEvent`]s from when it was made. One more than the
/// manager's `event_capacity` behind skips the oldest.
pub struct EventStream {
    events: broadcast::Receiver<LeaseEvent>,
    /// The lease's name and its credential channel, closed when it stops.
    lease: Option<(Arc<str>, watch::Receiver<Arc<LeasedCredential>>)>,
}

impl EventStream {
    /// Every managed lease's events; ends when the manager is gone.
    pub fn all(manager: &LeaseManager) -> Self {
        EventStream {
            events: manager.subscribe(),
            lease: None,
        }
    }

    /// One lease's events; ends once it is stopped (after its last events).
    pub fn of(lease: &ManagedLease) -> Self {
        EventStream {
            events: lease.subscribe(),
            lease: Some((lease.name().into(), lease.watch())),
        }
    }

    fn wanted(&self, event: &LeaseEvent) -> bool {
        self.lease
            .as_ref()
            .is_none_or(|(name, _)| event.name() == name.as_ref())
    }

    /// The next event; `None` at the end.
    pub async fn next(&mut self) -> Option<LeaseEvent> {
        loop {
            let received = {
                let (events, lease) = (&mut self.events, &mut self.lease);
                let stopped = async move {
                    match lease {
                        Some((_, credential)) => while credential.changed().await.is_ok() {},
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    biased;
                    received = events.recv() => Some(received),
                    () = stopped => None,
                }
            };
            match received {
                None => return self.drain(),
                Some(Ok(event)) if self.wanted(&event) => return Some(event),
                Some(Ok(_) | Err(RecvError::Lagged(_))) => continue,
                Some(Err(RecvError::Closed)) => return None,
            }
        }
    }

    /// What is still buffered once the lease stopped.
    fn drain(&mut self) -> Option<LeaseEvent> {
        loop {
            match self.events.try_recv() {
                Ok(event) if self.wanted(&event) => return Some(event),
                Ok(_) | Err(TryRecvError::Lagged(_)) => continue,
                Err(_) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::EventStream;
    use crate::fake_source::FakeSource;
    use crate::{LeaseConfig, LeaseEvent, LeaseManager};

    const HOUR: Duration = Duration::from_secs(3600);

    /// A lease's stream carries only its events, its revocation last, then ends; the
    /// manager's stream carries both leases'.
    #[tokio::test(start_paused = true)]
    async fn a_lease_stream_ends_after_its_stop() {
        let manager = LeaseManager::new(LeaseConfig::default());
        let mut all = EventStream::all(&manager);
        let (first_source, _) = FakeSource::new("first", HOUR).shared();
        let (second_source, _) = FakeSource::new("second", HOUR).shared();
        let first = manager.manage("first", first_source).await.unwrap();
        let second = manager.manage("second", second_source).await.unwrap();
        let mut of_first = EventStream::of(&first);

        second.rotate();
        first.rotate();
        let rotated = of_first.next().await.expect("first's rotation");
        assert!(matches!(rotated, LeaseEvent::Rotated { .. }));
        assert_eq!(rotated.name(), "first");
        first.stop(true).await;
        let mut rest = Vec::new();
        while let Some(event) = of_first.next().await {
            assert_eq!(event.name(), "first");
            rest.push(event);
        }
        assert!(
            matches!(rest.last(), Some(LeaseEvent::Revoked { .. })),
            "the stream ends with the revocation: {rest:?}"
        );

        let names: Vec<String> = [all.next().await, all.next().await]
            .into_iter()
            .map(|event| event.expect("an event").name().to_owned())
            .collect();
        assert!(names.contains(&"first".to_owned()) && names.contains(&"second".to_owned()));
    }
}
