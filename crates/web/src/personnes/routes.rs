//! The routes of `personnes`, each with the action it performs (see `crate::routes`).

use axum::http::Method;
use axum::routing::{get, post, MethodRouter};
use parcours_domain::habilitations::policy::Action;

use super::{api, corrections, foyers, pages};
use crate::routes::{r, RouteDef};
use crate::AppState;

pub(crate) fn routes() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Action::*;
    use Method as M;
    vec![
        r(M::GET, "/personnes", PersonnesLire, get(pages::search)),
        r(
            M::GET,
            "/personnes/nouvelle",
            PersonnesGerer,
            get(pages::new_form),
        ),
        r(
            M::POST,
            "/personnes/nouvelle",
            PersonnesGerer,
            post(pages::create),
        ),
        r(M::GET, "/personnes/{id}", PersonnesLire, get(pages::fiche)),
        r(
            M::GET,
            "/personnes/{id}/modifier",
            PersonnesGerer,
            get(corrections::edit_form),
        ),
        r(
            M::POST,
            "/personnes/{id}/modifier",
            PersonnesGerer,
            post(corrections::edit),
        ),
        r(
            M::GET,
            "/personnes/{id}/adresse",
            PersonnesGerer,
            get(corrections::adresse_form),
        ),
        r(
            M::POST,
            "/personnes/{id}/adresse",
            PersonnesGerer,
            post(corrections::adresse),
        ),
        r(
            M::GET,
            "/personnes/{id}/deces",
            PersonnesGerer,
            get(corrections::deces_form),
        ),
        r(
            M::POST,
            "/personnes/{id}/deces",
            PersonnesGerer,
            post(corrections::deces),
        ),
        r(
            M::GET,
            "/personnes/{id}/situation",
            PersonnesGerer,
            get(corrections::situation_form),
        ),
        r(
            M::POST,
            "/personnes/{id}/situation",
            PersonnesGerer,
            post(corrections::situation),
        ),
        r(
            M::POST,
            "/personnes/{id}/foyer",
            PersonnesGerer,
            post(foyers::foyer_create),
        ),
        r(M::GET, "/foyers/{id}", PersonnesLire, get(foyers::foyer)),
        r(
            M::POST,
            "/foyers/{id}/membres",
            PersonnesGerer,
            post(foyers::membre_add),
        ),
        r(
            M::POST,
            "/foyers/{id}/membres/{membre}/depart",
            PersonnesGerer,
            post(foyers::membre_depart),
        ),
        r(M::GET, "/api/v1/personnes", PersonnesLire, get(api::search)),
        r(
            M::POST,
            "/api/v1/personnes",
            PersonnesGerer,
            post(api::create),
        ),
        r(
            M::GET,
            "/api/v1/personnes/{id}",
            PersonnesLire,
            get(api::get),
        ),
        r(
            M::GET,
            "/api/v1/foyers/{id}",
            PersonnesLire,
            get(api::foyer),
        ),
    ]
}
