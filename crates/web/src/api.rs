//! The JSON API `/api/v1` for the référentiel and the agents, its OpenAPI 3.1 description, errors as
//! `application/problem+json`. Authenticated by API token (service accounts) or session; every read of
//! agents' personal data and every write is audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_domain::habilitations::policy::{reaches_site, token_may_grant};
use parcours_domain::habilitations::Role;
use parcours_domain::referentiel::{
    Agent, AgentForm, Commune, NewAgent, NewTerritoire, Permanence, Secteur, Service, Site,
    Territoire,
};
use parcours_store::agents::{self as agents_store, AgentFilter, AgentSort};
use parcours_store::referentiel::{self as store, CommuneFilter};
use parcours_store::{audit, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiPath, ApiResult, Json, Query};
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Parcours — API v1", version = "1.0.0", description = "Référentiel, agents, personnes et dossiers d'un département. Authentification : `Authorization: Bearer <jeton>` (jetons créés par l'administrateur, avec portées). Erreurs : application/problem+json (RFC 9457), messages en français."),
    paths(territoires, territoire_create, crate::api_personnes::search, crate::api_personnes::get, crate::api_personnes::create, crate::api_personnes::ecrits, crate::api_personnes::ecrit_create, crate::api_personnes::foyer, crate::api_personnes::doublons_list, crate::api_personnes::fusion, crate::api_personnes::dossier, crate::api_personnes::document, crate::api_personnes::plan_add, crate::api_personnes::referent_set, crate::api_personnes::document_add, crate::api_personnes::consentements, crate::api_personnes::consentement_add, crate::api_personnes::demandes, crate::api_personnes::demande_add, crate::api_personnes::export, sites, secteurs, services, permanences, communes, commune_secteur, agents, agent, agent_create, crate::agenda::api_creneaux, crate::agenda::api_list, crate::agenda::api_get, crate::agenda::api_create, crate::agenda::api_statut, crate::chiffres::api, crate::agenda::api_deplacer, crate::accueil::api_list, crate::accueil::api_create, crate::appui::api_list, crate::appui::api_create, crate::appui::api_geste, crate::appui::api_tableau),
    components(schemas(crate::api_personnes::PersonneTrouvee, crate::api_personnes::FicheOut, crate::api_personnes::DossierOut, crate::api_personnes::PersonneInput, crate::api_personnes::MembreOut, crate::api_personnes::DoublonOut, crate::api_personnes::FusionInput, crate::api_personnes::ReferentOut, crate::api_personnes::ReferentInput, crate::api_personnes::DocumentUpload, crate::api_personnes::ConsentementOut, crate::api_personnes::DemandeOut, crate::api_personnes::DemandeInput, parcours_domain::rgpd::ConsentementForm, parcours_domain::dossiers::PlanForm, parcours_domain::personnes::Personne, parcours_domain::personnes::PersonneForm, parcours_domain::dossiers::EcritForm, Territoire, Site, Secteur, Service, Permanence, Commune, Agent, AgentForm, TerritoireInput, ResolutionOut, Problem, CommunesPage, AgentsPage, crate::agenda::CreneauOut, crate::agenda::RendezVousOut, crate::agenda::RendezVousPage, crate::agenda::StatutInput, crate::agenda::DeplacementInput, parcours_domain::agenda::RendezVousForm, crate::chiffres::ChiffresOut, crate::chiffres::IndicateursOut, crate::chiffres::MoisOut, crate::chiffres::SiteChiffresOut, crate::chiffres::MoisSiteOut, crate::chiffres::DelaiTypeOut, crate::chiffres::AgentMoisOut, crate::accueil::ContactOut, crate::accueil::ContactsPage, crate::accueil::ContactInput, crate::accueil::ContactCree, crate::appui::AppuiOut, crate::appui::AppuiInput, crate::appui::GesteInput, crate::appui::GardeOut)),
    modifiers(&BearerAuth, &ReponsesCommunes)
)]
pub struct ApiDoc;

struct BearerAuth;
impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "jeton",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "jeton",
            Vec::<String>::new(),
        )]);
    }
}

/// The answers given in front of every handler, declared once where they are produced: 401 and 403
/// by the policy check (`routes::enforce`), 400, 413, 415 and 422 by the `Json` extractor and the body
/// limit, 400 by the `Query` extractor, 404 by `ApiPath` for a malformed id. Answers that depend on the
/// handler (404 of a missing row, 409, 422 of a rule) stay in its `#[utoipa::path]`.
struct ReponsesCommunes;
impl utoipa::Modify for ReponsesCommunes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let query = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| p.parameter_in == ParameterIn::Query);
                let mut add = |status: &str, description: &str| {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem_response(description).into());
                };
                add("401", "Jeton absent, inconnu, expiré ou révoqué");
                add(
                    "403",
                    "Le rôle ou les portées du jeton ne permettent pas cette opération",
                );
                if query {
                    add("400", "Paramètre de l'adresse invalide (type, format ou paramètre obligatoire absent)");
                }
                if path.contains('{') {
                    add("404", "Identifiant de l'adresse invalide ou inconnu");
                }
                if op.request_body.is_some() {
                    add("400", "Corps JSON mal formé");
                    add("413", "Corps de la requête trop volumineux");
                    add("415", "Type de contenu non pris en charge");
                    add(
                        "422",
                        "Données invalides : le message nomme les champs fautifs",
                    );
                }
            }
        }
    }
}

fn problem_response(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The OpenAPI 3.1 document of the API, as served on `/api/v1/openapi.json` and printed by
/// `parcours openapi`.
pub fn document() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json()
}

/// Problem details (RFC 9457).
#[derive(Serialize, ToSchema)]
pub struct Problem {
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Messages per field, for invalid payloads.
    pub erreurs: Option<std::collections::BTreeMap<String, String>>,
}

pub async fn openapi() -> Response {
    match document() {
        Ok(body) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Err(e) => ApiError::from(crate::WebError::Internal(anyhow::Error::new(e))).into_response(),
    }
}

#[utoipa::path(get, operation_id = "territoires_lister", path = "/api/v1/territoires", responses((status = 200, body = [Territoire]), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn territoires(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<Vec<Territoire>>> {
    let mut conn = state.store.read().await.map_err(ApiError::from)?;
    Ok(AxumJson(store::territoires(&mut conn, ctx.dep()).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct TerritoireInput {
    pub code: String,
    pub nom: String,
    /// UTASI, DTS ou TIS
    pub kind: String,
}

#[utoipa::path(post, operation_id = "territoire_creer", path = "/api/v1/territoires", request_body = TerritoireInput, responses((status = 201, body = Territoire), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn territoire_create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(input): Json<TerritoireInput>,
) -> ApiResult<Response> {
    let t = NewTerritoire::parse(&input.code, &input.nom, &input.kind)?;
    let mut tx = state.store.begin().await?;
    let id = match store::territoire_create(&mut tx, ctx.dep(), &t).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "Code déjà utilisé",
                format!(
                    "Le code « {} » est déjà celui d'un autre territoire.",
                    t.code
                ),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(&mut tx, ctx.dep(), &ctx.event("creation", "territoire", id)).await?;
    let created = store::territoire_get(&mut tx, ctx.dep(), id).await?;
    tx.commit()
        .await
        .map_err(|e| ApiError::from(StoreError::from(e)))?;
    Ok((StatusCode::CREATED, AxumJson(created)).into_response())
}

#[utoipa::path(get, operation_id = "sites_lister", path = "/api/v1/sites", responses((status = 200, body = [Site])))]
pub async fn sites(State(state): State<AppState>, ctx: ApiCtx) -> ApiResult<AxumJson<Vec<Site>>> {
    let mut conn = state.store.read().await?;
    Ok(AxumJson(store::sites(&mut conn, ctx.dep()).await?))
}

#[utoipa::path(get, operation_id = "secteurs_lister", path = "/api/v1/secteurs", responses((status = 200, body = [Secteur])))]
pub async fn secteurs(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<Vec<Secteur>>> {
    let mut conn = state.store.read().await?;
    Ok(AxumJson(store::secteurs(&mut conn, ctx.dep()).await?))
}

#[utoipa::path(get, operation_id = "services_lister", path = "/api/v1/services", responses((status = 200, body = [Service])))]
pub async fn services(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<Vec<Service>>> {
    let mut conn = state.store.read().await?;
    Ok(AxumJson(store::services(&mut conn, ctx.dep()).await?))
}

#[utoipa::path(get, operation_id = "permanences_lister", path = "/api/v1/permanences", responses((status = 200, body = [Permanence])))]
pub async fn permanences(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<Vec<Permanence>>> {
    let mut conn = state.store.read().await?;
    Ok(AxumJson(store::permanences(&mut conn, ctx.dep()).await?))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Texte recherché (nom, code INSEE, code postal)
    pub texte: Option<String>,
    /// Nombre d'éléments (1 à 500, 100 par défaut)
    pub limite: Option<i64>,
    pub decalage: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CommunesPage {
    pub total: i64,
    pub communes: Vec<Commune>,
}

#[utoipa::path(get, operation_id = "communes_lister", path = "/api/v1/communes", params(PageQuery), responses((status = 200, body = CommunesPage)))]
pub async fn communes(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<PageQuery>,
) -> ApiResult<AxumJson<CommunesPage>> {
    let mut conn = state.store.read().await?;
    let filter = CommuneFilter {
        texte: q.texte.filter(|t| !t.is_empty()),
        ..Default::default()
    };
    let (communes, total) = store::communes(
        &mut conn,
        ctx.dep(),
        &filter,
        q.limite.unwrap_or(100).clamp(1, 500),
        q.decalage.unwrap_or(0).max(0),
    )
    .await?;
    Ok(AxumJson(CommunesPage { total, communes }))
}

#[derive(Serialize, ToSchema)]
pub struct ResolutionOut {
    pub commune: Commune,
    pub secteur: Option<Secteur>,
    pub site: Option<Site>,
}

#[utoipa::path(get, operation_id = "commune_secteur", path = "/api/v1/communes/{insee}/secteur", params(("insee" = String, Path, description = "Code INSEE ou code postal")), responses((status = 200, body = ResolutionOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn commune_secteur(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(insee): ApiPath<String>,
) -> ApiResult<AxumJson<ResolutionOut>> {
    let mut conn = state.store.read().await?;
    match store::resolve(&mut conn, ctx.dep(), &insee, None).await? {
        Some(r) => Ok(AxumJson(ResolutionOut {
            commune: r.commune,
            secteur: r.secteur,
            site: r.site,
        })),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "Commune inconnue",
            format!("Aucune commune du département ne correspond à « {insee} »."),
        )),
    }
}

#[derive(Serialize, ToSchema)]
pub struct AgentsPage {
    pub total: i64,
    pub agents: Vec<Agent>,
}

/// The sites whose agents the caller sees: an administrator signed in sees them all; a service
/// account sees the agents of its token's sites only (its role is a placeholder).
fn perimetre(ctx: &ApiCtx) -> Option<Vec<i64>> {
    match (ctx.principal.role, ctx.principal.token_id) {
        (Role::Administrateur, None) => None,
        _ => Some(ctx.principal.site_ids.clone()),
    }
}

#[utoipa::path(get, operation_id = "agents_lister", path = "/api/v1/agents", params(PageQuery), responses((status = 200, body = AgentsPage), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn agents(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<PageQuery>,
) -> ApiResult<AxumJson<AgentsPage>> {
    let mut conn = state.store.read().await?;
    let filter = AgentFilter {
        texte: q.texte.filter(|t| !t.is_empty()),
        perimetre: perimetre(&ctx),
        ..Default::default()
    };
    let (agents, total) = agents_store::list(
        &mut conn,
        ctx.dep(),
        &filter,
        AgentSort::Nom,
        q.limite.unwrap_or(100).clamp(1, 500),
        q.decalage.unwrap_or(0).max(0),
    )
    .await?;
    drop(conn);
    let mut tx = state.store.begin().await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "agents", "liste")
            .details(serde_json::json!({ "nombre": agents.len() })),
    )
    .await?;
    tx.commit()
        .await
        .map_err(|e| ApiError::from(StoreError::from(e)))?;
    Ok(AxumJson(AgentsPage { total, agents }))
}

#[utoipa::path(get, operation_id = "agent_lire", path = "/api/v1/agents/{id}", params(("id" = i64, Path, description = "Identifiant de l'agent")), responses((status = 200, body = Agent), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn agent(
    State(state): State<AppState>,
    ctx: ApiCtx,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<AxumJson<Agent>> {
    let mut conn = state.store.read().await?;
    let a = agents_store::get(&mut conn, ctx.dep(), id).await?;
    if let Some(p) = perimetre(&ctx) {
        if !a.site_ids.iter().any(|s| p.contains(s)) {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "Ressource introuvable",
                "Aucun agent de votre périmètre ne porte cet identifiant.",
            ));
        }
    }
    drop(conn);
    let mut tx = state.store.begin().await?;
    audit::append(&mut tx, ctx.dep(), &ctx.event("lecture", "agent", id)).await?;
    tx.commit()
        .await
        .map_err(|e| ApiError::from(StoreError::from(e)))?;
    Ok(AxumJson(a))
}

#[utoipa::path(post, operation_id = "agent_creer", path = "/api/v1/agents", request_body = AgentForm, responses((status = 201, body = Agent), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn agent_create(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Json(f): Json<AgentForm>,
) -> ApiResult<Response> {
    let a = NewAgent::parse(&f)?;
    if ctx.principal.token_id.is_some() {
        // A service account (a HR interface) creates the agents of its sites, never an account that
        // reaches the whole département.
        let mut e = parcours_domain::FieldErrors::new();
        if !token_may_grant(a.role) {
            e.add(
                "role",
                "Un compte de service ne peut pas créer d'administrateur, de DPO ni de direction ; ces comptes sont créés par un administrateur connecté.",
            );
        }
        if !a
            .site_id
            .is_some_and(|s| reaches_site(&ctx.principal, Some(s)))
        {
            e.add(
                "site_id",
                "Choisissez un site ouvert à ce compte de service.",
            );
        }
        if !e.is_empty() {
            // The DPO sees what a service account tried.
            let mut tx = state.store.begin().await?;
            audit::append(
                &mut tx,
                ctx.dep(),
                &ctx.event("refus", "agent", "creation")
                    .details(serde_json::json!({ "role": a.role.code(), "site_id": a.site_id })),
            )
            .await?;
            tx.commit()
                .await
                .map_err(|e| ApiError::from(StoreError::from(e)))?;
            return Err(ApiError {
                status: StatusCode::FORBIDDEN,
                title: "Accès refusé".into(),
                detail: "Les droits du jeton ne permettent pas de créer cet agent ; rien n'a été enregistré.".into(),
                errors: Some(e),
                // The refusal was written to the audit log just above.
                audited: true,
            });
        }
    }
    let mut tx = state.store.begin().await?;
    let id = match agents_store::create(&mut tx, ctx.dep(), &a).await {
        Ok(id) => id,
        Err(StoreError::Conflict(field)) => {
            let mut e = parcours_domain::FieldErrors::new();
            e.add(field, "Valeur déjà utilisée par un autre agent.");
            return Err(ApiError {
                status: StatusCode::CONFLICT,
                ..ApiError::invalid(e)
            });
        }
        Err(StoreError::Reference) => {
            let mut e = parcours_domain::FieldErrors::new();
            e.add(
                "service_id",
                "Service, site ou secteur inconnu dans ce département.",
            );
            return Err(ApiError::invalid(e));
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(&mut tx, ctx.dep(), &ctx.event("creation", "agent", id)).await?;
    let created = agents_store::get(&mut tx, ctx.dep(), id).await?;
    tx.commit()
        .await
        .map_err(|e| ApiError::from(StoreError::from(e)))?;
    Ok((StatusCode::CREATED, AxumJson(created)).into_response())
}
