//! The routes of `appui`, each with the action it performs (see `crate::routes`).

use axum::http::Method;
use axum::routing::{get, post, MethodRouter};
use parcours_domain::habilitations::policy::Action;

use super::{api, pages};
use crate::routes::{r, RouteDef};
use crate::AppState;

pub(crate) fn routes() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Action::*;
    use Method as M;
    vec![
        r(M::GET, "/accueil/appui", AccueilLire, get(pages::page)),
        r(
            M::POST,
            "/accueil/appui",
            AccueilSaisir,
            post(pages::create),
        ),
        r(
            M::POST,
            "/accueil/appui/{id}/prendre",
            AppuiPrendre,
            post(pages::prendre),
        ),
        r(
            M::POST,
            "/accueil/appui/{id}/clore",
            AppuiPrendre,
            post(pages::clore),
        ),
        r(
            M::POST,
            "/accueil/appui/{id}/annuler",
            AccueilSaisir,
            post(pages::annuler),
        ),
        r(M::GET, "/accueil/tableau", AccueilLire, get(pages::tableau)),
        r(
            M::POST,
            "/accueil/tableau",
            TableauPermanenceGerer,
            post(pages::tableau_save),
        ),
        r(
            M::GET,
            "/api/v1/accueil/appuis",
            AccueilLire,
            get(api::api_list),
        ),
        r(
            M::POST,
            "/api/v1/accueil/appuis",
            AccueilSaisir,
            post(api::api_create),
        ),
        r(
            M::POST,
            "/api/v1/accueil/appuis/{id}",
            AccueilSaisir,
            post(api::api_geste),
        ),
        r(
            M::GET,
            "/api/v1/accueil/tableau",
            AccueilLire,
            get(api::api_tableau),
        ),
    ]
}
