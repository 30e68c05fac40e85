//! Signed checkpoints of the audit chain: a log rewritten with recomputed hashes after its triggers
//! were dropped verifies as a chain, but disagrees with a checkpoint written before; so does a log cut
//! below a checkpoint, and a checkpoint file edited by hand.

use parcours_domain::audit::AuditEvent;
use parcours_domain::habilitations::Role;
use parcours_store::audit;
use parcours_store::jalons::{self, CleJalons};
use parcours_store::Store;
use parcours_test_support::attaque::rechainer;
use parcours_test_support::{lever_la_garde_du_journal, Fixture, TestDb};

use crate::exec;

async fn append(store: &Store, fx: &Fixture, n: i64) {
    let mut tx = store.begin().await.unwrap();
    for i in 0..n {
        let e = AuditEvent::new("lecture", "agent", i).by(Some(fx.agent(Role::Cadre)), None, None);
        audit::append(&mut tx, "96", &e).await.unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_chain_rewritten_after_dropping_the_trigger_is_caught_by_the_checkpoint() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let dir = tempfile::tempdir().unwrap();
    let cle = CleJalons::charger_ou_creer(&dir.path().join("cle")).unwrap();
    let jalons_dir = dir.path().join("jalons");
    append(db.store(), &fx, 3).await;
    let mut c = db.store().read().await.unwrap();
    let files = jalons::poser(&mut c, &jalons_dir, &cle, None)
        .await
        .unwrap();
    assert_eq!(
        files.len(),
        1,
        "one checkpoint per département with a chain"
    );
    let bilan = jalons::verifier(&mut c, &jalons_dir, &cle, None)
        .await
        .unwrap();
    assert_eq!((bilan.concordants, bilan.fautes.len()), (1, 0));
    drop(c);
    append(db.store(), &fx, 2).await;

    // The DBA drops the guard, changes entry 2 and recomputes every hash and the head.
    lever_la_garde_du_journal(db.store()).await;
    exec(
        db.store(),
        "UPDATE audit_log SET record_id = '99' WHERE departement_id = '96' AND seq = 2",
    )
    .await;
    rechainer(db.store(), "96").await;
    let mut c = db.store().read().await.unwrap();
    assert_eq!(
        audit::verify(&mut c).await.unwrap(),
        Ok(5),
        "the chain alone no longer tells"
    );
    let bilan = jalons::verifier(&mut c, &jalons_dir, &cle, None)
        .await
        .unwrap();
    assert_eq!(bilan.concordants, 0);
    assert_eq!(bilan.fautes.len(), 1, "{:?}", bilan.fautes);
    assert!(
        bilan.fautes[0].contains("l'entrée n° 3 (96) ne correspond plus au jalon"),
        "{:?}",
        bilan.fautes
    );
}

#[tokio::test]
async fn a_log_cut_below_a_checkpoint_and_a_forged_checkpoint_are_reported() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let dir = tempfile::tempdir().unwrap();
    let cle = CleJalons::charger_ou_creer(&dir.path().join("cle")).unwrap();
    append(db.store(), &fx, 3).await;
    let mut c = db.store().read().await.unwrap();
    let files = jalons::poser(&mut c, dir.path(), &cle, Some("96"))
        .await
        .unwrap();
    drop(c);

    // A checkpoint edited by hand to bless another head does not pass its signature.
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let forged = dir.path().join("jalon-96-faux.json");
    std::fs::write(&forged, text.replace("\"seq\": 3", "\"seq\": 2")).unwrap();
    // The last entry is deleted and the head moved back: the chain verifies, the checkpoint does not.
    lever_la_garde_du_journal(db.store()).await;
    exec(
        db.store(),
        "DELETE FROM audit_log WHERE departement_id = '96' AND seq = 3",
    )
    .await;
    rechainer(db.store(), "96").await;
    let mut c = db.store().read().await.unwrap();
    assert_eq!(audit::verify(&mut c).await.unwrap(), Ok(2));
    let bilan = jalons::verifier(&mut c, dir.path(), &cle, None)
        .await
        .unwrap();
    assert_eq!(bilan.fautes.len(), 2, "{:?}", bilan.fautes);
    assert!(bilan
        .fautes
        .iter()
        .any(|f| f.contains("jalon-96-faux.json : signature invalide")));
    assert!(bilan
        .fautes
        .iter()
        .any(|f| f.contains("plus court que le jalon") && f.contains("n° 3 n'existe plus")));
    // Checked with another key, no checkpoint vouches for anything.
    let autre = CleJalons::charger_ou_creer(&dir.path().join("autre-cle")).unwrap();
    let bilan = jalons::verifier(&mut c, dir.path(), &autre, None)
        .await
        .unwrap();
    assert_eq!(bilan.concordants, 0);
    assert!(bilan
        .fautes
        .iter()
        .all(|f| f.contains("signature invalide")));
}
