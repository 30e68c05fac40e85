//! Accueil: the desk log (« main courante ») and the département's request reasons, in pages and in
//! `/api/v1`. This file holds what both record: a contact (and the support request it may raise).

pub mod api;
pub mod pages;
pub(crate) mod routes;

use parcours_domain::accueil::appui::{Motif, NewAppui};
use parcours_domain::accueil::{ContactForm, NewContact};
use parcours_domain::audit::AuditEvent;
use parcours_domain::habilitations::policy::reaches_site;
use parcours_domain::habilitations::Principal;
use parcours_domain::FieldErrors;
use parcours_store::accueil as store;
use parcours_store::{audit, StoreError};

use crate::error::WebResult;
use crate::AppState;

const PAR_PAGE: i64 = 20;

/// Records the contact if the place is one of the principal's sites; otherwise the messages.
async fn record(
    state: &AppState,
    p: &Principal,
    event: impl Fn(&str, i64) -> AuditEvent,
    f: &ContactForm,
) -> WebResult<Result<i64, FieldErrors>> {
    let dep = p.departement_id.as_str();
    let mut conn = state.store.read().await?;
    let motifs = store::motifs(&mut conn, dep, true).await?;
    let c = match NewContact::parse(f, parcours_store::clock().maintenant(), &motifs) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e.0)),
    };
    let site = store::site_of(&mut conn, dep, c.lieu).await?;
    drop(conn);
    let Some(site_id) = site.filter(|s| reaches_site(p, Some(*s))) else {
        let mut e = FieldErrors::new();
        e.add("lieu", "Choisissez une MDS ou une permanence de vos sites.");
        return Ok(Err(e));
    };
    let mut tx = state.store.begin().await?;
    let id = match store::create(&mut tx, dep, &c, site_id, p.agent_id).await {
        Ok(id) => id,
        Err(StoreError::Reference) => {
            let mut e = FieldErrors::new();
            e.add(
                "personne_id",
                "Cette personne est introuvable : recherchez-la à nouveau.",
            );
            return Ok(Err(e));
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        &mut tx,
        dep,
        &event("accueil_contact", id).details(serde_json::json!({
            "site_id": site_id,
            "lieu": c.lieu.code(),
            "personne_id": c.personne_id,
            "canal": c.canal.code(),
            "typologie": c.typologie.code(),
            "reponse": c.reponse.code(),
        })),
    )
    .await?;
    // Fiche 3: the support request reaches the site's queue in the same transaction as the contact.
    if let Some(motif) = c.motif_appui {
        let a = NewAppui {
            site_id,
            personne_id: c.personne_id,
            motif,
            precision: None,
            urgent: motif == Motif::Urgence,
        };
        let appui =
            parcours_store::appui::create(&mut tx, dep, &a, Some(id), p.agent_id, c.moment).await?;
        audit::append(
            &mut tx,
            dep,
            &event("appui_demande", appui).details(serde_json::json!({
                "site_id": site_id,
                "contact_id": id,
                "personne_id": c.personne_id,
                "motif": motif.code(),
            })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Ok(id))
}
