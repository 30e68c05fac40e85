//! Following the due dates of open procedures: the state of each one and who must be told.
//! Escalation (issue 17): before the due date the référent is warned, on the day the cadre of the
//! MDS, once it has passed the direction — late files are counted by secteur and MDS.

use chrono::NaiveDate;
use serde::Serialize;

/// Where a due date stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Niveau {
    /// Further than the notice period: nobody is warned yet.
    AVenir,
    /// Within the notice period: the référent is warned.
    Proche,
    /// Today: the cadre of the MDS is warned.
    Echue,
    /// Past: the direction is warned and the file counts as late.
    EnRetard,
}

impl Niveau {
    pub fn libelle(self) -> &'static str {
        match self {
            Niveau::AVenir => "À venir",
            Niveau::Proche => "Proche",
            Niveau::Echue => "Aujourd'hui",
            Niveau::EnRetard => "En retard",
        }
    }

    /// Who is told at this level.
    pub fn destinataire(self) -> &'static str {
        match self {
            Niveau::AVenir => "—",
            Niveau::Proche => "référent",
            Niveau::Echue => "cadre de la MDS",
            Niveau::EnRetard => "direction",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Niveau::AVenir => "a_venir",
            Niveau::Proche => "proche",
            Niveau::Echue => "echue",
            Niveau::EnRetard => "en_retard",
        }
    }
}

/// The level of a due date on `aujourdhui`, warning `preavis_jours` days ahead.
pub fn niveau(echeance: NaiveDate, aujourdhui: NaiveDate, preavis_jours: u32) -> Niveau {
    let reste = (echeance - aujourdhui).num_days();
    if reste < 0 {
        Niveau::EnRetard
    } else if reste == 0 {
        Niveau::Echue
    } else if reste <= i64::from(preavis_jours) {
        Niveau::Proche
    } else {
        Niveau::AVenir
    }
}

/// What became of a registered due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Etat {
    /// Running: shown in the lists, counted when late.
    Ouverte,
    /// The act was done (the evaluation concluded, the contract signed) on a date.
    Honoree,
    /// No longer applies (the procedure ended, the measure was lifted), with a reason.
    Levee,
}

impl Etat {
    pub fn code(self) -> &'static str {
        match self {
            Etat::Ouverte => "ouverte",
            Etat::Honoree => "honoree",
            Etat::Levee => "levee",
        }
    }

    pub fn from_code(s: &str) -> Option<Etat> {
        match s {
            "ouverte" => Some(Etat::Ouverte),
            "honoree" => Some(Etat::Honoree),
            "levee" => Some(Etat::Levee),
            _ => None,
        }
    }

    pub fn libelle(self) -> &'static str {
        match self {
            Etat::Ouverte => "En cours",
            Etat::Honoree => "Honorée",
            Etat::Levee => "Levée",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_referent_is_warned_before_the_cadre_on_the_day_and_the_direction_after() {
        let due = d("2026-12-10");
        assert_eq!(niveau(due, d("2026-11-30"), 7), Niveau::AVenir);
        assert_eq!(niveau(due, d("2026-12-03"), 7), Niveau::Proche);
        assert_eq!(niveau(due, d("2026-12-09"), 7), Niveau::Proche);
        assert_eq!(niveau(due, d("2026-12-10"), 7), Niveau::Echue);
        assert_eq!(niveau(due, d("2026-12-11"), 7), Niveau::EnRetard);
        assert_eq!(niveau(due, d("2026-12-03"), 0), Niveau::AVenir);
    }
}
