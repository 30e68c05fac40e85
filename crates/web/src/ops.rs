//! Operations and shell: health check, Prometheus metrics, the embedded static assets, the home page,
//! and the request counter.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::Ctx;
use crate::error::WebResult;
use crate::pages::{render, Layout};
use crate::AppState;

pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "ok",
        )
            .into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "base de données injoignable",
        )
            .into_response(),
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state
        .metrics
        .as_ref()
        .map(|h| h.render())
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// Counts requests by method and status, never by path (a path can carry an identifier).
pub async fn count_requests(req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    metrics::counter!("parcours_http_requetes_total", "methode" => method, "statut" => res.status().as_u16().to_string()).increment(1);
    metrics::histogram!("parcours_http_duree_secondes").record(started.elapsed().as_secs_f64());
    res
}

const CSS: &str = include_str!("../static/parcours.css");
const LOGO: &str = include_str!("../static/logo.svg");

pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

pub async fn logo(State(state): State<AppState>) -> Response {
    match &state.logo {
        Some(logo) => (
            [
                (header::CONTENT_TYPE, logo.0.clone()),
                (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
            ],
            logo.1.clone(),
        )
            .into_response(),
        None => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            LOGO,
        )
            .into_response(),
    }
}

#[derive(Template)]
#[template(path = "accueil.html")]
pub struct HomePage {
    pub l: Layout,
    pub name: String,
    /// The agent's due dates: late, and due within 7 days (social workers, cadres, central team).
    pub echeances: Option<(i64, i64)>,
    /// Late files by MDS and secteur (cadres, direction, central team): the escalation.
    pub retards: Vec<parcours_store::procedures::RetardsSecteur>,
}

/// Each role lands on its own work: the due dates of a social worker or of a cadre's MDS, and the
/// late files by secteur for those the escalation reaches. Counts only: no dossier is named here.
pub async fn home(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    use parcours_domain::habilitations::policy::{allows, Action};
    let today = parcours_store::clock().today();
    let echeances = if allows(&ctx.principal, Action::EcheancesLire) {
        match parcours_usecases::procedures::perimetre(&ctx.principal) {
            Ok(p) => {
                let mut conn = state.store.read().await?;
                Some(
                    parcours_store::procedures::compter(
                        &mut conn,
                        ctx.dep(),
                        &p,
                        today,
                        today + chrono::Duration::days(7),
                    )
                    .await?,
                )
            }
            Err(_) => None,
        }
    } else {
        None
    };
    let retards = if allows(&ctx.principal, Action::EcheancesChiffres) {
        parcours_usecases::procedures::retards(&state.store, &ctx.acteur()).await?
    } else {
        vec![]
    };
    Ok(render(&HomePage {
        name: ctx.principal.display_name.clone(),
        l: ctx.layout(),
        echeances,
        retards,
    }))
}
