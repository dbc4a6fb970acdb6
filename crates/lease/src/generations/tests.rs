//! `Generations` driven by a fake pool, a fake source and a real `LeaseManager`, on
//! tokio's paused clock.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::{Instant, sleep};

use super::{Drained, Generation, Generations, GenerationsConfig, RotationStats, Stale, Ticket};
use crate::fake_source::FakeSource;
use crate::{LeaseConfig, LeaseManager, ManagedLease};

const SEC: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3600);

/// A pool as a driver keeps one: idle connections, each with its ticket; lent-out
/// connections are the tickets the test holds.
struct FakePool {
    generations: Generations,
    idle: Vec<Ticket>,
}

impl FakePool {
    /// An idle connection (closing the stale ones it finds) or a new one.
    fn acquire(&mut self) -> Ticket {
        while let Some(conn) = self.idle.pop() {
            if !conn.is_stale() {
                return conn;
            }
        }
        let current = self.generations.current();
        self.connect(&current).expect("the current generation")
    }

    /// A connection opened with `generation`'s credential.
    fn connect(&self, generation: &Generation) -> Result<Ticket, Stale> {
        self.generations.open(generation.number)
    }

    /// Back to the pool, or closed if stale.
    fn release(&mut self, conn: Ticket) {
        if !conn.is_stale() {
            self.idle.push(conn);
        }
    }
}

struct Rig {
    manager: LeaseManager,
    lease: ManagedLease,
    fake: Arc<FakeSource>,
    pool: FakePool,
    reports: broadcast::Receiver<Drained>,
}

/// A manager that leaves old leases to the pool, managing `source`, and a pool on it.
async fn rig(source: FakeSource, config: GenerationsConfig) -> Rig {
    let manager = LeaseManager::new(LeaseConfig {
        revoke_old_after: Some(24 * HOUR),
        ..LeaseConfig::default()
    });
    let (source, fake) = source.shared();
    let lease = manager.manage("db", Arc::clone(&source)).await.unwrap();
    let generations = Generations::new(lease.clone(), source, config);
    let reports = generations.subscribe();
    Rig {
        manager,
        lease,
        fake,
        pool: FakePool {
            generations,
            idle: Vec::new(),
        },
        reports,
    }
}

impl Rig {
    /// Rotates the lease; the new generation.
    async fn rotate(&self) -> Generation {
        let before = self.pool.generations.current().number;
        self.lease.rotate();
        self.pool.generations.changed(before).await.unwrap()
    }

    fn stats(&self) -> RotationStats {
        self.pool.generations.stats()
    }

    fn revoked(&self) -> Vec<String> {
        self.fake.revoked().into_iter().map(|(id, _)| id).collect()
    }
}

fn user(generation: &Generation) -> &str {
    let value = generation.credential.data.get("username").unwrap();
    value.expose_str().unwrap()
}

#[tokio::test(start_paused = true)]
async fn old_connections_retire_when_returned_and_the_drained_lease_is_revoked() {
    let mut rig = rig(FakeSource::new("db", HOUR), GenerationsConfig::default()).await;
    let held = rig.pool.acquire();
    let idle = rig.pool.acquire();
    rig.pool.release(idle);
    let connecting = rig.pool.generations.current();
    assert_eq!((connecting.number, user(&connecting)), (0, "db-user-0"));

    let next = rig.rotate().await;
    assert_eq!((next.number, user(&next)), (1, "db-user-1"));
    // A connection that logged in with generation 0's credential is refused now.
    let refused = rig.pool.connect(&connecting).unwrap_err();
    assert_eq!(
        refused,
        Stale {
            generation: 0,
            current: 1
        }
    );
    assert!(held.is_stale());

    // Held, the old connection stays open and its lease alive.
    sleep(60 * SEC).await;
    assert!(rig.pool.generations.draining());
    assert!(rig.revoked().is_empty());
    // The stale idle connection is closed when found; a new one is opened.
    let fresh = rig.pool.acquire();
    assert_eq!(fresh.generation(), 1);
    assert!(!fresh.is_stale());
    assert_eq!(rig.stats().retired, 1);
    assert!(
        rig.revoked().is_empty(),
        "revoked while a connection is held"
    );

    rig.pool.release(held);
    let drained = rig.reports.recv().await.unwrap();
    assert_eq!(
        drained,
        Drained {
            generation: 0,
            at_deadline: false,
            revoked: true
        }
    );
    assert_eq!(rig.revoked(), ["db-lease-0"]);
    assert!(!rig.pool.generations.draining());
    rig.pool.release(fresh);
    assert_eq!(
        rig.stats(),
        RotationStats {
            generation: 1,
            opened: 3,
            retired: 2,
            refused_stale: 1,
            revoked_drained: 1,
            revoked_at_deadline: 0,
            revoke_failures: 0,
            draining: 0,
        }
    );
    rig.manager.shutdown(false).await;
}

#[tokio::test(start_paused = true)]
async fn a_connection_held_past_the_old_lease_is_revoked_at_the_deadline() {
    // The manager replaces a 10 s lease after 8.5 s; the old one must go before 10 s.
    let issued = Instant::now();
    let mut rig = rig(
        FakeSource::new("db", 10 * SEC),
        GenerationsConfig::default(),
    )
    .await;
    let held = rig.pool.acquire();
    rig.pool.generations.changed(0).await.unwrap();

    let drained = rig.reports.recv().await.unwrap();
    assert_eq!(
        drained,
        Drained {
            generation: 0,
            at_deadline: true,
            revoked: true
        }
    );
    let revoked = rig.fake.revoked();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].0, "db-lease-0");
    assert!(
        revoked[0].1 < issued + 10 * SEC,
        "revoked after the lease ended"
    );
    assert!(held.is_stale());
    // Its generation is done with: closing the connection now is not a retirement.
    drop(held);
    let stats = rig.stats();
    assert_eq!(
        (stats.opened, stats.retired, stats.revoked_at_deadline),
        (1, 0, 1)
    );
    assert_eq!((stats.revoked_drained, stats.draining), (0, 0));
    rig.manager.shutdown(false).await;
}

#[tokio::test(start_paused = true)]
async fn renewals_move_the_old_lease_deadline() {
    // Renewed at about 20 s for another 30 s; rotated at 25 s with a connection held.
    let mut rig = rig(
        FakeSource::new("db", 30 * SEC).renewable(),
        GenerationsConfig::default(),
    )
    .await;
    let held = rig.pool.acquire();
    sleep(25 * SEC).await;
    assert!(rig.fake.log().contains(&"renew db-lease-0".to_owned()));
    rig.rotate().await;

    // Past the end of the lease as first issued, the renewed one is still alive.
    sleep(10 * SEC).await;
    assert!(rig.revoked().is_empty());
    assert!(rig.pool.generations.draining());
    drop(held);
    let drained = rig.reports.recv().await.unwrap();
    assert!(!drained.at_deadline);
    assert_eq!(rig.revoked(), ["db-lease-0"]);
    rig.manager.shutdown(false).await;
}

#[tokio::test(start_paused = true)]
async fn a_static_credential_has_nothing_to_revoke() {
    let config = GenerationsConfig {
        unleased_drain: 60 * SEC,
        ..GenerationsConfig::default()
    };
    let mut rig = rig(FakeSource::new("static", HOUR).unleased(), config).await;
    let first = rig.pool.acquire();
    let second = rig.pool.acquire();
    let next = rig.rotate().await;
    assert_eq!(user(&next), "static-user");
    assert!(first.is_stale());

    // One connection closes, one stays past the unleased drain time.
    rig.pool.release(first);
    let drained = rig.reports.recv().await.unwrap();
    assert_eq!(
        drained,
        Drained {
            generation: 0,
            at_deadline: true,
            revoked: true
        }
    );
    // Generation 1 has no connection: done with as soon as it is replaced.
    rig.rotate().await;
    let drained = rig.reports.recv().await.unwrap();
    assert_eq!((drained.generation, drained.at_deadline), (1, false));
    drop(second);
    let stats = rig.stats();
    assert_eq!((stats.retired, stats.revoked_drained), (1, 1));
    assert_eq!((stats.revoked_at_deadline, stats.revoke_failures), (1, 0));
    assert!(
        !rig.fake.log().iter().any(|call| call.starts_with("revoke")),
        "{:?}",
        rig.fake.log()
    );
    rig.manager.shutdown(false).await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_revocation_is_retried_and_counted() {
    let source = FakeSource::new("db", HOUR).failing_revokes(2);
    let mut rig = rig(source, GenerationsConfig::default()).await;
    rig.rotate().await;
    let drained = rig.reports.recv().await.unwrap();
    assert_eq!(
        drained,
        Drained {
            generation: 0,
            at_deadline: false,
            revoked: true
        }
    );
    let revocations: Vec<String> = rig
        .fake
        .log()
        .into_iter()
        .filter(|call| !call.starts_with("revoke-start"))
        .filter(|call| call.starts_with("revoke"))
        .collect();
    assert_eq!(
        revocations,
        [
            "revoke-failed db-lease-0",
            "revoke-failed db-lease-0",
            "revoke-end db-lease-0"
        ]
    );
    let stats = rig.stats();
    assert_eq!((stats.revoke_failures, stats.revoked_drained), (2, 1));
    rig.manager.shutdown(false).await;
}

#[tokio::test(start_paused = true)]
async fn revocations_that_keep_failing_stop_when_the_lease_ends() {
    let issued = Instant::now();
    let source = FakeSource::new("db", 10 * SEC).failing_revokes(u32::MAX);
    let mut rig = rig(source, GenerationsConfig::default()).await;
    rig.pool.generations.changed(0).await.unwrap();
    let drained = rig.reports.recv().await.unwrap();
    assert_eq!(
        drained,
        Drained {
            generation: 0,
            at_deadline: false,
            revoked: false
        }
    );
    assert!(
        Instant::now() >= issued + 10 * SEC,
        "gave up before the lease ended"
    );
    let failures = rig
        .fake
        .log()
        .iter()
        .filter(|call| call.starts_with("revoke-failed"))
        .count() as u64;
    let stats = rig.stats();
    assert!(failures > 1);
    assert_eq!(stats.revoke_failures, failures);
    assert_eq!((stats.revoked_drained, stats.draining), (0, 0));
    rig.manager.shutdown(false).await;
}

#[tokio::test(start_paused = true)]
async fn a_hanging_revocation_does_not_hold_up_the_next_generation() {
    let mut rig = rig(FakeSource::new("db", HOUR), GenerationsConfig::default()).await;
    rig.fake.hold_revokes();
    rig.rotate().await;
    let next = rig.rotate().await;
    assert_eq!(next.number, 2);
    assert!(rig.revoked().is_empty());
    rig.fake.release_revokes();
    let mut drained = [
        rig.reports.recv().await.unwrap().generation,
        rig.reports.recv().await.unwrap().generation,
    ];
    drained.sort();
    assert_eq!(drained, [0, 1]);
    rig.manager.shutdown(false).await;
}

#[tokio::test(start_paused = true)]
async fn changed_ends_when_the_lease_is_stopped() {
    let rig = rig(FakeSource::new("db", HOUR), GenerationsConfig::default()).await;
    rig.lease.clone().stop(false).await;
    assert!(rig.pool.generations.changed(0).await.is_none());
    assert_eq!(rig.pool.generations.current().number, 0);
    rig.manager.shutdown(false).await;
}

#[tokio::test(start_paused = true)]
async fn closed_it_follows_and_revokes_nothing_more() {
    let rig = rig(FakeSource::new("db", HOUR), GenerationsConfig::default()).await;
    rig.pool.generations.close();
    assert!(rig.pool.generations.changed(0).await.is_none());
    let mut credentials = rig.lease.watch();
    rig.lease.rotate();
    credentials.changed().await.unwrap();
    sleep(60 * SEC).await;
    assert_eq!(rig.pool.generations.current().number, 0);
    assert!(rig.revoked().is_empty());
    rig.manager.shutdown(false).await;
}
