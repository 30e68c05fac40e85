//! `referentiel.import`: applies a confirmed CSV import (communes or secteurs) in one transaction with
//! its audit entry, off the request, since a file can hold tens of thousands of lines.

use parcours_domain::audit::AuditEvent;
use parcours_store::{audit, imports, Conn, StoreError};

use crate::{payload_field, JobContext};

pub const KIND: &str = "referentiel.import";

/// The payload of the job: `{"departement_id": .., "import_id": .., "agent_id": ..}`.
pub fn payload(departement_id: &str, import_id: i64, agent_id: i64) -> serde_json::Value {
    serde_json::json!({ "departement_id": departement_id, "import_id": import_id, "agent_id": agent_id })
}

/// Enqueues the application of an import, in the caller's transaction.
pub async fn enqueue(
    conn: &mut Conn,
    departement_id: &str,
    import_id: i64,
    agent_id: i64,
) -> parcours_store::Result<i64> {
    parcours_store::jobs::enqueue(
        conn,
        departement_id,
        KIND,
        &payload(departement_id, import_id, agent_id),
        3,
    )
    .await
}

pub async fn run(ctx: JobContext, payload: serde_json::Value) -> anyhow::Result<()> {
    let dep: String = payload_field(&payload, "departement_id")?;
    let id: i64 = payload_field(&payload, "import_id")?;
    let agent: i64 = payload_field(&payload, "agent_id")?;
    let mut tx = ctx.store.begin().await?;
    let pending = match imports::get(&mut tx, &dep, id).await {
        Err(StoreError::NotFound) => {
            anyhow::bail!("import n° {id} introuvable dans le département {dep}")
        }
        other => other?,
    };
    match pending.status.as_str() {
        // Already applied by an earlier run that died before recording its success: nothing to do.
        "applique" => return Ok(()),
        "abandonne" => anyhow::bail!("import n° {id} abandonné : il ne sera pas appliqué"),
        _ => {}
    }
    let rows = match imports::apply(&mut tx, &dep, id).await {
        Err(StoreError::Reference) => anyhow::bail!(
            "import n° {id} : une ligne cite un site ou un secteur qui n'existe pas (ou plus) ; rien n'a été écrit"
        ),
        other => other?,
    };
    audit::append(
        &mut tx,
        &dep,
        &AuditEvent::new("modification", "import", id)
            .by(Some(agent), None, None)
            .details(serde_json::json!({
                "fichier": pending.filename,
                "type": pending.preview.kind.code(),
                "lignes": rows,
            })),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(departement = %dep, import = id, "import appliqué ({rows} lignes)");
    Ok(())
}
