//! Jobs of financial aids: the anomaly check of the batch of payment orders (`aides.controle`) and
//! their payment through the provider (`aides.paiement`), retried by the queue with the same
//! idempotency key so that nothing is paid twice.

use std::time::Duration;

use parcours_domain::aides::{ModePaiement, StatutOrdre};
use parcours_paiement::{ErreurFournisseur, FournisseurHttp, Mode, Ordre as OrdreFournisseur};
use parcours_store::aides as store;

use crate::JobContext;

pub use parcours_usecases::aides::{JOB_CONTROLE, JOB_PAIEMENT};

/// Checks every order waiting for its check (the whole batch at once).
pub async fn controle(ctx: JobContext, _payload: serde_json::Value) -> anyhow::Result<()> {
    for d in parcours_store::departements::list(&mut *ctx.store.read().await?).await? {
        let c = parcours_usecases::aides::controler_lot(&ctx.store, &d.id)
            .await
            .map_err(|e| anyhow::anyhow!("contrôle des ordres de paiement : {e}"))?;
        if c.controles > 0 {
            tracing::info!(departement = %d.id, controles = c.controles, retenus = c.retenus, "ordres de paiement contrôlés");
        }
    }
    Ok(())
}

/// Sends the ready orders to the provider. A temporary failure (timeout, 5xx) fails the job, which
/// the queue runs again later: the same key is sent, and the provider answers « already received »
/// if it had paid. A definitive refusal rejects the order, for the cadre to see.
pub async fn paiement(ctx: JobContext, _payload: serde_json::Value) -> anyhow::Result<()> {
    let Some(p) = ctx.settings.paiement.as_ref() else {
        tracing::warn!("aucun prestataire de paiement configuré (PARCOURS_PAIEMENT_URL) : les ordres prêts attendent");
        return Ok(());
    };
    let client = FournisseurHttp::new(
        p.url.as_str(),
        p.jeton.as_ref().map(|j| j.expose().to_string()),
        Duration::from_millis(p.delai_ms),
    )
    .map_err(|e| anyhow::anyhow!("prestataire de paiement : {e}"))?;
    let mut echecs = Vec::new();
    for d in parcours_store::departements::list(&mut *ctx.store.read().await?).await? {
        let prets = {
            let mut conn = ctx.store.read().await?;
            store::ordres(&mut conn, &d.id, StatutOrdre::Pret, None, 1000).await?
        };
        for o in prets {
            let ordre = OrdreFournisseur {
                cle: o.cle.clone(),
                mode: match o.mode {
                    ModePaiement::Carte => Mode::Carte,
                    ModePaiement::VirementPersonne | ModePaiement::VirementTiers => Mode::Virement,
                },
                montant_centimes: o.montant.0,
                beneficiaire: o.beneficiaire.clone(),
                iban: o.iban.as_ref().map(|i| i.replace(' ', "")),
                carte: o.carte.clone(),
                libelle: format!("Aide {} n° {}", o.fonds, o.demande_id),
            };
            match client.envoyer(&ordre).await {
                Ok(a) => {
                    let mut tx = ctx.store.begin().await?;
                    if store::marquer_paye(&mut tx, &d.id, o.id, &a.reference).await? {
                        store::mouvement(&mut tx, &d.id, o.demande_id, o.montant, true).await?;
                    }
                    tx.commit().await?;
                }
                Err(ErreurFournisseur::Definitive(m)) => {
                    let mut tx = ctx.store.begin().await?;
                    store::noter_echec(&mut tx, &d.id, o.id, &m, true).await?;
                    // The refused amount goes back to the envelope: a corrected order is a new one.
                    store::mouvement(&mut tx, &d.id, o.demande_id, o.montant, false).await?;
                    tx.commit().await?;
                }
                Err(ErreurFournisseur::Temporaire(m)) => {
                    let mut tx = ctx.store.begin().await?;
                    store::noter_echec(&mut tx, &d.id, o.id, &m, false).await?;
                    tx.commit().await?;
                    echecs.push(format!("ordre {} : {m}", o.cle));
                }
            }
        }
    }
    if echecs.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("paiement à reprendre : {}", echecs.join(" ; "))
    }
}
