//! The figures the CRIP must produce (reference §1.6): informations préoccupantes received by
//! source, qualified, evaluated, the evaluation delays against IP_EVAL, the outcomes (classement,
//! administrative proposal, judicial referral), the direct signalements received in copy and the
//! feedback owed to professionals (L226-5). Counts only, no child named.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::catalogue::SOURCES_IP;

/// An IP as the figures read it, from its steps and its IP_EVAL / IP_FEEDBACK timers.
#[derive(Debug, Clone, Default)]
pub struct ResumeIp {
    pub reception: Option<NaiveDate>,
    pub source: String,
    pub non_ip: bool,
    pub evaluation: bool,
    pub signalement_direct: bool,
    /// The rapport's date and conclusion (`classement`, `proposition`).
    pub rapport: Option<(NaiveDate, String)>,
    pub saisine: Option<NaiveDate>,
    /// The due date of the evaluation (shorter under 2 when the département set it).
    pub echeance_evaluation: Option<NaiveDate>,
    pub echeance_retour: Option<NaiveDate>,
    pub retour_informant: Option<NaiveDate>,
}

impl ResumeIp {
    /// The decision that ends the evaluation: the rapport or the referral.
    pub fn conclusion(&self) -> Option<NaiveDate> {
        self.rapport.as_ref().map(|(d, _)| *d).or(self.saisine)
    }
}

/// Where each IP's evaluation stands, by delay (the distribution against the 3-month rule).
pub const TRANCHES: [(&str, &str); 6] = [
    ("moins_1_mois", "Conclue en moins d'un mois"),
    ("1_2_mois", "Conclue entre 1 et 2 mois"),
    ("2_3_mois", "Conclue entre 2 et 3 mois"),
    ("plus_3_mois", "Conclue au-delà de 3 mois"),
    ("en_cours", "En cours, dans le délai"),
    ("en_retard", "En cours, délai dépassé"),
];

/// The indicators of a set of IPs.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IndicateursIp {
    pub recues: i64,
    /// By source code of `SOURCES_IP`.
    pub par_source: BTreeMap<String, i64>,
    pub non_ip: i64,
    pub evaluations: i64,
    pub classements: i64,
    pub propositions: i64,
    pub saisines: i64,
    pub signalements_directs: i64,
    /// Concluded on or before their IP_EVAL due date / concluded.
    pub part_conclues_dans_delai: Option<f64>,
    /// Median days from reception to conclusion.
    pub delai_median: Option<f64>,
    /// By code of `TRANCHES`.
    pub tranches: BTreeMap<String, i64>,
    /// Feedback owed (IP_FEEDBACK started) and given on time.
    pub retours_dus: i64,
    pub retours_dans_delai: i64,
}

fn median(mut v: Vec<i64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m] as f64
    } else {
        (v[m - 1] + v[m]) as f64 / 2.0
    })
}

/// The indicators of `ips` on `aujourdhui` (an evaluation in progress is late past its due date).
pub fn indicateurs_ip(ips: &[ResumeIp], aujourdhui: NaiveDate) -> IndicateursIp {
    let mut i = IndicateursIp::default();
    for (code, _) in TRANCHES {
        i.tranches.insert(code.to_string(), 0);
    }
    let mut delais = Vec::new();
    let mut dans_delai = 0i64;
    for ip in ips {
        let Some(reception) = ip.reception else {
            continue;
        };
        i.recues += 1;
        *i.par_source.entry(ip.source.clone()).or_default() += 1;
        i.non_ip += i64::from(ip.non_ip);
        i.evaluations += i64::from(ip.evaluation);
        i.signalements_directs += i64::from(ip.signalement_direct);
        match ip.rapport.as_ref().map(|(_, c)| c.as_str()) {
            Some("classement") => i.classements += 1,
            Some(_) => i.propositions += 1,
            None => {}
        }
        i.saisines += i64::from(ip.saisine.is_some());
        let tranche = match ip.conclusion() {
            Some(fin) => {
                delais.push((fin - reception).num_days());
                if ip.echeance_evaluation.is_none_or(|e| fin <= e) {
                    dans_delai += 1;
                }
                // Months date to date; the third month's last day is still within the 3 months.
                let apres = |n| reception.checked_add_months(chrono::Months::new(n));
                Some(if apres(1).is_some_and(|d| fin < d) {
                    "moins_1_mois"
                } else if apres(2).is_some_and(|d| fin < d) {
                    "1_2_mois"
                } else if apres(3).is_some_and(|d| fin <= d) {
                    "2_3_mois"
                } else {
                    "plus_3_mois"
                })
            }
            None if ip.non_ip => None,
            None if ip.echeance_evaluation.is_some_and(|e| aujourdhui > e) => Some("en_retard"),
            None => Some("en_cours"),
        };
        if let Some(t) = tranche {
            *i.tranches.entry(t.to_string()).or_default() += 1;
        }
        if let Some(e) = ip.echeance_retour {
            i.retours_dus += 1;
            if ip.retour_informant.is_some_and(|r| r <= e) {
                i.retours_dans_delai += 1;
            }
        }
    }
    if !delais.is_empty() {
        i.part_conclues_dans_delai = Some(dans_delai as f64 / delais.len() as f64);
    }
    i.delai_median = median(delais);
    i
}

/// The label of a source code.
pub fn libelle_source(code: &str) -> &str {
    SOURCES_IP
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, l)| l)
}

/// Definitions shown beside the figures and in the exports.
pub const DEFINITIONS_IP: [(&str, &str); 7] = [
    (
        "Informations préoccupantes reçues",
        "Procédures « information préoccupante » dont la réception est datée dans la période, par origine (CASF L226-3 : toute origine, anonyme comprise).",
    ),
    (
        "Pas une information préoccupante",
        "Informations qualifiées à l'analyse première comme ne relevant pas de la CRIP et réorientées.",
    ),
    (
        "Évaluations",
        "Informations dont l'évaluation a été confiée à l'équipe pluridisciplinaire (CASF D226-2-5).",
    ),
    (
        "Issues",
        "Conclusion unique (CASF D226-2-7) : classement sans suite, proposition administrative, ou saisine de l'autorité judiciaire (signalement au procureur, L226-4), y compris sans évaluation en cas de danger grave et immédiat.",
    ),
    (
        "Délai d'évaluation",
        "Jours entre la réception et la conclusion (rapport ou saisine) ; « dans le délai » : au plus tard à l'échéance IP_EVAL, 3 mois après la réception, plus court pour les moins de 2 ans si le département l'a fixé (CASF D226-2-4). Les tranches comptent les mois de date à date.",
    ),
    (
        "Signalements directs",
        "Signalements adressés directement au procureur par un professionnel et reçus en copie (L226-4).",
    ),
    (
        "Retours aux professionnels",
        "Informations dont l'informant doit être informé des suites (échéance IP_FEEDBACK, 3 mois après la décision, L226-5), et part de ces retours faits dans le délai.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn delays_count_months_date_to_date_and_late_evaluations_are_counted() {
        let recue = |r: &str| ResumeIp {
            reception: Some(d(r)),
            source: "education".into(),
            evaluation: true,
            echeance_evaluation: d(r).checked_add_months(chrono::Months::new(3)),
            ..Default::default()
        };
        let ips = vec![
            // Concluded on the due date itself: within 3 months.
            ResumeIp {
                rapport: Some((d("2026-06-15"), "classement".into())),
                ..recue("2026-03-15")
            },
            // One day later: beyond.
            ResumeIp {
                rapport: Some((d("2026-06-16"), "proposition".into())),
                ..recue("2026-03-15")
            },
            ResumeIp {
                saisine: Some(d("2026-03-20")),
                echeance_retour: Some(d("2026-06-20")),
                retour_informant: Some(d("2026-04-01")),
                ..recue("2026-03-15")
            },
            // In progress, late on 7 December.
            recue("2026-08-01"),
            // In progress, on time.
            recue("2026-11-01"),
            ResumeIp {
                non_ip: true,
                evaluation: false,
                source: "anonyme".into(),
                ..recue("2026-11-02")
            },
        ];
        let i = indicateurs_ip(&ips, d("2026-12-07"));
        assert_eq!(i.recues, 6);
        assert_eq!(i.par_source["education"], 5);
        assert_eq!(i.par_source["anonyme"], 1);
        assert_eq!((i.classements, i.propositions, i.saisines), (1, 1, 1));
        assert_eq!(i.tranches["2_3_mois"], 1);
        assert_eq!(i.tranches["plus_3_mois"], 1);
        assert_eq!(i.tranches["moins_1_mois"], 1);
        assert_eq!(i.tranches["en_retard"], 1);
        assert_eq!(i.tranches["en_cours"], 1);
        assert_eq!(i.part_conclues_dans_delai, Some(2.0 / 3.0));
        assert_eq!(i.delai_median, Some(92.0));
        assert_eq!((i.retours_dus, i.retours_dans_delai), (1, 1));
    }
}
