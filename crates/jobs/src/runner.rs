//! Running the queue: claim a due job, run its handler, record the outcome; the worker loops and the
//! scheduler of periodic jobs for the server process.

use parcours_store::clock::with_clock;
use std::time::Duration;

use parcours_store::{departements, jobs, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{audit, echeances, sessions, JobContext, Registry};

/// Attempts given to the jobs the scheduler enqueues (back-off 1 min, 2 min, 4 min, 8 min).
pub const MAX_ATTEMPTS: i64 = 5;

/// A job still `en_cours` after this long belonged to a process that died: put it back at start-up.
/// Longer than any job runs, so that a slow job of a live process is not run twice.
pub const STALE_AFTER: Duration = Duration::from_secs(15 * 60);

const POLL: Duration = Duration::from_secs(1);
const SCHEDULE_EVERY: Duration = Duration::from_secs(3600);

/// What `run_pending` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    pub succeeded: usize,
    pub failed: usize,
}

impl RunReport {
    pub fn ran(&self) -> usize {
        self.succeeded + self.failed
    }
}

/// Runs every due job, one after the other, until none is due. A job that fails is rescheduled in the
/// future by its back-off, so the loop ends; tests call this instead of waiting for workers.
pub async fn run_pending(ctx: &JobContext, registry: &Registry) -> anyhow::Result<RunReport> {
    with_clock(ctx.clock.clone(), drain(ctx, registry)).await
}

async fn drain(ctx: &JobContext, registry: &Registry) -> anyhow::Result<RunReport> {
    let worker = format!("run_pending-{}", std::process::id());
    let mut report = RunReport::default();
    while let Some(job) = jobs::claim(&ctx.store, &worker).await? {
        if run_one(ctx, registry, job).await? {
            report.succeeded += 1;
        } else {
            report.failed += 1;
        }
    }
    Ok(report)
}

/// Runs one claimed job and records the outcome; `Ok(true)` if it succeeded. Only a failure to record
/// (the database is gone) is an error: the handler's error goes into the job row.
async fn run_one(ctx: &JobContext, registry: &Registry, job: jobs::Job) -> anyhow::Result<bool> {
    let outcome = match registry.get(&job.kind) {
        None => {
            // No retry can help a kind this binary does not know: fail for good at once.
            let last = jobs::Job {
                attempts: job.max_attempts,
                ..job.clone()
            };
            let error = format!(
                "type de job inconnu : « {} » (aucun traitement enregistré)",
                job.kind
            );
            tracing::error!(job = job.id, kind = %job.kind, "{error}");
            let mut tx = ctx.store.begin().await?;
            jobs::fail(&mut tx, &last, &error).await?;
            tx.commit().await?;
            return Ok(false);
        }
        Some(handler) => match serde_json::from_str::<serde_json::Value>(&job.payload) {
            Err(e) => Err(anyhow::anyhow!("paramètres du job illisibles : {e}")),
            // Spawned so that a panicking handler becomes a failed job instead of a dead worker.
            // The clock is a task-local: the spawned task gets it explicitly.
            Ok(payload) => {
                match tokio::spawn(with_clock(ctx.clock.clone(), handler(ctx.clone(), payload)))
                    .await
                {
                    Ok(result) => result,
                    Err(e) => Err(anyhow::anyhow!("le traitement s'est interrompu : {e}")),
                }
            }
        },
    };
    let mut tx = ctx.store.begin().await?;
    let ok = match outcome {
        Ok(()) => {
            tracing::info!(job = job.id, kind = %job.kind, "job terminé");
            jobs::complete(&mut tx, job.id).await?;
            true
        }
        Err(e) => {
            let error = format!("{e:#}");
            tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, "job en échec : {error}");
            jobs::fail(&mut tx, &job, &error).await?;
            false
        }
    };
    tx.commit().await?;
    Ok(ok)
}

/// Starts `n` workers polling the queue every second and the scheduler of periodic jobs; all stop when
/// `shutdown` turns true (a job under way is finished first). Jobs left running by a previous process
/// are put back in the queue before the scheduler starts.
pub fn spawn_workers(
    ctx: JobContext,
    registry: Registry,
    n: usize,
    shutdown: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let mut handles = Vec::with_capacity(n + 1);
    {
        let ctx = ctx.clone();
        let shutdown = shutdown.clone();
        let clock = ctx.clock.clone();
        handles.push(tokio::spawn(with_clock(clock, async move {
            scheduler(ctx, shutdown).await
        })));
    }
    for i in 0..n {
        let (ctx, registry, shutdown) = (ctx.clone(), registry.clone(), shutdown.clone());
        let clock = ctx.clock.clone();
        handles.push(tokio::spawn(with_clock(clock, async move {
            worker(ctx, registry, i, shutdown).await
        })));
    }
    handles
}

async fn worker(
    ctx: JobContext,
    registry: Registry,
    index: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    let name = format!("worker-{}-{index}", std::process::id());
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
        // Drain what is due, checking for shutdown between jobs.
        loop {
            if *shutdown.borrow() {
                break;
            }
            match jobs::claim(&ctx.store, &name).await {
                Ok(Some(job)) => {
                    if let Err(e) = run_one(&ctx, &registry, job).await {
                        tracing::error!(worker = %name, "résultat du job non enregistré : {e:#}");
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(worker = %name, "file des jobs inaccessible : {e}");
                    break;
                }
            }
        }
    }
    tracing::info!(worker = %name, "arrêt du worker");
}

async fn scheduler(ctx: JobContext, mut shutdown: watch::Receiver<bool>) {
    let stale = parcours_store::format_time(parcours_store::clock().now() - STALE_AFTER);
    match requeue(&ctx.store, &stale).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!("{n} job(s) interrompu(s) remis en file"),
        Err(e) => tracing::error!("remise en file des jobs interrompus impossible : {e}"),
    }
    // The first tick fires at once: the periodic jobs are enqueued at start-up too.
    let mut tick = tokio::time::interval(SCHEDULE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
        if let Err(e) = schedule_periodic(&ctx.store).await {
            tracing::error!("planification des jobs périodiques impossible : {e}");
        }
    }
}

async fn requeue(store: &Store, locked_before: &str) -> parcours_store::Result<u64> {
    let mut tx = store.begin().await?;
    let n = jobs::requeue_stale(&mut tx, locked_before).await?;
    tx.commit().await?;
    Ok(n)
}

/// The periodic jobs, and how long after one was enqueued the next is due (`None`: at every run of
/// the scheduler, i.e. hourly).
const PERIODIC: &[(&str, Option<Duration>)] = &[
    (sessions::purger::KIND, None),
    (audit::verifier::KIND, Some(Duration::from_secs(23 * 3600))),
    (
        echeances::relances::KIND,
        Some(Duration::from_secs(23 * 3600)),
    ),
];

/// Enqueues, for every département, each periodic job that is not already waiting or running and
/// whose period has elapsed; returns how many were enqueued. One job per département, so that each
/// administrator sees the state of their own on the jobs page.
pub async fn schedule_periodic(store: &Store) -> parcours_store::Result<usize> {
    let deps = {
        let mut c = store.read().await?;
        departements::list(&mut c).await?
    };
    let mut enqueued = 0;
    for dep in deps {
        // The newest jobs are enough: a periodic job older than these is past its period anyway (at
        // worst a verification runs twice, which is harmless).
        let recent = {
            let mut c = store.read().await?;
            jobs::list(&mut c, &dep.id, None, 500, 0).await?.0
        };
        for (kind, period) in PERIODIC {
            let of_kind = || recent.iter().filter(|j| j.kind == *kind);
            if of_kind().any(|j| j.status == "en_attente" || j.status == "en_cours") {
                continue;
            }
            if let Some(period) = period {
                let since = parcours_store::clock().now() - *period;
                if of_kind()
                    .any(|j| parcours_store::parse_time(&j.created_at).is_some_and(|t| t > since))
                {
                    continue;
                }
            }
            let mut tx = store.begin().await?;
            jobs::enqueue(
                &mut tx,
                &dep.id,
                kind,
                &serde_json::json!({ "departement_id": dep.id }),
                MAX_ATTEMPTS,
            )
            .await?;
            tx.commit().await?;
            enqueued += 1;
        }
    }
    Ok(enqueued)
}
