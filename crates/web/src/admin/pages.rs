//! Administration screens: the job queue (state, errors, retry) and the API tokens of service
//! accounts (create with scopes and the sites they may act on, shown once; revoke).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::habilitations::policy::TOKEN_SCOPES;
use parcours_store::{audit, jobs, tokens};
use serde::Deserialize;

use crate::auth::{random_token, Ctx};
use crate::error::{Form, Path, Query, WebResult};
use crate::pages::{page_number, render, Layout, Pagination, PER_PAGE};
use crate::AppState;

#[derive(Template)]
#[template(path = "admin/taches.html")]
pub struct JobsPage {
    pub l: Layout,
    pub jobs: Vec<jobs::Job>,
    pub pagination: Pagination,
    pub status: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct JobsQuery {
    pub etat: Option<String>,
    pub page: Option<String>,
}

pub fn status_label(s: &str) -> &'static str {
    match s {
        "en_attente" => "en attente",
        "en_cours" => "en cours",
        "termine" => "terminée",
        "echec" => "échec",
        _ => "inconnu",
    }
}

pub async fn jobs(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<JobsQuery>,
) -> WebResult<Response> {
    let status = q
        .etat
        .clone()
        .filter(|s| ["en_attente", "en_cours", "termine", "echec"].contains(&s.as_str()));
    let page = page_number(q.page.as_deref());
    let mut conn = state.store.read().await?;
    let (list, total) = jobs::list(
        &mut conn,
        ctx.dep(),
        status.as_deref(),
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    .await?;
    let base = match &status {
        Some(s) => format!("/admin/taches?etat={s}"),
        None => "/admin/taches".into(),
    };
    Ok(render(&JobsPage {
        l: ctx.layout(),
        jobs: list,
        pagination: Pagination::new(&base, page, PER_PAGE, total),
        status: status.unwrap_or_default(),
    }))
}

pub async fn job_retry(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    jobs::retry(&mut tx, ctx.dep(), id).await?;
    audit::append(&mut tx, ctx.dep(), &ctx.event("relance", "tache", id)).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/taches?message=relance").into_response())
}

/// Queues a verification of the audit chain now (it also runs every day).
pub async fn job_verify_audit(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    let id = jobs::enqueue(
        &mut tx,
        ctx.dep(),
        "audit.verifier",
        &serde_json::json!({}),
        3,
    )
    .await?;
    audit::append(&mut tx, ctx.dep(), &ctx.event("creation", "tache", id)).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/taches?message=relance").into_response())
}

#[derive(Template)]
#[template(path = "admin/jetons.html")]
pub struct TokensPage {
    pub l: Layout,
    pub tokens: Vec<tokens::ApiToken>,
    pub scopes: Vec<(String, String, bool)>,
    /// The open sites of the département: (id, name, chosen).
    pub sites: Vec<(i64, String, bool)>,
    /// The names of each token's sites, in the order of `tokens`.
    pub sites_of: Vec<String>,
    pub nom: String,
    pub error: Option<String>,
    pub secret: Option<String>,
}

impl TokensPage {
    /// The names of the sites of the token at this position of the list.
    pub fn sites_du<I: std::borrow::Borrow<usize>>(&self, i: I) -> &str {
        self.sites_of
            .get(*i.borrow())
            .map(String::as_str)
            .unwrap_or("")
    }
}

async fn tokens_page(
    state: &AppState,
    ctx: &Ctx,
    nom: String,
    chosen: Vec<String>,
    chosen_sites: Vec<i64>,
    error: Option<String>,
    secret: Option<String>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let list = tokens::list(&mut conn, ctx.dep()).await?;
    let all_sites = parcours_store::referentiel::sites(&mut conn, ctx.dep()).await?;
    let name = |id: &i64| {
        all_sites
            .iter()
            .find(|s| s.id == *id)
            .map(|s| s.nom.clone())
            .unwrap_or_else(|| format!("site n° {id}"))
    };
    let sites_of = list
        .iter()
        .map(|t| {
            if t.site_ids.is_empty() {
                "aucun".to_string()
            } else {
                t.site_ids.iter().map(&name).collect::<Vec<_>>().join(", ")
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = TokensPage {
        l: ctx.layout(),
        tokens: list,
        scopes: TOKEN_SCOPES
            .iter()
            .map(|(c, l)| (c.to_string(), l.to_string(), chosen.iter().any(|x| x == c)))
            .collect(),
        sites: all_sites
            .iter()
            .filter(|s| s.ferme_le.is_none())
            .map(|s| (s.id, s.nom.clone(), chosen_sites.contains(&s.id)))
            .collect(),
        sites_of,
        nom,
        error,
        secret,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn tokens(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    tokens_page(&state, &ctx, String::new(), vec![], vec![], None, None).await
}

pub async fn token_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let nom = pairs
        .iter()
        .find(|(k, _)| k == "nom")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let scopes: Vec<String> = pairs
        .iter()
        .filter(|(k, v)| k == "portee" && TOKEN_SCOPES.iter().any(|(c, _)| c == v))
        .map(|(_, v)| v.clone())
        .collect();
    // The sites the service account may act on, chosen by name; an id of another département or a
    // closed site is dropped (the foreign key would refuse the former anyway).
    let open_sites: Vec<i64> = {
        let mut conn = state.store.read().await?;
        parcours_store::referentiel::sites(&mut conn, ctx.dep())
            .await?
            .into_iter()
            .filter(|s| s.ferme_le.is_none())
            .map(|s| s.id)
            .collect()
    };
    let mut site_ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "site")
        .filter_map(|(_, v)| v.parse().ok())
        .filter(|id| open_sites.contains(id))
        .collect();
    site_ids.sort_unstable();
    site_ids.dedup();
    if nom.is_empty() || nom.chars().count() > 80 {
        return tokens_page(
            &state,
            &ctx,
            nom,
            scopes,
            site_ids,
            Some("Donnez un nom au compte de service (80 caractères au plus).".into()),
            None,
        )
        .await;
    }
    if scopes.is_empty() {
        return tokens_page(
            &state,
            &ctx,
            nom,
            scopes,
            site_ids,
            Some("Choisissez au moins une portée.".into()),
            None,
        )
        .await;
    }
    let secret = format!("prc_{}", random_token());
    let mut tx = state.store.begin().await?;
    let id = tokens::create(
        &mut tx,
        ctx.dep(),
        &nom,
        &scopes,
        &site_ids,
        ctx.principal.agent_id.unwrap_or_default(),
        &secret,
    )
    .await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "jeton_api", id)
            .details(serde_json::json!({ "nom": nom, "portees": scopes, "sites": site_ids })),
    )
    .await?;
    tx.commit().await?;
    // The secret is shown once and never stored in clear.
    tokens_page(
        &state,
        &ctx,
        String::new(),
        vec![],
        vec![],
        None,
        Some(secret),
    )
    .await
}

pub async fn token_revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    tokens::revoke(&mut tx, ctx.dep(), id).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("revocation", "jeton_api", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/jetons?message=revoque").into_response())
}
