//! The appui technique and the duty roster in `/api/v1`, and their utoipa types.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use chrono::NaiveDate;
use parcours_domain::accueil::appui::{self as domain, AppuiForm, Issue};
use parcours_domain::agenda::heure;
use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_domain::FieldErrors;
use parcours_store::appui::{self as store, Appui};
use parcours_store::audit;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{demander, geste, in_scope, Geste};
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiPath, ApiResult, Json, Query, WebError};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct AppuiOut {
    pub id: i64,
    pub site_id: i64,
    pub personne_id: Option<i64>,
    /// orientation_difficile, acces_droits, urgence, agressivite, evaluation, autre
    pub motif: String,
    pub precision: Option<String>,
    pub urgent: bool,
    /// en_attente, pris_en_charge, clos, annule
    pub statut: String,
    /// Heure civile du département, AAAA-MM-JJTHH:MM.
    pub demande_le: String,
    pub pris_par: Option<i64>,
    pub pris_le: Option<String>,
    pub clos_le: Option<String>,
    pub issue: Option<String>,
    /// Minutes d'attente (jusqu'à la prise en charge, ou jusqu'à maintenant).
    pub attente_minutes: i64,
}

impl AppuiOut {
    fn of(a: &Appui) -> Self {
        Self {
            id: a.id,
            site_id: a.site_id,
            personne_id: a.personne_id,
            motif: a.motif.code().into(),
            precision: a.precision.clone(),
            urgent: a.urgent,
            statut: a.statut.code().into(),
            demande_le: heure::format(a.demande_le),
            pris_par: a.pris_par_id,
            pris_le: a.pris_le.map(heure::format),
            clos_le: a.clos_le.map(heure::format),
            issue: a.issue.map(|i| i.code().into()),
            attente_minutes: domain::attente_minutes(
                a.demande_le,
                a.pris_le,
                parcours_store::clock().maintenant(),
            ),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SiteQuery {
    /// Identifiant du site (MDS).
    pub site: i64,
}

#[utoipa::path(get, tag = "crate::appui", operation_id = "appuis_lister", path = "/api/v1/accueil/appuis", params(SiteQuery), responses((status = 200, body = [AppuiOut]), (status = 404, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_list(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<SiteQuery>,
) -> ApiResult<AxumJson<Vec<AppuiOut>>> {
    if !reaches_site(&ctx.principal, Some(q.site)) {
        return Err(WebError::NotFound.into());
    }
    let mut conn = state.store.read().await?;
    let file = store::file(
        &mut conn,
        ctx.dep(),
        q.site,
        parcours_store::clock().today(),
    )
    .await?;
    drop(conn);
    let mut tx = state.store.begin().await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "appui_demandes", q.site).details(
            serde_json::json!({ "demandes": file.iter().map(|a| a.id).collect::<Vec<_>>() }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(AxumJson(file.iter().map(AppuiOut::of).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct AppuiInput {
    pub site: i64,
    pub personne_id: Option<i64>,
    /// orientation_difficile, acces_droits, urgence, agressivite, evaluation, autre
    pub motif: String,
    pub precision: Option<String>,
    #[serde(default)]
    pub urgent: bool,
}

#[utoipa::path(post, tag = "crate::appui", operation_id = "appui_creer", path = "/api/v1/accueil/appuis", request_body = AppuiInput, responses((status = 201, body = AppuiOut), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(input): Json<AppuiInput>,
) -> ApiResult<Response> {
    let f = AppuiForm {
        site: input.site.to_string(),
        personne_id: input.personne_id.map(|p| p.to_string()).unwrap_or_default(),
        motif: input.motif,
        precision: input.precision.unwrap_or_default(),
        urgent: if input.urgent { "oui" } else { "non" }.into(),
    };
    let ev = |id: i64| ctx.event("creation", "appui_demande", id);
    match demander(&state, &ctx.principal, ev, &f).await? {
        Ok(id) => {
            let mut conn = state.store.read().await?;
            let a = store::get(&mut conn, ctx.dep(), id).await?;
            Ok((StatusCode::CREATED, AxumJson(AppuiOut::of(&a))).into_response())
        }
        Err(e) => Err(ApiError::invalid(e)),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct GesteInput {
    /// prendre, clore ou annuler
    pub geste: String,
    /// Pour clore : conseil, entretien, rendez_vous, orientation, sans_suite
    pub issue: Option<String>,
}

#[utoipa::path(post, tag = "crate::appui", operation_id = "appui_geste", path = "/api/v1/accueil/appuis/{id}", request_body = GesteInput, params(("id" = i64, Path, description = "Identifiant de la demande")), responses((status = 200, body = AppuiOut), (status = 409, body = crate::api::Problem, content_type = "application/problem+json"), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_geste(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(input): Json<GesteInput>,
) -> ApiResult<AxumJson<AppuiOut>> {
    in_scope(&state, &ctx.principal, id).await?;
    let issue = input
        .issue
        .as_deref()
        .and_then(|i| Issue::from_code(i.trim()));
    let g_ = match (input.geste.trim(), issue) {
        ("prendre", _) => Geste::Prendre,
        ("annuler", _) => Geste::Annuler,
        ("clore", Some(i)) => Geste::Clore(i),
        ("clore", None) => {
            let mut e = FieldErrors::new();
            e.add(
                "issue",
                "Pour clore : conseil, entretien, rendez_vous, orientation ou sans_suite.",
            );
            return Err(ApiError::invalid(e));
        }
        _ => {
            let mut e = FieldErrors::new();
            e.add("geste", "Geste attendu : prendre, clore ou annuler.");
            return Err(ApiError::invalid(e));
        }
    };
    // Taking and closing is the social workers' (the route itself lets the desk cancel).
    if matches!(g_, Geste::Prendre | Geste::Clore(_))
        && !allows(&ctx.principal, Action::AppuiPrendre)
    {
        return Err(WebError::Forbidden.into());
    }
    let ev = ctx.event("modification", "appui_demande", id);
    if let Err(m) = geste(&state, &ctx.principal, ev, id, g_).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "Geste impossible", m));
    }
    let mut conn = state.store.read().await?;
    Ok(AxumJson(AppuiOut::of(
        &store::get(&mut conn, ctx.dep(), id).await?,
    )))
}

#[derive(Serialize, ToSchema)]
pub struct GardeOut {
    /// AAAA-MM-JJ
    pub jour: String,
    /// matin ou apres_midi
    pub demi_journee: String,
    /// premier_accueil ou urgence
    pub role: String,
    pub agent_id: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableauQuery {
    /// Identifiant du site (MDS).
    pub site: i64,
    /// Premier jour, AAAA-MM-JJ (par défaut : le lundi de la semaine en cours).
    pub du: Option<String>,
    /// Nombre de jours (1 à 62, 7 par défaut).
    pub jours: Option<i64>,
}

#[utoipa::path(get, tag = "crate::appui", operation_id = "tableau_lire", path = "/api/v1/accueil/tableau", params(TableauQuery), responses((status = 200, body = [GardeOut]), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_tableau(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<TableauQuery>,
) -> ApiResult<AxumJson<Vec<GardeOut>>> {
    if !reaches_site(&ctx.principal, Some(q.site)) {
        return Err(WebError::NotFound.into());
    }
    let du = match q.du.as_deref().map(str::trim) {
        None | Some("") => domain::lundi(parcours_store::clock().today()),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ApiError::invalid({
                let mut e = FieldErrors::new();
                e.add("du", "Date attendue au format AAAA-MM-JJ.");
                e
            })
        })?,
    };
    let jours = q.jours.unwrap_or(7);
    if !(1..=62).contains(&jours) {
        let mut e = FieldErrors::new();
        e.add("jours", "Entre 1 et 62 jours.");
        return Err(ApiError::invalid(e));
    }
    let mut conn = state.store.read().await?;
    let gardes = store::tableau(&mut conn, ctx.dep(), q.site, du, jours).await?;
    Ok(AxumJson(
        gardes
            .into_iter()
            .filter_map(|g_| {
                Some(GardeOut {
                    jour: g_.jour.to_string(),
                    demi_journee: g_.demi_journee.code().into(),
                    role: g_.role.code().into(),
                    agent_id: g_.agent_id?,
                })
            })
            .collect(),
    ))
}
