//! The register of prepaid payment cards: a cadre or the central team asks a card for a person or a
//! foster carer, the job has the provider issue it, a lost card is blocked at once (the orders
//! ready to load it are held) and the block told to the provider; a request loads only an active
//! card of the register. One function per act for the pages and the API, scoped to the agent's
//! MDS and audited.

use parcours_domain::aides::carte::{
    self as regles, CarteChoix, CarteForm, StatutCarte, Titulaire,
};
use parcours_domain::habilitations::policy::reaches_site;
use parcours_store::aides::cartes::{self as store, Carte, Filtre};
use parcours_store::aides::Ordre;
use parcours_store::{personnes, Conn, Store};

use super::{invalid, sites_de, today};
use crate::{Acteur, AuditedTx, Canal, Result};

/// The job that has the provider issue asked cards and know blocked ones.
pub const JOB_CARTES: &str = "aides.cartes";

/// Cards per page of the register.
pub const PAR_PAGE: i64 = 50;

/// A page of the register: the cards of the agent's MDS (all for the central team), filtered.
pub async fn registre(
    store_: &Store,
    acteur: &Acteur,
    filtre: &Filtre,
    page: i64,
    canal: Canal,
) -> Result<(Vec<Carte>, i64)> {
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let sites = sites_de(acteur);
    let (cartes, total) = store::liste(
        tx.conn(),
        acteur.dep(),
        sites.as_deref(),
        filtre,
        page,
        PAR_PAGE,
    )
    .await?;
    tx.commit(
        acteur
            .event("lecture", "aide_cartes", "registre")
            .purpose(canal.purpose("registre des cartes de paiement"))
            .details(
                serde_json::json!({ "cartes": cartes.iter().map(|c| c.id).collect::<Vec<_>>() }),
            ),
    )
    .await?;
    Ok((cartes, total))
}

/// A card with what was loaded on it; a card of another MDS is refused and the refusal audited.
pub async fn lire(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    canal: Canal,
) -> Result<(Carte, Vec<Ordre>)> {
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let dep = acteur.dep();
    let c = store::carte(tx.conn(), dep, id).await?;
    if !reaches_site(&acteur.principal, Some(c.site_id)) {
        return Err(tx
            .refuse(
                acteur
                    .event("refus", "aide_carte", id)
                    .purpose(canal.purpose("carte de paiement d'une autre MDS")),
            )
            .await);
    }
    let chargements = match &c.reference {
        Some(r) => store::chargements(tx.conn(), dep, r).await?,
        None => vec![],
    };
    tx.commit(
        acteur
            .event("lecture", "aide_carte", id)
            .purpose(canal.purpose("carte de paiement")),
    )
    .await?;
    Ok((c, chargements))
}

/// Asks a card: recorded at once, issued by the provider through the job queue (retried with the
/// same key, so never two cards). One card in use per holder.
pub async fn emettre(store_: &Store, acteur: &Acteur, f: &CarteForm, canal: Canal) -> Result<i64> {
    let agent = acteur.agent()?;
    let n = regles::verifier(f)?;
    if !reaches_site(&acteur.principal, Some(n.site_id)) {
        return Err(invalid(
            "site_id",
            "Choisissez l'une de vos MDS : une carte est gérée par la MDS qui la demande.",
        ));
    }
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let dep = acteur.dep();
    let nom = match (n.titulaire, n.personne_id) {
        (Titulaire::Personne, Some(p)) => {
            let personne = match personnes::get(tx.conn(), dep, p).await {
                Ok(x) => x,
                Err(parcours_store::StoreError::NotFound) => {
                    return Err(invalid(
                        "personne_id",
                        "Cette personne n'existe pas : cherchez-la par son nom.",
                    ))
                }
                Err(e) => return Err(e.into()),
            };
            if parcours_store::doublons::fusionnee_dans(tx.conn(), dep, p)
                .await?
                .is_some()
            {
                return Err(invalid(
                    "personne_id",
                    "Cette fiche a été fusionnée dans une autre : choisissez la fiche qui reste.",
                ));
            }
            if personnes::deces(tx.conn(), dep, p).await?.is_some() {
                return Err(invalid(
                    "personne_id",
                    "Cette personne est enregistrée comme décédée : aucune carte ne lui est émise.",
                ));
            }
            personne.nom_complet()
        }
        _ => n.nom.clone().unwrap_or_default(),
    };
    let id = match store::creer(tx.conn(), dep, &n, &nom, Some(agent), today()).await {
        Ok(id) => id,
        Err(parcours_store::StoreError::Conflict(_)) => {
            let champ = match n.titulaire {
                Titulaire::Personne => "personne_id",
                Titulaire::AssistantFamilial => "agrement",
            };
            return Err(invalid(
                champ,
                "Ce titulaire a déjà une carte en cours d'émission ou active : bloquez-la d'abord si elle est perdue ou volée.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    parcours_store::jobs::enqueue(tx.conn(), dep, JOB_CARTES, &serde_json::json!({}), 5).await?;
    tx.commit(
        acteur
            .event("creation", "aide_carte", id)
            .purpose(canal.purpose("demande d'émission d'une carte de paiement"))
            .details(serde_json::json!({
                "titulaire": n.titulaire.code(),
                "personne": n.personne_id,
                "site": n.site_id,
            })),
    )
    .await?;
    Ok(id)
}

/// Blocks a card: no load leaves for it from now on (the ready ones are held for a cadre), and the
/// job tells the provider.
pub async fn bloquer(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    motif: &str,
    canal: Canal,
) -> Result<()> {
    let agent = acteur.agent()?;
    let motif = regles::motif_blocage(motif)?;
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let dep = acteur.dep();
    let c = store::carte(tx.conn(), dep, id).await?;
    if !reaches_site(&acteur.principal, Some(c.site_id)) {
        return Err(tx
            .refuse(
                acteur
                    .event("refus", "aide_carte", id)
                    .purpose(canal.purpose("blocage d'une carte d'une autre MDS")),
            )
            .await);
    }
    if !store::bloquer(tx.conn(), dep, id, &motif, agent, today()).await? {
        return Err(invalid(
            "motif",
            format!(
                "La carte est déjà {} : rien n'a été modifié.",
                c.statut.libelle().to_lowercase()
            ),
        ));
    }
    parcours_store::jobs::enqueue(tx.conn(), dep, JOB_CARTES, &serde_json::json!({}), 5).await?;
    tx.commit(
        acteur
            .event("blocage", "aide_carte", id)
            .purpose(canal.purpose("blocage d'une carte de paiement"))
            .details(serde_json::json!({ "reference": c.reference })),
    )
    .await?;
    Ok(())
}

/// The active cards a request of the person may load, as the request form lists them.
pub async fn choisissables(
    conn: &mut Conn,
    dep: &str,
    personne_id: Option<i64>,
    accueillants: bool,
) -> Result<Vec<CarteChoix>> {
    Ok(store::choisissables(conn, dep, personne_id, accueillants)
        .await?
        .into_iter()
        .filter_map(|c| {
            let reference = c.reference?;
            let libelle = match c.titulaire {
                Titulaire::Personne => format!("Carte {reference} de {}", c.titulaire_nom),
                Titulaire::AssistantFamilial => format!(
                    "Carte {reference} de {}, assistant familial (agrément {})",
                    c.titulaire_nom,
                    c.agrement.as_deref().unwrap_or("—")
                ),
            };
            Some(CarteChoix {
                reference,
                titulaire: c.titulaire_nom,
                libelle,
                accueillant: c.titulaire == Titulaire::AssistantFamilial,
            })
        })
        .collect())
}

/// Whether the card a load names is an active card of the register now (a held order for a blocked
/// card is not released).
pub async fn active(conn: &mut Conn, dep: &str, reference: &str) -> Result<bool> {
    Ok(store::par_reference(conn, dep, reference)
        .await?
        .is_some_and(|c| c.statut == StatutCarte::Active))
}
