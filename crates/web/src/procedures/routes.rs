//! The routes of `procedures`, each with the action it performs (see `crate::routes`).

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
        r(
            M::GET,
            "/dossiers/{id}/procedures/nouvelle",
            DossiersEcrire,
            get(pages::nouvelle),
        ),
        r(
            M::POST,
            "/dossiers/{id}/procedures",
            DossiersEcrire,
            post(pages::ouvrir),
        ),
        r(
            M::GET,
            "/procedures/chiffres",
            EcheancesChiffres,
            get(pages::chiffres),
        ),
        r(
            M::GET,
            "/procedures/chiffres.csv",
            EcheancesChiffres,
            get(pages::chiffres_csv),
        ),
        r(
            M::GET,
            "/procedures/chiffres.xlsx",
            EcheancesChiffres,
            get(pages::chiffres_xlsx),
        ),
        r(M::GET, "/procedures/{id}", DossiersLire, get(pages::show)),
        r(
            M::POST,
            "/procedures/{id}/etapes",
            DossiersEcrire,
            post(pages::etape),
        ),
        r(
            M::POST,
            "/procedures/{id}/echeances/{echeance}/prolongation",
            DossiersEcrire,
            post(pages::prolonger),
        ),
        r(M::GET, "/echeances", EcheancesLire, get(pages::echeances)),
        r(
            M::GET,
            "/echeances/retards",
            EcheancesChiffres,
            get(pages::retards),
        ),
        r(
            M::GET,
            "/echeances/retards.csv",
            EcheancesChiffres,
            get(pages::retards_csv),
        ),
        r(
            M::GET,
            "/api/v1/dossiers/{id}/procedures",
            DossiersLire,
            get(api::lister),
        ),
        r(
            M::POST,
            "/api/v1/dossiers/{id}/procedures",
            DossiersEcrire,
            post(api::ouvrir),
        ),
        r(
            M::GET,
            "/api/v1/procedures/{id}",
            DossiersLire,
            get(api::lire),
        ),
        r(
            M::POST,
            "/api/v1/procedures/{id}/etapes",
            DossiersEcrire,
            post(api::etape),
        ),
        r(
            M::POST,
            "/api/v1/procedures/{id}/echeances/{echeance}/prolongation",
            DossiersEcrire,
            post(api::prolonger),
        ),
        r(
            M::GET,
            "/api/v1/echeances",
            EcheancesLire,
            get(api::echeances),
        ),
        r(
            M::GET,
            "/api/v1/echeances/retards",
            EcheancesChiffres,
            get(api::retards),
        ),
    ]
}
