//! The routes of `audit`, each with the action it performs (see `crate::routes`).

use axum::http::Method;
use axum::routing::{get, MethodRouter};
use parcours_domain::habilitations::policy::Action;

use super::{consultations, pages};
use crate::routes::{r, RouteDef};
use crate::AppState;

pub(crate) fn routes() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Action::*;
    use Method as M;
    vec![
        // Who saw this dossier: the handler admits only its référents and the cadres of its teams.
        r(
            M::GET,
            "/dossiers/{id}/consultations",
            DossiersLire,
            get(consultations::page),
        ),
        r(M::GET, "/audit", AuditLire, get(pages::page)),
    ]
}
