//! « Chiffres de l'accueil » (seed 001 fiches 1 to 4): the figures of the desk and of appointments per
//! MDS and per month — contacts by typology, share answered at the desk, appui technique requests,
//! delay from request to appointment, no-show rate, appointments per agent — as a page with two
//! server-rendered SVG charts and their data tables, as CSV and XLSX files, and as JSON in `/api/v1`.
//! The figures are aggregates (no person is named; agents are, with their counts). Scope: the central
//! team sees every MDS, the desk, the social workers and the cadre the sites of their assignments
//! (`reaches_site`); another site answers 404. Each read is audited with its filter.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use parcours_domain::accueil::Typologie;
use parcours_domain::export::cellule_csv;
use parcours_domain::habilitations::policy::reaches_site;
use parcours_domain::habilitations::Principal;
use parcours_store::chiffres::{self as store, Chiffres, Filtre, Ligne, Mois};
use parcours_store::{audit, referentiel};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{ApiCtx, Ctx};
use crate::error::{ApiError, ApiResult, Query, WebError, WebResult};
use crate::pages::{render, Field, Layout};
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
    dep: &str,
    d: &Demande,
    event: parcours_domain::audit::AuditEvent,
    format: &str,
) -> WebResult<Chiffres> {
    let mut conn = state.store.read().await?;
    let ch = store::calculer(&mut conn, dep, &d.filtre).await?;
    drop(conn);
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

// ---------------------------------------------------------------------------------------------------
// Tables: one description feeds the page, the CSV and the XLSX.

/// A cell of a table of figures.
#[derive(Debug, Clone)]
pub enum Cellule {
    Texte(String),
    Entier(i64),
    /// A share between 0 and 1.
    Part(Option<f64>),
    /// A number of days.
    Jours(Option<f64>),
}

fn fr_decimal(v: f64) -> String {
    format!("{v:.1}").replace('.', ",")
}

fn milliers(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

impl Cellule {
    /// As shown on the page.
    pub fn texte(&self) -> String {
        match self {
            Cellule::Texte(s) => s.clone(),
            Cellule::Entier(n) => milliers(*n),
            Cellule::Part(Some(p)) => format!("{}\u{a0}%", fr_decimal(p * 100.0)),
            Cellule::Jours(Some(j)) => fr_decimal(*j),
            Cellule::Part(None) | Cellule::Jours(None) => "—".into(),
        }
    }
    /// As written in the CSV (decimal comma, percentages as numbers, empty when undefined).
    fn csv(&self) -> String {
        match self {
            Cellule::Texte(s) => s.clone(),
            Cellule::Entier(n) => n.to_string(),
            Cellule::Part(Some(p)) => fr_decimal(p * 100.0),
            Cellule::Jours(Some(j)) => fr_decimal(*j),
            Cellule::Part(None) | Cellule::Jours(None) => String::new(),
        }
    }
    pub fn nombre(&self) -> bool {
        !matches!(self, Cellule::Texte(_))
    }
}

/// A table of figures: its caption, headers, and how many leading columns label the row.
pub struct Tableau {
    pub id: &'static str,
    pub titre: String,
    /// The XLSX sheet name (31 characters at most).
    pub feuille: &'static str,
    pub entetes: Vec<String>,
    pub lignes: Vec<Vec<Cellule>>,
    pub cles: usize,
}

const INDICATEURS: [&str; 10] = [
    "Contacts",
    "Réponses au guichet",
    "Part répondue au guichet (%)",
    "Demandes d'appui technique",
    "Rendez-vous",
    "Délai médian demande → rendez-vous (jours)",
    "Délai moyen demande → rendez-vous (jours)",
    "Rendez-vous échus avec statut",
    "Absents non excusés",
    "Taux d'absence (%)",
];

fn indicateurs(l: &Ligne) -> Vec<Cellule> {
    vec![
        Cellule::Entier(l.contacts),
        Cellule::Entier(l.au_guichet),
        Cellule::Part(l.part_au_guichet()),
        Cellule::Entier(l.appuis_techniques),
        Cellule::Entier(l.rendez_vous),
        Cellule::Jours(l.delais.mediane()),
        Cellule::Jours(l.delais.moyenne()),
        Cellule::Entier(l.rdv_echus),
        Cellule::Entier(l.absents),
        Cellule::Part(l.taux_absence()),
    ]
}

fn entetes(cles: &[&str], reste: &[&str]) -> Vec<String> {
    cles.iter().chain(reste).map(|s| s.to_string()).collect()
}

/// One row of indicators per key (month or MDS), then the period's total.
fn tableau_indicateurs<'a>(
    (id, titre, feuille, cle): (&'static str, &str, &'static str, &str),
    lignes: impl Iterator<Item = (String, &'a Ligne)>,
    (libelle_total, total): (&str, &'a Ligne),
) -> Tableau {
    let lignes: Vec<Vec<Cellule>> = lignes
        .chain(std::iter::once((libelle_total.to_string(), total)))
        .map(|(cle, l)| {
            let mut r = vec![Cellule::Texte(cle)];
            r.extend(indicateurs(l));
            r
        })
        .collect();
    Tableau {
        id,
        titre: titre.into(),
        feuille,
        entetes: entetes(&[cle], &INDICATEURS),
        lignes,
        cles: 1,
    }
}

fn tableau_mois(ch: &Chiffres) -> Tableau {
    tableau_indicateurs(
        ("par-mois", "Indicateurs par mois", "Par mois", "Mois"),
        ch.par_mois.iter().map(|(m, l)| (m.libelle_long(), l)),
        ("Ensemble de la période", &ch.total),
    )
}

fn tableau_sites(ch: &Chiffres, sites: &[(i64, String)]) -> Tableau {
    let vide = Ligne::default();
    tableau_indicateurs(
        (
            "par-mds",
            "Indicateurs par MDS sur la période",
            "Par MDS",
            "MDS",
        ),
        sites
            .iter()
            .map(|(id, nom)| (nom.clone(), ch.par_site.get(id).unwrap_or(&vide))),
        ("Ensemble", &ch.total),
    )
}

/// The tidy table of the exports: one row per month and MDS, typologies included.
fn tableau_detail(ch: &Chiffres, sites: &[(i64, String)]) -> Tableau {
    let vide = Ligne::default();
    let mut lignes = vec![];
    for m in &ch.mois {
        for (id, nom) in sites {
            let l = ch.ligne(*m, *id).unwrap_or(&vide);
            let mut r = vec![Cellule::Texte(m.code()), Cellule::Texte(nom.clone())];
            r.push(Cellule::Entier(l.contacts));
            r.extend(l.par_typologie.iter().map(|n| Cellule::Entier(*n)));
            r.extend(indicateurs(l).into_iter().skip(1));
            lignes.push(r);
        }
    }
    let mut h = vec!["Mois".to_string(), "MDS".into(), "Contacts".into()];
    h.extend(
        Typologie::ALL
            .iter()
            .map(|t| format!("Contacts : {}", t.libelle())),
    );
    h.extend(INDICATEURS.iter().skip(1).map(|s| s.to_string()));
    Tableau {
        id: "detail",
        titre: "Indicateurs par mois et par MDS".into(),
        feuille: "Par mois et MDS",
        entetes: h,
        lignes,
        cles: 2,
    }
}

fn tableau_typologies(ch: &Chiffres) -> Tableau {
    let mut lignes: Vec<Vec<Cellule>> = ch
        .par_mois
        .iter()
        .map(|(m, l)| {
            let mut r = vec![Cellule::Texte(m.libelle_long())];
            r.extend(l.par_typologie.iter().map(|n| Cellule::Entier(*n)));
            r.push(Cellule::Entier(l.contacts));
            r
        })
        .collect();
    let mut t = vec![Cellule::Texte("Ensemble".into())];
    t.extend(ch.total.par_typologie.iter().map(|n| Cellule::Entier(*n)));
    t.push(Cellule::Entier(ch.total.contacts));
    lignes.push(t);
    let mut h = vec!["Mois".to_string()];
    h.extend(Typologie::ALL.iter().map(|t| t.libelle().to_string()));
    h.push("Total".into());
    Tableau {
        id: "typologies",
        titre: "Contacts par nature de la demande et par mois".into(),
        feuille: "Contacts par nature",
        entetes: h,
        lignes,
        cles: 1,
    }
}

fn tableau_delais(ch: &Chiffres) -> Tableau {
    Tableau {
        id: "delais",
        titre: "Délai entre la demande et le rendez-vous, par nature de rendez-vous".into(),
        feuille: "Délais par nature",
        entetes: entetes(
            &["Nature du rendez-vous"],
            &["Rendez-vous", "Délai médian (jours)", "Délai moyen (jours)"],
        ),
        lignes: ch
            .delais_par_type
            .iter()
            .map(|(t, d)| {
                vec![
                    Cellule::Texte(t.libelle().into()),
                    Cellule::Entier(d.nombre()),
                    Cellule::Jours(d.mediane()),
                    Cellule::Jours(d.moyenne()),
                ]
            })
            .collect(),
        cles: 1,
    }
}

/// Appointments per agent: one column per month on the page.
fn tableau_agents(ch: &Chiffres, d: &Demande) -> Tableau {
    let mut h = vec!["MDS".to_string(), "Agent".into()];
    h.extend(ch.mois.iter().map(|m| m.libelle()));
    h.push("Total".into());
    Tableau {
        id: "agents",
        titre: "Rendez-vous par agent et par mois".into(),
        feuille: "Rendez-vous par agent",
        entetes: h,
        lignes: ch
            .agents
            .iter()
            .map(|a| {
                let mut r = vec![
                    Cellule::Texte(d.nom(a.site_id)),
                    Cellule::Texte(a.nom.clone()),
                ];
                r.extend(
                    ch.mois
                        .iter()
                        .map(|m| Cellule::Entier(a.par_mois.get(m).copied().unwrap_or(0))),
                );
                r.push(Cellule::Entier(a.total));
                r
            })
            .collect(),
        cles: 2,
    }
}

/// Appointments per agent in the exports: one row per month, MDS and agent.
fn tableau_agents_long(ch: &Chiffres, d: &Demande) -> Tableau {
    let mut lignes = vec![];
    for m in &ch.mois {
        for a in &ch.agents {
            if let Some(n) = a.par_mois.get(m) {
                lignes.push(vec![
                    Cellule::Texte(m.code()),
                    Cellule::Texte(d.nom(a.site_id)),
                    Cellule::Texte(a.nom.clone()),
                    Cellule::Entier(*n),
                ]);
            }
        }
    }
    Tableau {
        id: "agents",
        titre: "Rendez-vous par agent, par mois et par MDS".into(),
        feuille: "Rendez-vous par agent",
        entetes: entetes(&["Mois", "MDS", "Agent"], &["Rendez-vous"]),
        lignes,
        cles: 3,
    }
}

/// What each figure means, on the page and in the XLSX.
const DEFINITIONS: [(&str, &str); 7] = [
    (
        "Contacts",
        "Contacts enregistrés dans la main courante de l'accueil (visites, appels, courriers, courriels), au mois de leur date, au site de leur lieu (une permanence compte pour sa MDS).",
    ),
    (
        "Réponses au guichet",
        "Contacts dont la réponse a été donnée à l'accueil même : « information » ou « aide administrative ». Les autres réponses passent la main : orientation vers un partenaire, rendez-vous pris, urgence transmise, appui technique demandé.",
    ),
    (
        "Part répondue au guichet",
        "Réponses au guichet divisées par le nombre de contacts.",
    ),
    (
        "Demandes d'appui technique",
        "Contacts dont la réponse est « appui technique demandé » à un travailleur social (fiche action 3).",
    ),
    (
        "Rendez-vous",
        "Rendez-vous dont l'heure de début tombe dans le mois, annulés exclus, comptés au site du rendez-vous et à l'agent qui reçoit.",
    ),
    (
        "Délai demande → rendez-vous",
        "Nombre de jours entre la date de la demande et le jour du rendez-vous (annulés exclus) ; médiane et moyenne (fiche action 4).",
    ),
    (
        "Taux d'absence",
        "Rendez-vous notés « absent non excusé » divisés par les rendez-vous déjà passés qui portent un statut final (honoré, excusé ou absent non excusé) ; un rendez-vous passé encore « prévu » n'est pas compté.",
    ),
];

// ---------------------------------------------------------------------------------------------------
// Charts

/// Colours of the typologies (Paul Tol's « muted » scheme, distinguishable by colour-blind readers).
const COULEURS: [&str; 9] = [
    "#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77", "#cc6677", "#882255",
    "#aa4499",
];

pub struct Rect {
    pub x: String,
    pub y: String,
    pub largeur: String,
    pub hauteur: String,
    pub couleur: &'static str,
    pub titre: String,
}

pub struct Graduation {
    pub y: String,
    pub texte: String,
}

pub struct Etiquette {
    pub x: String,
    pub ligne1: String,
    pub ligne2: String,
}

pub struct Legende {
    pub x: usize,
    pub y: usize,
    pub couleur: &'static str,
    pub texte: String,
}

/// A bar chart (stacked when a month has several rects).
pub struct Graphe {
    pub largeur: usize,
    pub hauteur: usize,
    pub gauche: usize,
    pub droite: usize,
    pub bas: usize,
    pub rects: Vec<Rect>,
    pub graduations: Vec<Graduation>,
    pub mois: Vec<Etiquette>,
    pub legendes: Vec<Legende>,
    /// Value labels above the bars (x, y, text).
    pub valeurs: Vec<(String, String, String)>,
}

/// The smallest « round » number (1, 2, 2.5 or 5 × 10^k) at least `v`.
fn arrondi(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let e = 10f64.powf(v.log10().floor());
    for k in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if k * e >= v {
            return k * e;
        }
    }
    10.0 * e
}

const LARGEUR: usize = 760;
const GAUCHE: usize = 60;
const HAUT: usize = 16;

fn f1(v: f64) -> String {
    format!("{v:.1}")
}

fn cadre(hauteur_trace: usize, max: f64, texte: impl Fn(f64) -> String) -> Graphe {
    let droite = LARGEUR - 12;
    let bas = HAUT + hauteur_trace;
    let graduations = (0..=4)
        .map(|i| {
            let v = max * i as f64 / 4.0;
            Graduation {
                y: f1(bas as f64 - hauteur_trace as f64 * i as f64 / 4.0),
                texte: texte(v),
            }
        })
        .collect();
    Graphe {
        largeur: LARGEUR,
        hauteur: bas + 36,
        gauche: GAUCHE,
        droite,
        bas,
        rects: vec![],
        graduations,
        mois: vec![],
        legendes: vec![],
        valeurs: vec![],
    }
}

fn etiquettes(g: &mut Graphe, mois: &[Mois]) -> f64 {
    let pas = (g.droite - g.gauche) as f64 / mois.len().max(1) as f64;
    g.mois = mois
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let l = m.libelle();
            let (a, b) = l.split_once(' ').unwrap_or((&l, ""));
            Etiquette {
                x: f1(g.gauche as f64 + pas * (i as f64 + 0.5)),
                ligne1: a.to_string(),
                ligne2: b.to_string(),
            }
        })
        .collect();
    pas
}

/// Contacts per month, stacked by typology.
fn graphe_typologies(ch: &Chiffres) -> Graphe {
    let trace = 220;
    let max = arrondi(ch.par_mois.values().map(|l| l.contacts).max().unwrap_or(0) as f64);
    let mut g = cadre(trace, max, |v| milliers(v.round() as i64));
    let pas = etiquettes(&mut g, &ch.mois);
    let largeur = pas * 0.68;
    for (i, m) in ch.mois.iter().enumerate() {
        let Some(l) = ch.par_mois.get(m) else {
            continue;
        };
        let x = g.gauche as f64 + pas * i as f64 + (pas - largeur) / 2.0;
        let mut y = g.bas as f64;
        for (k, n) in l.par_typologie.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let h = *n as f64 / max * trace as f64;
            y -= h;
            g.rects.push(Rect {
                x: f1(x),
                y: f1(y),
                largeur: f1(largeur),
                hauteur: f1(h),
                couleur: COULEURS[k],
                titre: format!(
                    "{} — {} : {}",
                    m.libelle_long(),
                    Typologie::ALL[k].libelle(),
                    milliers(*n)
                ),
            });
        }
    }
    // The legend under the month labels, three columns.
    for (k, t) in Typologie::ALL.iter().enumerate() {
        g.legendes.push(Legende {
            x: g.gauche + (k % 3) * 230,
            y: g.hauteur + 8 + (k / 3) * 20,
            couleur: COULEURS[k],
            texte: t.libelle().to_string(),
        });
    }
    g.hauteur += 8 + 3 * 20;
    g
}

/// No-show rate per month.
fn graphe_absences(ch: &Chiffres) -> Graphe {
    let trace = 150;
    let max_taux = ch
        .par_mois
        .values()
        .filter_map(Ligne::taux_absence)
        .fold(0.0, f64::max);
    let max = arrondi((max_taux * 100.0).max(10.0)) / 100.0;
    let mut g = cadre(trace, max, |v| {
        format!("{}\u{a0}%", (v * 100.0).round() as i64)
    });
    let pas = etiquettes(&mut g, &ch.mois);
    let largeur = pas * 0.5;
    for (i, m) in ch.mois.iter().enumerate() {
        let Some(taux) = ch.par_mois.get(m).and_then(Ligne::taux_absence) else {
            continue;
        };
        let x = g.gauche as f64 + pas * i as f64 + (pas - largeur) / 2.0;
        let h = taux / max * trace as f64;
        let y = g.bas as f64 - h;
        let texte = Cellule::Part(Some(taux)).texte();
        g.rects.push(Rect {
            x: f1(x),
            y: f1(y),
            largeur: f1(largeur),
            hauteur: f1(h),
            couleur: "#0b5c7a",
            titre: format!("{} : {texte}", m.libelle_long()),
        });
        g.valeurs.push((f1(x + largeur / 2.0), f1(y - 4.0), texte));
    }
    g
}

// ---------------------------------------------------------------------------------------------------
// Page

#[derive(Template)]
#[template(path = "chiffres/page.html")]
pub struct Page {
    pub l: Layout,
    pub filtres: Vec<Field>,
    pub erreurs: Vec<String>,
    pub perimetre: String,
    pub periode: String,
    /// The filter applied, for the export forms.
    pub q_mds: String,
    pub q_du: String,
    pub q_au: String,
    pub cles: Vec<(&'static str, String, String)>,
    pub graphe: Graphe,
    pub graphe_absences: Graphe,
    pub tableaux: Vec<Tableau>,
    pub definitions: &'static [(&'static str, &'static str)],
}

fn cles(ch: &Chiffres) -> Vec<(&'static str, String, String)> {
    let t = &ch.total;
    vec![
        ("Contacts à l'accueil", milliers(t.contacts), String::new()),
        (
            "Répondus au guichet",
            Cellule::Part(t.part_au_guichet()).texte(),
            format!("{} contacts", milliers(t.au_guichet)),
        ),
        (
            "Demandes d'appui technique",
            milliers(t.appuis_techniques),
            String::new(),
        ),
        (
            "Délai médian demande → rendez-vous",
            t.delais
                .mediane()
                .map(|j| format!("{} j", fr_decimal(j)))
                .unwrap_or_else(|| "—".into()),
            t.delais
                .moyenne()
                .map(|j| format!("moyenne {} j", fr_decimal(j)))
                .unwrap_or_default(),
        ),
        (
            "Taux d'absence non excusée",
            Cellule::Part(t.taux_absence()).texte(),
            format!(
                "{} sur {} rendez-vous échus",
                milliers(t.absents),
                milliers(t.rdv_echus)
            ),
        ),
        ("Rendez-vous", milliers(t.rendez_vous), String::new()),
    ]
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ChiffresQuery>,
) -> WebResult<Response> {
    let d = demande(&state, &ctx.principal, &q)
        .await?
        .ok_or(WebError::NotFound)?;
    let ch = calculer(
        &state,
        ctx.dep(),
        &d,
        ctx.event(
            "lecture",
            "accueil_chiffres",
            d.site
                .map(|s| s.to_string())
                .unwrap_or_else(|| "toutes".into()),
        ),
        "page",
    )
    .await?;
    let sites = d.sites_affiches(&ch);
    let mut options = vec![(String::new(), toutes(reaches_site(&ctx.principal, None)))];
    options.extend(d.sites.iter().map(|(id, n)| (id.to_string(), n.clone())));
    let erreur = |k: &str| {
        d.erreurs
            .iter()
            .find(|(c, _)| *c == k)
            .map(|(_, m)| m.clone())
    };
    let mut f_du = Field::text("du", "Premier mois", &valeur_mois(&d.du_saisi, d.filtre.du))
        .hint("AAAA-MM, par exemple 2025-12");
    f_du.error = erreur("du");
    let mut f_au = Field::text("au", "Dernier mois", &valeur_mois(&d.au_saisi, d.filtre.au))
        .hint("AAAA-MM ; par défaut le mois en cours");
    f_au.error = erreur("au");
    let filtres = vec![
        Field::text(
            "mds",
            "MDS",
            &d.site.map(|s| s.to_string()).unwrap_or_default(),
        )
        .select(options),
        f_du,
        f_au,
    ];
    let page = Page {
        l: ctx.layout(),
        filtres,
        erreurs: d.erreurs.iter().map(|(_, m)| m.clone()).collect(),
        perimetre: d.perimetre(),
        periode: d.periode(),
        q_mds: d.site.map(|s| s.to_string()).unwrap_or_default(),
        q_du: d.filtre.du.code(),
        q_au: d.filtre.au.code(),
        cles: cles(&ch),
        graphe: graphe_typologies(&ch),
        graphe_absences: graphe_absences(&ch),
        tableaux: vec![
            tableau_typologies(&ch),
            tableau_mois(&ch),
            tableau_sites(&ch, &sites),
            tableau_delais(&ch),
            tableau_agents(&ch, &d),
        ],
        definitions: &DEFINITIONS,
    };
    let status = if d.erreurs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

/// The first option of the MDS filter.
fn toutes(central: bool) -> String {
    if central {
        "Toutes les MDS".into()
    } else {
        "Toutes mes MDS".into()
    }
}

/// What the month field shows: what was typed when it was wrong, the month used otherwise.
fn valeur_mois(saisi: &str, m: Mois) -> String {
    if !saisi.trim().is_empty() && Mois::parse(saisi).is_none() {
        saisi.to_string()
    } else {
        m.code()
    }
}

// ---------------------------------------------------------------------------------------------------
// Exports

fn nom_fichier(d: &Demande, ext: &str) -> String {
    format!(
        "chiffres-accueil-{}{}-{}.{ext}",
        d.site.map(|s| format!("mds{s}-")).unwrap_or_default(),
        d.filtre.du.code(),
        d.filtre.au.code()
    )
}

async fn export_demande(state: &AppState, ctx: &Ctx, q: &ChiffresQuery) -> WebResult<Demande> {
    let d = demande(state, &ctx.principal, q)
        .await?
        .ok_or(WebError::NotFound)?;
    if let Some((_, m)) = d.erreurs.first() {
        return Err(WebError::BadRequest(m.clone()));
    }
    Ok(d)
}

/// The CSV of the figures per month and MDS (`?tableau=agents`: appointments per agent), `;`-separated
/// with decimal commas and a byte-order mark, as a French spreadsheet opens it.
pub async fn csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ChiffresQuery>,
    Query(extra): Query<Params>,
) -> WebResult<Response> {
    let d = export_demande(&state, &ctx, &q).await?;
    let agents = extra.get("tableau").is_some_and(|t| t == "agents");
    let ch = calculer(
        &state,
        ctx.dep(),
        &d,
        ctx.event(
            "export",
            "accueil_chiffres",
            d.site
                .map(|s| s.to_string())
                .unwrap_or_else(|| "toutes".into()),
        ),
        "csv",
    )
    .await?;
    let t = if agents {
        tableau_agents_long(&ch, &d)
    } else {
        tableau_detail(&ch, &d.sites_affiches(&ch))
    };
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::from("\u{feff}".as_bytes()));
    let io = |e: csv::Error| WebError::Internal(e.into());
    w.write_record(t.entetes.iter().map(|h| cellule_csv(h).into_owned()))
        .map_err(io)?;
    for l in &t.lignes {
        w.write_record(l.iter().map(|c| match c {
            // Names typed by people (agents, motifs, sites) may start like a formula.
            Cellule::Texte(s) => cellule_csv(s).into_owned(),
            figure => figure.csv(),
        }))
        .map_err(io)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e.to_string())))?;
    let nom = if agents {
        nom_fichier(&d, "csv").replace("chiffres-accueil-", "rendez-vous-par-agent-")
    } else {
        nom_fichier(&d, "csv")
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{nom}\""),
            ),
        ],
        body,
    )
        .into_response())
}

fn classeur(tableaux: &[Tableau]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let gras = Format::new().set_bold().set_text_wrap();
    let part = Format::new().set_num_format("0.0%");
    let jours = Format::new().set_num_format("0.0");
    for t in tableaux {
        let ws = wb.add_worksheet();
        ws.set_name(t.feuille)?;
        for (c, h) in t.entetes.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &gras)?;
            ws.set_column_width(c as u16, if c < t.cles { 28 } else { 14 })?;
        }
        ws.set_row_height(0, 45)?;
        ws.set_freeze_panes(1, t.cles as u16)?;
        for (r, l) in t.lignes.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, v) in l.iter().enumerate() {
                let c = c as u16;
                match v {
                    Cellule::Texte(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    Cellule::Entier(n) => {
                        ws.write_number(r, c, *n as f64)?;
                    }
                    Cellule::Part(Some(p)) => {
                        ws.write_number_with_format(r, c, *p, &part)?;
                    }
                    Cellule::Jours(Some(j)) => {
                        ws.write_number_with_format(r, c, *j, &jours)?;
                    }
                    Cellule::Part(None) | Cellule::Jours(None) => {}
                }
            }
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("Définitions")?;
    ws.write_string_with_format(0, 0, "Indicateur", &gras)?;
    ws.write_string_with_format(0, 1, "Définition", &gras)?;
    ws.set_column_width(0, 32)?;
    ws.set_column_width(1, 120)?;
    for (i, (k, v)) in DEFINITIONS.iter().enumerate() {
        ws.write_string(i as u32 + 1, 0, *k)?;
        ws.write_string(i as u32 + 1, 1, *v)?;
    }
    wb.save_to_buffer()
}

/// The workbook: one sheet per table of the page (the tidy table per month and MDS first), and the
/// definitions.
pub async fn xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ChiffresQuery>,
) -> WebResult<Response> {
    let d = export_demande(&state, &ctx, &q).await?;
    let ch = calculer(
        &state,
        ctx.dep(),
        &d,
        ctx.event(
            "export",
            "accueil_chiffres",
            d.site
                .map(|s| s.to_string())
                .unwrap_or_else(|| "toutes".into()),
        ),
        "xlsx",
    )
    .await?;
    let sites = d.sites_affiches(&ch);
    let tableaux = [
        tableau_detail(&ch, &sites),
        tableau_mois(&ch),
        tableau_sites(&ch, &sites),
        tableau_typologies(&ch),
        tableau_delais(&ch),
        tableau_agents_long(&ch, &d),
    ];
    let body = classeur(&tableaux).map_err(|e| WebError::Internal(e.into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", nom_fichier(&d, "xlsx")),
            ),
        ],
        body,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------------
// API

/// Indicateurs d'un mois, d'une MDS, ou de leur ensemble (voir les définitions de la page
/// `/accueil/chiffres`).
#[derive(Serialize, ToSchema)]
pub struct IndicateursOut {
    pub contacts: i64,
    /// Contacts par nature de la demande (code de la typologie → nombre).
    pub contacts_par_typologie: BTreeMap<String, i64>,
    /// Contacts dont la réponse est « information » ou « aide administrative ».
    pub reponses_au_guichet: i64,
    /// reponses_au_guichet / contacts, entre 0 et 1 ; absent sans contact.
    pub part_au_guichet: Option<f64>,
    /// Contacts dont la réponse est « appui technique demandé ».
    pub appuis_techniques: i64,
    /// Rendez-vous commençant dans la période, annulés exclus.
    pub rendez_vous: i64,
    /// Jours entre la date de la demande et le jour du rendez-vous : médiane.
    pub delai_median_jours: Option<f64>,
    pub delai_moyen_jours: Option<f64>,
    /// Rendez-vous passés portant un statut final (honoré, excusé, absent non excusé).
    pub rendez_vous_echus: i64,
    pub absents_non_excuses: i64,
    /// absents_non_excuses / rendez_vous_echus, entre 0 et 1.
    pub taux_absence: Option<f64>,
}

impl From<&Ligne> for IndicateursOut {
    fn from(l: &Ligne) -> Self {
        Self {
            contacts: l.contacts,
            contacts_par_typologie: Typologie::ALL
                .iter()
                .zip(&l.par_typologie)
                .map(|(t, n)| (t.code().to_string(), *n))
                .collect(),
            reponses_au_guichet: l.au_guichet,
            part_au_guichet: l.part_au_guichet(),
            appuis_techniques: l.appuis_techniques,
            rendez_vous: l.rendez_vous,
            delai_median_jours: l.delais.mediane(),
            delai_moyen_jours: l.delais.moyenne(),
            rendez_vous_echus: l.rdv_echus,
            absents_non_excuses: l.absents,
            taux_absence: l.taux_absence(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MoisOut {
    /// AAAA-MM
    pub mois: String,
    pub indicateurs: IndicateursOut,
}

#[derive(Serialize, ToSchema)]
pub struct SiteChiffresOut {
    pub site_id: i64,
    pub site: String,
    pub indicateurs: IndicateursOut,
}

#[derive(Serialize, ToSchema)]
pub struct MoisSiteOut {
    /// AAAA-MM
    pub mois: String,
    pub site_id: i64,
    pub site: String,
    pub indicateurs: IndicateursOut,
}

#[derive(Serialize, ToSchema)]
pub struct DelaiTypeOut {
    /// premier_accueil, suivi, rsa, visite_domicile, telephonique
    pub r#type: String,
    pub libelle: String,
    pub rendez_vous: i64,
    pub delai_median_jours: Option<f64>,
    pub delai_moyen_jours: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct AgentMoisOut {
    /// AAAA-MM
    pub mois: String,
    pub site_id: i64,
    pub agent_id: i64,
    pub agent: String,
    pub rendez_vous: i64,
}

/// Les chiffres de l'accueil d'une période et d'un périmètre.
#[derive(Serialize, ToSchema)]
pub struct ChiffresOut {
    /// Premier mois, AAAA-MM.
    pub du: String,
    /// Dernier mois, AAAA-MM.
    pub au: String,
    /// La MDS choisie ; absent : toutes celles du périmètre.
    pub site_id: Option<i64>,
    pub total: IndicateursOut,
    pub par_mois: Vec<MoisOut>,
    pub par_site: Vec<SiteChiffresOut>,
    pub par_mois_et_site: Vec<MoisSiteOut>,
    pub delais_par_type: Vec<DelaiTypeOut>,
    pub rendez_vous_par_agent: Vec<AgentMoisOut>,
}

#[utoipa::path(get, operation_id = "chiffres_lire", path = "/api/v1/accueil/chiffres", params(ChiffresQuery), responses((status = 200, body = ChiffresOut), (status = 403, body = crate::api::Problem, content_type = "application/problem+json"), (status = 404, body = crate::api::Problem, content_type = "application/problem+json"), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<ChiffresQuery>,
) -> ApiResult<AxumJson<ChiffresOut>> {
    let d = demande(&state, &ctx.principal, &q).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "Ressource introuvable",
            "Aucune MDS de votre périmètre ne porte cet identifiant.",
        )
    })?;
    if !d.erreurs.is_empty() {
        let mut e = parcours_domain::FieldErrors::new();
        for (k, m) in &d.erreurs {
            e.add(k, m.clone());
        }
        return Err(ApiError::invalid(e));
    }
    let ch = calculer(
        &state,
        ctx.dep(),
        &d,
        ctx.event(
            "lecture",
            "accueil_chiffres",
            d.site
                .map(|s| s.to_string())
                .unwrap_or_else(|| "toutes".into()),
        ),
        "json",
    )
    .await?;
    let sites = d.sites_affiches(&ch);
    let vide = Ligne::default();
    Ok(AxumJson(ChiffresOut {
        du: d.filtre.du.code(),
        au: d.filtre.au.code(),
        site_id: d.site,
        total: (&ch.total).into(),
        par_mois: ch
            .par_mois
            .iter()
            .map(|(m, l)| MoisOut {
                mois: m.code(),
                indicateurs: l.into(),
            })
            .collect(),
        par_site: sites
            .iter()
            .map(|(id, nom)| SiteChiffresOut {
                site_id: *id,
                site: nom.clone(),
                indicateurs: ch.par_site.get(id).unwrap_or(&vide).into(),
            })
            .collect(),
        par_mois_et_site: ch
            .detail
            .iter()
            .map(|((m, s), l)| MoisSiteOut {
                mois: m.code(),
                site_id: *s,
                site: d.nom(*s),
                indicateurs: l.into(),
            })
            .collect(),
        delais_par_type: ch
            .delais_par_type
            .iter()
            .map(|(t, dl)| DelaiTypeOut {
                r#type: t.code().into(),
                libelle: t.libelle().into(),
                rendez_vous: dl.nombre(),
                delai_median_jours: dl.mediane(),
                delai_moyen_jours: dl.moyenne(),
            })
            .collect(),
        rendez_vous_par_agent: ch
            .mois
            .iter()
            .flat_map(|m| {
                ch.agents.iter().filter_map(move |a| {
                    a.par_mois.get(m).map(|n| AgentMoisOut {
                        mois: m.code(),
                        site_id: a.site_id,
                        agent_id: a.agent_id,
                        agent: a.nom.clone(),
                        rendez_vous: *n,
                    })
                })
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use parcours_domain::accueil::Reponse;

    #[test]
    fn the_desk_answers_are_information_and_administrative_help() {
        assert_eq!(
            store::REPONSES_AU_GUICHET,
            [Reponse::Information, Reponse::AideAdministrative]
        );
        assert!(DEFINITIONS[1].1.contains("information"));
    }

    #[test]
    fn numbers_are_written_the_french_way() {
        assert_eq!(milliers(1234567), "1\u{a0}234\u{a0}567");
        assert_eq!(Cellule::Part(Some(0.125)).texte(), "12,5\u{a0}%");
        assert_eq!(Cellule::Jours(Some(9.0)).csv(), "9,0");
        assert_eq!(Cellule::Part(None).csv(), "");
        assert_eq!(arrondi(430.0), 500.0);
        assert_eq!(arrondi(0.13 * 100.0), 20.0);
    }
}
