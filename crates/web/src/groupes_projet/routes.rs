//! The routes of `groupes_projet`, each with the action it performs (see `crate::routes`).

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
        r(M::GET, "/groupes-projet", GroupesLire, get(pages::list)),
        r(
            M::GET,
            "/groupes-projet/nouveau",
            GroupesGerer,
            get(pages::new_form),
        ),
        r(
            M::POST,
            "/groupes-projet/nouveau",
            GroupesGerer,
            post(pages::create),
        ),
        r(
            M::GET,
            "/groupes-projet/{id}",
            GroupesLire,
            get(pages::detail),
        ),
        r(
            M::POST,
            "/groupes-projet/{id}/inscription",
            GroupesInscrire,
            post(pages::register),
        ),
        r(
            M::POST,
            "/groupes-projet/{id}/retrait",
            GroupesInscrire,
            post(pages::withdraw),
        ),
        r(
            M::POST,
            "/groupes-projet/{id}/import",
            GroupesGerer,
            post(pages::import),
        ),
        r(
            M::POST,
            "/groupes-projet/{id}/publier",
            GroupesGerer,
            post(pages::publish),
        ),
        r(
            M::POST,
            "/groupes-projet/{id}/tirer",
            GroupesGerer,
            post(pages::draw),
        ),
        r(
            M::GET,
            "/groupes-projet/{id}/verification",
            GroupesLire,
            get(pages::verify),
        ),
        r(
            M::GET,
            "/groupes-projet/{id}/fichiers/{nom}",
            GroupesLire,
            get(pages::file),
        ),
    ]
}
