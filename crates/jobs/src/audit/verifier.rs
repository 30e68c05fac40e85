//! `audit.verifier`: walks the audit chain of a département and fails, naming the first broken entry,
//! when a row was modified, deleted or inserted under the application; the failed job on the admin
//! jobs page is the alert. With `PARCOURS_AUDIT_JALONS` set, it then checks the signed checkpoints
//! kept outside the database (a log rewritten after its triggers were dropped disagrees with them) and
//! writes the day's checkpoint.

use parcours_store::{audit, jalons};

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
            let (Some(dir), Some(cle)) = (&ctx.settings.audit_jalons, &ctx.settings.audit_cle)
            else {
                return Ok(());
            };
            let cle = jalons::CleJalons::charger_ou_creer(cle)?;
            let bilan = jalons::verifier(&mut conn, dir, &cle, dep.as_deref()).await?;
            if !bilan.fautes.is_empty() {
                let fautes = bilan.fautes.join(" ; ");
                tracing::error!("journal d'audit en désaccord avec ses jalons : {fautes}");
                anyhow::bail!(
                    "Journal d'audit en désaccord avec ses jalons signés — {fautes}. Conservez la base en l'état et prévenez le DPO."
                );
            }
            jalons::poser(&mut conn, dir, &cle, dep.as_deref()).await?;
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
