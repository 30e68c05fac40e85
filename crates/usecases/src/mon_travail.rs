//! What each role finds on landing (issue 16, « a home page per role »): the desk, today's visitors,
//! appointments and the appui queue of its sites; a social worker, their appointments of the day,
//! the dossiers they follow with what is due next, and the desk's requests waiting for them; a cadre,
//! the team's queue, who is on duty, the waiting time for an appointment. Every section is decided by
//! the one policy, and the persons it names are read under one audit entry.

use chrono::{Duration, NaiveDateTime};
use parcours_domain::accueil::appui::{RoleTableau, StatutAppui};
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::habilitations::Role;
use parcours_store::accueil::Contact;
use parcours_store::agenda::{RdvFilter, RendezVous};
use parcours_store::appui::Appui;
use parcours_store::dossiers::DossierSuivi;
use parcours_store::Store;

use crate::{Acteur, AuditedTx, Result};

/// At most this many rows per section: the full lists are one link away.
const LIGNES: i64 = 12;

/// Who is on duty at a site now.
#[derive(Debug, Clone)]
pub struct Garde {
    pub site: String,
    pub role: RoleTableau,
    pub agent: String,
}

/// The sections of a home page; `None` is a section the role does not have.
#[derive(Debug, Clone, Default)]
pub struct MonTravail {
    pub maintenant: Option<NaiveDateTime>,
    /// Today's appointments: the social worker's own, or those of the desk's or cadre's sites.
    pub rendez_vous: Option<Vec<RendezVous>>,
    /// For the desk and the cadre: today's appointments already over, left out of the list.
    pub rendez_vous_passes: usize,
    /// Open dossiers the agent follows as référent, the most pressing first.
    pub dossiers: Option<Vec<DossierSuivi>>,
    /// The desk's requests to a social worker not closed yet, on the agent's sites.
    pub appui: Option<Vec<Appui>>,
    /// Today's desk contacts of the agent's sites, latest first, and their number.
    pub contacts: Option<(Vec<Contact>, i64)>,
    pub de_garde: Vec<Garde>,
    /// Appointments booked in the last 30 days and their average delay in days (fiche 4).
    pub delai_rdv: Option<(i64, Option<f64>)>,
}

/// Reads the home page of the principal at `maintenant` (civil time of the département).
pub async fn lire(
    store_: &Store,
    acteur: &Acteur,
    maintenant: NaiveDateTime,
) -> Result<MonTravail> {
    let pr = &acteur.principal;
    let dep = acteur.dep();
    let today = maintenant.date();
    let mut out = MonTravail {
        maintenant: Some(maintenant),
        ..Default::default()
    };
    // Territorial roles work on their sites; the central roles have no desk, agenda or queue.
    let territorial = matches!(
        pr.role,
        Role::Accueil | Role::TravailleurSocial | Role::Cadre
    ) && pr.token_id.is_none();
    if !territorial {
        return Ok(out);
    }
    let sites = pr.site_ids.clone();
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let noms = parcours_store::referentiel::sites(tx.conn(), dep).await?;
    let nom_site = |id: i64| {
        noms.iter()
            .find(|s| s.id == id)
            .map(|s| s.nom.clone())
            .unwrap_or_default()
    };
    if allows(pr, Action::AgendaLire) {
        let filtre = RdvFilter {
            // A social worker's own day; the desk and the cadre see their sites'.
            agent_id: (pr.role == Role::TravailleurSocial)
                .then_some(pr.agent_id)
                .flatten(),
            sites: (pr.role != Role::TravailleurSocial).then(|| sites.clone()),
            du: Some(today),
            au: Some(today),
            ..Default::default()
        };
        let (mut rdv, _) = parcours_store::agenda::list(tx.conn(), dep, &filtre, 500, 0).await?;
        if pr.role != Role::TravailleurSocial {
            // A site's day counts dozens of appointments: the desk and the cadre need who is still
            // to come; the past ones are counted.
            let avant = rdv.len();
            rdv.retain(|r| r.fin >= maintenant);
            out.rendez_vous_passes = avant - rdv.len();
        }
        out.rendez_vous = Some(rdv);
    }
    if matches!(pr.role, Role::TravailleurSocial | Role::Cadre) && allows(pr, Action::DossiersLire)
    {
        if let Some(me) = pr.agent_id {
            let mut suivis =
                parcours_store::dossiers::suivis_par(tx.conn(), dep, me, LIGNES).await?;
            // A foyer's dossier is named after the foyer's demandeur, never by a number.
            for d in &mut suivis {
                if let (None, Some(f)) = (&d.personne, d.foyer_id) {
                    d.personne =
                        Some(parcours_store::personnes::foyer_nom(tx.conn(), dep, f).await?);
                }
            }
            out.dossiers = Some(suivis);
        }
    }
    if allows(pr, Action::AccueilLire) {
        let mut file = vec![];
        for s in &sites {
            file.extend(
                parcours_store::appui::file(tx.conn(), dep, *s, today)
                    .await?
                    .into_iter()
                    .filter(|a| {
                        matches!(a.statut, StatutAppui::EnAttente | StatutAppui::PrisEnCharge)
                    }),
            );
        }
        // The urgent ones first, then the oldest.
        file.sort_by_key(|a| (!a.urgent, a.demande_le));
        out.appui = Some(file);
        for s in &sites {
            for (role, _, agent) in
                parcours_store::appui::de_garde(tx.conn(), dep, *s, maintenant).await?
            {
                out.de_garde.push(Garde {
                    site: nom_site(*s),
                    role,
                    agent,
                });
            }
        }
    }
    if pr.role == Role::Accueil {
        let mut contacts = vec![];
        let mut total = 0;
        for s in &sites {
            let (c, n) =
                parcours_store::accueil::jour(tx.conn(), dep, *s, today, LIGNES, 0).await?;
            contacts.extend(c);
            total += n;
        }
        contacts.sort_by_key(|c| std::cmp::Reverse(c.moment));
        contacts.truncate(LIGNES as usize);
        out.contacts = Some((contacts, total));
    }
    if pr.role == Role::Cadre {
        let depuis =
            parcours_store::format_time(parcours_store::clock().now() - Duration::days(30));
        out.delai_rdv =
            Some(parcours_store::agenda::delai_moyen(tx.conn(), dep, Some(&sites), &depuis).await?);
    }
    let personnes: Vec<i64> = out
        .rendez_vous
        .iter()
        .flatten()
        .map(|r| r.personne_id)
        .chain(out.appui.iter().flatten().filter_map(|a| a.personne_id))
        .chain(
            out.contacts
                .iter()
                .flat_map(|(c, _)| c)
                .filter_map(|c| c.personne_id),
        )
        .collect();
    let dossiers: Vec<i64> = out.dossiers.iter().flatten().map(|d| d.id).collect();
    if personnes.is_empty() && dossiers.is_empty() {
        // Nothing personal was read: no entry, and the transaction wrote nothing.
        return Ok(out);
    }
    tx.commit(
        acteur
            .event(
                "lecture",
                "page_accueil",
                acteur.principal.agent_id.unwrap_or(0),
            )
            .purpose("page d'accueil : travail du jour")
            .details(serde_json::json!({ "personnes": personnes, "dossiers": dossiers })),
    )
    .await?;
    Ok(out)
}
