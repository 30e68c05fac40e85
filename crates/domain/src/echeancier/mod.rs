//! The échéancier: one engine for every legal timer of the procedures (reference §10), driven by the
//! table `regles.csv` (rule id, start event, duration, unit, effect, source, status) rather than by
//! code per procedure. A procedure registers « rule X started on day D »; the engine gives the due
//! date, its extensions and what the law attaches to it.
//!
//! Counting (reference §0.2): months and years run date to date with end-of-month clamping (one month
//! after 31 January is 28 or 29 February), weeks are 7 days, days are calendar days, hours are elapsed hours
//! in the département's zone (72 hours across the autumn change end one civil hour earlier). A rule
//! « à rebours » counts back from its event (the hearing, the expiry of an agrément).

mod lot;
pub mod suivi;

pub use lot::{calculer_lot, ErreurLot};

use std::fmt;
use std::sync::OnceLock;

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::Serialize;

use crate::temps::Clock;

/// The unit of a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Unite {
    Jours,
    Semaines,
    Mois,
    Ans,
    Heures,
    /// A fixed date (RSA_MIGRATION: 1 January 2027 whatever the start).
    Date,
    /// A yearly period (EXP_TREVE, 1 November – 31 March).
    Plage,
}

impl Unite {
    pub fn libelle(self, n: u32) -> &'static str {
        match (self, n > 1) {
            (Unite::Jours, false) => "jour",
            (Unite::Jours, true) => "jours",
            (Unite::Semaines, false) => "semaine",
            (Unite::Semaines, true) => "semaines",
            (Unite::Mois, _) => "mois",
            (Unite::Ans, false) => "an",
            (Unite::Ans, true) => "ans",
            (Unite::Heures, false) => "heure",
            (Unite::Heures, true) => "heures",
            (Unite::Date, _) | (Unite::Plage, _) => "",
        }
    }
}

/// Whether the due date follows its event or precedes it (« à rebours »).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Sens {
    Apres,
    Avant,
}

/// What the duration is: a deadline, a maximum the procedure may not exceed (« ≤ », the upper end
/// of a range), or a minimum before which an act is not possible (« ≥ »).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Borne {
    Delai,
    Plafond,
    Minimum,
}

/// The implicit decision the silence of the administration produces at the due date (§0.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Implicite {
    /// « Silence vaut acceptation »: missing the date creates a right (a tacit agrément).
    Acceptation,
    /// « Silence vaut rejet »: missing the date opens an appeal deadline.
    Rejet,
}

/// One row of reference §10.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Regle {
    pub id: String,
    pub domaine: String,
    /// The start event, as the table names it.
    pub evenement: String,
    pub duree: u32,
    pub unite: Unite,
    pub sens: Sens,
    pub borne: Borne,
    /// Lower end of a range (MASP contract: 6 to 24 months), for durations decided in a procedure.
    pub duree_min: Option<u32>,
    /// Duration when the child is under 2 on the start date (RAPPORT_SITUATION, CESSEC).
    pub moins_2_ans: Option<u32>,
    /// Extensions in brackets in the table (« 4 (+2) », « 5 (+5 +5) »): each one is a recorded
    /// decision; the first due date uses the base delay.
    pub prolongations: Vec<u32>,
    pub implicite: Option<Implicite>,
    pub effet: String,
    pub source: String,
    /// C, P, U as the table states them (« C c.2015 », « C (périodicité) / U (date) »).
    pub statut: String,
    /// The setting(s) holding a value the law leaves open or that is not confirmed.
    pub reglage: Option<String>,
    /// Annulled by a court: kept for history, never started by a procedure.
    pub annulee: bool,
    date_fixe: Option<NaiveDate>,
}

impl Regle {
    /// The delay in words: « 3 mois », « 6 semaines avant », « 4 mois (+2) ».
    pub fn delai(&self) -> String {
        let base = match self.unite {
            Unite::Date => match self.date_fixe {
                Some(d) => format!("jusqu'au {}", d.format("%d/%m/%Y")),
                None => String::new(),
            },
            Unite::Plage => "du 1er novembre au 31 mars".to_string(),
            u => {
                let mut s = String::new();
                if self.borne == Borne::Plafond {
                    s.push_str(if self.duree_min.is_some() {
                        ""
                    } else {
                        "au plus "
                    });
                }
                if self.borne == Borne::Minimum {
                    s.push_str("au moins ");
                }
                if let Some(min) = self.duree_min {
                    s.push_str(&format!("{min} à "));
                }
                s.push_str(&format!("{} {}", self.duree, u.libelle(self.duree)));
                if let Some(m) = self.moins_2_ans {
                    s.push_str(&format!(" ({m} avant 2 ans)"));
                }
                s
            }
        };
        let ext: String = self
            .prolongations
            .iter()
            .map(|p| format!(" (+{p})"))
            .collect();
        let sens = if self.sens == Sens::Avant {
            " avant"
        } else {
            ""
        };
        format!("{base}{ext}{sens}")
    }

    /// Whether the status needs the legal department's review before go-live (anything but C).
    pub fn a_verifier(&self) -> bool {
        self.statut.contains('P') || self.statut.contains('U')
    }

    /// Whether the rule counts in hours (its start and due date carry a time).
    pub fn en_heures(&self) -> bool {
        self.unite == Unite::Heures
    }
}

/// A start or a due date: a day, or a civil time of the département for the hour timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Moment {
    Jour(NaiveDate),
    Heure(NaiveDateTime),
}

impl Moment {
    pub fn jour(self) -> NaiveDate {
        match self {
            Moment::Jour(d) => d,
            Moment::Heure(t) => t.date(),
        }
    }

    /// `AAAA-MM-JJ` or `AAAA-MM-JJTHH:MM`, the format of the batch command and the API.
    pub fn iso(self) -> String {
        match self {
            Moment::Jour(d) => d.format("%Y-%m-%d").to_string(),
            Moment::Heure(t) => t.format("%Y-%m-%dT%H:%M").to_string(),
        }
    }

    /// As a French reader writes it: `15/04/2026` or `15/04/2026 à 10 h 30`.
    pub fn fr(self) -> String {
        match self {
            Moment::Jour(d) => d.format("%d/%m/%Y").to_string(),
            Moment::Heure(t) => t.format("%d/%m/%Y à %H h %M").to_string(),
        }
    }

    /// Parses `AAAA-MM-JJ`, or a date-time `AAAA-MM-JJTHH:MM` (a space instead of `T` and seconds
    /// are accepted).
    pub fn parse(s: &str) -> Option<Moment> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Some(Moment::Jour(d));
        }
        for f in [
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M:%S",
        ] {
            if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
                return Some(Moment::Heure(t));
            }
        }
        None
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso())
    }
}

/// Why a due date cannot be computed; shown as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErreurEcheance {
    #[error("règle « {0} » inconnue de l'échéancier (référence §10)")]
    RegleInconnue(String),
    #[error("la règle {0} compte en heures : indiquez l'heure du début (AAAA-MM-JJTHH:MM)")]
    HeureRequise(String),
    #[error("la règle {0} dépend de l'âge de l'enfant : indiquez sa date de naissance")]
    NaissanceRequise(String),
    #[error("date hors du calendrier pris en charge")]
    HorsCalendrier,
    #[error("la règle {0} ne prévoit pas d'autre prolongation")]
    PlusDeProlongation(String),
    #[error("la durée doit être comprise entre {min} et {max} {unite} (règle {regle})")]
    DureeHorsBornes {
        regle: String,
        min: u32,
        max: u32,
        unite: &'static str,
    },
}

impl ErreurEcheance {
    /// The message as a sentence of its own (it is written to follow « ligne N : » in the batch).
    pub fn phrase(&self) -> String {
        let m = self.to_string();
        let mut c = m.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    }
}

/// The yearly truce of evictions (CPCE L412-6): 1 November – 31 March in metropolitan France; in
/// the overseas départements the préfet sets the dates (UNCONFIRMED per département: settings
/// `PARCOURS_TREVE_DEBUT` and `PARCOURS_TREVE_FIN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Treve {
    pub debut: (u32, u32),
    pub fin: (u32, u32),
}

impl Default for Treve {
    fn default() -> Self {
        Treve {
            debut: (11, 1),
            fin: (3, 31),
        }
    }
}

impl Treve {
    /// Whether `jour` falls in the truce.
    pub fn contient(&self, jour: NaiveDate) -> bool {
        let md = (jour.month(), jour.day());
        if self.debut <= self.fin {
            self.debut <= md && md <= self.fin
        } else {
            md >= self.debut || md <= self.fin
        }
    }

    /// The last day of the truce in progress on `jour`, or of the next one.
    pub fn fin_apres(&self, jour: NaiveDate) -> Option<NaiveDate> {
        let (m, d) = self.fin;
        let cette_annee = NaiveDate::from_ymd_opt(jour.year(), m, d)?;
        if cette_annee >= jour {
            Some(cette_annee)
        } else {
            NaiveDate::from_ymd_opt(jour.year() + 1, m, d)
        }
    }
}

/// The values of the timers the law leaves to the département or that are not confirmed.
#[derive(Debug, Clone)]
pub struct Parametres {
    /// The département's zone, in which the hour timers run.
    pub zone: Tz,
    /// IP_EVAL for a child under 2: « shorter for under-2s: local parameter » (reference §10).
    /// UNCONFIRMED, local: `PARCOURS_IP_EVAL_MOINS_2_ANS_MOIS`; `None` keeps the 3 months.
    pub ip_eval_moins_2_ans_mois: Option<u32>,
    pub treve: Treve,
}

impl Default for Parametres {
    fn default() -> Self {
        Parametres {
            zone: crate::temps::FUSEAU_METROPOLE,
            ip_eval_moins_2_ans_mois: None,
            treve: Treve::default(),
        }
    }
}

/// The rules of reference §10, read once from the table compiled into the binary.
pub fn regles() -> &'static [Regle] {
    static REGLES: OnceLock<Vec<Regle>> = OnceLock::new();
    REGLES.get_or_init(|| {
        // The table is part of the source and `the_table_holds_the_fifty_timers_of_reference_10`
        // parses every row: a row that does not parse is a build defect caught by the tests.
        lire_table(include_str!("regles.csv")).unwrap_or_default()
    })
}

/// The rule `id` (case and surrounding spaces ignored).
pub fn regle(id: &str) -> Option<&'static Regle> {
    let id = id.trim();
    regles().iter().find(|r| r.id.eq_ignore_ascii_case(id))
}

fn lire_table(text: &str) -> Result<Vec<Regle>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| e.to_string())?;
        let f = |k: usize| rec.get(k).unwrap_or("").trim().to_string();
        let opt = |k: usize| Some(f(k)).filter(|s| !s.is_empty());
        let num = |k: usize| -> Result<Option<u32>, String> {
            opt(k)
                .map(|s| {
                    s.parse::<u32>()
                        .map_err(|e| format!("ligne {}: {e}", i + 2))
                })
                .transpose()
        };
        let unite = match f(4).as_str() {
            "j" => Unite::Jours,
            "s" => Unite::Semaines,
            "m" => Unite::Mois,
            "a" => Unite::Ans,
            "h" => Unite::Heures,
            "date" => Unite::Date,
            "plage" => Unite::Plage,
            u => return Err(format!("ligne {}: unité « {u} »", i + 2)),
        };
        let (duree, date_fixe) = match unite {
            Unite::Date => (
                0,
                Some(NaiveDate::parse_from_str(&f(3), "%Y-%m-%d").map_err(|e| e.to_string())?),
            ),
            // The truce's dates are the département's settings (`Parametres::treve`); the table's
            // « 11-01..03-31 » is their metropolitan default.
            Unite::Plage => (0, None),
            _ => (
                f(3).parse().map_err(|e| format!("ligne {}: {e}", i + 2))?,
                None,
            ),
        };
        out.push(Regle {
            id: f(0),
            domaine: f(1),
            evenement: f(2),
            duree,
            unite,
            sens: if f(5) == "avant" {
                Sens::Avant
            } else {
                Sens::Apres
            },
            borne: match f(6).as_str() {
                "plafond" => Borne::Plafond,
                "minimum" => Borne::Minimum,
                _ => Borne::Delai,
            },
            duree_min: num(7)?,
            moins_2_ans: num(8)?,
            prolongations: f(9)
                .split_whitespace()
                .map(|p| p.parse::<u32>().map_err(|e| e.to_string()))
                .collect::<Result<_, _>>()?,
            implicite: match f(10).as_str() {
                "acceptation" => Some(Implicite::Acceptation),
                "rejet" => Some(Implicite::Rejet),
                _ => None,
            },
            effet: f(11),
            source: f(12),
            statut: f(13),
            reglage: opt(14),
            annulee: f(15) == "oui",
            date_fixe,
        });
    }
    Ok(out)
}

/// `jour` moved by `n` units, forward or back; months and years clamp to the end of the month.
pub fn decaler(jour: NaiveDate, n: u32, unite: Unite, sens: Sens) -> Option<NaiveDate> {
    let avant = sens == Sens::Avant;
    match unite {
        Unite::Jours | Unite::Semaines => {
            let jours = if unite == Unite::Semaines { n * 7 } else { n };
            let d = chrono::Days::new(u64::from(jours));
            if avant {
                jour.checked_sub_days(d)
            } else {
                jour.checked_add_days(d)
            }
        }
        Unite::Mois | Unite::Ans => {
            let mois = if unite == Unite::Ans { n * 12 } else { n };
            if avant {
                jour.checked_sub_months(Months::new(mois))
            } else {
                jour.checked_add_months(Months::new(mois))
            }
        }
        Unite::Heures | Unite::Date | Unite::Plage => None,
    }
}

/// Whether a child born on `naissance` is under 2 on `jour` (the second birthday, clamped like any
/// date-to-date count, is the first day they are not).
pub fn moins_de_deux_ans(naissance: NaiveDate, jour: NaiveDate) -> bool {
    match naissance.checked_add_months(Months::new(24)) {
        Some(deux_ans) => jour < deux_ans,
        None => false,
    }
}

/// The engine: the rules and the département's parameters.
#[derive(Debug, Clone, Default)]
pub struct Echeancier {
    pub parametres: Parametres,
}

impl Echeancier {
    pub fn new(parametres: Parametres) -> Self {
        Echeancier { parametres }
    }

    /// The duration a rule takes for this start (the under-2 variants).
    fn duree(
        &self,
        r: &Regle,
        debut: NaiveDate,
        naissance: Option<NaiveDate>,
    ) -> Result<u32, ErreurEcheance> {
        let moins_2 = match (r.id.as_str(), r.moins_2_ans) {
            ("IP_EVAL", _) => self.parametres.ip_eval_moins_2_ans_mois,
            (_, m) => m,
        };
        match moins_2 {
            None => Ok(r.duree),
            Some(m) => match naissance {
                Some(n) if moins_de_deux_ans(n, debut) => Ok(m),
                Some(_) => Ok(r.duree),
                // IP_EVAL without a birth date keeps the legal 3 months; the rules that are defined
                // by the child's age cannot be computed without it.
                None if r.id == "IP_EVAL" => Ok(r.duree),
                None => Err(ErreurEcheance::NaissanceRequise(r.id.clone())),
            },
        }
    }

    /// The first due date of rule `r` started at `debut`.
    pub fn echeance(
        &self,
        r: &Regle,
        debut: Moment,
        naissance: Option<NaiveDate>,
    ) -> Result<Moment, ErreurEcheance> {
        let n = self.duree(r, debut.jour(), naissance)?;
        self.decaler_regle(r, debut, n)
    }

    /// The due date for a duration decided in the procedure (a MASP contract of 12 months, a
    /// suspension of 1 month), refused outside the bounds the law sets.
    pub fn echeance_pour_duree(
        &self,
        r: &Regle,
        debut: Moment,
        duree: u32,
    ) -> Result<Moment, ErreurEcheance> {
        let (min, max) = match r.borne {
            Borne::Plafond => (r.duree_min.unwrap_or(1), r.duree),
            Borne::Minimum => (r.duree, u32::MAX),
            Borne::Delai => (r.duree, r.duree),
        };
        if duree < min || duree > max {
            return Err(ErreurEcheance::DureeHorsBornes {
                regle: r.id.clone(),
                min,
                max,
                unite: r.unite.libelle(max),
            });
        }
        self.decaler_regle(r, debut, duree)
    }

    /// The due date after the extension number `deja + 1` (« 4 (+2) »: 4 months, then 2 more).
    pub fn prolonger(
        &self,
        r: &Regle,
        echeance: Moment,
        deja: usize,
    ) -> Result<Moment, ErreurEcheance> {
        let n = *r
            .prolongations
            .get(deja)
            .ok_or_else(|| ErreurEcheance::PlusDeProlongation(r.id.clone()))?;
        self.decaler_regle(r, echeance, n)
    }

    fn decaler_regle(&self, r: &Regle, debut: Moment, n: u32) -> Result<Moment, ErreurEcheance> {
        match r.unite {
            Unite::Heures => {
                let Moment::Heure(t) = debut else {
                    return Err(ErreurEcheance::HeureRequise(r.id.clone()));
                };
                // Elapsed hours: through UTC, so a summer-time change counts as it happens.
                let clock = Clock::system(self.parametres.zone);
                let fin = clock.utc(t) + Duration::hours(i64::from(n));
                let fin = clock.civil(fin);
                Ok(Moment::Heure(fin))
            }
            Unite::Date => r
                .date_fixe
                .map(Moment::Jour)
                .ok_or(ErreurEcheance::HorsCalendrier),
            Unite::Plage => self
                .parametres
                .treve
                .fin_apres(debut.jour())
                .map(Moment::Jour)
                .ok_or(ErreurEcheance::HorsCalendrier),
            u => decaler(debut.jour(), n, u, r.sens)
                .map(Moment::Jour)
                .ok_or(ErreurEcheance::HorsCalendrier),
        }
    }
}

#[cfg(test)]
mod tests;
