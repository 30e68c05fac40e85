//! The daily audit job with checkpoints configured: it writes the day's signed checkpoint, and fails,
//! naming the checkpoint, once the log was rewritten behind its triggers with recomputed hashes.

use std::sync::Arc;

use parcours_domain::audit::AuditEvent;
use parcours_domain::habilitations::Role;
use parcours_jobs::{audit, run_pending, JobContext, Registry, RunReport};
use parcours_store::jobs;
use parcours_test_support::attaque::rechainer;
use parcours_test_support::{lever_la_garde_du_journal, Fixture, TestDb};
use serde_json::json;

#[tokio::test]
async fn the_daily_job_checkpoints_the_chain_then_catches_a_rewrite_through_it() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let dir = tempfile::tempdir().unwrap();
    let settings = parcours_config::Settings {
        audit_jalons: Some(dir.path().join("jalons")),
        audit_cle: Some(dir.path().join("cle")),
        ..Default::default()
    };
    let ctx = JobContext::new(db.store().clone(), Arc::new(settings));
    let mut tx = db.store().begin().await.unwrap();
    for record in ["1", "2", "3"] {
        let e =
            AuditEvent::new("lecture", "agent", record).by(Some(fx.agent(Role::Cadre)), None, None);
        parcours_store::audit::append(&mut tx, "96", &e)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let run = async || {
        let mut tx = db.store().begin().await.unwrap();
        let id = jobs::enqueue(
            &mut tx,
            "96",
            audit::verifier::KIND,
            &json!({"departement_id": "96"}),
            1,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let report = run_pending(&ctx, &Registry::standard()).await.unwrap();
        let mut c = db.store().read().await.unwrap();
        (report, jobs::get(&mut c, "96", id).await.unwrap())
    };
    let (report, _) = run().await;
    assert_eq!(
        report,
        RunReport {
            succeeded: 1,
            failed: 0
        }
    );
    let written: Vec<_> = std::fs::read_dir(dir.path().join("jalons"))
        .unwrap()
        .collect();
    assert_eq!(written.len(), 1, "the day's checkpoint is written");

    lever_la_garde_du_journal(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    parcours_store::raw_execute(
        &mut tx,
        "UPDATE audit_log SET record_id = '42' WHERE departement_id = '96' AND seq = 1",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    rechainer(db.store(), "96").await;
    let (report, job) = run().await;
    assert_eq!(
        report,
        RunReport {
            succeeded: 0,
            failed: 1
        }
    );
    let error = job.last_error.unwrap();
    assert!(
        error.contains("désaccord avec ses jalons") && error.contains("entrée n° 3 (96)"),
        "{error}"
    );
}
