//! The shared pieces of the JSON API `/api/v1`: its OpenAPI 3.1 document, assembled from the
//! operations and types of every module (`<module>/api.rs`), the answers common to every operation,
//! errors as `application/problem+json`, and the paging query. Authenticated by API token (service
//! accounts) or session; every read of personal data and every write is audited.

use axum::response::{IntoResponse, Response};
use parcours_domain::referentiel::{
    Agent, AgentForm, Commune, Permanence, Secteur, Service, Site, Territoire,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::ApiError;
// Bare names for the référentiel and agents operations: utoipa tags an operation with the module path
// written in `paths(...)` unless its handler names a tag, and these have never had one. The other
// handlers name the tag they were published with, so that the document does not follow the code's
// layout.
use crate::agents::api::*;
use crate::referentiel::api::*;

#[derive(OpenApi)]
#[openapi(
    info(title = "Parcours — API v1", version = "1.0.0", description = "Référentiel, agents, personnes et dossiers d'un département. Authentification : `Authorization: Bearer <jeton>` (jetons créés par l'administrateur, avec portées). Erreurs : application/problem+json (RFC 9457), messages en français."),
    paths(territoires, territoire_create, crate::personnes::api::search, crate::personnes::api::get, crate::personnes::api::create, crate::dossiers::api::ecrits, crate::dossiers::api::ecrit_create, crate::personnes::api::foyer, crate::doublons::api::doublons_list, crate::doublons::api::fusion, crate::dossiers::api::dossier, crate::dossiers::api::document, crate::dossiers::api::plan_add, crate::dossiers::api::referent_set, crate::dossiers::api::document_add, crate::rgpd::api::consentements, crate::rgpd::api::consentement_add, crate::rgpd::api::demandes, crate::rgpd::api::demande_add, crate::rgpd::api::export, sites, secteurs, services, permanences, communes, commune_secteur, agents, agent, agent_create, crate::agenda::api::api_creneaux, crate::agenda::api::api_list, crate::agenda::api::api_get, crate::agenda::api::api_create, crate::agenda::api::api_statut, crate::chiffres::api::api, crate::agenda::api::api_deplacer, crate::accueil::api::api_list, crate::accueil::api::api_create, crate::appui::api::api_list, crate::appui::api::api_create, crate::appui::api::api_geste, crate::appui::api::api_tableau, crate::procedures::api::lister, crate::procedures::api::ouvrir, crate::procedures::api::lire, crate::procedures::api::etape, crate::procedures::api::prolonger, crate::procedures::api::echeances, crate::procedures::api::retards, crate::crip::api::chiffres, crate::aides::api::fonds, crate::aides::api::du_dossier, crate::aides::api::demander, crate::aides::api::lire, crate::aides::api::decider, crate::aides::api::paiements, crate::aides::api::examiner, crate::aides::api::chiffres, crate::aides::api::juger_recours, crate::aides::cartes::api_registre, crate::aides::cartes::api_lire, crate::aides::cartes::api_emettre, crate::aides::cartes::api_bloquer),
    components(schemas(crate::personnes::api::PersonneTrouvee, crate::personnes::api::FicheOut, crate::personnes::api::DossierOut, crate::personnes::api::PersonneInput, crate::personnes::api::MembreOut, crate::doublons::api::DoublonOut, crate::doublons::api::FusionInput, crate::dossiers::api::ReferentOut, crate::dossiers::api::ReferentInput, crate::dossiers::api::DocumentUpload, crate::rgpd::api::ConsentementOut, crate::rgpd::api::DemandeOut, crate::rgpd::api::DemandeInput, parcours_domain::rgpd::ConsentementForm, parcours_domain::dossiers::PlanForm, parcours_domain::personnes::Personne, parcours_domain::personnes::PersonneForm, parcours_domain::dossiers::EcritForm, Territoire, Site, Secteur, Service, Permanence, Commune, Agent, AgentForm, crate::referentiel::api::TerritoireInput, crate::referentiel::api::ResolutionOut, Problem, crate::referentiel::api::CommunesPage, crate::agents::api::AgentsPage, crate::agenda::api::CreneauOut, crate::agenda::api::RendezVousOut, crate::agenda::api::RendezVousPage, crate::agenda::api::StatutInput, crate::agenda::api::DeplacementInput, parcours_domain::agenda::RendezVousForm, crate::chiffres::api::ChiffresOut, crate::chiffres::api::IndicateursOut, crate::chiffres::api::MoisOut, crate::chiffres::api::SiteChiffresOut, crate::chiffres::api::MoisSiteOut, crate::chiffres::api::DelaiTypeOut, crate::chiffres::api::AgentMoisOut, crate::accueil::api::ContactOut, crate::accueil::api::ContactsPage, crate::accueil::api::ContactInput, crate::accueil::api::ContactCree, crate::appui::api::AppuiOut, crate::appui::api::AppuiInput, crate::appui::api::GesteInput, crate::appui::api::GardeOut, crate::procedures::api::ProcedureOut, crate::procedures::api::ProcedureInput, crate::procedures::api::EcheancesPage, crate::procedures::api::EcheanceListeeOut, crate::procedures::api::RetardOut, crate::procedures::EcheanceVue, crate::procedures::EtapeVue, parcours_domain::procedures::EtapeForm, parcours_domain::procedures::TypeProcedure, crate::crip::api::ChiffresIpOut, crate::crip::api::IndicateursIpOut, crate::crip::api::MoisIpOut, crate::aides::api::FondsOut, crate::aides::DemandeVue, crate::aides::OrdreVue, crate::aides::api::PaiementsOut, crate::aides::api::ExamenInput, crate::aides::api::ChiffreOut, parcours_domain::aides::demande::DemandeForm, parcours_domain::aides::demande::DecisionForm, parcours_domain::aides::demande::IssueRecoursForm, parcours_domain::aides::carte::CarteForm, crate::aides::cartes::CarteOut, crate::aides::cartes::CartesPage, crate::aides::cartes::CarteCree, crate::aides::cartes::BlocageInput)),
    modifiers(&BearerAuth, &ReponsesCommunes)
)]
pub struct ApiDoc;

struct BearerAuth;
impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "jeton",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "jeton",
            Vec::<String>::new(),
        )]);
    }
}

/// The answers given in front of every handler, declared once where they are produced: 401 and 403
/// by the policy check (`routes::enforce`), 400, 413, 415 and 422 by the `Json` extractor and the body
/// limit, 400 by the `Query` extractor, 404 by `ApiPath` for a malformed id. Answers that depend on the
/// handler (404 of a missing row, 409, 422 of a rule) stay in its `#[utoipa::path]`.
struct ReponsesCommunes;
impl utoipa::Modify for ReponsesCommunes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let query = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| p.parameter_in == ParameterIn::Query);
                let mut add = |status: &str, description: &str| {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem_response(description).into());
                };
                add("401", "Jeton absent, inconnu, expiré ou révoqué");
                add(
                    "403",
                    "Le rôle ou les portées du jeton ne permettent pas cette opération",
                );
                if query {
                    add("400", "Paramètre de l'adresse invalide (type, format ou paramètre obligatoire absent)");
                }
                if path.contains('{') {
                    add("404", "Identifiant de l'adresse invalide ou inconnu");
                }
                if op.request_body.is_some() {
                    add("400", "Corps JSON mal formé");
                    add("413", "Corps de la requête trop volumineux");
                    add("415", "Type de contenu non pris en charge");
                    add(
                        "422",
                        "Données invalides : le message nomme les champs fautifs",
                    );
                }
            }
        }
    }
}

fn problem_response(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The OpenAPI 3.1 document of the API, as served on `/api/v1/openapi.json` and printed by
/// `parcours openapi`.
pub fn document() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json()
}

/// Problem details (RFC 9457).
#[derive(Serialize, ToSchema)]
pub struct Problem {
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Messages per field, for invalid payloads.
    pub erreurs: Option<std::collections::BTreeMap<String, String>>,
}

pub async fn openapi() -> Response {
    match document() {
        Ok(body) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Err(e) => ApiError::from(crate::WebError::Internal(anyhow::Error::new(e))).into_response(),
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Texte recherché (nom, code INSEE, code postal)
    pub texte: Option<String>,
    /// Nombre d'éléments (1 à 500, 100 par défaut)
    pub limite: Option<i64>,
    pub decalage: Option<i64>,
}
