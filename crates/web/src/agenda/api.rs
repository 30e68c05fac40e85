//! The `/api/v1` operations of the agenda: free slots, appointments (list, read, book, status, move)
//! and their utoipa types.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_domain::agenda::{heure, RendezVousForm, StatutRdv, TypeRdv};
use parcours_domain::habilitations::policy::reaches_site;
use parcours_domain::habilitations::Principal;
use parcours_domain::FieldErrors;
use parcours_store::agenda::{self as store, Cible, RdvFilter};
use parcours_store::agents::{self as agents_store};
use parcours_store::{audit, referentiel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::rendez_vous::{book, deplacement_form, deplacer_rdv};
use super::{perimetre, reaches_any};
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiPath, ApiResult, Json, Query};
use crate::AppState;

#[derive(Deserialize, ToSchema)]
pub struct DeplacementInput {
    /// JJ/MM/AAAA ou AAAA-MM-JJ
    pub date: String,
    /// HH:MM
    pub heure: String,
    /// Un autre agent (par défaut : le même).
    pub agent_id: Option<i64>,
}

#[utoipa::path(post, tag = "crate::agenda", operation_id = "rendez_vous_deplacer", path = "/api/v1/rendez-vous/{id}/deplacement", request_body = DeplacementInput, params(("id" = i64, Path, description = "Identifiant du rendez-vous")), responses((status = 200, body = RendezVousOut), (status = 409, body = crate::api::Problem, content_type = "application/problem+json"), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_deplacer(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(input): Json<DeplacementInput>,
) -> ApiResult<AxumJson<RendezVousOut>> {
    let r = api_rdv_in_scope(&state, &ctx, id).await?;
    let agent = input.agent_id.map(|a| a.to_string()).unwrap_or_default();
    let f = deplacement_form(&r, &input.date, &input.heure, &agent);
    let ev = ctx.event("modification", "rendez_vous", id);
    if let Err(e) = deplacer_rdv(&state, &ctx.principal, ev, &r, &f).await? {
        let conflict = e.0.values().any(|m| m.contains("déjà"));
        let mut err = ApiError::invalid(e);
        if conflict {
            err.status = StatusCode::CONFLICT;
            err.title = "Créneau déjà occupé".into();
        }
        return Err(err);
    }
    let mut conn = state.store.read().await?;
    let r = store::get(&mut conn, ctx.dep(), id).await?;
    Ok(AxumJson(RendezVousOut::pour(&ctx.principal, &r)))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct CreneauxQuery {
    /// Secteur de la personne (les agents qui reçoivent à la MDS du secteur)
    pub secteur_id: Option<i64>,
    pub site_id: Option<i64>,
    pub agent_id: Option<i64>,
    /// premier_accueil, suivi, rsa, visite_domicile, telephonique
    #[serde(rename = "type")]
    pub type_rdv: Option<String>,
    /// Nombre de créneaux (1 à 50, 5 par défaut)
    #[param(minimum = 1, maximum = 50)]
    pub nombre: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct CreneauOut {
    pub agent_id: i64,
    /// Heure locale du département, AAAA-MM-JJTHH:MM
    pub debut: String,
    pub fin: String,
    pub site_id: i64,
    pub permanence_id: Option<i64>,
    /// rendez_vous, plas ou permanence
    pub nature: String,
}

#[utoipa::path(get, tag = "crate::agenda", operation_id = "creneaux_lister", path = "/api/v1/creneaux", params(CreneauxQuery), responses((status = 200, body = [CreneauOut]), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_creneaux(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<CreneauxQuery>,
) -> ApiResult<AxumJson<Vec<CreneauOut>>> {
    let pr = &ctx.principal;
    let mut e = FieldErrors::new();
    let t = q.type_rdv.as_deref().and_then(TypeRdv::parse);
    if t.is_none() {
        e.add("type", "Type de rendez-vous attendu : premier_accueil, suivi, rsa, visite_domicile ou telephonique.");
    }
    let mut conn = state.store.read().await?;
    let cible = match (q.secteur_id, q.site_id, q.agent_id) {
        (Some(s), None, None) => {
            let sec = referentiel::secteur_get(&mut conn, ctx.dep(), s).await.ok();
            sec.filter(|x| reaches_site(pr, Some(x.site_id)))
                .map(|_| Cible::Secteur(s))
        }
        (None, Some(s), None) => reaches_site(pr, Some(s)).then_some(Cible::Site(s)),
        (None, None, Some(a)) => match agents_store::get(&mut conn, ctx.dep(), a).await {
            Ok(ag) if reaches_any(pr, &ag.site_ids) => Some(Cible::Agent(a)),
            _ => None,
        },
        _ => None,
    };
    if cible.is_none() {
        e.add(
            "secteur_id",
            "Donnez un seul de secteur_id, site_id ou agent_id, dans votre périmètre.",
        );
    }
    let (Some(t), Some(cible), true) = (t, cible, e.is_empty()) else {
        return Err(ApiError::invalid(e));
    };
    let found = store::creneaux(
        &mut conn,
        ctx.dep(),
        cible,
        t,
        t.duree(),
        parcours_store::clock().maintenant(),
        60,
        q.nombre.unwrap_or(5).clamp(1, 50),
    )
    .await?;
    Ok(AxumJson(
        found
            .into_iter()
            .map(|c| CreneauOut {
                agent_id: c.agent_id,
                debut: heure::format(c.debut),
                fin: heure::format(c.fin),
                site_id: c.site_id,
                permanence_id: c.permanence_id,
                nature: c.nature.code().into(),
            })
            .collect(),
    ))
}

/// An appointment as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct RendezVousOut {
    pub id: i64,
    pub personne_id: i64,
    /// Nom de la personne ; absent pour un compte de service, qui n'apprend que son existence.
    pub personne: Option<String>,
    pub agent_id: i64,
    #[serde(rename = "type")]
    pub type_rdv: TypeRdv,
    pub statut: StatutRdv,
    /// Heure locale du département, AAAA-MM-JJTHH:MM
    pub debut: String,
    pub fin: String,
    pub lieu: String,
    pub site_id: i64,
    pub salle_id: Option<i64>,
    pub demande_le: String,
    /// Jours entre la demande et le rendez-vous
    pub delai_jours: i64,
    /// Langue dans laquelle un interprète est nécessaire ; absent sinon.
    pub interprete: Option<String>,
}

impl RendezVousOut {
    /// The appointment as this caller may see it: a service account's token learns that the person
    /// exists (`dossiers::secret::portee` gives it `Existence`), never their name.
    fn pour(pr: &Principal, r: &store::RendezVous) -> Self {
        let mut out = Self::from(r);
        if pr.token_id.is_some() {
            // The language of an interpreter says something of the person too.
            out.personne = None;
            out.interprete = None;
        }
        out
    }
}

impl From<&store::RendezVous> for RendezVousOut {
    fn from(r: &store::RendezVous) -> Self {
        Self {
            id: r.id,
            personne_id: r.personne_id,
            personne: Some(r.personne.clone()),
            agent_id: r.agent_id,
            type_rdv: r.type_rdv,
            statut: r.statut,
            debut: heure::format(r.debut),
            fin: heure::format(r.fin),
            lieu: r.lieu.clone(),
            site_id: r.site_id,
            salle_id: r.salle_id,
            demande_le: r.demande_le.to_string(),
            delai_jours: r.delai_jours(),
            interprete: r.interprete.clone(),
        }
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct RdvQuery {
    /// AAAA-MM-JJ
    pub du: Option<String>,
    pub au: Option<String>,
    pub agent_id: Option<i64>,
    pub statut: Option<String>,
    pub limite: Option<i64>,
    pub decalage: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RendezVousPage {
    pub total: i64,
    pub rendez_vous: Vec<RendezVousOut>,
}

#[utoipa::path(get, tag = "crate::agenda", operation_id = "rendez_vous_lister", path = "/api/v1/rendez-vous", params(RdvQuery), responses((status = 200, body = RendezVousPage), (status = 403, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_list(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<RdvQuery>,
) -> ApiResult<AxumJson<RendezVousPage>> {
    let filter = RdvFilter {
        sites: perimetre(&ctx.principal),
        agent_id: q.agent_id,
        statut: q.statut.as_deref().and_then(StatutRdv::parse),
        du: q
            .du
            .as_deref()
            .and_then(parcours_domain::agenda::parse_date),
        au: q
            .au
            .as_deref()
            .and_then(parcours_domain::agenda::parse_date),
        ..Default::default()
    };
    let mut conn = state.store.read().await?;
    let (rows, total) = store::list(
        &mut conn,
        ctx.dep(),
        &filter,
        q.limite.unwrap_or(100).clamp(1, 500),
        q.decalage.unwrap_or(0).max(0),
    )
    .await?;
    drop(conn);
    let mut tx = state.store.begin().await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "rendez_vous", "liste")
            .details(serde_json::json!({ "nombre": rows.len() })),
    )
    .await?;
    tx.commit().await?;
    Ok(AxumJson(RendezVousPage {
        total,
        rendez_vous: rows
            .iter()
            .map(|r| RendezVousOut::pour(&ctx.principal, r))
            .collect(),
    }))
}

async fn api_rdv_in_scope(state: &AppState, ctx: &ApiCtx, id: i64) -> ApiResult<store::RendezVous> {
    let mut conn = state.store.read().await?;
    let r = store::get(&mut conn, ctx.dep(), id).await?;
    if !reaches_site(&ctx.principal, Some(r.site_id)) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "Ressource introuvable",
            "Aucun rendez-vous de votre périmètre ne porte cet identifiant.",
        ));
    }
    Ok(r)
}

#[utoipa::path(get, tag = "crate::agenda", operation_id = "rendez_vous_lire", path = "/api/v1/rendez-vous/{id}", params(("id" = i64, Path, description = "Identifiant du rendez-vous")), responses((status = 200, body = RendezVousOut), (status = 404, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_get(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<RendezVousOut>> {
    let r = api_rdv_in_scope(&state, &ctx, id).await?;
    let mut tx = state.store.begin().await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "rendez_vous", id)
            .details(serde_json::json!({ "personne_id": r.personne_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(AxumJson(RendezVousOut::pour(&ctx.principal, &r)))
}

#[utoipa::path(post, tag = "crate::agenda", operation_id = "rendez_vous_creer", path = "/api/v1/rendez-vous", request_body = RendezVousForm, responses((status = 201, body = RendezVousOut), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(f): Json<RendezVousForm>,
) -> ApiResult<Response> {
    let ev = |id: i64| ctx.event("creation", "rendez_vous", id);
    match book(&state, &ctx.principal, ev, &f)
        .await
        .map_err(ApiError::from)?
    {
        Ok(id) => {
            let mut conn = state.store.read().await?;
            let r = store::get(&mut conn, ctx.dep(), id).await?;
            Ok((
                StatusCode::CREATED,
                AxumJson(RendezVousOut::pour(&ctx.principal, &r)),
            )
                .into_response())
        }
        Err(e) => {
            let conflict = e.0.values().any(|m| m.contains("déjà"));
            let mut err = ApiError::invalid(e);
            if conflict {
                err.status = StatusCode::CONFLICT;
                err.title = "Créneau déjà occupé".into();
            }
            Err(err)
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct StatutInput {
    /// honore, excuse, absent ou annule
    pub statut: String,
}

#[utoipa::path(post, tag = "crate::agenda", operation_id = "rendez_vous_statut", path = "/api/v1/rendez-vous/{id}/statut", request_body = StatutInput, params(("id" = i64, Path, description = "Identifiant du rendez-vous")), responses((status = 200, body = RendezVousOut), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_statut(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
    Json(input): Json<StatutInput>,
) -> ApiResult<AxumJson<RendezVousOut>> {
    let r = parcours_usecases::agenda::changer_statut(
        &state.store,
        &ctx.acteur(),
        id,
        &input.statut,
        parcours_usecases::Canal::Api,
    )
    .await?;
    Ok(AxumJson(RendezVousOut::pour(&ctx.principal, &r)))
}
