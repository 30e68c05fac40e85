//! The figures of the RSA procedures (seeds 002 and 003): the share of beneficiaries oriented, the
//! delays from the opening to the orientation and from the orientation to the contract against
//! their legal delays, the contracts by route. Computed from the steps, on the échéancier's rules.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::echeancier::{regle, Echeancier, Moment};

/// An RSA procedure as the figures read it: its first opening, orientation (with its route) and
/// contract.
#[derive(Debug, Clone, Default)]
pub struct ParcoursRsa {
    pub ouverture: Option<NaiveDate>,
    pub orientation: Option<(NaiveDate, String)>,
    pub contrat: Option<NaiveDate>,
}

/// The indicators of a set of RSA procedures.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IndicateursRsa {
    pub ouvertes: i64,
    pub orientees: i64,
    /// Oriented / opened.
    pub part_orientees: Option<f64>,
    /// Median days from opening to orientation.
    pub delai_orientation_median: Option<f64>,
    /// Oriented within RSA_ORIENT (6 weeks) / oriented.
    pub part_orientation_dans_delai: Option<f64>,
    pub contrats: i64,
    /// Median days from orientation to contract.
    pub delai_contrat_median: Option<f64>,
    /// Contracts within RSA_CONTRAT (1 month) / contracts.
    pub part_contrat_dans_delai: Option<f64>,
    /// Contracts by orientation route (`social`, `socio_professionnel`, `professionnel`).
    pub contrats_par_parcours: BTreeMap<String, i64>,
}

/// Definitions shown beside the figures and in the exports.
pub const DEFINITIONS: [(&str, &str); 8] = [
    (
        "Procédures RSA ouvertes",
        "Procédures RSA dont l'ouverture du droit ou l'inscription est enregistrée.",
    ),
    (
        "Part orientée",
        "Procédures avec une décision d'orientation notifiée, rapportées aux procédures ouvertes.",
    ),
    (
        "Délai d'orientation",
        "Médiane, en jours, entre l'ouverture du droit et la première décision d'orientation ; « dans le délai » : au plus tard à l'échéance RSA_ORIENT (6 semaines, CASF D262-65-2).",
    ),
    (
        "Contrats signés",
        "Procédures avec un contrat d'engagement signé après l'orientation, par parcours d'orientation.",
    ),
    (
        "Délai de contractualisation",
        "Médiane, en jours, entre l'orientation et le premier contrat ; « dans le délai » : au plus tard à l'échéance RSA_CONTRAT (1 mois, Code du travail D5411-14-1).",
    ),
    (
        "Échéances en retard",
        "Échéances légales encore ouvertes dont la date est passée, au jour de la consultation.",
    ),
    (
        "Procédures ouvertes par mois",
        "Procédures (RSA, MASP, prévention des expulsions) dont la première étape enregistrée tombe dans le mois.",
    ),
    (
        "Échéances tenues dans le délai",
        "Échéances légales dont la date tombe dans le mois et est passée (honorées ou encore ouvertes ; les échéances levées sont exclues), et parmi elles celles honorées au plus tard à leur date.",
    ),
];

fn mediane(mut v: Vec<i64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

fn part(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// The indicators of `parcours`, each delay judged by the échéancier's rule.
pub fn indicateurs_rsa(ech: &Echeancier, parcours: &[ParcoursRsa]) -> IndicateursRsa {
    let mut i = IndicateursRsa::default();
    let (mut d_orient, mut d_contrat) = (Vec::new(), Vec::new());
    let (mut orient_ok, mut contrat_ok) = (0, 0);
    let due = |id: &str, d: NaiveDate| {
        regle(id)
            .and_then(|r| ech.echeance(r, Moment::Jour(d), None).ok())
            .map(Moment::jour)
    };
    for p in parcours {
        let Some(ouverture) = p.ouverture else {
            continue;
        };
        i.ouvertes += 1;
        let Some((orientation, route)) = &p.orientation else {
            continue;
        };
        i.orientees += 1;
        d_orient.push((*orientation - ouverture).num_days());
        if due("RSA_ORIENT", ouverture).is_some_and(|e| *orientation <= e) {
            orient_ok += 1;
        }
        if let Some(contrat) = p.contrat.filter(|c| c >= orientation) {
            i.contrats += 1;
            d_contrat.push((contrat - *orientation).num_days());
            if due("RSA_CONTRAT", *orientation).is_some_and(|e| contrat <= e) {
                contrat_ok += 1;
            }
            *i.contrats_par_parcours.entry(route.clone()).or_default() += 1;
        }
    }
    i.part_orientees = part(i.orientees, i.ouvertes);
    i.delai_orientation_median = mediane(d_orient);
    i.part_orientation_dans_delai = part(orient_ok, i.orientees);
    i.delai_contrat_median = mediane(d_contrat);
    i.part_contrat_dans_delai = part(contrat_ok, i.contrats);
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn delays_are_judged_by_the_rules_of_the_echeancier() {
        let p = vec![
            ParcoursRsa {
                ouverture: Some(d("2026-01-01")),
                orientation: Some((d("2026-02-12"), "social".into())),
                contrat: Some(d("2026-03-12")),
            },
            ParcoursRsa {
                ouverture: Some(d("2026-01-01")),
                orientation: Some((d("2026-02-13"), "professionnel".into())),
                contrat: Some(d("2026-03-20")),
            },
            ParcoursRsa {
                ouverture: Some(d("2026-01-10")),
                orientation: None,
                contrat: None,
            },
            ParcoursRsa::default(),
        ];
        let i = indicateurs_rsa(&Echeancier::default(), &p);
        assert_eq!((i.ouvertes, i.orientees, i.contrats), (3, 2, 2));
        assert_eq!(i.part_orientees, Some(2.0 / 3.0));
        // 42 days is within the 6 weeks, 43 is not.
        assert_eq!(i.part_orientation_dans_delai, Some(0.5));
        assert_eq!(i.delai_orientation_median, Some(42.5));
        // 12 February + 1 month = 12 March: on time; 13 February → 20 March: late.
        assert_eq!(i.part_contrat_dans_delai, Some(0.5));
        assert_eq!(i.contrats_par_parcours["social"], 1);
    }
}
