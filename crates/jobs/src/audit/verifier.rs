//! `audit.verifier`: walks the audit chain of a département and fails, naming the first broken entry,
//! when a row was modified, deleted or inserted under the application; the failed job on the admin
//! jobs page is the alert.

use parcours_store::audit;

use crate::{payload_field, JobContext};

pub const KIND: &str = "audit.verifier";

/// Payload `{"departement_id": "96"}` checks that département's chain; without it, every chain.
pub async fn run(ctx: JobContext, payload: serde_json::Value) -> anyhow::Result<()> {
    let dep: Option<String> = if payload.get("departement_id").is_some() {
        Some(payload_field(&payload, "departement_id")?)
    } else {
        None
    };
    let mut conn = ctx.store.read().await?;
    let outcome = match &dep {
        Some(dep) => audit::verify_departement(&mut conn, dep).await?,
        None => audit::verify(&mut conn).await?,
    };
    match outcome {
        Ok(n) => {
            tracing::info!(
                departement = dep.as_deref().unwrap_or("*"),
                "journal d'audit intègre ({n} entrées)"
            );
            Ok(())
        }
        Err(b) => {
            tracing::error!("journal d'audit rompu : {b}");
            anyhow::bail!(
                "Journal d'audit rompu — {b}. Conservez la base en l'état et prévenez le DPO."
            )
        }
    }
}
