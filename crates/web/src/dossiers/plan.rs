//! Référents per service, the plan d'action and its results, and the closure of a dossier.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use parcours_domain::dossiers::{NewPlanItem, NewResultat, PlanForm, ResultatForm};
use parcours_domain::FieldErrors;
use parcours_store::{agents, audit, dossiers as store, StoreError};

use super::pages::{dossier_page, Saisie};
use super::{ouvrir_pour_ecrire, today};
use crate::auth::Ctx;
use crate::error::{Form, Path, WebError, WebResult};
use crate::AppState;

pub async fn referent_set(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let mut errors = FieldErrors::new();
    let service = g("service_id").parse::<i64>().ok();
    if service.is_none() {
        errors.add("service_id", "Choisissez le service.");
    }
    let mut tx = state.store.begin().await?;
    ouvrir_pour_ecrire(&mut tx, &ctx, id).await?;
    let agent = match agents::by_matricule(&mut tx, ctx.dep(), g("matricule").trim()).await {
        Ok(a) => Some(a),
        Err(StoreError::NotFound) => {
            errors.add("matricule", "Aucun agent du département n'a ce matricule.");
            None
        }
        Err(e) => return Err(e.into()),
    };
    if let (Some(a), Some(s)) = (&agent, service) {
        if a.service_id != s {
            errors.add("matricule", "Cet agent n'appartient pas au service choisi.");
        }
    }
    if !errors.is_empty() {
        drop(tx);
        return dossier_page(
            &state,
            &ctx,
            id,
            Saisie {
                form: "referent",
                values: v,
                errors,
            },
        )
        .await;
    }
    let (agent, service) = (agent.expect("checked"), service.expect("checked"));
    store::referent_set(&mut tx, ctx.dep(), id, service, agent.id, today()).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("referent", "dossier", id)
            .details(serde_json::json!({ "service": service, "agent": agent.id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/dossiers/{id}?message=modifie#referents")).into_response())
}

pub async fn plan_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let mut tx = state.store.begin().await?;
    let o = ouvrir_pour_ecrire(&mut tx, &ctx, id).await?;
    let ouvert =
        NaiveDate::parse_from_str(&o.dossier.ouvert_le, "%Y-%m-%d").unwrap_or_else(|_| today());
    let item = match NewPlanItem::parse(
        &PlanForm {
            objectif_id: g("objectif_id"),
            libelle: g("libelle"),
            echeance: g("echeance"),
        },
        ouvert,
    ) {
        Ok(i) => i,
        Err(e) => {
            drop(tx);
            return dossier_page(
                &state,
                &ctx,
                id,
                Saisie {
                    form: "plan",
                    values: v,
                    errors: e.0,
                },
            )
            .await;
        }
    };
    let me = ctx.principal.agent_id.ok_or(WebError::Forbidden)?;
    let pid = match store::plan_add(&mut tx, ctx.dep(), id, &item, me).await {
        Ok(pid) => pid,
        Err(StoreError::Reference) => {
            drop(tx);
            let mut errors = FieldErrors::new();
            errors.add("objectif_id", "Cet objectif n'appartient pas à ce dossier.");
            return dossier_page(
                &state,
                &ctx,
                id,
                Saisie {
                    form: "plan",
                    values: v,
                    errors,
                },
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "plan_action", pid)
            .details(serde_json::json!({ "dossier": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/dossiers/{id}?message=cree#plan")).into_response())
}

pub async fn plan_resultat(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, item)): Path<(i64, i64)>,
    Form(f): Form<ResultatForm>,
) -> WebResult<Response> {
    let r = match NewResultat::parse(&f) {
        Ok(r) => r,
        Err(e) => {
            return Err(WebError::BadRequest(
                e.0 .0.values().cloned().collect::<Vec<_>>().join(" "),
            ))
        }
    };
    let mut tx = state.store.begin().await?;
    ouvrir_pour_ecrire(&mut tx, &ctx, id).await?;
    let plan = store::plan(&mut tx, ctx.dep(), id).await?;
    let belongs = plan
        .iter()
        .any(|o| o.item.id == item || o.actions.iter().any(|a| a.id == item));
    if !belongs {
        return Err(WebError::NotFound);
    }
    store::plan_resultat(&mut tx, ctx.dep(), item, &r).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("resultat", "plan_action", item)
            .details(serde_json::json!({ "dossier": id, "statut": r.statut.code() })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/dossiers/{id}?message=modifie#plan")).into_response())
}

pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    ouvrir_pour_ecrire(&mut tx, &ctx, id).await?;
    store::close(&mut tx, ctx.dep(), id, today()).await?;
    audit::append(&mut tx, ctx.dep(), &ctx.event("cloture", "dossier", id)).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/dossiers/{id}?message=ferme")).into_response())
}
