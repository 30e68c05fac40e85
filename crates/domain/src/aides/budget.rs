//! The household budget: resources and charges with their monthly amounts, debts with what remains
//! owed, the consumption units of the household (modified OECD scale, as INSEE uses it) and the reste
//! à vivre they give, with the steps of the computation in words so that the person and the
//! commission can follow it. A budget is dated and never overwritten: a new one is a new record.

use serde::{Deserialize, Serialize};

use super::Centimes;
use crate::FieldErrors;

/// The days of a month in the reste à vivre per day: the usual convention of the règlements
/// d'aide sociale (a month of 30 days), so that the same budget gives the same figure in February.
pub const JOURS_PAR_MOIS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Categorie {
    Ressource,
    Charge,
    /// A debt: its monthly repayment is a charge, what remains owed is shown beside.
    Dette,
}

impl Categorie {
    pub fn code(self) -> &'static str {
        match self {
            Categorie::Ressource => "ressource",
            Categorie::Charge => "charge",
            Categorie::Dette => "dette",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Categorie::Ressource, Categorie::Charge, Categorie::Dette]
            .into_iter()
            .find(|c| c.code() == s)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Categorie::Ressource => "Ressource",
            Categorie::Charge => "Charge",
            Categorie::Dette => "Dette",
        }
    }
}

/// The kinds of lines a budget form proposes, by category (the label stays free for « Autre »).
pub const POSTES: &[(Categorie, &str, &str)] = &[
    (
        Categorie::Ressource,
        "salaires",
        "Salaires et revenus d'activité",
    ),
    (Categorie::Ressource, "rsa", "RSA"),
    (
        Categorie::Ressource,
        "prestations_familiales",
        "Prestations familiales",
    ),
    (
        Categorie::Ressource,
        "aides_logement",
        "Aides au logement (APL, ALS, ALF)",
    ),
    (Categorie::Ressource, "chomage", "Allocations chômage"),
    (Categorie::Ressource, "pensions", "Pensions, retraites, AAH"),
    (
        Categorie::Ressource,
        "pension_alimentaire_recue",
        "Pension alimentaire reçue",
    ),
    (Categorie::Ressource, "autre_ressource", "Autre ressource"),
    (Categorie::Charge, "loyer", "Loyer et charges locatives"),
    (Categorie::Charge, "energie", "Électricité, gaz, chauffage"),
    (Categorie::Charge, "eau", "Eau"),
    (Categorie::Charge, "assurances", "Assurances"),
    (Categorie::Charge, "mutuelle", "Mutuelle"),
    (Categorie::Charge, "telephone", "Téléphone et internet"),
    (Categorie::Charge, "transport", "Transport"),
    (Categorie::Charge, "garde", "Garde d'enfants, cantine"),
    (Categorie::Charge, "impots", "Impôts et taxes"),
    (
        Categorie::Charge,
        "pension_alimentaire_versee",
        "Pension alimentaire versée",
    ),
    (Categorie::Charge, "autre_charge", "Autre charge"),
    (Categorie::Dette, "dette_loyer", "Dette de loyer"),
    (Categorie::Dette, "dette_energie", "Dette d'énergie"),
    (Categorie::Dette, "credit", "Crédit à la consommation"),
    (
        Categorie::Dette,
        "plan_surendettement",
        "Plan de surendettement",
    ),
    (Categorie::Dette, "autre_dette", "Autre dette"),
];

pub fn poste(code: &str) -> Option<(Categorie, &'static str)> {
    POSTES
        .iter()
        .find(|(_, c, _)| *c == code)
        .map(|(cat, _, l)| (*cat, *l))
}

/// One line of a budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ligne {
    pub poste: String,
    pub categorie: Categorie,
    pub libelle: String,
    /// Monthly amount (for a debt: its monthly repayment, zero when none is agreed).
    pub mensuel: Centimes,
    /// For a debt: what remains owed.
    #[serde(default)]
    pub encours: Option<Centimes>,
}

/// A member of the household as the budget counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membre {
    /// Age on the budget's date; unknown counts as 14 or over (the larger unit, so the reste à
    /// vivre is never overstated for lack of a birth date).
    pub age: Option<u32>,
}

/// The computed budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calcul {
    pub ressources: Centimes,
    pub charges: Centimes,
    pub dettes_encours: Centimes,
    /// Consumption units in thousandths (1 500 = 1,5 UC), integers so that a stored budget reads back
    /// the same.
    pub uc_milliemes: i64,
    /// Resources minus charges, per month.
    pub reste_a_vivre: Centimes,
    /// Per consumption unit and per day (30-day month).
    pub reste_a_vivre_jour_uc: Centimes,
    /// Monthly resources per consumption unit (the income scale of the funds).
    pub ressources_uc: Centimes,
    /// The computation in words, line by line.
    pub explication: Vec<String>,
}

/// Consumption units in thousandths: 1 for the first member of 14 or over, 0,5 for each other member
/// of 14 or over, 0,3 for each child under 14 (modified OECD scale). A household of children only
/// (a young person alone is 1) still has its first unit at 1.
pub fn unites_de_consommation(membres: &[Membre]) -> i64 {
    let mut adultes = membres
        .iter()
        .filter(|m| m.age.is_none_or(|a| a >= 14))
        .count() as i64;
    let mut enfants = membres.len() as i64 - adultes;
    if adultes == 0 && enfants > 0 {
        adultes = 1;
        enfants -= 1;
    }
    if adultes == 0 {
        return 1000;
    }
    1000 + (adultes - 1) * 500 + enfants * 300
}

/// Consumption units in French (« 2,1 »).
pub fn uc_fr(m: i64) -> String {
    let s = format!("{},{:03}", m / 1000, m % 1000);
    s.trim_end_matches('0').trim_end_matches(',').to_string()
}

/// Computes a budget and explains it.
pub fn calculer(lignes: &[Ligne], membres: &[Membre]) -> Calcul {
    let ressources: Centimes = lignes
        .iter()
        .filter(|l| l.categorie == Categorie::Ressource)
        .map(|l| l.mensuel)
        .sum();
    let charges_seules: Centimes = lignes
        .iter()
        .filter(|l| l.categorie == Categorie::Charge)
        .map(|l| l.mensuel)
        .sum();
    let remboursements: Centimes = lignes
        .iter()
        .filter(|l| l.categorie == Categorie::Dette)
        .map(|l| l.mensuel)
        .sum();
    let charges = charges_seules + remboursements;
    let dettes_encours: Centimes = lignes
        .iter()
        .filter(|l| l.categorie == Categorie::Dette)
        .filter_map(|l| l.encours)
        .sum();
    let uc = unites_de_consommation(membres);
    let rav = ressources - charges;
    // Rounded down to the cent: a threshold « at most 10 € a day » is not passed by rounding.
    let rav_jour_uc = Centimes((rav.0 * 1000).div_euclid(uc * JOURS_PAR_MOIS));
    let ressources_uc = Centimes((ressources.0 * 1000).div_euclid(uc));
    let adultes = membres
        .iter()
        .filter(|m| m.age.is_none_or(|a| a >= 14))
        .count();
    let enfants = membres.len() - adultes;
    let mut explication = vec![
        format!("Ressources mensuelles : {}.", ressources.fr()),
        format!(
            "Charges mensuelles : {} (dont {} de remboursements de dettes).",
            charges.fr(),
            remboursements.fr()
        ),
        format!(
            "Reste à vivre mensuel : {} − {} = {}.",
            ressources.fr(),
            charges.fr(),
            rav.fr()
        ),
        format!(
            "Composition : {} personne{} de 14 ans ou plus, {} enfant{} de moins de 14 ans, soit {} unité{} de consommation (1 pour le premier adulte, 0,5 pour chaque autre personne de 14 ans ou plus, 0,3 par enfant de moins de 14 ans).",
            adultes,
            if adultes > 1 { "s" } else { "" },
            enfants,
            if enfants > 1 { "s" } else { "" },
            uc_fr(uc),
            if uc >= 2000 { "s" } else { "" }
        ),
        format!(
            "Reste à vivre par unité de consommation et par jour : {} ÷ {} ÷ {} jours = {}.",
            rav.fr(),
            uc_fr(uc),
            JOURS_PAR_MOIS,
            rav_jour_uc.fr()
        ),
        format!(
            "Ressources mensuelles par unité de consommation : {} ÷ {} = {}.",
            ressources.fr(),
            uc_fr(uc),
            ressources_uc.fr()
        ),
    ];
    if dettes_encours.0 > 0 {
        explication.push(format!("Dettes restant dues : {}.", dettes_encours.fr()));
    }
    Calcul {
        ressources,
        charges,
        dettes_encours,
        uc_milliemes: uc,
        reste_a_vivre: rav,
        reste_a_vivre_jour_uc: rav_jour_uc,
        ressources_uc,
        explication,
    }
}

/// Reads the lines of a budget form: `poste_N`, `libelle_N`, `montant_N`, `encours_N` for N from 0;
/// a line with no amount is skipped, a bad amount is a message on its field.
pub fn lignes_du_formulaire(
    v: &std::collections::BTreeMap<String, String>,
    nombre: usize,
) -> Result<Vec<Ligne>, crate::Invalid> {
    let mut e = FieldErrors::new();
    let mut out = Vec::new();
    for i in 0..nombre {
        let g = |k: &str| {
            v.get(&format!("{k}_{i}"))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let (poste_code, montant, encours) = (g("poste"), g("montant"), g("encours"));
        if montant.is_empty() && encours.is_empty() {
            continue;
        }
        let Some((categorie, libelle_poste)) = poste(&poste_code) else {
            e.add(&format!("poste_{i}"), "Choisissez le poste de cette ligne.");
            continue;
        };
        let mensuel = if montant.is_empty() && categorie == Categorie::Dette {
            Centimes(0)
        } else {
            match Centimes::parse(&montant) {
                Ok(c) => c,
                Err(m) => {
                    e.add(&format!("montant_{i}"), m);
                    continue;
                }
            }
        };
        let encours = if categorie == Categorie::Dette && !encours.is_empty() {
            match Centimes::parse(&encours) {
                Ok(c) => Some(c),
                Err(m) => {
                    e.add(&format!("encours_{i}"), m);
                    continue;
                }
            }
        } else {
            None
        };
        let libre = g("libelle");
        if libre.chars().count() > 120 {
            e.add(&format!("libelle_{i}"), "120 caractères au plus.");
            continue;
        }
        out.push(Ligne {
            poste: poste_code,
            categorie,
            libelle: if libre.is_empty() {
                libelle_poste.to_string()
            } else {
                libre
            },
            mensuel,
            encours,
        });
    }
    if out.is_empty() && e.is_empty() {
        e.add(
            "montant_0",
            "Indiquez au moins une ressource ou une charge.",
        );
    }
    e.into_result()?;
    Ok(out)
}
