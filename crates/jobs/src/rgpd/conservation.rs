//! Runs a retention pass. A simulation lists what the rules (settings, reference §8.3) would archive
//! or anonymise today, changing nothing; an application carries out the decisions of a simulation that
//! still hold today (a dossier written in since is left alone), with the archives' visa recorded.

use parcours_domain::audit::AuditEvent;
use parcours_domain::rgpd::Regles;
use parcours_store::{audit, rgpd as store};

use crate::JobContext;

pub const KIND: &str = "rgpd.conservation";

pub fn payload(departement_id: &str, passe_id: i64) -> serde_json::Value {
    serde_json::json!({ "departement_id": departement_id, "passe_id": passe_id })
}

pub async fn run(ctx: JobContext, payload: serde_json::Value) -> anyhow::Result<()> {
    let dep = payload["departement_id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("departement_id manquant"))?
        .to_string();
    let id = payload["passe_id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("passe_id manquant"))?;
    let regles = Regles {
        actif_mois: ctx.settings.conservation_actif_mois,
        archive_mois: ctx.settings.conservation_archive_mois,
    };
    let today = parcours_store::clock().today();
    let mut tx = ctx.store.begin().await?;
    let passe = store::passes(&mut tx, &dep, Some(id), 1)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("passe {id} introuvable"))?;
    if passe.statut == "terminee" {
        return Ok(());
    }
    let actuelles = store::simuler(&mut tx, &dep, &regles, today).await?;
    let decisions = if passe.mode == "simulation" {
        actuelles
    } else {
        let simulation = passe
            .simulation_id
            .ok_or_else(|| anyhow::anyhow!("application sans simulation"))?;
        let prevues = store::passes(&mut tx, &dep, Some(simulation), 1)
            .await?
            .into_iter()
            .next()
            .map(|p| p.decisions)
            .unwrap_or_default();
        let retenues: Vec<_> = prevues
            .into_iter()
            .filter(|d| actuelles.contains(d))
            .collect();
        for d in &retenues {
            store::appliquer(&mut tx, &dep, d).await?;
        }
        retenues
    };
    store::passe_finish(&mut tx, &dep, id, &decisions).await?;
    audit::append(
        &mut tx,
        &dep,
        &AuditEvent::new(&passe.mode, "conservation", id)
            .purpose("règles de conservation")
            .details(serde_json::json!({
                "archiver": decisions.iter().filter(|d| d.sort == "archiver").map(|d| d.dossier_id).collect::<Vec<_>>(),
                "anonymiser": decisions.iter().filter(|d| d.sort == "anonymiser").map(|d| d.dossier_id).collect::<Vec<_>>(),
                "visa": passe.visa,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
