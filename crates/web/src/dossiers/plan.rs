//! Référents per service, the plan d'action and its results, the closing of a dossier (confirmed,
//! with the reason the accompaniment ended) and its reopening: the
//! forms of the dossier page, each one call to its use case (`usecases::dossiers`), shared with the
//! API; invalid input re-renders the page with what was typed and a message per field.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::dossiers::{ClotureForm, MotifCloture, PlanForm, ResultatForm};
use parcours_domain::FieldErrors;
use parcours_usecases::dossiers as cas;
use parcours_usecases::Canal;
use parcours_usecases::Error as CasError;

use super::pages::{dossier_page, Saisie};
use crate::auth::Ctx;
use crate::error::{Form, Path, WebError, WebResult};
use crate::pages::{render, Field, Layout};
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
    if crate::choix::recherche_demandee(&v) {
        return again(&state, &ctx, id, "referent", v, Default::default()).await;
    }
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let service = g("service_id").parse::<i64>().ok();
    let agent = crate::choix::choisis(&v, "referent_agent").first().copied();
    match cas::designer_referent(
        &state.store,
        &ctx.acteur(),
        id,
        service,
        cas::AgentDesigne::Choisi(agent),
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

/// The confirmation of a closing: the reason the accompaniment ends, asked before anything changes.
#[derive(Template)]
#[template(path = "dossiers/cloture.html")]
pub struct CloturePage {
    pub l: Layout,
    pub id: i64,
    pub intitule: String,
    pub fields: Vec<Field>,
    pub errors: Vec<(String, String)>,
}

async fn cloture_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let intitule = cas::intitule_pour_ecrire(&state.store, &ctx.acteur(), id, Canal::Page).await?;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let fields = vec![
        Field::text("motif", "Motif de la fin de l'accompagnement", &g("motif"))
            .select(crate::pages::options(
                "Choisir le motif",
                MotifCloture::ALL
                    .iter()
                    .map(|m| (m.code().to_string(), m.libelle().to_string())),
            ))
            .required()
            .error_from(errors),
        Field::text("precision", "Précision", &g("precision"))
            .kind("textarea")
            .hint("Obligatoire pour « Autre motif » ; quelques mots, sans détail confidentiel.")
            .error_from(errors),
    ];
    let summary = crate::pages::error_summary(&fields);
    let status = if summary.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(&CloturePage {
            l: ctx.layout(),
            id,
            intitule,
            fields,
            errors: summary,
        }),
    )
        .into_response())
}

pub async fn close_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    cloture_page(&state, &ctx, id, &BTreeMap::new(), &FieldErrors::new()).await
}

pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let form = ClotureForm {
        motif: g("motif"),
        precision: g("precision"),
    };
    match cas::clore(&state.store, &ctx.acteur(), id, &form, Canal::Page).await {
        Ok(()) => Ok(Redirect::to(&format!("/dossiers/{id}?message=dossier_clos")).into_response()),
        Err(CasError::Invalid(errors)) => cloture_page(&state, &ctx, id, &v, &errors).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn reopen(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let motif = v.get("motif_reouverture").cloned().unwrap_or_default();
    match cas::rouvrir(&state.store, &ctx.acteur(), id, &motif, Canal::Page).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/dossiers/{id}?message=dossier_rouvert")).into_response())
        }
        Err(CasError::Invalid(errors)) => again(&state, &ctx, id, "reouverture", v, errors).await,
        Err(e) => Err(e.into()),
    }
}
