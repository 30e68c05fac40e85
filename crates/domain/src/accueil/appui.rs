//! The appui technique d'accueil (seed 001 fiche 3) and the duty roster of a site (fiche 4): the desk
//! asks a social worker for support, a queue per MDS shows what waits and who took it; the TS de
//! premier accueil and the TS de permanence d'urgence of each half-day come from the roster.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use crate::validation::{FieldErrors, Invalid};

code_enum!(
    /// Why the desk calls a social worker (fiche 3: orientation difficile, accès aux droits, urgence,
    /// agressivité).
    Motif {
        OrientationDifficile => "orientation_difficile", "Orientation difficile",
        AccesDroits => "acces_droits", "Accès aux droits complexe",
        Urgence => "urgence", "Urgence à qualifier",
        Agressivite => "agressivite", "Personne très insistante ou agressive",
        Evaluation => "evaluation", "Besoin d'une évaluation sociale",
        Autre => "autre", "Autre",
    }
);

code_enum!(
    /// Where a request stands: en attente → pris en charge → clos, or annulé while it waits.
    StatutAppui {
        EnAttente => "en_attente", "En attente",
        PrisEnCharge => "pris_en_charge", "Pris en charge",
        Clos => "clos", "Clos",
        Annule => "annule", "Annulé",
    }
);

code_enum!(
    /// What the social worker did.
    Issue {
        Conseil => "conseil", "Conseil donné au secrétariat",
        Entretien => "entretien", "Entretien immédiat avec la personne",
        RendezVous => "rendez_vous", "Rendez-vous fixé",
        Orientation => "orientation", "Orientation vers un partenaire",
        SansSuite => "sans_suite", "Sans suite",
    }
);

code_enum!(
    /// The half-days of the roster.
    DemiJournee {
        Matin => "matin", "Matin",
        ApresMidi => "apres_midi", "Après-midi",
    }
);

code_enum!(
    /// The two duties of the roster (fiche 4 and the on-duty worker for emergencies).
    RoleTableau {
        PremierAccueil => "premier_accueil", "TS de premier accueil",
        Urgence => "urgence", "TS de permanence d'urgence",
    }
);

impl DemiJournee {
    /// The half-day of a civil time: the morning ends at 13:00.
    pub fn of(t: NaiveTime) -> Self {
        if t.hour() < 13 {
            DemiJournee::Matin
        } else {
            DemiJournee::ApresMidi
        }
    }
}

/// Longest free text of a request: a line for the social worker, not a report (the dossier holds
/// reports under the secret partagé).
pub const PRECISION_MAX: usize = 300;

/// The request form as typed.
#[derive(Debug, Clone, Default)]
pub struct AppuiForm {
    pub site: String,
    pub personne_id: String,
    pub motif: String,
    pub precision: String,
    pub urgent: String,
}

/// A request ready to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAppui {
    pub site_id: i64,
    pub personne_id: Option<i64>,
    pub motif: Motif,
    pub precision: Option<String>,
    pub urgent: bool,
}

impl NewAppui {
    pub fn parse(f: &AppuiForm) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let site_id = f.site.trim().parse::<i64>().ok();
        if site_id.is_none() {
            e.add("site", "Choisissez la MDS qui demande l'appui.");
        }
        let personne_id = match f.personne_id.trim() {
            "" | "anonyme" => None,
            s => match s.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    e.add(
                        "personne_id",
                        "Choisissez une personne trouvée, ou « anonyme ».",
                    );
                    None
                }
            },
        };
        let motif = Motif::from_code(f.motif.trim());
        if motif.is_none() {
            e.add("motif", "Choisissez le motif de l'appui.");
        }
        let precision = f.precision.trim();
        if precision.chars().count() > PRECISION_MAX {
            e.add(
                "precision",
                format!("{PRECISION_MAX} caractères au plus : le détail va au dossier."),
            );
        }
        let urgent = match f.urgent.trim() {
            "" | "non" => false,
            "oui" | "on" | "true" => true,
            _ => {
                e.add("urgent", "Répondez oui ou non.");
                false
            }
        };
        e.into_result()?;
        let motif = motif.unwrap_or(Motif::Autre);
        Ok(Self {
            site_id: site_id.unwrap_or_default(),
            personne_id,
            // An emergency to qualify always jumps the queue: no second field to think of.
            urgent: urgent || motif == Motif::Urgence,
            motif,
            precision: (!precision.is_empty()).then(|| precision.to_string()),
        })
    }
}

/// Why a move of a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("Cette demande a déjà été prise en charge.")]
    DejaPrise,
    #[error("Cette demande est close ou annulée.")]
    Terminee,
    #[error("Seule une demande prise en charge peut être close.")]
    PasPrise,
}

impl StatutAppui {
    /// A social worker takes a waiting request.
    pub fn prendre(self) -> Result<StatutAppui, TransitionError> {
        match self {
            StatutAppui::EnAttente => Ok(StatutAppui::PrisEnCharge),
            StatutAppui::PrisEnCharge => Err(TransitionError::DejaPrise),
            _ => Err(TransitionError::Terminee),
        }
    }
    /// The social worker closes what they took.
    pub fn clore(self) -> Result<StatutAppui, TransitionError> {
        match self {
            StatutAppui::PrisEnCharge => Ok(StatutAppui::Clos),
            StatutAppui::EnAttente => Err(TransitionError::PasPrise),
            _ => Err(TransitionError::Terminee),
        }
    }
    /// The desk withdraws a request nobody took (the person left, the question was answered).
    pub fn annuler(self) -> Result<StatutAppui, TransitionError> {
        match self {
            StatutAppui::EnAttente => Ok(StatutAppui::Annule),
            StatutAppui::PrisEnCharge => Err(TransitionError::DejaPrise),
            _ => Err(TransitionError::Terminee),
        }
    }
}

/// Minutes a request waited (until taken, or until `now` while it waits).
pub fn attente_minutes(
    demande_le: NaiveDateTime,
    pris_le: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> i64 {
    (pris_le.unwrap_or(now) - demande_le).num_minutes().max(0)
}

/// One cell of the roster: who holds a duty on a half-day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Garde {
    pub jour: NaiveDate,
    pub demi_journee: DemiJournee,
    pub role: RoleTableau,
    pub agent_id: Option<i64>,
}

/// The name of a roster field in the week form: `g-2026-03-02-matin-premier_accueil`.
pub fn champ(jour: NaiveDate, dj: DemiJournee, role: RoleTableau) -> String {
    format!(
        "g-{}-{}-{}",
        jour.format("%Y-%m-%d"),
        dj.code(),
        role.code()
    )
}

/// The Monday of the week of `d`.
pub fn lundi(d: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    d - chrono::Duration::days(d.weekday().num_days_from_monday() as i64)
}

/// Parses the week form (Monday to Friday, two half-days, two duties): each value is an agent id
/// among `agents` or empty. A message names the field in error.
pub fn parse_semaine(
    lundi: NaiveDate,
    valeur: impl Fn(&str) -> String,
    agents: &[i64],
) -> Result<Vec<Garde>, Invalid> {
    let mut e = FieldErrors::new();
    let mut out = vec![];
    for d in 0..5 {
        let jour = lundi + chrono::Duration::days(d);
        for dj in DemiJournee::ALL {
            for role in RoleTableau::ALL {
                let name = champ(jour, *dj, *role);
                let v = valeur(&name);
                let agent_id = match v.trim() {
                    "" => None,
                    s => match s.parse::<i64>() {
                        Ok(id) if agents.contains(&id) => Some(id),
                        _ => {
                            e.add(
                                &name,
                                "Choisissez un travailleur social de ce site, ou personne.",
                            );
                            None
                        }
                    },
                };
                out.push(Garde {
                    jour,
                    demi_journee: *dj,
                    role: *role,
                    agent_id,
                });
            }
        }
    }
    e.into_result()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emergency_is_always_urgent_and_bad_fields_have_messages() {
        let a = NewAppui::parse(&AppuiForm {
            site: "3".into(),
            motif: "urgence".into(),
            ..Default::default()
        })
        .unwrap();
        assert!(a.urgent);
        assert_eq!(a.personne_id, None);
        let e = NewAppui::parse(&AppuiForm {
            site: "x".into(),
            personne_id: "abc".into(),
            motif: "caprice".into(),
            precision: "x".repeat(PRECISION_MAX + 1),
            urgent: "peut-être".into(),
        })
        .unwrap_err()
        .0;
        for k in ["site", "personne_id", "motif", "precision", "urgent"] {
            assert!(e.get(k).is_some(), "{k}");
        }
    }

    #[test]
    fn a_request_is_taken_once_and_closed_only_when_taken() {
        use StatutAppui::*;
        assert_eq!(EnAttente.prendre(), Ok(PrisEnCharge));
        assert_eq!(PrisEnCharge.prendre(), Err(TransitionError::DejaPrise));
        assert_eq!(EnAttente.clore(), Err(TransitionError::PasPrise));
        assert_eq!(PrisEnCharge.clore(), Ok(Clos));
        assert_eq!(Clos.annuler(), Err(TransitionError::Terminee));
        assert_eq!(EnAttente.annuler(), Ok(Annule));
    }

    #[test]
    fn the_week_form_accepts_only_the_sites_social_workers() {
        let lundi = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let ok = champ(lundi, DemiJournee::Matin, RoleTableau::PremierAccueil);
        let bad = champ(
            lundi + chrono::Duration::days(4),
            DemiJournee::ApresMidi,
            RoleTableau::Urgence,
        );
        let gardes = parse_semaine(
            lundi,
            |n| if n == ok { "7".into() } else { String::new() },
            &[7, 8],
        )
        .unwrap();
        assert_eq!(gardes.len(), 20);
        assert_eq!(gardes.iter().filter(|g| g.agent_id == Some(7)).count(), 1);
        let e = parse_semaine(
            lundi,
            |n| if n == bad { "99".into() } else { String::new() },
            &[7, 8],
        )
        .unwrap_err()
        .0;
        assert!(e.get(&bad).is_some());
    }

    #[test]
    fn half_days_and_mondays() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        assert_eq!(DemiJournee::of(t(12)), DemiJournee::Matin);
        assert_eq!(DemiJournee::of(t(13)), DemiJournee::ApresMidi);
        let jeudi = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        assert_eq!(lundi(jeudi), NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
    }
}
