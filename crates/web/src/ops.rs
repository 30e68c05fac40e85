//! Operations and shell: health check, Prometheus metrics, the embedded static assets and the request
//! counter.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

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
const JS: &str = include_str!("../static/parcours.js");
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

/// The script every page loads: it only moves the focus to a form's error summary.
pub async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        JS,
    )
        .into_response()
}
