//! The routes of `referentiel`, each with the action it performs (see `crate::routes`).

use axum::http::Method;
use axum::routing::{get, post, MethodRouter};
use parcours_domain::habilitations::policy::Action;

use super::{api, crud, pages};
use crate::routes::{r, RouteDef};
use crate::AppState;

pub(crate) fn routes() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Action::*;
    use Method as M;
    vec![
        r(M::GET, "/referentiel", ReferentielLire, get(pages::index)),
        r(
            M::GET,
            "/referentiel/communes",
            ReferentielLire,
            get(pages::communes),
        ),
        r(
            M::GET,
            "/referentiel/communes/{insee}",
            ReferentielLire,
            get(pages::commune),
        ),
        r(
            M::POST,
            "/referentiel/communes/{insee}",
            ReferentielGerer,
            post(pages::commune_save),
        ),
        r(
            M::GET,
            "/referentiel/resolution",
            ReferentielLire,
            get(pages::resolution),
        ),
        r(
            M::GET,
            "/referentiel/import",
            ReferentielGerer,
            get(pages::import_form),
        ),
        r(
            M::POST,
            "/referentiel/import",
            ReferentielGerer,
            post(pages::import_upload),
        ),
        r(
            M::GET,
            "/referentiel/import/{id}",
            ReferentielGerer,
            get(pages::import_preview),
        ),
        r(
            M::POST,
            "/referentiel/import/{id}/appliquer",
            ReferentielGerer,
            post(pages::import_apply),
        ),
        r(
            M::POST,
            "/referentiel/import/{id}/abandonner",
            ReferentielGerer,
            post(pages::import_abandon),
        ),
        r(
            M::GET,
            "/referentiel/{entite}",
            ReferentielLire,
            get(crud::list),
        ),
        r(
            M::GET,
            "/referentiel/{entite}/nouveau",
            ReferentielGerer,
            get(crud::new_form),
        ),
        r(
            M::POST,
            "/referentiel/{entite}/nouveau",
            ReferentielGerer,
            post(crud::create),
        ),
        r(
            M::GET,
            "/referentiel/{entite}/{id}",
            ReferentielLire,
            get(crud::edit_form),
        ),
        r(
            M::POST,
            "/referentiel/{entite}/{id}",
            ReferentielGerer,
            post(crud::update),
        ),
        r(
            M::POST,
            "/referentiel/{entite}/{id}/fermer",
            ReferentielGerer,
            post(crud::close),
        ),
        r(
            M::POST,
            "/referentiel/{entite}/{id}/rouvrir",
            ReferentielGerer,
            post(crud::reopen),
        ),
        r(
            M::GET,
            "/api/v1/territoires",
            ReferentielLire,
            get(api::territoires),
        ),
        r(
            M::POST,
            "/api/v1/territoires",
            ReferentielGerer,
            post(api::territoire_create),
        ),
        r(M::GET, "/api/v1/sites", ReferentielLire, get(api::sites)),
        r(
            M::GET,
            "/api/v1/secteurs",
            ReferentielLire,
            get(api::secteurs),
        ),
        r(
            M::GET,
            "/api/v1/services",
            ReferentielLire,
            get(api::services),
        ),
        r(
            M::GET,
            "/api/v1/permanences",
            ReferentielLire,
            get(api::permanences),
        ),
        r(
            M::GET,
            "/api/v1/communes",
            ReferentielLire,
            get(api::communes),
        ),
        r(
            M::GET,
            "/api/v1/communes/{insee}/secteur",
            ReferentielLire,
            get(api::commune_secteur),
        ),
    ]
}
