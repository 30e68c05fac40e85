//! Job queue: enqueue, claim of due jobs only, completion, failure with exponential back-off and a
//! final `echec` after the last attempt, admin retry, requeue of jobs left by a dead process.

use parcours_store::jobs::{self, backoff_seconds};
use parcours_store::{Store, StoreError};
use parcours_test_support::{Fixture, TestDb};
use serde_json::json;

use crate::exec;

async fn enqueue(store: &Store, kind: &str, max_attempts: i64) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let id = jobs::enqueue(&mut tx, "96", kind, &json!({"n": 1}), max_attempts)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn get(store: &Store, id: i64) -> jobs::Job {
    let mut c = store.read().await.unwrap();
    jobs::get(&mut c, "96", id).await.unwrap()
}

/// Brings a job scheduled in the future back to now, instead of sleeping through the back-off.
async fn make_due(store: &Store, id: i64) {
    exec(
        store,
        &format!("UPDATE jobs SET run_at = '2000-01-01T00:00:00.000000Z' WHERE id = {id}"),
    )
    .await;
}

#[tokio::test]
async fn a_claimed_job_runs_once_and_completes() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let id = enqueue(db.store(), "essai", 3).await;
    let job = jobs::claim(db.store(), "w1")
        .await
        .unwrap()
        .expect("un job dû");
    assert_eq!(
        (
            job.id,
            job.status.as_str(),
            job.attempts,
            job.payload.as_str()
        ),
        (id, "en_cours", 1, r#"{"n":1}"#)
    );
    assert!(
        jobs::claim(db.store(), "w2").await.unwrap().is_none(),
        "a running job is not claimed twice"
    );
    let mut tx = db.store().begin().await.unwrap();
    jobs::complete(&mut tx, id).await.unwrap();
    tx.commit().await.unwrap();
    let done = get(db.store(), id).await;
    assert_eq!(done.status, "termine");
    assert!(done.finished_at.is_some());
    assert!(jobs::claim(db.store(), "w1").await.unwrap().is_none());
}

#[tokio::test]
async fn jobs_are_claimed_oldest_first() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let first = enqueue(db.store(), "a", 1).await;
    let second = enqueue(db.store(), "b", 1).await;
    assert_eq!(
        jobs::claim(db.store(), "w").await.unwrap().unwrap().id,
        first
    );
    assert_eq!(
        jobs::claim(db.store(), "w").await.unwrap().unwrap().id,
        second
    );
}

#[tokio::test]
async fn a_failure_backs_off_then_fails_for_good_after_the_last_attempt() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let id = enqueue(db.store(), "essai", 3).await;
    for attempt in 1..=3 {
        let job = jobs::claim(db.store(), "w").await.unwrap().expect("dû");
        assert_eq!(job.attempts, attempt);
        let mut tx = db.store().begin().await.unwrap();
        jobs::fail(&mut tx, &job, &format!("panne n° {attempt}"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let after = get(db.store(), id).await;
        assert_eq!(
            after.last_error.as_deref(),
            Some(format!("panne n° {attempt}").as_str())
        );
        if attempt < 3 {
            assert_eq!(after.status, "en_attente");
            // The back-off, less a few seconds of slack for a slow test machine.
            let earliest = crate::in_seconds(backoff_seconds(attempt) - 5);
            assert!(
                after.run_at > earliest,
                "run_at {} should be after {earliest}",
                after.run_at
            );
            assert!(
                jobs::claim(db.store(), "w").await.unwrap().is_none(),
                "not due during the back-off"
            );
            make_due(db.store(), id).await;
        } else {
            assert_eq!(after.status, "echec");
            assert!(after.finished_at.is_some());
        }
    }
    assert!(jobs::claim(db.store(), "w").await.unwrap().is_none());
}

#[test]
fn the_backoff_doubles_and_is_capped_at_six_hours() {
    assert_eq!(backoff_seconds(0), 30);
    assert_eq!(backoff_seconds(1), 60);
    assert_eq!(backoff_seconds(2), 120);
    assert_eq!(backoff_seconds(50), 6 * 3600);
}

#[tokio::test]
async fn a_failed_job_can_be_retried_by_its_departement_only() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let id = enqueue(db.store(), "essai", 1).await;
    let job = jobs::claim(db.store(), "w").await.unwrap().unwrap();
    let mut tx = db.store().begin().await.unwrap();
    jobs::fail(&mut tx, &job, "panne").await.unwrap();
    assert!(matches!(
        jobs::retry(&mut tx, "95", id).await,
        Err(StoreError::NotFound)
    ));
    jobs::retry(&mut tx, "96", id).await.unwrap();
    assert!(
        matches!(
            jobs::retry(&mut tx, "96", id).await,
            Err(StoreError::NotFound)
        ),
        "only a failed job"
    );
    tx.commit().await.unwrap();
    let j = get(db.store(), id).await;
    assert_eq!(
        (j.status.as_str(), j.attempts, j.finished_at),
        ("en_attente", 0, None)
    );
    assert_eq!(jobs::claim(db.store(), "w").await.unwrap().unwrap().id, id);
}

#[tokio::test]
async fn jobs_left_running_by_a_dead_process_are_requeued() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let id = enqueue(db.store(), "essai", 3).await;
    jobs::claim(db.store(), "mort").await.unwrap().unwrap();
    let mut tx = db.store().begin().await.unwrap();
    assert_eq!(
        jobs::requeue_stale(&mut tx, &crate::in_seconds(-900))
            .await
            .unwrap(),
        0,
        "recent lock kept"
    );
    assert_eq!(
        jobs::requeue_stale(&mut tx, &crate::in_seconds(1))
            .await
            .unwrap(),
        1
    );
    tx.commit().await.unwrap();
    assert_eq!(get(db.store(), id).await.status, "en_attente");
    assert_eq!(
        jobs::claim(db.store(), "vivant")
            .await
            .unwrap()
            .unwrap()
            .attempts,
        2
    );
}

#[tokio::test]
async fn the_jobs_list_filters_by_status_newest_first() {
    let db = TestDb::new().await;
    Fixture::seed(db.store()).await;
    let a = enqueue(db.store(), "a", 3).await;
    let b = enqueue(db.store(), "b", 3).await;
    jobs::claim(db.store(), "w").await.unwrap();
    let mut c = db.store().read().await.unwrap();
    let (all, n) = jobs::list(&mut c, "96", None, 10, 0).await.unwrap();
    assert_eq!(
        (all.iter().map(|j| j.id).collect::<Vec<_>>(), n),
        (vec![b, a], 2)
    );
    let (waiting, n) = jobs::list(&mut c, "96", Some("en_attente"), 10, 0)
        .await
        .unwrap();
    assert_eq!((waiting[0].id, n), (b, 1));
}
