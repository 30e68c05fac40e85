//! The journal of a dossier: écrits (entretien, visite à domicile, appel, note, écrit/rapport) with
//! their author, date and service. An écrit is never edited in place: a correction is a new version
//! with its reason, and the earlier versions stay readable.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::secret::{parse_partage, BaseLegale, Visibilite};
use crate::personnes::parse_date_evenement;
use crate::validation::{required_text, FieldErrors, Invalid};

/// Kinds of journal entries (the users' words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EcritKind {
    Entretien,
    VisiteDomicile,
    Appel,
    Note,
    Rapport,
}

impl EcritKind {
    pub const ALL: [EcritKind; 5] = [
        Self::Entretien,
        Self::VisiteDomicile,
        Self::Appel,
        Self::Note,
        Self::Rapport,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::Entretien => "entretien",
            Self::VisiteDomicile => "visite_domicile",
            Self::Appel => "appel",
            Self::Note => "note",
            Self::Rapport => "rapport",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::Entretien => "Entretien",
            Self::VisiteDomicile => "Visite à domicile",
            Self::Appel => "Appel téléphonique",
            Self::Note => "Note",
            Self::Rapport => "Écrit / rapport",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The journal form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct EcritForm {
    #[serde(default)]
    pub kind: String,
    /// Day of the entretien, visit or call (JJ/MM/AAAA or AAAA-MM-JJ).
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub texte: String,
    /// `dossier`, `service`, `agents` or `auteur`.
    #[serde(default)]
    pub visibilite: String,
    /// `L121-6-2` or `L226-2-2`; required when the écrit leaves the author's service.
    #[serde(default)]
    pub base_legale: String,
    /// Ids of the agents named when the visibility is `agents`, separated by commas or spaces.
    #[serde(default)]
    pub destinataires: String,
}

/// A valid new écrit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEcrit {
    pub kind: EcritKind,
    pub date: NaiveDate,
    pub texte: String,
    pub visibilite: Visibilite,
    pub base_legale: Option<BaseLegale>,
    pub destinataires: Vec<i64>,
}

/// Texts longer than this belong in a document.
pub const TEXTE_MAX: usize = 20_000;

pub fn parse_ids(text: &str) -> Option<Vec<i64>> {
    let mut ids = Vec::new();
    for part in text.split([',', ' ', ';']).filter(|p| !p.is_empty()) {
        ids.push(part.parse::<i64>().ok().filter(|i| *i > 0)?);
    }
    ids.sort_unstable();
    ids.dedup();
    Some(ids)
}

impl NewEcrit {
    /// Parses the form. `autres_services(ids)` tells whether one of the named agents works in another
    /// service than the author (the store knows): then a legal basis is required.
    pub fn parse(
        f: &EcritForm,
        today: NaiveDate,
        autres_services: impl Fn(&[i64]) -> bool,
    ) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let kind = EcritKind::parse(&f.kind).unwrap_or_else(|| {
            e.add("kind", "Choisissez le type d'écrit.");
            EcritKind::Note
        });
        let date = parse_date_evenement(&mut e, "date", "La date", &f.date, today);
        let texte = required_text(&mut e, "texte", "Le texte", &f.texte, TEXTE_MAX);
        let destinataires = parse_ids(&f.destinataires).unwrap_or_else(|| {
            e.add("destinataires", "Désignez les agents par leur numéro.");
            Vec::new()
        });
        let (visibilite, base_legale) = parse_partage(
            &mut e,
            &f.visibilite,
            &f.base_legale,
            autres_services(&destinataires),
        );
        if visibilite == Visibilite::Agents
            && destinataires.is_empty()
            && e.get("destinataires").is_none()
        {
            e.add("destinataires", "Désignez au moins un agent.");
        }
        e.into_result()?;
        Ok(Self {
            kind,
            date,
            texte,
            visibilite,
            base_legale,
            destinataires: if visibilite == Visibilite::Agents {
                destinataires
            } else {
                Vec::new()
            },
        })
    }
}

/// A correction of an écrit: the new text (and possibly kind and date) with its reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CorrectionForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub texte: String,
    #[serde(default)]
    pub motif: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCorrection {
    pub kind: EcritKind,
    pub date: NaiveDate,
    pub texte: String,
    pub motif: String,
}

impl NewCorrection {
    pub fn parse(f: &CorrectionForm, today: NaiveDate) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let kind = EcritKind::parse(&f.kind).unwrap_or_else(|| {
            e.add("kind", "Choisissez le type d'écrit.");
            EcritKind::Note
        });
        let date = parse_date_evenement(&mut e, "date", "La date", &f.date, today);
        let texte = required_text(&mut e, "texte", "Le texte", &f.texte, TEXTE_MAX);
        let motif = required_text(&mut e, "motif", "Le motif de la correction", &f.motif, 500);
        e.into_result()?;
        Ok(Self {
            kind,
            date,
            texte,
            motif,
        })
    }
}

/// One version of an écrit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EcritVersion {
    pub version: i64,
    pub kind: EcritKind,
    pub date: String,
    pub texte: String,
    /// Why this version replaced the previous one (`None` for the first).
    pub motif: Option<String>,
    pub par: String,
    pub le: String,
}

/// An écrit of the journal with its current version and its sharing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ecrit {
    pub id: i64,
    pub dossier_id: i64,
    pub auteur_id: i64,
    pub auteur_nom: String,
    pub service_id: Option<i64>,
    /// The author's site when writing (with the service: the team of « Mon équipe »).
    pub site_id: Option<i64>,
    pub service_nom: Option<String>,
    pub visibilite: Visibilite,
    pub base_legale: Option<BaseLegale>,
    pub destinataires: Vec<i64>,
    pub created_at: String,
    /// The current version (the latest).
    pub courant: EcritVersion,
    /// How many versions exist (more than one: the écrit was corrected).
    pub versions: i64,
}

impl From<&Ecrit> for super::secret::PieceAcces {
    fn from(e: &Ecrit) -> Self {
        super::secret::PieceAcces {
            auteur_id: e.auteur_id,
            service_id: e.service_id,
            site_id: e.site_id,
            visibilite: e.visibilite,
            destinataires: e.destinataires.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn form() -> EcritForm {
        EcritForm {
            kind: "entretien".into(),
            date: "20/11/2026".into(),
            texte: "Entretien à la MDS : point sur les démarches de logement.".into(),
            visibilite: "dossier".into(),
            base_legale: "L121-6-2".into(),
            destinataires: String::new(),
        }
    }

    #[test]
    fn a_valid_ecrit() {
        let e = NewEcrit::parse(&form(), today(), |_| false).unwrap();
        assert_eq!(e.kind, EcritKind::Entretien);
        assert_eq!(e.date, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!(e.base_legale, Some(BaseLegale::ActionSociale));
    }

    #[test]
    fn an_ecrit_shared_without_legal_basis_or_in_the_future_is_refused() {
        let mut f = form();
        f.base_legale.clear();
        f.date = "01/01/2030".into();
        f.texte = "  ".into();
        let Invalid(e) = NewEcrit::parse(&f, today(), |_| false).unwrap_err();
        assert!(e.get("base_legale").is_some());
        assert!(e.get("date").is_some());
        assert!(e.get("texte").is_some());
    }

    #[test]
    fn named_agents_of_another_service_need_a_basis_and_at_least_one_agent() {
        let mut f = form();
        f.visibilite = "agents".into();
        f.base_legale.clear();
        f.destinataires = "12, 14".into();
        let Invalid(e) = NewEcrit::parse(&f, today(), |ids| ids.contains(&14)).unwrap_err();
        assert!(e.get("base_legale").is_some());
        let ok = NewEcrit::parse(&f, today(), |_| false).unwrap();
        assert_eq!(ok.destinataires, vec![12, 14]);
        f.destinataires = "abc".into();
        let Invalid(e) = NewEcrit::parse(&f, today(), |_| false).unwrap_err();
        assert!(e.get("destinataires").is_some());
    }

    #[test]
    fn a_correction_needs_its_reason() {
        let f = CorrectionForm {
            kind: "note".into(),
            date: "2026-11-20".into(),
            texte: "Texte corrigé".into(),
            motif: String::new(),
        };
        let Invalid(e) = NewCorrection::parse(&f, today()).unwrap_err();
        assert!(e.get("motif").is_some());
    }
}
