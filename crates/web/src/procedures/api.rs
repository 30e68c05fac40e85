//! The JSON API of procedures and due dates (`/api/v1/dossiers/{id}/procedures`, `/api/v1/procedures`,
//! `/api/v1/echeances`): the same use cases as the pages, so the same checks, refusals and audit.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_domain::procedures::{EtapeForm, TypeProcedure};
use parcours_usecases::Canal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{echeance_vue, etape_vue, EcheanceVue, EtapeVue};
use crate::api::Problem;
use crate::auth::ApiCtx;
use crate::error::{ApiPath, ApiResult, Json, Query};
use crate::AppState;

/// A procedure with its history and its due dates.
#[derive(Serialize, ToSchema)]
pub struct ProcedureOut {
    pub id: i64,
    pub dossier_id: i64,
    #[serde(rename = "type")]
    pub type_: TypeProcedure,
    pub referent: Option<String>,
    pub ouverte_le: String,
    pub close_le: Option<String>,
    pub etapes: Vec<EtapeVue>,
    pub echeances: Vec<EcheanceVue>,
}

fn out(state: &AppState, v: &parcours_usecases::procedures::Vue) -> ProcedureOut {
    let today = parcours_store::clock().today();
    let p = &v.procedure;
    ProcedureOut {
        id: p.id,
        dossier_id: p.dossier_id,
        type_: p.type_,
        referent: p.referent_nom.clone(),
        ouverte_le: p.ouverte_le.clone(),
        close_le: p.close_le.clone(),
        etapes: v.etapes.iter().map(|e| etape_vue(p.type_, e)).collect(),
        echeances: v
            .echeances
            .iter()
            .map(|e| echeance_vue(e, today, state.settings.echeances_preavis_jours))
            .collect(),
    }
}

#[utoipa::path(get, tag = "crate::api_procedures", operation_id = "procedures_lister", path = "/api/v1/dossiers/{id}/procedures", params(("id" = i64, Path)), responses((status = 200, body = Vec<ProcedureOut>, description = "Les procédures du dossier, leurs étapes et leurs échéances"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn lister(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<Vec<ProcedureOut>>> {
    let vues =
        parcours_usecases::procedures::lister(&state.store, &ctx.acteur(), id, Canal::Api).await?;
    Ok(AxumJson(vues.iter().map(|v| out(&state, v)).collect()))
}

/// A procedure to open.
#[derive(Deserialize, ToSchema)]
pub struct ProcedureInput {
    #[serde(rename = "type")]
    pub type_: TypeProcedure,
    /// The référent (an agent of the caller's team); the caller when absent.
    pub referent_id: Option<i64>,
    /// Required when the référent has reached the cap of RSA beneficiaries.
    pub motif_depassement: Option<String>,
}

#[utoipa::path(post, tag = "crate::api_procedures", operation_id = "procedure_ouvrir", path = "/api/v1/dossiers/{id}/procedures", params(("id" = i64, Path)), request_body = ProcedureInput, responses((status = 201, body = ProcedureOut, description = "Procédure ouverte"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn ouvrir(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<ProcedureInput>,
) -> ApiResult<Response> {
    let acteur = ctx.acteur();
    let o = parcours_usecases::procedures::Ouverture {
        type_: f.type_,
        referent_id: f.referent_id,
        motif_depassement: f.motif_depassement,
        plafond_rsa: state.settings.rsa_plafond_referent,
    };
    let pid =
        parcours_usecases::procedures::ouvrir(&state.store, &acteur, id, &o, Canal::Api).await?;
    let v = parcours_usecases::procedures::lire(&state.store, &acteur, pid, Canal::Api).await?;
    Ok((StatusCode::CREATED, AxumJson(out(&state, &v))).into_response())
}

#[utoipa::path(get, tag = "crate::api_procedures", operation_id = "procedure_lire", path = "/api/v1/procedures/{id}", params(("id" = i64, Path)), responses((status = 200, body = ProcedureOut, description = "La procédure"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn lire(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<ProcedureOut>> {
    let v =
        parcours_usecases::procedures::lire(&state.store, &ctx.acteur(), id, Canal::Api).await?;
    Ok(AxumJson(out(&state, &v)))
}

#[utoipa::path(post, tag = "crate::api_procedures", operation_id = "procedure_etape", path = "/api/v1/procedures/{id}/etapes", params(("id" = i64, Path)), request_body = EtapeForm, responses((status = 201, body = ProcedureOut, description = "Étape enregistrée ; les échéances qu'elle démarre ou honore sont à jour"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn etape(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(f): Json<EtapeForm>,
) -> ApiResult<Response> {
    let acteur = ctx.acteur();
    let ech = state.settings.echeancier();
    parcours_usecases::procedures::enregistrer_etape(
        &state.store,
        &ech,
        &acteur,
        id,
        &f,
        Canal::Api,
    )
    .await?;
    let v = parcours_usecases::procedures::lire(&state.store, &acteur, id, Canal::Api).await?;
    Ok((StatusCode::CREATED, AxumJson(out(&state, &v))).into_response())
}

#[utoipa::path(post, tag = "crate::api_procedures", operation_id = "echeance_prolonger", path = "/api/v1/procedures/{id}/echeances/{echeance}/prolongation", params(("id" = i64, Path), ("echeance" = i64, Path)), responses((status = 200, body = ProcedureOut, description = "Échéance prolongée de la prolongation suivante prévue par la règle"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn prolonger(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath((id, eid)): ApiPath<(i64, i64)>,
) -> ApiResult<AxumJson<ProcedureOut>> {
    let acteur = ctx.acteur();
    let ech = state.settings.echeancier();
    parcours_usecases::procedures::prolonger(&state.store, &ech, &acteur, id, eid, Canal::Api)
        .await?;
    let v = parcours_usecases::procedures::lire(&state.store, &acteur, id, Canal::Api).await?;
    Ok(AxumJson(out(&state, &v)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EcheancesQuery {
    /// Last day included (`AAAA-MM-JJ`); today + 7 days when absent.
    pub jusqu_au: Option<String>,
    /// From 1.
    pub page: Option<u32>,
}

/// An open due date in a list.
#[derive(Serialize, ToSchema)]
pub struct EcheanceListeeOut {
    pub id: i64,
    pub regle: String,
    pub effet: String,
    pub source: String,
    pub echeance: String,
    pub niveau: String,
    pub procedure_id: i64,
    #[serde(rename = "type")]
    pub type_: String,
    pub dossier_id: i64,
    pub dossier: String,
    /// The person the dossier is about; absent for a foyer's dossier.
    pub personne: Option<String>,
    pub referent: Option<String>,
    pub mds: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EcheancesPage {
    pub total: i64,
    pub page: u32,
    pub echeances: Vec<EcheanceListeeOut>,
}

const PAR_PAGE: u32 = 100;

#[utoipa::path(get, tag = "crate::api_procedures", operation_id = "echeances_lister", path = "/api/v1/echeances", params(EcheancesQuery), responses((status = 200, body = EcheancesPage, description = "Les échéances en cours jusqu'à la date donnée, la plus ancienne d'abord : celles dont l'appelant est référent (travailleur social), de ses MDS (cadre), du département (équipe centrale)"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn echeances(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<EcheancesQuery>,
) -> ApiResult<AxumJson<EcheancesPage>> {
    let today = parcours_store::clock().today();
    let jusqu_au = match q.jusqu_au.as_deref().map(str::trim) {
        None | Some("") => today + chrono::Duration::days(7),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            let mut f = parcours_domain::FieldErrors::new();
            f.add("jusqu_au", "Date invalide : attendu AAAA-MM-JJ.");
            crate::error::ApiError::invalid(f)
        })?,
    };
    let page = q.page.unwrap_or(1).max(1);
    let l = parcours_usecases::procedures::a_traiter(
        &state.store,
        &ctx.acteur(),
        jusqu_au,
        PAR_PAGE,
        (page - 1).saturating_mul(PAR_PAGE),
        Canal::Api,
    )
    .await?;
    let preavis = state.settings.echeances_preavis_jours;
    Ok(AxumJson(EcheancesPage {
        total: l.total,
        page,
        echeances: l
            .echeances
            .into_iter()
            .map(|e| {
                let r = parcours_domain::echeancier::regle(&e.regle);
                let jour = chrono::NaiveDate::parse_from_str(&e.jour, "%Y-%m-%d").unwrap_or(today);
                EcheanceListeeOut {
                    id: e.id,
                    effet: r.map(|r| r.effet.clone()).unwrap_or_default(),
                    source: r.map(|r| r.source.clone()).unwrap_or_default(),
                    regle: e.regle,
                    echeance: e.echeance,
                    niveau: parcours_domain::echeancier::suivi::niveau(jour, today, preavis)
                        .code()
                        .into(),
                    procedure_id: e.procedure_id,
                    type_: e.type_,
                    dossier_id: e.dossier_id,
                    dossier: e.dossier,
                    personne: e.personne,
                    referent: e.referent_nom,
                    mds: e.site_nom,
                }
            })
            .collect(),
    }))
}

/// Late and due-today counts of a secteur.
#[derive(Serialize, ToSchema)]
pub struct RetardOut {
    pub mds: String,
    pub secteur: String,
    pub en_retard: i64,
    pub aujourdhui: i64,
}

#[utoipa::path(get, tag = "crate::api_procedures", operation_id = "echeances_retards", path = "/api/v1/echeances/retards", responses((status = 200, body = Vec<RetardOut>, description = "Échéances en retard et du jour par MDS et secteur (aucun dossier nommé)"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn retards(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<Vec<RetardOut>>> {
    let l = parcours_usecases::procedures::retards(&state.store, &ctx.acteur()).await?;
    Ok(AxumJson(
        l.into_iter()
            .map(|r| RetardOut {
                mds: r.site_nom,
                secteur: r.secteur_nom,
                en_retard: r.en_retard,
                aujourdhui: r.aujourdhui,
            })
            .collect(),
    ))
}
