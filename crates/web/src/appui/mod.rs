//! Appui technique d'accueil and the duty roster, in pages and in `/api/v1`. This file holds what
//! both record: a request, and the moves of a request (take, close, cancel).

pub mod api;
pub mod pages;
pub(crate) mod routes;

use parcours_domain::accueil::appui::{AppuiForm, Issue, NewAppui};
use parcours_domain::habilitations::policy::reaches_site;
use parcours_domain::habilitations::Principal;
use parcours_domain::FieldErrors;
use parcours_store::appui::{self as store, Appui, AppuiError};
use parcours_store::{audit, StoreError};

use crate::error::{WebError, WebResult};
use crate::AppState;

/// Records a request at one of the principal's sites, audited; the messages otherwise.
async fn demander(
    state: &AppState,
    p: &Principal,
    event: impl Fn(i64) -> parcours_domain::audit::AuditEvent,
    f: &AppuiForm,
) -> WebResult<Result<i64, FieldErrors>> {
    let a = match NewAppui::parse(f) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e.0)),
    };
    let sites = state.sites_atteints(p).await?;
    if !sites.iter().any(|s| s.0 == a.site_id) {
        let mut e = FieldErrors::new();
        e.add("site", "Choisissez une MDS de vos sites.");
        return Ok(Err(e));
    }
    let mut tx = state.store.begin().await?;
    let id = match store::create(
        &mut tx,
        &p.departement_id,
        &a,
        None,
        p.agent_id,
        parcours_store::clock().maintenant(),
    )
    .await
    {
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
        &p.departement_id,
        &event(id).details(serde_json::json!({
            "site_id": a.site_id,
            "personne_id": a.personne_id,
            "motif": a.motif.code(),
            "urgent": a.urgent,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// The request if it belongs to one of the principal's sites; 404 otherwise.
async fn in_scope(state: &AppState, p: &Principal, id: i64) -> WebResult<Appui> {
    let mut conn = state.store.read().await?;
    let a = store::get(&mut conn, &p.departement_id, id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => WebError::NotFound,
            e => e.into(),
        })?;
    if !reaches_site(p, Some(a.site_id)) {
        return Err(WebError::NotFound);
    }
    Ok(a)
}

enum Geste {
    Prendre,
    Clore(Issue),
    Annuler,
}

/// Applies a move and audits it; a refused move is its French message.
async fn geste(
    state: &AppState,
    p: &Principal,
    event: parcours_domain::audit::AuditEvent,
    id: i64,
    geste: Geste,
) -> WebResult<Result<(), String>> {
    let dep = &p.departement_id;
    let now = parcours_store::clock().maintenant();
    let mut tx = state.store.begin().await?;
    let (r, action) = match geste {
        Geste::Prendre => match p.agent_id {
            Some(me) => (store::prendre(&mut tx, dep, id, me, now).await, "prise"),
            None => return Ok(Err("Seul un agent peut prendre une demande.".into())),
        },
        Geste::Clore(issue) => match p.agent_id {
            Some(me) => (
                store::clore(&mut tx, dep, id, me, issue, now).await,
                "cloture",
            ),
            None => return Ok(Err("Seul un agent peut clore une demande.".into())),
        },
        Geste::Annuler => (store::annuler(&mut tx, dep, id, now).await, "annulation"),
    };
    match r {
        Ok(()) => {}
        Err(AppuiError::Store(e)) => return Err(e.into()),
        Err(e) => return Ok(Err(e.to_string())),
    }
    audit::append(
        &mut tx,
        dep,
        &event.details(serde_json::json!({ "geste": action })),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}
