//! The demo loader writes the generated département in one transaction; the totals it promises are
//! the totals the database then holds.

use parcours_domain::demo::{generate, Scale};
use parcours_store::{agents, audit, demo, referentiel};
use parcours_test_support::TestDb;

#[tokio::test]
async fn the_default_demo_loads_with_its_announced_totals() {
    let db = TestDb::new().await;
    let generated = generate(1, Scale::Defaut);
    // Any string will do as the hash: this test does not sign in.
    let mut last = (0, 0);
    let logins = demo::load(db.store(), &generated, "hash-de-test", |done, total| {
        last = (done, total)
    })
    .await
    .unwrap();
    assert!(!logins.is_empty());
    assert_eq!(last.0, last.1, "progress reaches its total");
    let dep = generated.departement_code.as_str();
    let mut c = db.store().read().await.unwrap();
    assert_eq!(referentiel::population(&mut c, dep).await.unwrap(), 421_891);
    assert_eq!(referentiel::sites(&mut c, dep).await.unwrap().len(), 9);
    assert_eq!(
        referentiel::permanences(&mut c, dep).await.unwrap().len(),
        84
    );
    assert_eq!(agents::totals(&mut c, dep).await.unwrap(), (177, 15_900));
    assert_eq!(audit::verify(&mut c).await.unwrap(), Ok(1));
}
