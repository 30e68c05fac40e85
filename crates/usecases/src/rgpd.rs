//! The person's rights (RGPD): recording a consent or its withdrawal, and a right-of-access request —
//! one function each for the page and the API. Both need the person in the agent's complete scope
//! (those who follow them); a refusal is audited.

use parcours_domain::dossiers::secret::Portee;
use parcours_domain::rgpd::{ConsentementForm, NewConsentement};
use parcours_domain::FieldErrors;
use parcours_store::{personnes, rgpd as store, Store};

use crate::personnes::scope_for;
use crate::{Acteur, AuditedTx, Canal, Error, Result};

/// Opens the person's rights in the use case's transaction, or records the refusal.
async fn droits(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    canal: Canal,
) -> Result<(AuditedTx, i64)> {
    let me = acteur.agent()?;
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    personnes::get(tx.conn(), acteur.dep(), id).await?;
    if scope_for(tx.conn(), &acteur.principal, id).await?.portee != Portee::Complete {
        return Err(tx
            .refuse(
                acteur
                    .event("refus", "personne", id)
                    .purpose(canal.purpose("droits de la personne")),
            )
            .await);
    }
    Ok((tx, me))
}

/// Records a consent (or its withdrawal) of the person; returns its id.
pub async fn noter_consentement(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    form: &ConsentementForm,
    canal: Canal,
) -> Result<i64> {
    let (mut tx, me) = droits(store_, acteur, id, canal).await?;
    let c = NewConsentement::parse(form, parcours_store::clock().today())?;
    let cid = store::consentement_add(tx.conn(), acteur.dep(), id, &c, me).await?;
    tx.commit(
        acteur
            .event("creation", "consentement", cid)
            .purpose(canal.purpose("droits de la personne"))
            .details(
                serde_json::json!({ "personne": id, "objet": c.objet.code(), "donne": c.donne }),
            ),
    )
    .await?;
    Ok(cid)
}

/// Records a right-of-access request received on `recue_le` (JJ/MM/AAAA or AAAA-MM-JJ, not in the
/// future); its one-month deadline runs from that date. Returns its id.
pub async fn enregistrer_demande(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    recue_le: &str,
    canal: Canal,
) -> Result<i64> {
    let (mut tx, me) = droits(store_, acteur, id, canal).await?;
    let mut errors = FieldErrors::new();
    let recue = parcours_domain::personnes::parse_date_evenement(
        &mut errors,
        "recue_le",
        "La date de réception",
        recue_le,
        parcours_store::clock().today(),
    );
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let did = store::demande_add(tx.conn(), acteur.dep(), id, recue, me).await?;
    tx.commit(
        acteur
            .event("creation", "demande_acces", did)
            .purpose(canal.purpose("droits de la personne"))
            .details(serde_json::json!({ "personne": id })),
    )
    .await?;
    Ok(did)
}
