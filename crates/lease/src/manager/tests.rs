//! The scheduler never waits on a source inline and never runs user code.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use crate::fake_source::FakeSource;
use crate::{LeaseConfig, LeaseEvent, LeaseManager};

const HOUR: Duration = Duration::from_secs(3600);
const SEC: Duration = Duration::from_secs(1);

/// The next event of `name` (other leases' events are skipped).
async fn next_of(events: &mut broadcast::Receiver<LeaseEvent>, name: &str) -> LeaseEvent {
    loop {
        let event = events.recv().await.expect("an event");
        if event.name() == name {
            return event;
        }
    }
}

/// Lease `slow` is stopped with a revocation that does not return; lease `fast` is
/// renewed meanwhile, and the stop returns once the revocation does.
#[tokio::test(start_paused = true)]
async fn a_slow_revocation_does_not_delay_another_lease() {
    let manager = LeaseManager::new(LeaseConfig {
        call_timeout: HOUR,
        ..LeaseConfig::default()
    });
    let mut events = manager.subscribe();
    let (slow_source, slow) = FakeSource::new("slow", HOUR).shared();
    let (fast_source, _) = FakeSource::new("fast", 60 * SEC).renewable().shared();
    let slow_lease = manager.manage("slow", slow_source).await.unwrap();
    let fast_lease = manager.manage("fast", fast_source).await.unwrap();

    slow.hold_revokes();
    let stop = tokio::spawn(slow_lease.stop(true));
    match events.recv().await.unwrap() {
        LeaseEvent::Renewed { name, .. } if &*name == "fast" => {}
        other => panic!("{other:?} before the other lease's renewal"),
    }
    assert!(!stop.is_finished(), "stop returned before its revocation");
    assert_eq!(
        slow.log(),
        ["issue slow-lease-0", "revoke-start slow-lease-0"]
    );

    slow.release_revokes();
    stop.await.unwrap();
    assert!(matches!(
        next_of(&mut events, "slow").await,
        LeaseEvent::Revoked { lease_id, .. } if lease_id == "slow-lease-0"
    ));
    assert_eq!(fast_lease.lease().id, "fast-lease-0");
    manager.shutdown(false).await;
}

/// A callback blocked on its first event: the scheduler goes on rotating, and the
/// callback gets every event once it is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_callback_does_not_delay_the_scheduler() {
    let manager = LeaseManager::new(LeaseConfig::default());
    let (entered, entered_rx) = std::sync::mpsc::channel::<()>();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    let first = AtomicBool::new(true);
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&seen);
    manager.on_event(move |event| {
        if let LeaseEvent::Rotated { new, .. } = event {
            sink.lock().unwrap().push(new.lease.id.clone());
        }
        if first.swap(false, Ordering::SeqCst) {
            entered.send(()).unwrap();
            // Blocks its thread, as a careless callback would.
            release_rx.lock().unwrap().recv().unwrap();
        }
    });
    let (source, _) = FakeSource::new("db", HOUR).shared();
    let lease = manager.manage("db", source).await.unwrap();
    let mut credentials = lease.watch();

    lease.rotate();
    // Waits off the runtime's workers for the callback to block on the first event (a
    // task woken by a thread that then blocks could wait forever in that thread's slot).
    tokio::task::spawn_blocking(move || entered_rx.recv().unwrap())
        .await
        .unwrap();
    credentials.borrow_and_update();

    lease.rotate();
    // The limit is a thread of its own, not a tokio timer: a worker blocked in a
    // callback can hold those up.
    let (expire, limit) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(60 * SEC);
        let _ = expire.send(());
    });
    tokio::select! {
        changed = credentials.changed() => changed.unwrap(),
        _ = limit => panic!("the scheduler waited for the blocked callback"),
    }
    assert_eq!(lease.lease().id, "db-lease-2");

    release.send(()).unwrap();
    lease.rotate();
    let delivered = async {
        while seen.lock().unwrap().len() < 3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(60 * SEC, delivered)
        .await
        .expect("the callback got every event once released");
    assert_eq!(
        *seen.lock().unwrap(),
        ["db-lease-1", "db-lease-2", "db-lease-3"]
    );
    manager.shutdown(false).await;
}

/// At shutdown, every child lease (current and old) is revoked at once, then the
/// parent, after the children are done.
#[tokio::test(start_paused = true)]
async fn shutdown_revokes_children_together_then_parents() {
    let manager = LeaseManager::new(LeaseConfig {
        revoke_old_after: Some(HOUR),
        ..LeaseConfig::default()
    });
    let (parent_source, parent) = FakeSource::new("p", HOUR).slow_revokes(10 * SEC).shared();
    let (child_source, child) = FakeSource::new("c", HOUR).slow_revokes(10 * SEC).shared();
    let (other_source, other) = FakeSource::new("d", HOUR).slow_revokes(10 * SEC).shared();
    let token = manager.manage("token", parent_source).await.unwrap();
    let first = manager
        .manage_child("c", child_source, &token)
        .await
        .unwrap();
    manager
        .manage_child("d", other_source, &token)
        .await
        .unwrap();
    let mut credentials = first.watch();
    first.rotate();
    credentials.changed().await.unwrap();

    manager.shutdown(true).await;
    let starts = |fake: &FakeSource| -> Vec<String> {
        fake.log()
            .into_iter()
            .filter(|entry| entry.starts_with("revoke"))
            .collect()
    };
    let mut children = starts(&child);
    children.sort();
    assert_eq!(
        children,
        [
            "revoke-end c-lease-0",
            "revoke-end c-lease-1",
            "revoke-start c-lease-0",
            "revoke-start c-lease-1",
        ]
    );
    assert_eq!(
        starts(&other),
        ["revoke-start d-lease-0", "revoke-end d-lease-0"]
    );
    assert_eq!(
        starts(&parent),
        ["revoke-start p-lease-0", "revoke-end p-lease-0"]
    );
    let when = |fake: &FakeSource, id: &str| {
        fake.revoked()
            .into_iter()
            .find(|(revoked, _)| revoked == id)
            .map(|(_, at)| at)
            .unwrap()
    };
    // All children at once (one revocation time for all), the parent after them.
    let child_done = when(&child, "c-lease-0");
    assert_eq!(when(&child, "c-lease-1"), child_done);
    assert_eq!(when(&other, "d-lease-0"), child_done);
    assert!(when(&parent, "p-lease-0") > child_done);
}
