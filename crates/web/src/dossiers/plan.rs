//! Référents per service, the plan d'action and its results, and the closure of a dossier: the
//! forms of the dossier page, each one call to its use case (`usecases::dossiers`), shared with the
//! API; invalid input re-renders the page with what was typed and a message per field.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::dossiers::{PlanForm, ResultatForm};
use parcours_usecases::dossiers as cas;
use parcours_usecases::Canal;
use parcours_usecases::Error as CasError;

use super::pages::{dossier_page, Saisie};
use crate::auth::Ctx;
use crate::error::{Form, Path, WebError, WebResult};
use crate::AppState;

/// The dossier page again, with the form `form` filled as typed and its messages.
async fn again(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: &'static str,
    values: BTreeMap<String, String>,
    errors: parcours_domain::FieldErrors,
) -> WebResult<Response> {
    dossier_page(
        state,
        ctx,
        id,
        Saisie {
            form,
            values,
            errors,
        },
    )
    .await
}

pub async fn referent_set(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let service = g("service_id").parse::<i64>().ok();
    match cas::designer_referent(
        &state.store,
        &ctx.acteur(),
        id,
        service,
        &g("matricule"),
        Canal::Page,
    )
    .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/dossiers/{id}?message=modifie#referents")).into_response())
        }
        Err(CasError::Invalid(errors)) => again(&state, &ctx, id, "referent", v, errors).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn plan_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let form = PlanForm {
        objectif_id: g("objectif_id"),
        libelle: g("libelle"),
        echeance: g("echeance"),
    };
    match cas::ajouter_au_plan(&state.store, &ctx.acteur(), id, &form, Canal::Page).await {
        Ok(_) => Ok(Redirect::to(&format!("/dossiers/{id}?message=cree#plan")).into_response()),
        Err(CasError::Invalid(errors)) => again(&state, &ctx, id, "plan", v, errors).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn plan_resultat(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, item)): Path<(i64, i64)>,
    Form(f): Form<ResultatForm>,
) -> WebResult<Response> {
    match cas::noter_resultat(&state.store, &ctx.acteur(), id, item, &f, Canal::Page).await {
        Ok(()) => Ok(Redirect::to(&format!("/dossiers/{id}?message=modifie#plan")).into_response()),
        // The result form is a line of the plan table with a choice list: only a forged request
        // sends something else.
        Err(CasError::Invalid(errors)) => Err(WebError::BadRequest(
            errors.0.values().cloned().collect::<Vec<_>>().join(" "),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    cas::clore(&state.store, &ctx.acteur(), id, Canal::Page).await?;
    Ok(Redirect::to(&format!("/dossiers/{id}?message=ferme")).into_response())
}
