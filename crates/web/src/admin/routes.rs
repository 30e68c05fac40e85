//! The routes of `admin`, each with the action it performs (see `crate::routes`).

use axum::http::Method;
use axum::routing::{get, post, MethodRouter};
use parcours_domain::habilitations::policy::Action;

use super::pages;
use crate::routes::{r, RouteDef};
use crate::AppState;

pub(crate) fn routes() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Action::*;
    use Method as M;
    vec![
        r(M::GET, "/admin/taches", TachesLire, get(pages::jobs)),
        r(
            M::POST,
            "/admin/taches/{id}/relancer",
            TachesGerer,
            post(pages::job_retry),
        ),
        r(
            M::POST,
            "/admin/taches/verifier-audit",
            TachesGerer,
            post(pages::job_verify_audit),
        ),
        r(M::GET, "/admin/jetons", JetonsGerer, get(pages::tokens)),
        r(
            M::POST,
            "/admin/jetons",
            JetonsGerer,
            post(pages::token_create),
        ),
        r(
            M::POST,
            "/admin/jetons/{id}/revoquer",
            JetonsGerer,
            post(pages::token_revoke),
        ),
    ]
}
