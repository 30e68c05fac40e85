//! The job runner of Parcours: a registry of handlers by job kind, `run_pending` to drain the due jobs
//! (tests, CLI), and long-running workers with an hourly scheduler of the periodic jobs. The queue
//! itself lives in the database (`parcours_store::jobs`), so a job enqueued in a business transaction
//! exists if and only if that transaction committed.

pub mod agenda;
pub mod aides;
pub mod audit;
pub mod doublons;
pub mod echeances;
pub mod groupes_projet;
pub mod referentiel;
pub mod rgpd;
mod runner;
pub mod sessions;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use parcours_config::Settings;
use parcours_store::Store;

pub use runner::{
    run_pending, schedule_periodic, spawn_workers, RunReport, MAX_ATTEMPTS, STALE_AFTER,
};

/// What every handler receives: the store and the settings (timeouts, etc.).
#[derive(Clone, Debug)]
pub struct JobContext {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// The clock the jobs run on (the ambient clock of each run).
    pub clock: parcours_domain::temps::Clock,
}

impl JobContext {
    /// A context on its own system clock of the settings' zone (tests, tools); the server shares the
    /// process's clock with its requests instead.
    pub fn new(store: Store, settings: Arc<Settings>) -> Self {
        let clock = parcours_domain::temps::Clock::system(settings.fuseau);
        JobContext {
            store,
            settings,
            clock,
        }
    }
}

/// The future a handler returns, boxed so that handlers of different kinds share one map.
pub type JobFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'static>>;

type Handler = Arc<dyn Fn(JobContext, serde_json::Value) -> JobFuture + Send + Sync>;

/// Handlers by job kind. Handlers must be idempotent: a job can run again after a crash between its
/// effect and the recording of its completion.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: BTreeMap<&'static str, Handler>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("kinds", &self.handlers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every job of Parcours.
    pub fn standard() -> Self {
        Self::new()
            .with(sessions::purger::KIND, sessions::purger::run)
            .with(audit::verifier::KIND, audit::verifier::run)
            .with(referentiel::import::KIND, referentiel::import::run)
            .with(groupes_projet::calcul::KIND, groupes_projet::calcul::run)
            .with(agenda::rappel::KIND, agenda::rappel::run)
            .with(doublons::analyse::KIND, doublons::analyse::run)
            .with(rgpd::conservation::KIND, rgpd::conservation::run)
            .with(echeances::relances::KIND, echeances::relances::run)
            .with(aides::JOB_CONTROLE, aides::controle)
            .with(aides::JOB_PAIEMENT, aides::paiement)
            .with(aides::JOB_CARTES, aides::cartes)
    }

    /// Registers `handler` for `kind` (replacing a previous one), e.g. an `async fn`.
    pub fn register<F, Fut>(&mut self, kind: &'static str, handler: F)
    where
        F: Fn(JobContext, serde_json::Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.handlers.insert(
            kind,
            Arc::new(move |ctx, payload| Box::pin(handler(ctx, payload))),
        );
    }

    /// Builder form of [`Registry::register`].
    pub fn with<F, Fut>(mut self, kind: &'static str, handler: F) -> Self
    where
        F: Fn(JobContext, serde_json::Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.register(kind, handler);
        self
    }

    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.handlers.keys().copied()
    }

    pub(crate) fn get(&self, kind: &str) -> Option<&Handler> {
        self.handlers.get(kind)
    }
}

/// Reads a required field of a payload, with a French message naming it when it is missing.
pub(crate) fn payload_field<T: serde::de::DeserializeOwned>(
    payload: &serde_json::Value,
    field: &str,
) -> anyhow::Result<T> {
    let value = payload
        .get(field)
        .ok_or_else(|| anyhow::anyhow!("paramètre « {field} » absent du job"))?;
    serde_json::from_value(value.clone())
        .map_err(|e| anyhow::anyhow!("paramètre « {field} » invalide : {e}"))
}
