//! The job runner end to end on a real database (SQLite, or PostgreSQL with
//! `PARCOURS_TEST_BACKEND=postgres`): retries with back-off, final failure, the audit verifier's alarm,
//! the import job, unknown kinds. Tests call `run_pending` and never sleep through a back-off: they move
//! `run_at` back instead.

use std::sync::Arc;

use parcours_domain::audit::AuditEvent;
use parcours_domain::habilitations::Role;
use parcours_domain::referentiel::import::{CommuneRow, ImportKind, Preview};
use parcours_jobs::{
    audit, referentiel, run_pending, schedule_periodic, sessions, JobContext, Registry, RunReport,
};
use parcours_store::audit::AuditFilter;
use parcours_store::{jobs, Store};
use parcours_test_support::{Fixture, TestDb};
use serde_json::json;

fn ctx(db: &TestDb) -> JobContext {
    JobContext::new(
        db.store().clone(),
        Arc::new(parcours_config::Settings::default()),
    )
}

async fn exec(store: &Store, sql: &str) {
    let mut tx = store.begin().await.unwrap();
    sqlx::query(sql)
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    tx.commit().await.unwrap();
}

async fn enqueue(store: &Store, kind: &str, payload: serde_json::Value, max_attempts: i64) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let id = jobs::enqueue(&mut tx, "96", kind, &payload, max_attempts)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn job(store: &Store, id: i64) -> jobs::Job {
    let mut c = store.read().await.unwrap();
    jobs::get(&mut c, "96", id).await.unwrap()
}

fn report(succeeded: usize, failed: usize) -> RunReport {
    RunReport { succeeded, failed }
}

#[tokio::test]
async fn a_failing_job_backs_off_then_ends_in_echec_with_its_error_visible() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let registry = Registry::new().with("essai.panne", |_, _| async {
        anyhow::bail!("serveur distant indisponible")
    });
    let id = enqueue(db.store(), "essai.panne", json!({}), 3).await;
    for attempt in 1..=3 {
        assert_eq!(
            run_pending(&ctx(&db), &registry).await.unwrap(),
            report(0, 1)
        );
        let j = job(db.store(), id).await;
        assert_eq!(j.attempts, attempt);
        assert_eq!(
            j.last_error.as_deref(),
            Some("serveur distant indisponible")
        );
        if attempt < 3 {
            assert_eq!(j.status, "en_attente");
            let later =
                parcours_store::format_time(chrono::Utc::now() + chrono::Duration::seconds(25));
            assert!(
                j.run_at > later,
                "run_at {} moved into the future",
                j.run_at
            );
            assert_eq!(
                run_pending(&ctx(&db), &registry).await.unwrap(),
                report(0, 0),
                "not due yet"
            );
            exec(
                db.store(),
                &format!("UPDATE jobs SET run_at = '2000-01-01T00:00:00.000000Z' WHERE id = {id}"),
            )
            .await;
        } else {
            assert_eq!(j.status, "echec");
        }
    }
    let mut c = db.store().read().await.unwrap();
    let (failed, _) = jobs::list(&mut c, "96", Some("echec"), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        failed[0].last_error.as_deref(),
        Some("serveur distant indisponible")
    );
}

#[tokio::test]
async fn a_succeeding_job_receives_its_payload_and_completes() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let registry = Registry::new().with("essai.ok", |_, payload: serde_json::Value| async move {
        anyhow::ensure!(payload["n"] == 7, "paramètre inattendu");
        Ok(())
    });
    let id = enqueue(db.store(), "essai.ok", json!({"n": 7}), 3).await;
    assert_eq!(
        run_pending(&ctx(&db), &registry).await.unwrap(),
        report(1, 0)
    );
    assert_eq!(job(db.store(), id).await.status, "termine");
}

#[tokio::test]
async fn an_unknown_kind_fails_for_good_with_a_french_message() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let id = enqueue(db.store(), "inconnu.du.registre", json!({}), 5).await;
    assert_eq!(
        run_pending(&ctx(&db), &Registry::standard()).await.unwrap(),
        report(0, 1)
    );
    let j = job(db.store(), id).await;
    assert_eq!(j.status, "echec");
    assert!(j
        .last_error
        .unwrap()
        .contains("type de job inconnu : « inconnu.du.registre »"));
}

#[tokio::test]
async fn a_panicking_handler_fails_its_job_and_the_runner_goes_on() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let registry = Registry::new()
        .with("essai.panique", |_, _| async { panic!("bogue") })
        .with("essai.ok", |_, _| async { Ok(()) });
    let bad = enqueue(db.store(), "essai.panique", json!({}), 1).await;
    let good = enqueue(db.store(), "essai.ok", json!({}), 1).await;
    assert_eq!(
        run_pending(&ctx(&db), &registry).await.unwrap(),
        report(1, 1)
    );
    assert_eq!(job(db.store(), bad).await.status, "echec");
    assert_eq!(job(db.store(), good).await.status, "termine");
}

#[tokio::test]
async fn the_audit_verifier_passes_on_an_intact_log_and_fails_naming_a_tampered_entry() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    for record in ["1", "2", "3"] {
        let e =
            AuditEvent::new("lecture", "agent", record).by(Some(fx.agent(Role::Cadre)), None, None);
        parcours_store::audit::append(&mut tx, "96", &e)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let registry = Registry::standard();
    let ok = enqueue(
        db.store(),
        audit::verifier::KIND,
        json!({"departement_id": "96"}),
        1,
    )
    .await;
    assert_eq!(
        run_pending(&ctx(&db), &registry).await.unwrap(),
        report(1, 0)
    );
    assert_eq!(job(db.store(), ok).await.status, "termine");

    parcours_test_support::lever_la_garde_du_journal(db.store()).await;
    exec(
        db.store(),
        "UPDATE audit_log SET record_id = '42' WHERE departement_id = '96' AND seq = 2",
    )
    .await;
    let ko = enqueue(
        db.store(),
        audit::verifier::KIND,
        json!({"departement_id": "96"}),
        1,
    )
    .await;
    assert_eq!(
        run_pending(&ctx(&db), &registry).await.unwrap(),
        report(0, 1)
    );
    let j = job(db.store(), ko).await;
    assert_eq!(j.status, "echec");
    let error = j.last_error.unwrap();
    assert!(
        error.contains("entrée n° 2 (96)") && error.contains("modifié"),
        "{error}"
    );
}

#[tokio::test]
async fn the_import_job_applies_the_import_and_writes_its_audit_entry_once() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let admin = fx.agent(Role::Administrateur);
    let preview = Preview {
        kind: ImportKind::Communes,
        secteurs: vec![],
        communes: vec![CommuneRow {
            insee: "96006".into(),
            nom: "Nouvelle".into(),
            codes_postaux: vec!["96500".into()],
            population: 99,
            secteur_code: Some("SEC-B1".into()),
        }],
        rejected: vec![],
    };
    let mut tx = db.store().begin().await.unwrap();
    let import = parcours_store::imports::save(&mut tx, "96", "communes.csv", &preview, admin)
        .await
        .unwrap();
    let id = referentiel::import::enqueue(&mut tx, "96", import, admin)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        run_pending(&ctx(&db), &Registry::standard()).await.unwrap(),
        report(1, 0)
    );
    assert_eq!(job(db.store(), id).await.status, "termine");
    let mut c = db.store().read().await.unwrap();
    let commune = parcours_store::referentiel::commune_get(&mut c, "96", "96006")
        .await
        .unwrap();
    assert_eq!(commune.secteur_id, Some(fx.secteur_b));
    let filter = AuditFilter {
        record_type: Some("import".into()),
        ..Default::default()
    };
    let (entries, n) = parcours_store::audit::list(&mut c, "96", &filter, 10, 0)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].record_id.clone(),
            entries[0].agent_id
        ),
        ("modification", import.to_string(), Some(admin))
    );
    drop(c);

    // Run again (a retry after a crash): no second application, no second audit entry.
    let mut tx = db.store().begin().await.unwrap();
    referentiel::import::enqueue(&mut tx, "96", import, admin)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        run_pending(&ctx(&db), &Registry::standard()).await.unwrap(),
        report(1, 0)
    );
    let mut c = db.store().read().await.unwrap();
    assert_eq!(
        parcours_store::audit::list(&mut c, "96", &filter, 10, 0)
            .await
            .unwrap()
            .1,
        1
    );
    assert_eq!(parcours_store::audit::verify(&mut c).await.unwrap(), Ok(1));
}

#[tokio::test]
async fn the_import_job_fails_on_a_missing_import_with_a_clear_message() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    let id = jobs::enqueue(
        &mut tx,
        "96",
        referentiel::import::KIND,
        &referentiel::import::payload("96", 4242, fx.agent(Role::Administrateur)),
        1,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        run_pending(&ctx(&db), &Registry::standard()).await.unwrap(),
        report(0, 1)
    );
    let error = job(db.store(), id).await.last_error.unwrap();
    assert!(error.contains("import n° 4242 introuvable"), "{error}");
}

#[tokio::test]
async fn the_session_purger_removes_expired_sessions_only() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let mut tx = db.store().begin().await.unwrap();
    for token in ["vivante", "oubliee"] {
        parcours_store::sessions::create(&mut tx, token, "96", fx.agent(Role::Accueil), "c", None)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let hash = parcours_store::sessions::hash_token("oubliee");
    exec(
        db.store(),
        &format!(
            "UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00.000000Z' WHERE id = '{hash}'"
        ),
    )
    .await;
    enqueue(
        db.store(),
        sessions::purger::KIND,
        json!({"departement_id": "96"}),
        1,
    )
    .await;
    assert_eq!(
        run_pending(&ctx(&db), &Registry::standard()).await.unwrap(),
        report(1, 0)
    );
    let mut c = db.store().read().await.unwrap();
    assert!(parcours_store::sessions::get(&mut c, "vivante")
        .await
        .unwrap()
        .is_some());
    assert!(parcours_store::sessions::get(&mut c, "oubliee")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn the_scheduler_enqueues_each_periodic_job_once_per_departement_and_period() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    Fixture::seed_other(db.store()).await;
    // Per département: the session purger, the audit verifier, the digest of due dates.
    assert_eq!(schedule_periodic(db.store()).await.unwrap(), 6);
    assert_eq!(
        schedule_periodic(db.store()).await.unwrap(),
        0,
        "already pending"
    );
    assert_eq!(
        run_pending(&ctx(&db), &Registry::standard()).await.unwrap(),
        report(6, 0)
    );
    // An hour later: the purgers again, the daily verifier and digest not yet.
    assert_eq!(schedule_periodic(db.store()).await.unwrap(), 2);
}

#[tokio::test]
async fn the_workers_stop_when_asked() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let handles = parcours_jobs::spawn_workers(ctx(&db), Registry::standard(), 2, shutdown);
    assert_eq!(handles.len(), 3, "two workers and the scheduler");
    stop.send(true).unwrap();
    for h in handles {
        tokio::time::timeout(std::time::Duration::from_secs(10), h)
            .await
            .expect("arrêt")
            .unwrap();
    }
}

#[test]
fn the_standard_registry_knows_every_job_of_parcours() {
    let kinds: Vec<&str> = Registry::standard().kinds().collect();
    assert_eq!(
        kinds,
        [
            "agenda.rappel",
            "aides.cartes",
            "aides.controle",
            "aides.paiement",
            "audit.verifier",
            "doublons.analyser",
            "echeances.relances",
            "groupes_projet.calculer",
            "referentiel.import",
            "rgpd.conservation",
            "sessions.purger"
        ]
    );
}
