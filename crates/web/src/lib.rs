//! The HTTP face of Parcours: the axum router (HTML pages and the `/api/v1` JSON API), the
//! extractors and middleware that authenticate, authorise (through `parcours_domain::habilitations::
//! policy`), protect forms against CSRF and audit, and one folder per business module.

pub mod accueil;
pub mod admin;
pub mod agenda;
pub mod agents;
pub mod aides;
pub mod api;
pub mod appui;
pub mod audit;
pub mod auth;
pub mod chiffres;
pub mod choix;
pub mod crip;
pub mod dossiers;
pub mod doublons;
pub mod error;
pub mod groupes_projet;
pub mod mon_travail;
pub mod ops;
pub mod pages;
pub mod personnes;
pub mod procedures;
pub mod referentiel;
pub mod rgpd;
pub mod routes;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use parcours_config::Settings;
use parcours_store::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::WebError;

/// Shared handles of the web layer.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// Failed sign-ins per client (`PARCOURS_ECHECS_PAR_POSTE` within `PARCOURS_BLOCAGE_MINUTES`).
    pub login_failures: Arc<auth::client::FailureWindow>,
    /// Starts of an OpenID Connect sign-in per client: 20 a minute, a burst of 20.
    pub oidc_limiter: Arc<DefaultKeyedRateLimiter<String>>,
    pub oidc: Arc<auth::oidc::OidcClient>,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    pub logo: Option<Arc<(String, Vec<u8>)>>,
    /// The clock of every request (installed as the ambient clock by the outermost layer); a test
    /// sets it to move the whole application in time.
    pub clock: parcours_domain::temps::Clock,
}

impl AppState {
    /// The open sites a principal reaches, (id, name): the choices of every per-site page.
    pub async fn sites_atteints(
        &self,
        p: &parcours_domain::habilitations::Principal,
    ) -> Result<Vec<(i64, String)>, WebError> {
        let mut conn = self.store.read().await?;
        Ok(
            parcours_store::referentiel::sites(&mut conn, &p.departement_id)
                .await?
                .into_iter()
                .filter(|s| {
                    s.ferme_le.is_none()
                        && parcours_domain::habilitations::policy::reaches_site(p, Some(s.id))
                })
                .map(|s| (s.id, s.nom))
                .collect(),
        )
    }

    pub fn new(
        store: Store,
        settings: Settings,
        metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    ) -> anyhow::Result<Self> {
        let settings_zone = settings.fuseau;
        let quota = Quota::per_minute(NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN));
        let logo = match &settings.logo_path {
            Some(path) => {
                let bytes = std::fs::read(path)?;
                let mime = if path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
                {
                    "image/svg+xml"
                } else {
                    "image/png"
                };
                Some(Arc::new((mime.to_string(), bytes)))
            }
            None => None,
        };
        Ok(Self {
            store,
            oidc: Arc::new(auth::oidc::OidcClient::new(settings.oidc.clone())),
            login_failures: Arc::new(auth::client::FailureWindow::new(
                settings.lockout,
                settings.login_failures_per_client,
            )),
            settings: Arc::new(settings),
            oidc_limiter: Arc::new(RateLimiter::keyed(quota)),
            metrics,
            logo,
            clock: parcours_domain::temps::Clock::system(settings_zone),
        })
    }
}

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: every route of [`routes::table`], behind the cross-cutting layers.
pub fn router(state: AppState) -> Router {
    let limit = state.settings.max_body_bytes;
    // Forms post to Parcours only; the one exception is the redirect of « Se déconnecter » to the
    // OpenID provider's end_session endpoint (browsers apply form-action to a form's redirects).
    let form_action = match &state.settings.oidc {
        Some(o) => format!("'self' {}", o.issuer.origin().ascii_serialization()),
        None => "'self'".to_string(),
    };
    let clock = state.clock.clone();
    routes::build(state.clone())
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(state, auth::authenticate))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(CatchPanicLayer::custom(error::panic_page))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&format!("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action {form_action}")).unwrap_or(HeaderValue::from_static("default-src 'self'; form-action 'self'")),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(axum::middleware::from_fn(ops::count_requests))
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            // Only the method, the route template and the request id: never a query string, which could
            // carry a name typed in a search box.
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("requete", methode = %req.method(), id = %id)
        }))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID.clone(), MakeRequestUuid))
        // The request id is always the server's: a client-chosen one would land in the audit log.
        .layer(axum::middleware::map_request(|mut req: axum::extract::Request| async move { req.headers_mut().remove(&X_REQUEST_ID); req }))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(60)))
        // Outermost, so that the bare answers of the layers above (413 of the body limit, 408 of the
        // timeout, 405) are French too: problem+json for the API, a page otherwise.
        .layer(axum::middleware::from_fn(error::french_errors))
        // Outermost: everything the request does, the layers above included, reads this clock.
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            parcours_store::clock::with_clock(clock.clone(), next.run(req))
        }))
}
