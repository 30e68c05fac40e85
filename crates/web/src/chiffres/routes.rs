//! The routes of `chiffres`, each with the action it performs (see `crate::routes`).

use axum::http::Method;
use axum::routing::{get, MethodRouter};
use parcours_domain::habilitations::policy::Action;

use super::{api, exports, pages};
use crate::routes::{r, RouteDef};
use crate::AppState;

pub(crate) fn routes() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Action::*;
    use Method as M;
    vec![
        // Figures of the desk and of appointments (seed 001 fiches 1 to 4)
        r(
            M::GET,
            "/accueil/chiffres",
            AccueilChiffres,
            get(pages::page),
        ),
        r(
            M::GET,
            "/accueil/chiffres.csv",
            AccueilChiffres,
            get(exports::csv),
        ),
        r(
            M::GET,
            "/accueil/chiffres.xlsx",
            AccueilChiffres,
            get(exports::xlsx),
        ),
        r(
            M::GET,
            "/api/v1/accueil/chiffres",
            AccueilChiffres,
            get(api::api),
        ),
    ]
}
