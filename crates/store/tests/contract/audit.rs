//! Audit log: appends chain, verification passes on an intact log, and every kind of tampering under
//! the API (modified, deleted, truncated, forged rows) is found and named; filtered listing. The
//! triggers of migration 0014 refuse UPDATE and DELETE; the tampering tests drop them first.

use parcours_domain::audit::{AuditEvent, ChainBreak};
use parcours_domain::habilitations::Role;
use parcours_store::audit::{self, AuditFilter};
use parcours_store::Store;
use parcours_test_support::{lever_la_garde_du_journal, Fixture, TestDb};

use crate::exec;

/// Appends three events in 96 (seq 1..=3): two by the cadre on agent records, one by the DPO.
async fn three_entries(store: &Store, fx: &Fixture) {
    let mut tx = store.begin().await.unwrap();
    let cadre = Some(fx.agent(Role::Cadre));
    let dpo = Some(fx.agent(Role::Dpo));
    let events = [
        AuditEvent::new("lecture", "agent", 11)
            .by(cadre, None, Some("req-1".into()))
            .purpose("suivi"),
        AuditEvent::new("modification", "agent", 12)
            .by(cadre, None, None)
            .details(serde_json::json!({"nom": "x"})),
        AuditEvent::new("lecture", "journal", "tout").by(dpo, None, None),
    ];
    for e in &events {
        audit::append(&mut tx, "96", e).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn verify(store: &Store) -> Result<i64, ChainBreak> {
    let mut c = store.read().await.unwrap();
    audit::verify(&mut c).await.unwrap()
}

#[tokio::test]
async fn appended_entries_chain_and_verify() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    assert_eq!(verify(db.store()).await, Ok(0), "an empty log verifies");
    three_entries(db.store(), &fx).await;
    assert_eq!(verify(db.store()).await, Ok(3));
    let mut c = db.store().read().await.unwrap();
    let (entries, _) = audit::list(&mut c, "96", &AuditFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [3, 2, 1],
        "newest first"
    );
    assert_eq!(entries[1].prev_hash, entries[2].hash);
    assert_eq!(entries[2].purpose.as_deref(), Some("suivi"));
}

#[tokio::test]
async fn a_modified_column_is_named_by_its_seq() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    three_entries(db.store(), &fx).await;
    // The attacker drops the guard first (a DBA could); the chain still tells.
    lever_la_garde_du_journal(db.store()).await;
    exec(
        db.store(),
        "UPDATE audit_log SET record_id = '99' WHERE departement_id = '96' AND seq = 2",
    )
    .await;
    assert_eq!(
        verify(db.store()).await,
        Err(ChainBreak::Modified {
            departement: "96".into(),
            seq: 2
        })
    );
}

#[tokio::test]
async fn a_modified_time_is_found_too() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    three_entries(db.store(), &fx).await;
    // The attacker drops the guard first (a DBA could); the chain still tells.
    lever_la_garde_du_journal(db.store()).await;
    exec(db.store(), "UPDATE audit_log SET at = '2001-01-01T00:00:00.000000Z' WHERE departement_id = '96' AND seq = 1")
        .await;
    assert_eq!(
        verify(db.store()).await,
        Err(ChainBreak::Modified {
            departement: "96".into(),
            seq: 1
        })
    );
}

#[tokio::test]
async fn a_deleted_middle_entry_is_a_gap() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    three_entries(db.store(), &fx).await;
    // The attacker drops the guard first (a DBA could); the chain still tells.
    lever_la_garde_du_journal(db.store()).await;
    exec(
        db.store(),
        "DELETE FROM audit_log WHERE departement_id = '96' AND seq = 2",
    )
    .await;
    assert_eq!(
        verify(db.store()).await,
        Err(ChainBreak::Gap {
            departement: "96".into(),
            expected: 2,
            found: 3
        })
    );
}

#[tokio::test]
async fn a_deleted_last_entry_is_a_truncation() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    three_entries(db.store(), &fx).await;
    // The attacker drops the guard first (a DBA could); the chain still tells.
    lever_la_garde_du_journal(db.store()).await;
    exec(
        db.store(),
        "DELETE FROM audit_log WHERE departement_id = '96' AND seq = 3",
    )
    .await;
    assert_eq!(
        verify(db.store()).await,
        Err(ChainBreak::Truncated {
            departement: "96".into(),
            expected: 3,
            found: 2
        })
    );
}

#[tokio::test]
async fn a_forged_row_breaks_the_chain() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    three_entries(db.store(), &fx).await;
    let mut c = db.store().read().await.unwrap();
    let (entries, _) = audit::list(&mut c, "96", &AuditFilter::default(), 1, 0)
        .await
        .unwrap();
    drop(c);
    // A forger who copies the last hash as prev_hash but cannot update the head.
    exec(
        db.store(),
        &format!(
            "INSERT INTO audit_log (departement_id, seq, at, agent_id, token_id, action, record_type, record_id, \
             purpose, request_id, details, prev_hash, hash) VALUES ('96', 4, '{}', NULL, NULL, 'lecture', 'agent', '1', \
             NULL, NULL, '{{}}', '{}', 'ffff')",
            crate::in_seconds(0),
            entries[0].hash
        ),
    )
    .await;
    assert_eq!(
        verify(db.store()).await,
        Err(ChainBreak::Modified {
            departement: "96".into(),
            seq: 4
        })
    );
}

#[tokio::test]
async fn a_forged_row_with_a_correct_hash_still_disagrees_with_the_head() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    three_entries(db.store(), &fx).await;
    let mut c = db.store().read().await.unwrap();
    let (entries, _) = audit::list(&mut c, "96", &AuditFilter::default(), 1, 0)
        .await
        .unwrap();
    drop(c);
    let mut forged = entries[0].clone();
    forged.seq = 4;
    forged.prev_hash = entries[0].hash.clone();
    forged.hash = parcours_domain::audit::entry_hash(&forged);
    exec(
        db.store(),
        &format!(
            "INSERT INTO audit_log (departement_id, seq, at, agent_id, token_id, action, record_type, record_id, \
             purpose, request_id, details, prev_hash, hash) VALUES ('96', 4, '{}', {}, NULL, '{}', '{}', '{}', \
             NULL, NULL, '{}', '{}', '{}')",
            forged.at,
            forged.agent_id.unwrap(),
            forged.action,
            forged.record_type,
            forged.record_id,
            forged.details,
            forged.prev_hash,
            forged.hash
        ),
    )
    .await;
    assert_eq!(
        verify(db.store()).await,
        Err(ChainBreak::Truncated {
            departement: "96".into(),
            expected: 3,
            found: 4
        })
    );
}

#[tokio::test]
async fn a_break_in_one_departement_does_not_hide_the_state_of_another() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let other = Fixture::seed_other(db.store()).await;
    three_entries(db.store(), &fx).await;
    let mut tx = db.store().begin().await.unwrap();
    audit::append(
        &mut tx,
        "95",
        &AuditEvent::new("lecture", "agent", other.admin),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // The attacker drops the guard first (a DBA could); the chain still tells.
    lever_la_garde_du_journal(db.store()).await;
    exec(
        db.store(),
        "UPDATE audit_log SET action = 'x' WHERE departement_id = '95' AND seq = 1",
    )
    .await;
    let mut c = db.store().read().await.unwrap();
    assert_eq!(
        audit::verify_departement(&mut c, "96").await.unwrap(),
        Ok(3)
    );
    assert!(audit::verify_departement(&mut c, "95")
        .await
        .unwrap()
        .is_err());
    assert!(audit::verify(&mut c).await.unwrap().is_err());
}

#[tokio::test]
async fn the_audit_list_filters_by_agent_record_and_period() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    three_entries(db.store(), &fx).await;
    let mut c = db.store().read().await.unwrap();
    let mut n = async |f: AuditFilter| audit::list(&mut c, "96", &f, 10, 0).await.unwrap().1;
    assert_eq!(
        n(AuditFilter {
            agent_id: Some(fx.agent(Role::Cadre)),
            ..Default::default()
        })
        .await,
        2
    );
    assert_eq!(
        n(AuditFilter {
            agent_id: Some(fx.agent(Role::Dpo)),
            ..Default::default()
        })
        .await,
        1
    );
    let record = AuditFilter {
        record_type: Some("agent".into()),
        record_id: Some("12".into()),
        ..Default::default()
    };
    assert_eq!(n(record).await, 1);
    assert_eq!(
        n(AuditFilter {
            record_type: Some("agent".into()),
            ..Default::default()
        })
        .await,
        2
    );
    // `from` and `to` as dates bound the stored UTC instants (the pages turn a local day into
    // `from` + `before`): the days are UTC ones of the store's clock, which wrote the entries, not
    // the département's, which differ an hour or two around midnight.
    let maintenant = parcours_store::clock().now();
    let jour = |d: i64| {
        (maintenant + chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let (today, tomorrow, yesterday) = (jour(0), jour(1), jour(-1));
    let period = |from: &str, to: &str| AuditFilter {
        from: Some(from.into()),
        to: Some(to.into()),
        ..Default::default()
    };
    assert_eq!(
        n(period(&today, &today)).await,
        3,
        "the end date is inclusive"
    );
    assert_eq!(n(period(&tomorrow, &tomorrow)).await, 0);
    assert_eq!(n(period(&yesterday, &yesterday)).await, 0);
}

/// Runs one statement in its own transaction (after `before`, in the same transaction) and returns
/// the database's refusal, if any.
async fn attempt(store: &Store, before: Option<&str>, sql: &str) -> Result<u64, String> {
    let mut tx = store.begin().await.unwrap();
    if let Some(b) = before {
        parcours_store::raw_execute(&mut tx, b).await.unwrap();
    }
    let done = parcours_store::raw_execute(&mut tx, sql)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.unwrap();
    Ok(done)
}

#[tokio::test]
async fn the_database_refuses_to_delete_or_update_an_audit_entry() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    three_entries(db.store(), &fx).await;
    for sql in [
        "DELETE FROM audit_log WHERE departement_id = '96' AND seq = 2",
        "UPDATE audit_log SET record_id = '99' WHERE departement_id = '96' AND seq = 2",
        "DELETE FROM audit_log",
    ] {
        let refused = attempt(db.store(), None, sql).await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("journal d'audit inviolable")),
            "{sql} : {refused:?}"
        );
    }
    assert_eq!(verify(db.store()).await, Ok(3), "nothing was changed");
    // Appending still works.
    let mut tx = db.store().begin().await.unwrap();
    audit::append(&mut tx, "96", &AuditEvent::new("lecture", "agent", 1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(verify(db.store()).await, Ok(4));
}

#[tokio::test]
async fn on_postgres_the_application_role_may_only_read_and_append_to_the_audit_log() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    three_entries(db.store(), &fx).await;
    if db.store().backend() != parcours_store::Backend::Postgres {
        // SQLite has no roles: its guard is the trigger, tested above.
        return;
    }
    let as_app = Some("SET LOCAL ROLE parcours_app");
    // Even with the triggers gone, the application's role cannot rewrite the log.
    lever_la_garde_du_journal(db.store()).await;
    for sql in [
        "DELETE FROM audit_log WHERE departement_id = '96' AND seq = 2",
        "UPDATE audit_log SET record_id = '99' WHERE departement_id = '96' AND seq = 2",
        "TRUNCATE audit_log",
    ] {
        let refused = attempt(db.store(), as_app, sql).await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("permission denied")),
            "{sql} : {refused:?}"
        );
    }
    // It reads, appends, and writes the rest of the schema.
    assert_eq!(
        attempt(db.store(), as_app, "SELECT seq FROM audit_log").await,
        Ok(3)
    );
    let mut tx = db.store().begin().await.unwrap();
    parcours_store::raw_execute(&mut tx, "SET LOCAL ROLE parcours_app")
        .await
        .unwrap();
    audit::append(&mut tx, "96", &AuditEvent::new("lecture", "agent", 1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(verify(db.store()).await, Ok(4));
}
