//! The tables of the figures: one description feeds the page, the CSV and the XLSX.

use parcours_domain::accueil::Typologie;
use parcours_store::chiffres::{Chiffres, Ligne};

use super::Demande;

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

pub(super) fn fr_decimal(v: f64) -> String {
    format!("{v:.1}").replace('.', ",")
}

pub(super) fn milliers(n: i64) -> String {
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
    pub(super) fn csv(&self) -> String {
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

pub(super) fn tableau_mois(ch: &Chiffres) -> Tableau {
    tableau_indicateurs(
        ("par-mois", "Indicateurs par mois", "Par mois", "Mois"),
        ch.par_mois.iter().map(|(m, l)| (m.libelle_long(), l)),
        ("Ensemble de la période", &ch.total),
    )
}

pub(super) fn tableau_sites(ch: &Chiffres, sites: &[(i64, String)]) -> Tableau {
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
pub(super) fn tableau_detail(ch: &Chiffres, sites: &[(i64, String)]) -> Tableau {
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

pub(super) fn tableau_typologies(ch: &Chiffres) -> Tableau {
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

pub(super) fn tableau_delais(ch: &Chiffres) -> Tableau {
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
pub(super) fn tableau_agents(ch: &Chiffres, d: &Demande) -> Tableau {
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
pub(super) fn tableau_agents_long(ch: &Chiffres, d: &Demande) -> Tableau {
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
pub(super) const DEFINITIONS: [(&str, &str); 7] = [
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chiffres::graphes::arrondi;
    use parcours_domain::accueil::Reponse;
    use parcours_store::chiffres as store;

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
