//! The route table: every route of Parcours with the action it performs. The router is built from
//! this table only, and every entry goes through the policy check, so a route cannot exist without a
//! rule; the route × role test walks the same table.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use parcours_domain::audit::AuditEvent;
use parcours_domain::habilitations::policy::{allows, Action};

use crate::auth::{login_redirect, Auth};
use crate::error::{ApiError, WebError};
use crate::{
    accueil, admin, agenda, agents, api, api_personnes, appui, audit, auth, dossiers, doublons,
    groupes_projet, ops, personnes, referentiel, rgpd, AppState,
};

/// One route: method, path template (axum syntax) and the action it performs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDef {
    pub method: Method,
    pub path: &'static str,
    pub action: Action,
}

fn r(
    method: Method,
    path: &'static str,
    action: Action,
    handler: MethodRouter<AppState>,
) -> (RouteDef, MethodRouter<AppState>) {
    (
        RouteDef {
            method,
            path,
            action,
        },
        handler,
    )
}

/// Every route of the application.
pub fn table() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Action::*;
    use Method as M;
    vec![
        r(M::GET, "/healthz", Public, get(ops::healthz)),
        r(M::GET, "/metrics", MetriquesLire, get(ops::metrics)),
        r(M::GET, "/static/parcours.css", Public, get(ops::css)),
        r(M::GET, "/static/logo", Public, get(ops::logo)),
        r(M::GET, "/connexion", Public, get(auth::login::login_page)),
        r(M::POST, "/connexion", Public, post(auth::login::login)),
        r(M::GET, "/auth/oidc/depart", Public, get(auth::oidc::start)),
        r(
            M::GET,
            "/auth/oidc/retour",
            Public,
            get(auth::oidc::callback),
        ),
        r(M::POST, "/deconnexion", Connecte, post(auth::login::logout)),
        r(M::GET, "/", Connecte, get(ops::home)),
        r(M::GET, "/compte", Connecte, get(auth::login::account_page)),
        r(
            M::POST,
            "/compte/mot-de-passe",
            Connecte,
            post(auth::login::change_password),
        ),
        // Référentiel
        r(
            M::GET,
            "/referentiel",
            ReferentielLire,
            get(referentiel::index),
        ),
        r(
            M::GET,
            "/referentiel/communes",
            ReferentielLire,
            get(referentiel::communes),
        ),
        r(
            M::GET,
            "/referentiel/communes/{insee}",
            ReferentielLire,
            get(referentiel::commune),
        ),
        r(
            M::POST,
            "/referentiel/communes/{insee}",
            ReferentielGerer,
            post(referentiel::commune_save),
        ),
        r(
            M::GET,
            "/referentiel/resolution",
            ReferentielLire,
            get(referentiel::resolution),
        ),
        r(
            M::GET,
            "/referentiel/import",
            ReferentielGerer,
            get(referentiel::import_form),
        ),
        r(
            M::POST,
            "/referentiel/import",
            ReferentielGerer,
            post(referentiel::import_upload),
        ),
        r(
            M::GET,
            "/referentiel/import/{id}",
            ReferentielGerer,
            get(referentiel::import_preview),
        ),
        r(
            M::POST,
            "/referentiel/import/{id}/appliquer",
            ReferentielGerer,
            post(referentiel::import_apply),
        ),
        r(
            M::POST,
            "/referentiel/import/{id}/abandonner",
            ReferentielGerer,
            post(referentiel::import_abandon),
        ),
        r(
            M::GET,
            "/referentiel/{entite}",
            ReferentielLire,
            get(referentiel::crud::list),
        ),
        r(
            M::GET,
            "/referentiel/{entite}/nouveau",
            ReferentielGerer,
            get(referentiel::crud::new_form),
        ),
        r(
            M::POST,
            "/referentiel/{entite}/nouveau",
            ReferentielGerer,
            post(referentiel::crud::create),
        ),
        r(
            M::GET,
            "/referentiel/{entite}/{id}",
            ReferentielLire,
            get(referentiel::crud::edit_form),
        ),
        r(
            M::POST,
            "/referentiel/{entite}/{id}",
            ReferentielGerer,
            post(referentiel::crud::update),
        ),
        r(
            M::POST,
            "/referentiel/{entite}/{id}/fermer",
            ReferentielGerer,
            post(referentiel::crud::close),
        ),
        r(
            M::POST,
            "/referentiel/{entite}/{id}/rouvrir",
            ReferentielGerer,
            post(referentiel::crud::reopen),
        ),
        // Agents
        r(M::GET, "/agents", AgentsLire, get(agents::list)),
        r(
            M::GET,
            "/agents/nouveau",
            AgentsGerer,
            get(agents::new_form),
        ),
        r(
            M::POST,
            "/agents/nouveau",
            AgentsGerer,
            post(agents::create),
        ),
        r(M::GET, "/agents/{id}", AgentsLire, get(agents::edit_form)),
        r(M::POST, "/agents/{id}", AgentsGerer, post(agents::update)),
        r(
            M::POST,
            "/agents/{id}/fermer",
            AgentsGerer,
            post(agents::close),
        ),
        r(
            M::POST,
            "/agents/{id}/mot-de-passe",
            AgentsGerer,
            post(agents::set_password),
        ),
        // Groupes projet
        r(
            M::GET,
            "/groupes-projet",
            GroupesLire,
            get(groupes_projet::list),
        ),
        r(
            M::GET,
            "/groupes-projet/nouveau",
            GroupesGerer,
            get(groupes_projet::new_form),
        ),
        r(
            M::POST,
            "/groupes-projet/nouveau",
            GroupesGerer,
            post(groupes_projet::create),
        ),
        r(
            M::GET,
            "/groupes-projet/{id}",
            GroupesLire,
            get(groupes_projet::detail),
        ),
        r(
            M::POST,
            "/groupes-projet/{id}/inscription",
            GroupesInscrire,
            post(groupes_projet::register),
        ),
        r(
            M::POST,
            "/groupes-projet/{id}/retrait",
            GroupesInscrire,
            post(groupes_projet::withdraw),
        ),
        r(
            M::POST,
            "/groupes-projet/{id}/import",
            GroupesGerer,
            post(groupes_projet::import),
        ),
        r(
            M::POST,
            "/groupes-projet/{id}/publier",
            GroupesGerer,
            post(groupes_projet::publish),
        ),
        r(
            M::POST,
            "/groupes-projet/{id}/tirer",
            GroupesGerer,
            post(groupes_projet::draw),
        ),
        r(
            M::GET,
            "/groupes-projet/{id}/verification",
            GroupesLire,
            get(groupes_projet::verify),
        ),
        r(
            M::GET,
            "/groupes-projet/{id}/fichiers/{nom}",
            GroupesLire,
            get(groupes_projet::file),
        ),
        // Personnes, foyers, dossiers, doublons
        r(M::GET, "/personnes", PersonnesLire, get(personnes::search)),
        r(
            M::GET,
            "/personnes/nouvelle",
            PersonnesGerer,
            get(personnes::new_form),
        ),
        r(
            M::POST,
            "/personnes/nouvelle",
            PersonnesGerer,
            post(personnes::create),
        ),
        r(
            M::GET,
            "/personnes/{id}",
            PersonnesLire,
            get(personnes::fiche),
        ),
        r(
            M::GET,
            "/personnes/{id}/modifier",
            PersonnesGerer,
            get(personnes::edit_form),
        ),
        r(
            M::POST,
            "/personnes/{id}/modifier",
            PersonnesGerer,
            post(personnes::edit),
        ),
        r(
            M::GET,
            "/personnes/{id}/adresse",
            PersonnesGerer,
            get(personnes::adresse_form),
        ),
        r(
            M::POST,
            "/personnes/{id}/adresse",
            PersonnesGerer,
            post(personnes::adresse),
        ),
        r(
            M::GET,
            "/personnes/{id}/situation",
            PersonnesGerer,
            get(personnes::situation_form),
        ),
        r(
            M::POST,
            "/personnes/{id}/situation",
            PersonnesGerer,
            post(personnes::situation),
        ),
        r(
            M::POST,
            "/personnes/{id}/foyer",
            PersonnesGerer,
            post(personnes::foyer_create),
        ),
        r(M::GET, "/foyers/{id}", PersonnesLire, get(personnes::foyer)),
        r(
            M::POST,
            "/foyers/{id}/membres",
            PersonnesGerer,
            post(personnes::membre_add),
        ),
        r(
            M::POST,
            "/foyers/{id}/membres/{membre}/depart",
            PersonnesGerer,
            post(personnes::membre_depart),
        ),
        r(
            M::POST,
            "/personnes/{id}/dossiers",
            DossiersEcrire,
            post(dossiers::open),
        ),
        r(
            M::GET,
            "/personnes/{id}/acces-motive",
            AccesMotiveDemander,
            get(dossiers::acces_form),
        ),
        r(
            M::POST,
            "/personnes/{id}/acces-motive",
            AccesMotiveDemander,
            post(dossiers::acces_create),
        ),
        r(
            M::GET,
            "/acces-motives",
            AccesMotivesLire,
            get(dossiers::acces_list),
        ),
        r(M::GET, "/dossiers/{id}", DossiersLire, get(dossiers::show)),
        // Who saw this dossier: the handler admits only its référents and the cadres of its teams.
        r(
            M::GET,
            "/dossiers/{id}/consultations",
            DossiersLire,
            get(crate::consultations::page),
        ),
        r(
            M::POST,
            "/dossiers/{id}/ecrits",
            DossiersEcrire,
            post(dossiers::ecrit_add),
        ),
        r(
            M::GET,
            "/dossiers/{id}/ecrits/{ecrit}",
            DossiersLire,
            get(dossiers::ecrit_show),
        ),
        r(
            M::POST,
            "/dossiers/{id}/ecrits/{ecrit}/correction",
            DossiersEcrire,
            post(dossiers::ecrit_correct),
        ),
        r(
            M::POST,
            "/dossiers/{id}/documents",
            DossiersEcrire,
            post(dossiers::document_add).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        r(
            M::GET,
            "/dossiers/{id}/documents/{document}",
            DossiersLire,
            get(dossiers::document_get),
        ),
        r(
            M::POST,
            "/dossiers/{id}/referents",
            DossiersEcrire,
            post(dossiers::referent_set),
        ),
        r(
            M::POST,
            "/dossiers/{id}/plan",
            DossiersEcrire,
            post(dossiers::plan_add),
        ),
        r(
            M::POST,
            "/dossiers/{id}/plan/{item}/resultat",
            DossiersEcrire,
            post(dossiers::plan_resultat),
        ),
        r(
            M::POST,
            "/dossiers/{id}/cloture",
            DossiersEcrire,
            post(dossiers::close),
        ),
        r(M::GET, "/doublons", DoublonsGerer, get(doublons::list)),
        r(
            M::POST,
            "/doublons/analyse",
            DoublonsGerer,
            post(doublons::launch),
        ),
        r(
            M::GET,
            "/doublons/analyses/{id}",
            DoublonsGerer,
            get(doublons::analyse),
        ),
        r(
            M::GET,
            "/doublons/fusions",
            DoublonsGerer,
            get(doublons::fusions),
        ),
        r(
            M::POST,
            "/doublons/fusions/{id}/annulation",
            DoublonsGerer,
            post(doublons::undo),
        ),
        r(
            M::GET,
            "/doublons/{id}",
            DoublonsGerer,
            get(doublons::compare),
        ),
        r(
            M::POST,
            "/doublons/{id}/fusion",
            DoublonsGerer,
            post(doublons::merge),
        ),
        r(
            M::POST,
            "/doublons/{id}/distincts",
            DoublonsGerer,
            post(doublons::distinct),
        ),
        // Desk log (main courante de l'accueil)
        r(M::GET, "/static/accueil.js", Public, get(accueil::js)),
        r(M::GET, "/accueil/contacts", AccueilLire, get(accueil::list)),
        r(
            M::GET,
            "/accueil/contacts/nouveau",
            AccueilSaisir,
            get(accueil::new_form),
        ),
        r(
            M::POST,
            "/accueil/contacts/nouveau",
            AccueilSaisir,
            post(accueil::create),
        ),
        // Agendas and appointments
        r(
            M::GET,
            "/accueil/motifs",
            ReferentielGerer,
            get(accueil::motifs),
        ),
        r(
            M::POST,
            "/accueil/motifs",
            ReferentielGerer,
            post(accueil::motif_create),
        ),
        r(
            M::POST,
            "/accueil/motifs/{id}/{action}",
            ReferentielGerer,
            post(accueil::motif_actif),
        ),
        // Appui technique d'accueil and duty roster
        r(M::GET, "/accueil/appui", AccueilLire, get(appui::page)),
        r(
            M::POST,
            "/accueil/appui",
            AccueilSaisir,
            post(appui::create),
        ),
        r(
            M::POST,
            "/accueil/appui/{id}/prendre",
            AppuiPrendre,
            post(appui::prendre),
        ),
        r(
            M::POST,
            "/accueil/appui/{id}/clore",
            AppuiPrendre,
            post(appui::clore),
        ),
        r(
            M::POST,
            "/accueil/appui/{id}/annuler",
            AccueilSaisir,
            post(appui::annuler),
        ),
        r(M::GET, "/accueil/tableau", AccueilLire, get(appui::tableau)),
        r(
            M::POST,
            "/accueil/tableau",
            TableauPermanenceGerer,
            post(appui::tableau_save),
        ),
        r(
            M::GET,
            "/api/v1/accueil/contacts",
            AccueilLire,
            get(accueil::api_list),
        ),
        r(
            M::POST,
            "/api/v1/accueil/contacts",
            AccueilSaisir,
            post(accueil::api_create),
        ),
        r(
            M::GET,
            "/api/v1/accueil/appuis",
            AccueilLire,
            get(appui::api_list),
        ),
        r(
            M::POST,
            "/api/v1/accueil/appuis",
            AccueilSaisir,
            post(appui::api_create),
        ),
        r(
            M::POST,
            "/api/v1/accueil/appuis/{id}",
            AccueilSaisir,
            post(appui::api_geste),
        ),
        r(
            M::GET,
            "/api/v1/accueil/tableau",
            AccueilLire,
            get(appui::api_tableau),
        ),
        r(M::GET, "/agenda", AgendaLire, get(agenda::accueil)),
        r(M::GET, "/static/agenda.css", Public, get(agenda::css)),
        r(
            M::GET,
            "/agenda/ical/{jeton}",
            Public,
            get(agenda::ical_feed),
        ),
        r(M::GET, "/agenda/salles", AgendaLire, get(agenda::salles)),
        r(
            M::POST,
            "/agenda/salles",
            AgendaGerer,
            post(agenda::salle_create),
        ),
        r(
            M::GET,
            "/agenda/agents/{id}",
            AgendaLire,
            get(agenda::semaine),
        ),
        r(
            M::POST,
            "/agenda/agents/{id}/plages",
            AgendaGerer,
            post(agenda::plage_create),
        ),
        r(
            M::POST,
            "/agenda/agents/{id}/plages/{plage}/supprimer",
            AgendaGerer,
            post(agenda::plage_delete),
        ),
        r(
            M::POST,
            "/agenda/agents/{id}/absences",
            AgendaGerer,
            post(agenda::absence_create),
        ),
        r(
            M::POST,
            "/agenda/agents/{id}/absences/{absence}/supprimer",
            AgendaGerer,
            post(agenda::absence_delete),
        ),
        r(
            M::POST,
            "/agenda/agents/{id}/ical",
            AgendaGerer,
            post(agenda::ical_create),
        ),
        r(
            M::POST,
            "/agenda/agents/{id}/ical/revoquer",
            AgendaGerer,
            post(agenda::ical_revoke),
        ),
        r(M::GET, "/rendez-vous", AgendaLire, get(agenda::list)),
        r(
            M::GET,
            "/rendez-vous/nouveau",
            RendezVousGerer,
            get(agenda::new_form),
        ),
        r(
            M::POST,
            "/rendez-vous/nouveau",
            RendezVousGerer,
            post(agenda::create),
        ),
        r(
            M::GET,
            "/rendez-vous/attente",
            AgendaLire,
            get(agenda::attente),
        ),
        r(
            M::POST,
            "/rendez-vous/attente",
            RendezVousGerer,
            post(agenda::attente_create),
        ),
        r(
            M::POST,
            "/rendez-vous/attente/{id}/retirer",
            RendezVousGerer,
            post(agenda::attente_retirer),
        ),
        r(M::GET, "/rendez-vous/{id}", AgendaLire, get(agenda::detail)),
        r(
            M::POST,
            "/rendez-vous/{id}/statut",
            RendezVousGerer,
            post(agenda::set_statut),
        ),
        r(
            M::POST,
            "/rendez-vous/{id}/deplacer",
            RendezVousGerer,
            post(agenda::deplacer),
        ),
        r(
            M::POST,
            "/rendez-vous/{id}/proposer",
            RendezVousGerer,
            post(agenda::proposer),
        ),
        r(
            M::GET,
            "/actions-collectives",
            AgendaLire,
            get(agenda::sessions),
        ),
        r(
            M::POST,
            "/actions-collectives",
            AgendaGerer,
            post(agenda::session_create),
        ),
        r(
            M::GET,
            "/actions-collectives/{id}",
            AgendaLire,
            get(agenda::session),
        ),
        r(
            M::POST,
            "/actions-collectives/{id}/inscriptions",
            RendezVousGerer,
            post(agenda::session_register),
        ),
        // Figures of the desk and of appointments (seed 001 fiches 1 to 4)
        r(
            M::GET,
            "/accueil/chiffres",
            AccueilChiffres,
            get(crate::chiffres::page),
        ),
        r(
            M::GET,
            "/accueil/chiffres.csv",
            AccueilChiffres,
            get(crate::chiffres::csv),
        ),
        r(
            M::GET,
            "/accueil/chiffres.xlsx",
            AccueilChiffres,
            get(crate::chiffres::xlsx),
        ),
        r(
            M::GET,
            "/api/v1/accueil/chiffres",
            AccueilChiffres,
            get(crate::chiffres::api),
        ),
        r(
            M::GET,
            "/api/v1/creneaux",
            CreneauxLire,
            get(agenda::api_creneaux),
        ),
        r(
            M::GET,
            "/api/v1/rendez-vous",
            AgendaLire,
            get(agenda::api_list),
        ),
        r(
            M::POST,
            "/api/v1/rendez-vous",
            RendezVousGerer,
            post(agenda::api_create),
        ),
        r(
            M::GET,
            "/api/v1/rendez-vous/{id}",
            AgendaLire,
            get(agenda::api_get),
        ),
        r(
            M::POST,
            "/api/v1/rendez-vous/{id}/statut",
            RendezVousGerer,
            post(agenda::api_statut),
        ),
        r(
            M::POST,
            "/api/v1/rendez-vous/{id}/deplacement",
            RendezVousGerer,
            post(agenda::api_deplacer),
        ),
        r(M::GET, "/personnes/{id}/rgpd", RgpdGerer, get(rgpd::show)),
        r(
            M::POST,
            "/personnes/{id}/rgpd/consentements",
            RgpdGerer,
            post(rgpd::consentement),
        ),
        r(
            M::POST,
            "/personnes/{id}/rgpd/demandes",
            RgpdGerer,
            post(rgpd::demande),
        ),
        r(
            M::POST,
            "/personnes/{id}/rgpd/demandes/{demande}/{action}",
            RgpdGerer,
            post(rgpd::demande_action),
        ),
        r(
            M::GET,
            "/personnes/{id}/rgpd/export",
            RgpdGerer,
            get(rgpd::export),
        ),
        r(
            M::GET,
            "/rgpd/transmissions",
            RgpdGerer,
            get(rgpd::transmissions),
        ),
        r(
            M::POST,
            "/rgpd/transmissions/{id}/traitee",
            RgpdGerer,
            post(rgpd::transmission_traitee),
        ),
        r(
            M::GET,
            "/rgpd/conservation",
            RgpdGerer,
            get(rgpd::conservation),
        ),
        r(
            M::POST,
            "/rgpd/conservation/simulation",
            RgpdGerer,
            post(rgpd::simulation),
        ),
        r(
            M::GET,
            "/rgpd/conservation/{id}",
            RgpdGerer,
            get(rgpd::passe),
        ),
        r(
            M::POST,
            "/rgpd/conservation/{id}/application",
            RgpdGerer,
            post(rgpd::application),
        ),
        // Audit, jobs, tokens
        r(M::GET, "/audit", AuditLire, get(audit::page)),
        r(M::GET, "/admin/taches", TachesLire, get(admin::jobs)),
        r(
            M::POST,
            "/admin/taches/{id}/relancer",
            TachesGerer,
            post(admin::job_retry),
        ),
        r(
            M::POST,
            "/admin/taches/verifier-audit",
            TachesGerer,
            post(admin::job_verify_audit),
        ),
        r(M::GET, "/admin/jetons", JetonsGerer, get(admin::tokens)),
        r(
            M::POST,
            "/admin/jetons",
            JetonsGerer,
            post(admin::token_create),
        ),
        r(
            M::POST,
            "/admin/jetons/{id}/revoquer",
            JetonsGerer,
            post(admin::token_revoke),
        ),
        // API v1
        r(M::GET, "/api/v1/openapi.json", Public, get(api::openapi)),
        r(
            M::GET,
            "/api/v1/personnes",
            PersonnesLire,
            get(api_personnes::search),
        ),
        r(
            M::POST,
            "/api/v1/personnes",
            PersonnesGerer,
            post(api_personnes::create),
        ),
        r(
            M::GET,
            "/api/v1/personnes/{id}",
            PersonnesLire,
            get(api_personnes::get),
        ),
        r(
            M::GET,
            "/api/v1/personnes/{id}/consentements",
            RgpdGerer,
            get(api_personnes::consentements),
        ),
        r(
            M::POST,
            "/api/v1/personnes/{id}/consentements",
            RgpdGerer,
            post(api_personnes::consentement_add),
        ),
        r(
            M::GET,
            "/api/v1/personnes/{id}/demandes-rgpd",
            RgpdGerer,
            get(api_personnes::demandes),
        ),
        r(
            M::POST,
            "/api/v1/personnes/{id}/demandes-rgpd",
            RgpdGerer,
            post(api_personnes::demande_add),
        ),
        r(
            M::GET,
            "/api/v1/personnes/{id}/export",
            RgpdGerer,
            get(api_personnes::export),
        ),
        r(
            M::GET,
            "/api/v1/dossiers/{id}/ecrits",
            DossiersLire,
            get(api_personnes::ecrits),
        ),
        r(
            M::POST,
            "/api/v1/dossiers/{id}/ecrits",
            DossiersEcrire,
            post(api_personnes::ecrit_create),
        ),
        r(
            M::GET,
            "/api/v1/foyers/{id}",
            PersonnesLire,
            get(api_personnes::foyer),
        ),
        r(
            M::GET,
            "/api/v1/dossiers/{id}",
            DossiersLire,
            get(api_personnes::dossier),
        ),
        r(
            M::GET,
            "/api/v1/dossiers/{id}/documents/{document}",
            DossiersLire,
            get(api_personnes::document),
        ),
        r(
            M::POST,
            "/api/v1/dossiers/{id}/plan",
            DossiersEcrire,
            post(api_personnes::plan_add),
        ),
        r(
            M::POST,
            "/api/v1/dossiers/{id}/referents",
            DossiersEcrire,
            post(api_personnes::referent_set),
        ),
        r(
            M::POST,
            "/api/v1/dossiers/{id}/documents",
            DossiersEcrire,
            post(api_personnes::document_add).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        r(
            M::GET,
            "/api/v1/doublons",
            DoublonsGerer,
            get(api_personnes::doublons_list),
        ),
        r(
            M::POST,
            "/api/v1/doublons/{id}/fusion",
            DoublonsGerer,
            post(api_personnes::fusion),
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
        r(M::GET, "/api/v1/agents", AgentsLire, get(api::agents)),
        r(
            M::POST,
            "/api/v1/agents",
            AgentsGerer,
            post(api::agent_create),
        ),
        r(M::GET, "/api/v1/agents/{id}", AgentsLire, get(api::agent)),
    ]
}

/// Builds the router from the table, each route behind the policy check of its action.
pub fn build(state: AppState) -> Router {
    let mut by_path: std::collections::BTreeMap<&'static str, MethodRouter<AppState>> =
        Default::default();
    for (def, handler) in table() {
        let action = def.action;
        let guarded = handler.route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            move |State(state): State<AppState>, req: Request, next: Next| {
                enforce(state, action, req, next)
            },
        ));
        let entry = by_path.remove(def.path);
        by_path.insert(
            def.path,
            match entry {
                Some(existing) => existing.merge(guarded),
                None => guarded,
            },
        );
    }
    let mut router = Router::new();
    for (path, mr) in by_path {
        router = router.route(path, mr);
    }
    router.with_state(state)
}

/// The policy check in front of every handler: deny by default, refusals audited.
async fn enforce(state: AppState, action: Action, req: Request, next: Next) -> Response {
    if action == Action::Public {
        return next.run(req).await;
    }
    // A request with a bearer token is a program's (`/metrics` included): problem+json, no redirect.
    let api = req.uri().path().starts_with("/api/") || crate::auth::has_bearer(req.headers());
    let auth = req.extensions().get::<Auth>().cloned().unwrap_or_default();
    let Some(principal) = &auth.principal else {
        return if api {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "Authentification requise",
                "Présentez un jeton d'API (Authorization: Bearer …).",
            )
            .into_response()
        } else {
            login_redirect(req.uri().path(), auth.expired)
        };
    };
    if allows(principal, action) {
        // A refusal decided below the route (the record is outside the agent's scope) is recorded
        // too, unless the handler already wrote its own, more precise, entry.
        let (method, path) = (req.method().clone(), req.uri().path().to_string());
        let res = next.run(req).await;
        if res.status() == axum::http::StatusCode::FORBIDDEN
            && res
                .extensions()
                .get::<crate::error::RefusAudite>()
                .is_none()
        {
            record_refusal(&state, principal, &auth, method.as_str(), &path).await;
        }
        return res;
    }
    // The refusal is recorded: the DPO sees who tried what.
    record_refusal(
        &state,
        principal,
        &auth,
        req.method().as_str(),
        req.uri().path(),
    )
    .await;
    if api {
        ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "Accès refusé",
            "Votre rôle ou les droits du jeton ne permettent pas cette opération.",
        )
        .into_response()
    } else {
        WebError::Forbidden.into_response()
    }
}

pub async fn record_refusal(
    state: &AppState,
    p: &parcours_domain::habilitations::Principal,
    auth: &Auth,
    method: &str,
    path: &str,
) {
    if let Ok(mut tx) = state.store.begin().await {
        let event = AuditEvent::new("refus", "route", format!("{method} {path}"))
            .by(p.agent_id, p.token_id, auth.request_id.clone())
            .details(serde_json::json!({ "role": p.role.code() }));
        if parcours_store::audit::append(&mut tx, &p.departement_id, &event)
            .await
            .is_ok()
        {
            let _ = tx.commit().await;
        }
    }
}
