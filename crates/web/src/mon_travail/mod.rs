//! The home page: each role lands on its own work (`usecases::mon_travail`) — the desk on today's
//! visitors, appointments and appui queue; a social worker on their day, their dossiers and what the
//! desk sent them; a cadre on the team's queue, who is on duty, the waiting time and what is late;
//! the central roles on their figures and registers.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use parcours_domain::agenda::heure;
use parcours_domain::echeancier::regle;
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::habilitations::Role;
use parcours_store::procedures::RetardsSecteur;

use crate::auth::Ctx;
use crate::dossiers::fr;
use crate::error::WebResult;
use crate::pages::{render, Layout};
use crate::AppState;

/// One appointment of the day.
pub struct Rdv {
    pub heure: String,
    pub personne_id: i64,
    pub personne: String,
    pub type_: String,
    pub lieu: String,
    pub agent: String,
    pub statut: String,
}

/// One dossier followed, with what is due next.
pub struct Suivi {
    pub id: i64,
    pub intitule: String,
    pub personne: String,
    /// (date, what is due, late)
    pub echeance: Option<(String, String, bool)>,
    pub action: Option<(String, String, bool)>,
}

/// One request of the desk waiting for a social worker.
pub struct Demande {
    pub heure: String,
    pub personne: String,
    pub motif: String,
    pub urgent: bool,
    pub statut: String,
    pub pris_par: String,
}

/// One contact of the day at the desk.
pub struct Passage {
    pub heure: String,
    pub personne: String,
    pub canal: String,
    pub reponse: String,
}

/// A link to a role's own work.
pub struct Lien {
    pub href: String,
    pub libelle: &'static str,
    pub aide: &'static str,
}

#[derive(Template)]
#[template(path = "mon_travail/accueil.html")]
pub struct HomePage {
    pub l: Layout,
    pub name: String,
    pub role: Role,
    pub jour: String,
    pub liens: Vec<Lien>,
    pub rendez_vous: Option<Vec<Rdv>>,
    pub rendez_vous_passes: usize,
    pub dossiers: Option<Vec<Suivi>>,
    pub appui: Option<Vec<Demande>>,
    pub contacts: Option<(Vec<Passage>, i64)>,
    pub de_garde: Vec<(String, String, String)>,
    pub delai_rdv: Option<String>,
    /// The agent's due dates: late, and due within 7 days (social workers, cadres, central team).
    pub echeances: Option<(i64, i64)>,
    /// Late files by MDS and secteur (cadres, direction, central team): the escalation.
    pub retards: Vec<RetardsSecteur>,
}

/// What a rule asks for, without the parenthesis that explains it.
fn quoi(regle_id: &str) -> String {
    regle(regle_id)
        .map(|r| r.effet.split(" (").next().unwrap_or(&r.effet).to_string())
        .unwrap_or_else(|| regle_id.to_string())
}

/// The links a role starts its work from; only what the role may open.
fn liens(ctx: &Ctx) -> Vec<Lien> {
    let pr = &ctx.principal;
    let mut out = vec![];
    let mut lien = |action: Action, href: String, libelle, aide| {
        if allows(pr, action) {
            out.push(Lien {
                href,
                libelle,
                aide,
            });
        }
    };
    match pr.role {
        Role::Accueil => {
            lien(
                Action::AccueilSaisir,
                "/accueil/contacts/nouveau".into(),
                "Enregistrer un contact",
                "Visite, appel, courrier ou courriel.",
            );
            lien(
                Action::RendezVousGerer,
                "/rendez-vous/nouveau".into(),
                "Prendre un rendez-vous",
                "Pour une personne, avec un travailleur social.",
            );
            lien(
                Action::PersonnesLire,
                "/personnes".into(),
                "Rechercher une personne",
                "Par nom, date de naissance ou téléphone.",
            );
        }
        Role::TravailleurSocial | Role::Cadre => {
            lien(
                Action::PersonnesLire,
                "/personnes".into(),
                "Rechercher une personne",
                "Par nom, date de naissance ou téléphone.",
            );
            if let Some(me) = pr.agent_id {
                lien(
                    Action::AgendaLire,
                    format!("/agenda/agents/{me}"),
                    "Mon agenda de la semaine",
                    "Plages, absences et rendez-vous.",
                );
            }
            lien(
                Action::EcheancesLire,
                "/echeances".into(),
                "Échéances légales",
                "Ce qui est dû cette semaine et ce qui est en retard.",
            );
            lien(
                Action::AidesInstruire,
                "/aides".into(),
                "Aides financières à décider",
                "Demandes en instruction, en commission ou ajournées de mes MDS.",
            );
            lien(
                Action::AidesPaiements,
                "/aides/paiements".into(),
                "Paiements d'aides à contrôler",
                "Ordres retenus par une règle d'anomalie, à libérer ou annuler.",
            );
        }
        Role::EquipeCentrale => {
            lien(
                Action::AidesPaiements,
                "/aides/paiements".into(),
                "Paiements d'aides à contrôler",
                "Ordres retenus par une règle d'anomalie, fichier comptable.",
            );
            lien(
                Action::EcheancesLire,
                "/echeances".into(),
                "Échéances de mon service",
                "Les délais légaux des procédures du service.",
            );
            lien(
                Action::CripChiffres,
                "/crip/chiffres".into(),
                "Chiffres de la CRIP",
                "Informations préoccupantes, délais et suites.",
            );
            lien(
                Action::PersonnesLire,
                "/personnes".into(),
                "Rechercher une personne",
                "Par nom, date de naissance ou téléphone.",
            );
        }
        Role::Direction => {
            lien(
                Action::AidesChiffres,
                "/aides/chiffres".into(),
                "Chiffres des aides financières",
                "Demandes, accords, montants et enveloppes par fonds et MDS.",
            );
            lien(
                Action::AccueilChiffres,
                "/accueil/chiffres".into(),
                "Chiffres de l'accueil",
                "Contacts, réponses, délais de rendez-vous, par MDS et par mois.",
            );
            lien(
                Action::EcheancesChiffres,
                "/echeances/retards".into(),
                "Retards par secteur",
                "Les dossiers en retard sur un délai légal, par MDS et secteur.",
            );
            lien(
                Action::EcheancesChiffres,
                "/procedures/chiffres".into(),
                "Chiffres des procédures",
                "RSA, MASP, prévention des expulsions.",
            );
            lien(
                Action::CripChiffres,
                "/crip/chiffres".into(),
                "Chiffres de la CRIP",
                "Informations préoccupantes, délais et suites.",
            );
        }
        Role::Dpo => {
            lien(
                Action::AuditLire,
                "/audit".into(),
                "Journal d'audit",
                "Qui a lu ou modifié quoi, quand et pourquoi.",
            );
            lien(
                Action::AccesMotivesLire,
                "/acces-motives".into(),
                "Accès motivés",
                "Les accès exceptionnels ouverts hors du périmètre, avec leur motif.",
            );
            lien(
                Action::RgpdRegistreLire,
                "/rgpd/demandes".into(),
                "Demandes de droits",
                "Les demandes des personnes et le respect des délais de réponse.",
            );
        }
        Role::Administrateur => {
            lien(
                Action::AgentsLire,
                "/agents".into(),
                "Agents",
                "Comptes, affectations, mots de passe.",
            );
            lien(
                Action::ReferentielLire,
                "/referentiel".into(),
                "Référentiel",
                "Territoires, sites, secteurs, communes.",
            );
            lien(
                Action::TachesLire,
                "/admin/taches".into(),
                "Tâches",
                "Envois, rappels et traitements programmés.",
            );
        }
    }
    out
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let maintenant = parcours_store::clock().maintenant();
    let today = maintenant.date();
    let travail =
        parcours_usecases::mon_travail::lire(&state.store, &ctx.acteur(), maintenant).await?;
    let echeances = if allows(&ctx.principal, Action::EcheancesLire) {
        match parcours_usecases::procedures::perimetre(&ctx.principal) {
            Ok(p) => {
                let mut conn = state.store.read().await?;
                Some(
                    parcours_store::procedures::compter(
                        &mut conn,
                        ctx.dep(),
                        &p,
                        today,
                        today + chrono::Duration::days(7),
                    )
                    .await?,
                )
            }
            Err(_) => None,
        }
    } else {
        None
    };
    let retards = if allows(&ctx.principal, Action::EcheancesChiffres) {
        parcours_usecases::procedures::retards(&state.store, &ctx.acteur()).await?
    } else {
        vec![]
    };
    let today_iso = today.format("%Y-%m-%d").to_string();
    let en_retard = |jour: &str| jour < today_iso.as_str();
    let rendez_vous = travail.rendez_vous.map(|l| {
        l.into_iter()
            .map(|r| Rdv {
                heure: format!(
                    "{} – {}",
                    heure::hm(heure::minutes(r.debut)),
                    heure::hm(heure::minutes(r.fin))
                ),
                personne_id: r.personne_id,
                personne: match &r.interprete {
                    Some(langue) => format!("{} (interprète : {langue})", r.personne),
                    None => r.personne.clone(),
                },
                type_: r.type_rdv.libelle().to_string(),
                lieu: r.lieu,
                agent: r.agent,
                statut: r.statut.libelle().to_string(),
            })
            .collect()
    });
    let dossiers = travail.dossiers.map(|l| {
        l.into_iter()
            .map(|d| Suivi {
                id: d.id,
                personne: d.personne.unwrap_or_default(),
                intitule: d.intitule,
                echeance: d.echeance.map(|(j, r)| (fr(&j), quoi(&r), en_retard(&j))),
                action: d.action.map(|(j, l)| (fr(&j), l, en_retard(&j))),
            })
            .collect()
    });
    let appui = travail.appui.map(|l| {
        l.into_iter()
            .map(|a| Demande {
                heure: if a.demande_le.date() == today {
                    heure::hm(heure::minutes(a.demande_le))
                } else {
                    format!(
                        "{} à {}",
                        a.demande_le.format("%d/%m"),
                        heure::hm(heure::minutes(a.demande_le))
                    )
                },
                personne: a.personne.unwrap_or_else(|| "Personne anonyme".into()),
                motif: a.motif.libelle().to_string(),
                urgent: a.urgent,
                statut: a.statut.libelle().to_string(),
                pris_par: a.pris_par.unwrap_or_default(),
            })
            .collect()
    });
    let contacts = travail.contacts.map(|(l, n)| {
        (
            l.into_iter()
                .map(|c| Passage {
                    heure: heure::hm(heure::minutes(c.moment)),
                    personne: c.personne.unwrap_or_else(|| "Personne anonyme".into()),
                    canal: c.canal.libelle().to_string(),
                    reponse: c.reponse.libelle().to_string(),
                })
                .collect(),
            n,
        )
    });
    let delai_rdv = travail.delai_rdv.map(|(n, moyenne)| match moyenne {
        Some(m) => format!(
            "{} jours en moyenne entre la demande et le rendez-vous ({n} rendez-vous pris ces 30 derniers jours)",
            format!("{m:.1}").replace('.', ",")
        ),
        None => "aucun rendez-vous pris ces 30 derniers jours".to_string(),
    });
    Ok(render(&HomePage {
        name: ctx.principal.display_name.clone(),
        role: ctx.principal.role,
        jour: heure::date_longue(today),
        liens: liens(&ctx),
        rendez_vous,
        rendez_vous_passes: travail.rendez_vous_passes,
        dossiers,
        appui,
        contacts,
        de_garde: travail
            .de_garde
            .into_iter()
            .map(|g| (g.site, g.role.libelle().to_string(), g.agent))
            .collect(),
        delai_rdv,
        l: ctx.layout(),
        echeances,
        retards,
    }))
}
