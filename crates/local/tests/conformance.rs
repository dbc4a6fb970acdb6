//! The conformance suite every backend passes, run against the embedded store.

mod common;

use std::sync::Arc;

use ironsecrets_core::{Backend, Stack};

#[tokio::test]
async fn local_passes_the_conformance_suite() {
    let (_dir, store) = common::new_store().await;
    let store = Arc::new(store);
    let backend = Stack::default().apply(&Backend::new(store.clone()).with_transit(store));
    let report = ironsecrets_testkit::run_all(&backend).await;
    eprintln!("{report}");
    report.assert_passed();
}
