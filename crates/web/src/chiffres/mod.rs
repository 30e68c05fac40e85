//! « Chiffres de l'accueil » (seed 001 fiches 1 to 4): the figures of the desk and of appointments per
//! MDS and per month — contacts by typology, share answered at the desk, appui technique requests,
//! delay from request to appointment, no-show rate, appointments per agent — as a page with two
//! server-rendered SVG charts and their data tables, as CSV and XLSX files, and as JSON in `/api/v1`.
//! The figures are aggregates (no person is named; agents are, with their counts). Scope: the central
//! team sees every MDS, the desk, the social workers and the cadre the sites of their assignments
//! (`reaches_site`); another site answers 404. Each read is audited with its filter.
//!
//! This file holds the request (period, sites) and the computation that the page, the files and the
//! API share.

pub mod api;
pub mod exports;
pub mod graphes;
pub mod pages;
pub(crate) mod routes;
pub mod tableaux;

use std::collections::{BTreeMap, HashMap};

use parcours_domain::habilitations::policy::{allows, reaches_site, Action};
use parcours_domain::habilitations::Principal;
use parcours_store::chiffres::{self as store, Chiffres, Filtre, Mois};
use parcours_store::{audit, referentiel};
use utoipa::IntoParams;

use crate::error::WebResult;
use crate::AppState;

type Params = BTreeMap<String, String>;

/// Longest period of one request, in months.
const MOIS_MAX: u32 = 36;

/// The query string of every face: `mds` (a site id, empty for all the sites of one's scope), `du`
/// and `au` (`AAAA-MM`, by default the last twelve months up to the current one).
#[derive(serde::Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ChiffresQuery {
    /// Identifiant du site (MDS) ; vide : tous les sites de votre périmètre.
    pub mds: Option<String>,
    /// Premier mois, AAAA-MM (par défaut : onze mois avant le mois en cours).
    pub du: Option<String>,
    /// Dernier mois, AAAA-MM (par défaut : le mois en cours).
    pub au: Option<String>,
}

/// A request resolved against the principal's scope.
struct Demande {
    filtre: Filtre,
    /// The chosen site, `None` for all the sites of the scope.
    site: Option<i64>,
    /// Sites of the scope, `(id, name)`, sorted by name: the options and the rows per MDS.
    sites: Vec<(i64, String)>,
    /// Names of every site of the département (an appointment may be at a site closed since).
    noms: HashMap<i64, String>,
    erreurs: Vec<(&'static str, String)>,
    du_saisi: String,
    au_saisi: String,
}

impl Demande {
    fn nom(&self, site: i64) -> String {
        self.noms
            .get(&site)
            .cloned()
            .unwrap_or_else(|| format!("Site {site}"))
    }
    fn perimetre(&self) -> String {
        match self.site {
            Some(s) => self.nom(s),
            None if self.filtre.sites.is_none() => "Toutes les MDS du département".into(),
            None => "Toutes les MDS de votre périmètre".into(),
        }
    }
    fn periode(&self) -> String {
        let (du, au) = (self.filtre.du, self.filtre.au);
        if du == au {
            du.libelle_long()
        } else {
            format!("de {} à {}", du.libelle_long(), au.libelle_long())
        }
    }
    /// Sites shown in the tables per MDS: those of the scope, and any other that has data.
    fn sites_affiches(&self, ch: &Chiffres) -> Vec<(i64, String)> {
        let mut out: Vec<(i64, String)> = match self.site {
            Some(s) => vec![(s, self.nom(s))],
            None => self.sites.clone(),
        };
        for s in ch.par_site.keys() {
            if !out.iter().any(|(id, _)| id == s) {
                out.push((*s, self.nom(*s)));
            }
        }
        out
    }
}

/// Resolves the query: the site must be in the principal's scope (else `None`: 404), bad months are
/// reported and replaced by the default period.
async fn demande(
    state: &AppState,
    principal: &Principal,
    q: &ChiffresQuery,
) -> WebResult<Option<Demande>> {
    let mut conn = state.store.read().await?;
    let all = referentiel::sites(&mut conn, &principal.departement_id).await?;
    drop(conn);
    let noms: HashMap<i64, String> = all.iter().map(|s| (s.id, s.nom.clone())).collect();
    let mut sites: Vec<(i64, String)> = all
        .iter()
        .filter(|s| s.ferme_le.is_none() && reaches_site(principal, Some(s.id)))
        .map(|s| (s.id, s.nom.clone()))
        .collect();
    sites.sort_by(|a, b| a.1.cmp(&b.1));
    let central = reaches_site(principal, None);
    let site = match q.mds.as_deref().map(str::trim).unwrap_or("") {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(id) if noms.contains_key(&id) && reaches_site(principal, Some(id)) => Some(id),
            _ => return Ok(None),
        },
    };
    let maintenant = parcours_store::clock().maintenant();
    let courant = Mois::of(maintenant.date());
    let mut erreurs = vec![];
    let du_saisi = q.du.clone().unwrap_or_default();
    let au_saisi = q.au.clone().unwrap_or_default();
    let mut au = match au_saisi.trim() {
        "" => Some(courant),
        s => Mois::parse(s),
    };
    if au.is_none() {
        erreurs.push((
            "au",
            "Saisissez le dernier mois au format AAAA-MM, par exemple 2026-03.".to_string(),
        ));
    }
    let mut du = match du_saisi.trim() {
        "" => Some(au.unwrap_or(courant).avant(11)),
        s => Mois::parse(s),
    };
    if du.is_none() {
        erreurs.push((
            "du",
            "Saisissez le premier mois au format AAAA-MM, par exemple 2025-04.".to_string(),
        ));
    }
    if let (Some(d), Some(a)) = (du, au) {
        if d > a {
            erreurs.push((
                "du",
                "Le premier mois doit précéder le dernier mois de la période.".to_string(),
            ));
            (du, au) = (None, None);
        } else if d.jusqua(a) > MOIS_MAX {
            erreurs.push(("du", format!("La période compte {MOIS_MAX} mois au plus.")));
            (du, au) = (None, None);
        }
    }
    let (du, au) = match (du, au) {
        (Some(d), Some(a)) => (d, a),
        _ => (courant.avant(11), courant),
    };
    let perimetre = match site {
        Some(s) => Some(vec![s]),
        None if central => None,
        None => Some(principal.site_ids.clone()),
    };
    Ok(Some(Demande {
        filtre: Filtre {
            sites: perimetre,
            du,
            au,
            maintenant,
        },
        site,
        sites,
        noms,
        erreurs,
        du_saisi,
        au_saisi,
    }))
}

async fn calculer(
    state: &AppState,
    principal: &Principal,
    d: &Demande,
    event: parcours_domain::audit::AuditEvent,
    format: &str,
) -> WebResult<Chiffres> {
    let dep = principal.departement_id.as_str();
    let mut conn = state.store.read().await?;
    let mut ch = store::calculer(&mut conn, dep, &d.filtre).await?;
    drop(conn);
    if !allows(principal, Action::AccueilChiffresAgents) {
        // The direction reads the counts, never each agent's.
        ch.agents.clear();
    }
    // The counts per agent are staff data: the read is audited with its filter.
    let mut tx = state.store.begin().await?;
    audit::append(
        &mut tx,
        dep,
        &event.details(serde_json::json!({
            "format": format,
            "mds": d.site,
            "du": d.filtre.du.code(),
            "au": d.filtre.au.code(),
        })),
    )
    .await?;
    tx.commit()
        .await
        .map_err(parcours_store::StoreError::from)?;
    Ok(ch)
}
