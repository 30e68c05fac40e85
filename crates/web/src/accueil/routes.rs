//! The routes of `accueil`, each with the action it performs (see `crate::routes`).

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
        r(M::GET, "/static/accueil.js", Public, get(pages::js)),
        r(M::GET, "/accueil/contacts", AccueilLire, get(pages::list)),
        r(
            M::GET,
            "/accueil/contacts/nouveau",
            AccueilSaisir,
            get(pages::new_form),
        ),
        r(
            M::POST,
            "/accueil/contacts/nouveau",
            AccueilSaisir,
            post(pages::create),
        ),
        r(
            M::GET,
            "/accueil/motifs",
            ReferentielGerer,
            get(pages::motifs),
        ),
        r(
            M::POST,
            "/accueil/motifs",
            ReferentielGerer,
            post(pages::motif_create),
        ),
        r(
            M::POST,
            "/accueil/motifs/{id}/{action}",
            ReferentielGerer,
            post(pages::motif_actif),
        ),
        r(
            M::GET,
            "/api/v1/accueil/contacts",
            AccueilLire,
            get(api::api_list),
        ),
        r(
            M::POST,
            "/api/v1/accueil/contacts",
            AccueilSaisir,
            post(api::api_create),
        ),
    ]
}
