//! The CRIP's pages: the figures of the informations préoccupantes (reference §1.6) with their
//! chart, definitions and exports. The IPs themselves are procedures of the child's dossier
//! (`crate::procedures`), recorded by the CRIP alone. The API serves the same figures as JSON.

pub mod api;
mod pages;

use axum::http::Method;
use axum::routing::{get, MethodRouter};
use parcours_domain::habilitations::policy::Action;

use crate::routes::{r, RouteDef};
use crate::AppState;

pub(crate) fn routes() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    vec![
        r(
            Method::GET,
            "/crip/chiffres",
            Action::CripChiffres,
            get(pages::chiffres),
        ),
        r(
            Method::GET,
            "/crip/chiffres.csv",
            Action::CripChiffres,
            get(pages::chiffres_csv),
        ),
        r(
            Method::GET,
            "/crip/chiffres.xlsx",
            Action::CripChiffres,
            get(pages::chiffres_xlsx),
        ),
        r(
            Method::GET,
            "/api/v1/crip/chiffres",
            Action::CripChiffres,
            get(api::chiffres),
        ),
    ]
}
