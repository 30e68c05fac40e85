//! The person under the secret partagé: the scope of an agent on a person (how much of them the
//! secret partagé lets the agent see, `domain::dossiers::secret::portee`), for one person or a page of
//! search results, and the reading of a person's fiche, one function for the page and the API.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use parcours_domain::dossiers::secret::{portee, DossierAcces, Portee};
use parcours_domain::dossiers::Dossier;
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::personnes::{Adresse, Membre, Personne, Situation};
use parcours_store::{dossiers, doublons, personnes, Conn, Store, StoreError};

use crate::{Acteur, AuditedTx, Canal, Result};

/// How far the agent reaches a person, with what decided it.
pub struct Scope {
    pub portee: Portee,
    pub dossiers: Vec<Dossier>,
    pub acces: Vec<DossierAcces>,
    /// End of the agent's exceptional access in force, if any.
    pub acces_motive: Option<String>,
}

/// The same decision for any principal (the API's too).
pub async fn scope_for(
    conn: &mut Conn,
    principal: &parcours_domain::habilitations::Principal,
    personne_id: i64,
) -> std::result::Result<Scope, StoreError> {
    let dep = principal.departement_id.as_str();
    let site = dossiers::personne_site(conn, dep, personne_id).await?;
    let list = dossiers::of_personne(conn, dep, personne_id).await?;
    let mut acces = Vec::with_capacity(list.len());
    for d in &list {
        acces.push(dossiers::acces(conn, dep, d.id).await?);
    }
    let acces_motive = match principal.agent_id {
        Some(a) => {
            dossiers::acces_motive_actif(conn, dep, a, personne_id, parcours_store::clock().now())
                .await?
        }
        None => None,
    };
    Ok(Scope {
        portee: portee(principal, site, &acces, acces_motive.is_some()),
        dossiers: list,
        acces,
        acces_motive,
    })
}

/// The scope of a principal on each of many persons (a page of search results), decided as
/// `scope_for` does but with the facts of all of them read in two queries.
pub async fn portees_for(
    conn: &mut Conn,
    principal: &parcours_domain::habilitations::Principal,
    personne_ids: &[i64],
) -> std::result::Result<BTreeMap<i64, Portee>, StoreError> {
    let faits = dossiers::faits_portee(
        conn,
        &principal.departement_id,
        personne_ids,
        principal.agent_id,
        parcours_store::clock().now(),
    )
    .await?;
    Ok(faits
        .into_iter()
        .map(|(id, f)| {
            (
                id,
                portee(principal, f.site, &f.dossiers, f.acces_motive.is_some()),
            )
        })
        .collect())
}

/// What an agent reads of a person's fiche. Limited scope (the desk, an agent of the territory's
/// other services): identity without the NIR, and the addresses; complete scope: the situations,
/// the foyer and the dossiers too.
#[derive(Debug, Clone)]
pub struct Fiche {
    /// With `nir` emptied unless the scope is complete (reference §8.6: the NIR only where it serves).
    pub personne: Personne,
    pub portee: Portee,
    /// End of the agent's exceptional access in force, if any.
    pub acces_motive: Option<String>,
    pub adresses: Vec<Adresse>,
    pub situations: Vec<Situation>,
    /// The foyer the person belongs to on the date asked, with all its members (dated).
    pub foyer: Option<(i64, Vec<Membre>)>,
    pub dossiers: Vec<parcours_domain::dossiers::Dossier>,
    /// Set when this file was merged into another (the duplicate's survivor).
    pub fusionnee_dans: Option<i64>,
    /// The person's appointments on the agent's sites, latest first (`None`: not for this role).
    pub rendez_vous: Option<Vec<parcours_store::agenda::RendezVous>>,
    /// The person's contacts with the desk of the agent's sites, latest first.
    pub contacts: Option<Vec<parcours_store::accueil::Contact>>,
}

/// Reads a person's fiche as the agent's scope allows, and audits the read with that scope; out of
/// scope (existence only), the refusal is audited and `Forbidden { audited: true }` answered.
pub async fn lire_fiche(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    date_foyer: NaiveDate,
    canal: Canal,
) -> Result<Fiche> {
    let dep = acteur.dep();
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let mut personne = personnes::get(tx.conn(), dep, id).await?;
    let scope = scope_for(tx.conn(), &acteur.principal, id).await?;
    if scope.portee == Portee::Existence {
        return Err(tx
            .refuse(
                acteur
                    .event("refus", "personne", id)
                    .purpose(canal.purpose("fiche hors du périmètre de l'agent")),
            )
            .await);
    }
    let complete = scope.portee == Portee::Complete;
    let adresses = personnes::adresses(tx.conn(), dep, id).await?;
    let fusionnee_dans = doublons::fusionnee_dans(tx.conn(), dep, id).await?;
    let (mut situations, mut foyer, mut dossiers_l) = (Vec::new(), None, Vec::new());
    if complete {
        situations = personnes::situations(tx.conn(), dep, id).await?;
        if let Some(f) = personnes::foyer_of(tx.conn(), dep, id, date_foyer).await? {
            foyer = Some((f, personnes::membres(tx.conn(), dep, f).await?));
        }
        dossiers_l = scope.dossiers.clone();
    } else {
        personne.nir = None;
    }
    // The desk and the social workers receive the person and book with them: their appointments and
    // desk contacts on the agent's own sites, never another MDS's.
    let pr = &acteur.principal;
    let sites = pr.site_ids.clone();
    let rendez_vous = if allows(pr, Action::AgendaLire) {
        let filtre = parcours_store::agenda::RdvFilter {
            personne_id: Some(id),
            sites: Some(sites.clone()),
            ..Default::default()
        };
        Some(
            parcours_store::agenda::list(tx.conn(), dep, &filtre, 50, 0)
                .await?
                .0,
        )
    } else {
        None
    };
    let contacts = if allows(pr, Action::AccueilLire) {
        Some(parcours_store::accueil::de_personne(tx.conn(), dep, id, Some(&sites), 20).await?)
    } else {
        None
    };
    let purpose = if scope.acces_motive.is_some() {
        "consultation de la fiche (accès motivé)"
    } else {
        "consultation de la fiche"
    };
    tx.commit(
        acteur
            .event("lecture", "personne", id)
            .purpose(canal.purpose(purpose))
            .details(serde_json::json!({
                "portee": format!("{:?}", scope.portee),
                "rendez_vous": rendez_vous.as_ref().map(Vec::len),
                "contacts": contacts.as_ref().map(Vec::len),
            })),
    )
    .await?;
    Ok(Fiche {
        rendez_vous,
        contacts,
        personne,
        portee: scope.portee,
        acces_motive: scope.acces_motive,
        adresses,
        situations,
        foyer,
        dossiers: dossiers_l,
        fusionnee_dans,
    })
}

/// Reads a foyer's members (all, dated): open to an agent who reaches at least one of them; the read
/// is audited, a refusal too.
pub async fn lire_foyer(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    canal: Canal,
) -> Result<Vec<Membre>> {
    let dep = acteur.dep();
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    personnes::foyer_get(tx.conn(), dep, id).await?;
    let membres = personnes::membres(tx.conn(), dep, id).await?;
    let mut reachable = false;
    for m in &membres {
        if scope_for(tx.conn(), &acteur.principal, m.personne.id)
            .await?
            .portee
            != Portee::Existence
        {
            reachable = true;
            break;
        }
    }
    if !reachable {
        return Err(tx
            .refuse(
                acteur
                    .event("refus", "foyer", id)
                    .purpose(canal.purpose("composition du foyer")),
            )
            .await);
    }
    tx.commit(
        acteur
            .event("lecture", "foyer", id)
            .purpose(canal.purpose("composition du foyer")),
    )
    .await?;
    Ok(membres)
}
