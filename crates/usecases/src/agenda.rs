//! Appointments: changing the status of an appointment (honoured, excused, absent, cancelled), one
//! function for the page and the API. An appointment of a site the agent or the token does not reach
//! does not exist for them (404), as everywhere in the agenda.

use parcours_domain::agenda::StatutRdv;
use parcours_domain::habilitations::policy::reaches_site;
use parcours_domain::Invalid;
use parcours_store::agenda::{self as store, RendezVous, ReservationError};
use parcours_store::Store;

use crate::{Acteur, AuditedTx, Canal, Error, Result};

/// Sets the status of appointment `id` (`statut`: honore, excuse, absent, annule — or prevu to
/// restore one); the agenda's rules (no honoured appointment in the future, …) answer `Invalid` on
/// the field `statut`. Returns the appointment after the change.
pub async fn changer_statut(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    statut: &str,
    canal: Canal,
) -> Result<RendezVous> {
    let dep = acteur.dep();
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let r = store::get(tx.conn(), dep, id).await?;
    if !reaches_site(&acteur.principal, Some(r.site_id)) {
        return Err(Error::NotFound);
    }
    let Some(statut) = StatutRdv::parse(statut.trim()) else {
        return Err(Invalid::field(
            "statut",
            "Choisissez le nouveau statut : honoré, excusé, absent ou annulé.",
        )
        .into());
    };
    match store::set_statut(
        tx.conn(),
        dep,
        id,
        statut,
        parcours_store::clock().maintenant(),
    )
    .await
    {
        Ok(()) => {}
        Err(ReservationError::Regle(e)) => return Err(e.into()),
        Err(ReservationError::Store(e)) => return Err(e.into()),
    }
    let r = store::get(tx.conn(), dep, id).await?;
    tx.commit(
        acteur
            .event("modification", "rendez_vous", id)
            .purpose(canal.purpose("suivi des rendez-vous"))
            .details(serde_json::json!({ "statut": statut.code() })),
    )
    .await?;
    Ok(r)
}
