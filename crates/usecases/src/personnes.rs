//! The scope of an agent on a person: how much of them the secret partagé lets the agent see
//! (`domain::dossiers::secret::portee`), decided from the facts the store reads, for one person or
//! for a page of search results.

use std::collections::BTreeMap;

use chrono::Utc;
use parcours_domain::dossiers::secret::{portee, DossierAcces, Portee};
use parcours_domain::dossiers::Dossier;
use parcours_store::{dossiers, Conn, StoreError};

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
) -> Result<Scope, StoreError> {
    let dep = principal.departement_id.as_str();
    let site = dossiers::personne_site(conn, dep, personne_id).await?;
    let list = dossiers::of_personne(conn, dep, personne_id).await?;
    let mut acces = Vec::with_capacity(list.len());
    for d in &list {
        acces.push(dossiers::acces(conn, dep, d.id).await?);
    }
    let acces_motive = match principal.agent_id {
        Some(a) => dossiers::acces_motive_actif(conn, dep, a, personne_id, Utc::now()).await?,
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
) -> Result<BTreeMap<i64, Portee>, StoreError> {
    let faits = dossiers::faits_portee(
        conn,
        &principal.departement_id,
        personne_ids,
        principal.agent_id,
        Utc::now(),
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
