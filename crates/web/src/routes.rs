//! The route table: every route of Parcours with the action it performs. The router is built from
//! this table only, and every entry goes through the policy check, so a route cannot exist without a
//! rule; the route × role test walks the same table.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use parcours_domain::audit::AuditEvent;
use parcours_domain::habilitations::policy::{allows, Action};

use crate::auth::{login_redirect, Auth};
use crate::error::{ApiError, WebError};
use crate::{
    accueil, admin, agenda, agents, aides, api, appui, audit, auth, chiffres, crip, dossiers,
    doublons, groupes_projet, mon_travail, ops, personnes, procedures, referentiel, rgpd, AppState,
};

/// One route: method, path template (axum syntax) and the action it performs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDef {
    pub method: Method,
    pub path: &'static str,
    pub action: Action,
}

/// One entry of the table, as the modules' slices write it.
pub(crate) fn r(
    method: Method,
    path: &'static str,
    action: Action,
    handler: MethodRouter<AppState>,
) -> (RouteDef, MethodRouter<AppState>) {
    (
        RouteDef {
            method,
            path,
            action,
        },
        handler,
    )
}

/// Every route of the application: the shared ones (health, static files, sign-in, the OpenAPI
/// document) here, then each business module's slice (`<module>/routes.rs`).
pub fn table() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Action::*;
    use Method as M;
    let mut table = vec![
        r(M::GET, "/healthz", Public, get(ops::healthz)),
        r(M::GET, "/metrics", MetriquesLire, get(ops::metrics)),
        r(M::GET, "/static/parcours.css", Public, get(ops::css)),
        r(M::GET, "/static/parcours.js", Public, get(ops::js)),
        r(M::GET, "/static/logo", Public, get(ops::logo)),
        r(M::GET, "/connexion", Public, get(auth::login::login_page)),
        r(M::POST, "/connexion", Public, post(auth::login::login)),
        r(M::GET, "/auth/oidc/depart", Public, get(auth::oidc::start)),
        r(
            M::GET,
            "/auth/oidc/retour",
            Public,
            get(auth::oidc::callback),
        ),
        r(M::POST, "/deconnexion", Connecte, post(auth::login::logout)),
        r(M::GET, "/", Connecte, get(mon_travail::home)),
        r(M::GET, "/compte", Connecte, get(auth::login::account_page)),
        r(
            M::POST,
            "/compte/mot-de-passe",
            Connecte,
            post(auth::login::change_password),
        ),
        // API v1
        r(M::GET, "/api/v1/openapi.json", Public, get(api::openapi)),
    ];
    for slice in [
        referentiel::routes::routes(),
        agents::routes::routes(),
        groupes_projet::routes::routes(),
        personnes::routes::routes(),
        dossiers::routes::routes(),
        procedures::routes::routes(),
        aides::routes::routes(),
        crip::routes(),
        doublons::routes::routes(),
        accueil::routes::routes(),
        appui::routes::routes(),
        agenda::routes::routes(),
        chiffres::routes::routes(),
        rgpd::routes::routes(),
        audit::routes::routes(),
        admin::routes::routes(),
    ] {
        table.extend(slice);
    }
    table
}

/// Builds the router from the table, each route behind the policy check of its action.
pub fn build(state: AppState) -> Router {
    let mut by_path: std::collections::BTreeMap<&'static str, MethodRouter<AppState>> =
        Default::default();
    for (def, handler) in table() {
        let action = def.action;
        let guarded = handler.route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            move |State(state): State<AppState>, req: Request, next: Next| {
                enforce(state, action, req, next)
            },
        ));
        let entry = by_path.remove(def.path);
        by_path.insert(
            def.path,
            match entry {
                Some(existing) => existing.merge(guarded),
                None => guarded,
            },
        );
    }
    let mut router = Router::new();
    for (path, mr) in by_path {
        router = router.route(path, mr);
    }
    router.with_state(state)
}

/// The policy check in front of every handler: deny by default, refusals audited.
async fn enforce(state: AppState, action: Action, req: Request, next: Next) -> Response {
    if action == Action::Public {
        return next.run(req).await;
    }
    // A request with a bearer token is a program's (`/metrics` included): problem+json, no redirect.
    let api = req.uri().path().starts_with("/api/") || crate::auth::has_bearer(req.headers());
    let auth = req.extensions().get::<Auth>().cloned().unwrap_or_default();
    let Some(principal) = &auth.principal else {
        return if api {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "Authentification requise",
                "Présentez un jeton d'API (Authorization: Bearer …).",
            )
            .into_response()
        } else {
            login_redirect(req.uri().path(), auth.expired)
        };
    };
    if allows(principal, action) {
        // A refusal decided below the route (the record is outside the agent's scope) is recorded
        // too, unless the handler already wrote its own, more precise, entry.
        let (method, path) = (req.method().clone(), req.uri().path().to_string());
        let res = next.run(req).await;
        if res.status() == axum::http::StatusCode::FORBIDDEN
            && res
                .extensions()
                .get::<crate::error::RefusAudite>()
                .is_none()
        {
            record_refusal(&state, principal, &auth, method.as_str(), &path).await;
        }
        return res;
    }
    // The refusal is recorded: the DPO sees who tried what.
    record_refusal(
        &state,
        principal,
        &auth,
        req.method().as_str(),
        req.uri().path(),
    )
    .await;
    if api {
        ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "Accès refusé",
            "Votre rôle ou les droits du jeton ne permettent pas cette opération.",
        )
        .into_response()
    } else {
        WebError::Forbidden.into_response()
    }
}

pub async fn record_refusal(
    state: &AppState,
    p: &parcours_domain::habilitations::Principal,
    auth: &Auth,
    method: &str,
    path: &str,
) {
    if let Ok(mut tx) = state.store.begin().await {
        let event = AuditEvent::new("refus", "route", format!("{method} {path}"))
            .by(p.agent_id, p.token_id, auth.request_id.clone())
            .details(serde_json::json!({ "role": p.role.code() }));
        if parcours_store::audit::append(&mut tx, &p.departement_id, &event)
            .await
            .is_ok()
        {
            let _ = tx.commit().await;
        }
    }
}
