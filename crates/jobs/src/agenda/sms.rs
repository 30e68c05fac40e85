//! The SMS provider interface. Départements buy SMS from different operators (HTTP APIs that all take a
//! number and a text), so the reminder job talks to this trait; the built-in provider writes to the
//! `sms_sortants` outbox in the database, where an operator's connector (or a person) can pick them up.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use parcours_store::{agenda as store, Store};

/// The future of one sending.
pub type EnvoiFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Sends one SMS; an error makes the job retry later.
pub trait FournisseurSms: Send + Sync {
    fn envoyer<'a>(
        &'a self,
        dep: &'a str,
        numero: &'a str,
        texte: &'a str,
        rappel_id: i64,
    ) -> EnvoiFuture<'a>;
}

/// The built-in provider: the outbox table.
pub struct BoiteEnvoi {
    pub store: Store,
}

impl FournisseurSms for BoiteEnvoi {
    fn envoyer<'a>(
        &'a self,
        dep: &'a str,
        numero: &'a str,
        texte: &'a str,
        rappel_id: i64,
    ) -> EnvoiFuture<'a> {
        Box::pin(async move {
            let mut tx = self.store.begin().await?;
            store::sms_enregistrer(&mut tx, dep, numero, texte, Some(rappel_id)).await?;
            tx.commit().await?;
            Ok(())
        })
    }
}

/// The provider of the reminder jobs.
pub type Fournisseur = Arc<dyn FournisseurSms>;
