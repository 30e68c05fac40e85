//! A write transaction that cannot commit without its audit entry.

use parcours_domain::audit::AuditEvent;
use parcours_store::{audit, Conn, Store, StoreError, Tx};

use crate::{Acteur, Error, Result};

/// The transaction of a use case. There is no plain `commit`: [`AuditedTx::commit`] takes the audit
/// event and appends it before committing, so the data and its trace exist together or not at all.
/// Dropped without commit, everything rolls back.
pub struct AuditedTx {
    tx: Tx,
    store: Store,
    dep: String,
}

impl AuditedTx {
    pub async fn begin(store: &Store, acteur: &Acteur) -> Result<Self> {
        Ok(Self {
            tx: store.begin().await?,
            store: store.clone(),
            dep: acteur.dep().to_string(),
        })
    }

    /// The connection, to load and write through the store.
    pub fn conn(&mut self) -> &mut Conn {
        &mut self.tx
    }

    /// Appends the audit entry, then commits.
    pub async fn commit(self, event: AuditEvent) -> Result<()> {
        self.commit_all(std::slice::from_ref(&event)).await
    }

    /// Appends several audit entries (at least one), then commits.
    pub async fn commit_all(mut self, events: &[AuditEvent]) -> Result<()> {
        if events.is_empty() {
            return Err(Error::Store(StoreError::Other(anyhow::anyhow!(
                "une transaction de cas d'usage se valide avec son entrée d'audit"
            ))));
        }
        for e in events {
            audit::append(&mut self.tx, &self.dep, e).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }

    /// Records a refusal and gives the error to answer: everything done in this transaction is
    /// rolled back, and the refusal's audit entry is written in a transaction of its own.
    pub async fn refuse(self, event: AuditEvent) -> Error {
        let Self { tx, store, dep } = self;
        // One writer on SQLite: release this transaction before opening the next.
        if let Err(e) = tx.rollback().await {
            return Error::from(e);
        }
        let written = async {
            let mut tx = store.begin().await?;
            audit::append(&mut tx, &dep, &event).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        }
        .await;
        match written {
            Ok(()) => Error::Forbidden { audited: true },
            Err(e) => Error::from(e),
        }
    }
}
