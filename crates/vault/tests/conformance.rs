//! The conformance suite against real OpenBao KV v2 and KV v1 mounts.

mod common;

use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::KvVersion;

#[tokio::test]
async fn kv2_passes_the_conformance_suite() {
    let bao = OpenBao::start();
    bao.run(&["secrets", "enable", "transit"]);
    let (_, backend) = common::fresh_mount(&bao, KvVersion::V2).await;
    let report = ironsecrets_testkit::run_all(&backend).await;
    eprintln!("{report}");
    report.assert_passed();
}

/// KV v1 has no versions, metadata or soft delete; its `Capabilities` say so and the
/// suite skips those checks.
#[tokio::test]
async fn kv1_passes_the_conformance_suite() {
    let bao = OpenBao::start();
    bao.run(&["secrets", "enable", "transit"]);
    let (_, backend) = common::fresh_mount(&bao, KvVersion::V1).await;
    let report = ironsecrets_testkit::run_all(&backend).await;
    eprintln!("{report}");
    report.assert_passed();
}
