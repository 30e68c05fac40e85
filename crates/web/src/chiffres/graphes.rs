//! The two server-rendered SVG charts of the figures page.

use parcours_domain::accueil::Typologie;
use parcours_store::chiffres::{Chiffres, Ligne, Mois};

use super::tableaux::{milliers, Cellule};

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
pub(super) fn arrondi(v: f64) -> f64 {
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
pub(super) fn graphe_typologies(ch: &Chiffres) -> Graphe {
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
pub(super) fn graphe_absences(ch: &Chiffres) -> Graphe {
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
