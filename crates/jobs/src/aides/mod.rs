//! Jobs of financial aids: the anomaly check of the batch of payment orders (`aides.controle`),
//! their payment through the provider (`aides.paiement`), and the prepaid cards issued and blocked
//! at the provider (`aides.cartes`), all retried by the queue with the same idempotency key so that
//! nothing is paid or issued twice.

use std::time::Duration;

use parcours_domain::aides::{ModePaiement, StatutOrdre};
use parcours_paiement::{
    DemandeCarte, ErreurFournisseur, FournisseurHttp, Mode, Ordre as OrdreFournisseur,
};
use parcours_store::aides as store;
use parcours_store::aides::cartes as cartes_store;

use crate::JobContext;

pub use parcours_usecases::aides::cartes::JOB_CARTES;
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

fn client(ctx: &JobContext) -> anyhow::Result<Option<FournisseurHttp>> {
    let Some(p) = ctx.settings.paiement.as_ref() else {
        return Ok(None);
    };
    FournisseurHttp::new(
        p.url.as_str(),
        p.jeton.as_ref().map(|j| j.expose().to_string()),
        Duration::from_millis(p.delai_ms),
    )
    .map(Some)
    .map_err(|e| anyhow::anyhow!("prestataire de paiement : {e}"))
}

/// Has the provider issue the asked cards (the key `{département}-carte-{id}` makes a retry return
/// the card already made) and know the blocked ones. A temporary failure fails the job, run again
/// later; a refused issuance is recorded for the cadre to see.
pub async fn cartes(ctx: JobContext, _payload: serde_json::Value) -> anyhow::Result<()> {
    let Some(client) = client(&ctx)? else {
        tracing::warn!("aucun prestataire de paiement configuré (PARCOURS_PAIEMENT_URL) : les cartes demandées attendent");
        return Ok(());
    };
    let mut echecs = Vec::new();
    for d in parcours_store::departements::list(&mut *ctx.store.read().await?).await? {
        let (a_emettre, a_bloquer) = {
            let mut conn = ctx.store.read().await?;
            (
                cartes_store::a_emettre(&mut conn, &d.id, 500).await?,
                cartes_store::blocages_a_transmettre(&mut conn, &d.id, 500).await?,
            )
        };
        for c in a_emettre {
            let Some(cle) = c.cle.clone() else { continue };
            let demande = DemandeCarte {
                cle,
                titulaire: c.titulaire_nom.clone(),
            };
            let mut tx = ctx.store.begin().await?;
            match client.emettre_carte(&demande).await {
                Ok((carte, _)) => {
                    cartes_store::marquer_emise(&mut tx, &d.id, c.id, &carte.reference).await?;
                }
                Err(ErreurFournisseur::Definitive(m)) => {
                    cartes_store::noter_echec(&mut tx, &d.id, c.id, &m, true).await?;
                }
                Err(ErreurFournisseur::Temporaire(m)) => {
                    cartes_store::noter_echec(&mut tx, &d.id, c.id, &m, false).await?;
                    echecs.push(format!("carte {} : {m}", demande.cle));
                }
            }
            tx.commit().await?;
        }
        for c in a_bloquer {
            let Some(reference) = c.reference.clone() else {
                continue;
            };
            let motif = c.motif_blocage.clone().unwrap_or_default();
            let mut tx = ctx.store.begin().await?;
            match client.bloquer_carte(&reference, &motif).await {
                Ok(_) => cartes_store::marquer_blocage_transmis(&mut tx, &d.id, c.id).await?,
                Err(e) => {
                    // Blocked in Parcours already: nothing is loaded meanwhile. Tried again later,
                    // a definitive refusal included (the cadre sees it on the card).
                    cartes_store::noter_echec(&mut tx, &d.id, c.id, e.motif(), false).await?;
                    echecs.push(format!("blocage de la carte {reference} : {e}"));
                }
            }
            tx.commit().await?;
        }
    }
    if echecs.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("cartes à reprendre : {}", echecs.join(" ; "))
    }
}

/// Sends the ready orders to the provider. A temporary failure (timeout, 5xx) fails the job, which
/// the queue runs again later: the same key is sent, and the provider answers « already received »
/// if it had paid. A definitive refusal rejects the order, for the cadre to see.
pub async fn paiement(ctx: JobContext, _payload: serde_json::Value) -> anyhow::Result<()> {
    let Some(client) = client(&ctx)? else {
        tracing::warn!("aucun prestataire de paiement configuré (PARCOURS_PAIEMENT_URL) : les ordres prêts attendent");
        return Ok(());
    };
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
