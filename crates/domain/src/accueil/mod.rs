//! The desk log (« main courante de l'accueil », seed 001 fiches 1 to 4): every contact at the desk of a
//! MDS or a permanence — visit, call, letter, e-mail — with the request's typology, the answer given and
//! the waiting time. Parsing of the form, one French message per field.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::validation::{FieldErrors, Invalid};

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident => $code:literal, $lib:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn code(self) -> &'static str { match self { $($name::$v => $code),+ } }
            pub fn libelle(self) -> &'static str { match self { $($name::$v => $lib),+ } }
            pub fn from_code(s: &str) -> Option<Self> { Self::ALL.iter().copied().find(|x| x.code() == s) }
        }
    };
}

pub mod appui;

code_enum!(
    /// How the person reached the desk.
    Canal {
        Visite => "visite", "Visite",
        Telephone => "telephone", "Téléphone",
        Courrier => "courrier", "Courrier",
        Courriel => "courriel", "Courriel",
    }
);

code_enum!(
    /// The typology of requests of seed 001.
    Typologie {
        Financier => "financier", "Financier",
        AccesDroits => "acces_droits", "Accès aux droits",
        Logement => "logement", "Logement",
        FamilleEnfance => "famille_enfance", "Famille et enfance",
        InsertionEmploi => "insertion_emploi", "Insertion et emploi",
        Sante => "sante", "Santé",
        Autonomie => "autonomie", "Autonomie",
        Administratif => "administratif", "Administratif",
        Autre => "autre", "Autre",
    }
);

code_enum!(
    /// The answer given by the desk (fiche 1: information, help with forms, orientation; fiche 3: the
    /// appui technique d'accueil).
    Reponse {
        Information => "information", "Information",
        AideAdministrative => "aide_administrative", "Aide administrative",
        Orientation => "orientation", "Orientation vers un partenaire",
        RendezVous => "rendez_vous", "Rendez-vous pris",
        Urgence => "urgence", "Urgence transmise",
        AppuiTechnique => "appui_technique", "Appui technique demandé",
    }
);

/// One of the département's own request reasons (« motif de la demande »), attached to a family of
/// seed 001 so that the figures stay comparable between départements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MotifDemande {
    pub id: i64,
    pub libelle: String,
    pub typologie: Typologie,
    pub actif: bool,
}

impl MotifDemande {
    /// The value of the « Demande » option: `motif-12`.
    pub fn code(&self) -> String {
        format!("motif-{}", self.id)
    }
}

/// A new motif as typed by the administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMotif {
    pub libelle: String,
    pub typologie: Typologie,
}

impl NewMotif {
    pub fn parse(libelle: &str, typologie: &str) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let libelle =
            crate::validation::required_text(&mut e, "libelle", "Le libellé", libelle, 80);
        let typologie = Typologie::from_code(typologie.trim());
        if typologie.is_none() {
            e.add(
                "typologie",
                "Choisissez la famille de demande du schéma à laquelle ce motif se rattache.",
            );
        }
        e.into_result()?;
        Ok(Self {
            libelle,
            typologie: typologie.unwrap_or(Typologie::Autre),
        })
    }
}

/// The usual partners proposed for an orientation (the default of `PARCOURS_ACCUEIL_PARTENAIRES`); any
/// other name may be typed.
pub const PARTENAIRES: &[&str] = &[
    "CAF",
    "CPAM",
    "France Travail",
    "CCAS",
    "MSA",
    "Mission locale",
    "Association caritative",
];

/// Longest waiting time accepted, in minutes (a whole day).
pub const ATTENTE_MAX: i64 = 600;

/// Where the contact took place: a site (MDS) or a permanence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lieu {
    Site(i64),
    Permanence(i64),
}

impl Lieu {
    /// `site-3` or `permanence-7`, the value of the form's options.
    pub fn code(self) -> String {
        match self {
            Lieu::Site(id) => format!("site-{id}"),
            Lieu::Permanence(id) => format!("permanence-{id}"),
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        if let Some(id) = s.strip_prefix("site-") {
            return id.parse().ok().map(Lieu::Site);
        }
        s.strip_prefix("permanence-")?
            .parse()
            .ok()
            .map(Lieu::Permanence)
    }
}

/// The form as typed.
#[derive(Debug, Clone, Default)]
pub struct ContactForm {
    pub canal: String,
    pub date: String,
    pub heure: String,
    pub lieu: String,
    pub personne_id: String,
    pub typologie: String,
    pub reponse: String,
    pub partenaire: String,
    pub attente: String,
    /// The reason of the support request, when the answer is « appui technique demandé ».
    pub motif_appui: String,
}

/// A contact ready to record. `moment` is a civil time of the département.
#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    pub canal: Canal,
    pub moment: NaiveDateTime,
    pub lieu: Lieu,
    pub personne_id: Option<i64>,
    pub typologie: Typologie,
    pub reponse: Reponse,
    pub partenaire: Option<String>,
    pub attente_minutes: Option<i64>,
    /// Set when the answer is an appui technique: the request goes to the site's queue.
    pub motif_appui: Option<appui::Motif>,
    /// The département's motif chosen, if any (its family is `typologie`).
    pub motif_id: Option<i64>,
}

impl NewContact {
    /// Parses the form; `now` is the current civil time (a contact cannot be in the future);
    /// `motifs` are the département's active motifs, which the « Demande » may name (`motif-12`)
    /// instead of a family.
    pub fn parse(
        f: &ContactForm,
        now: NaiveDateTime,
        motifs: &[MotifDemande],
    ) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let canal = Canal::from_code(f.canal.trim());
        if canal.is_none() {
            e.add(
                "canal",
                "Choisissez le canal : visite, téléphone, courrier ou courriel.",
            );
        }
        let date = NaiveDate::parse_from_str(f.date.trim(), "%d/%m/%Y").ok();
        if date.is_none() {
            e.add(
                "date",
                "Saisissez la date au format JJ/MM/AAAA, par exemple 05/03/2026.",
            );
        }
        let heure = NaiveTime::parse_from_str(f.heure.trim(), "%H:%M").ok();
        if heure.is_none() {
            e.add(
                "heure",
                "Saisissez l'heure au format HH:MM, par exemple 09:30.",
            );
        }
        let moment = match (date, heure) {
            (Some(d), Some(h)) => {
                let m = d.and_time(h);
                if m > now + chrono::Duration::minutes(5) {
                    e.add("heure", "Le contact ne peut pas être dans le futur.");
                } else if m < now - chrono::Duration::days(31) {
                    e.add(
                        "date",
                        "Un contact se saisit dans le mois : cette date est trop ancienne.",
                    );
                }
                Some(m)
            }
            _ => None,
        };
        let lieu = Lieu::parse(f.lieu.trim());
        if lieu.is_none() {
            e.add(
                "lieu",
                "Choisissez le lieu de l'accueil : une MDS ou une permanence de vos sites.",
            );
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
        let choix = f.typologie.trim();
        let (typologie, motif_id) = match choix.strip_prefix("motif-") {
            Some(id) => match motifs.iter().find(|m| m.actif && id.parse() == Ok(m.id)) {
                Some(m) => (Some(m.typologie), Some(m.id)),
                None => (None, None),
            },
            None => (Typologie::from_code(choix), None),
        };
        if typologie.is_none() {
            e.add("typologie", "Choisissez la nature de la demande.");
        }
        let reponse = Reponse::from_code(f.reponse.trim());
        if reponse.is_none() {
            e.add("reponse", "Choisissez la réponse apportée.");
        }
        let partenaire = f.partenaire.trim();
        let partenaire = if reponse == Some(Reponse::Orientation) {
            if partenaire.is_empty() {
                e.add(
                    "partenaire",
                    "Indiquez le partenaire vers lequel la personne est orientée.",
                );
            } else if partenaire.chars().count() > 100 {
                e.add("partenaire", "100 caractères au plus.");
            }
            Some(partenaire.to_string())
        } else {
            None
        };
        let motif_appui = if reponse == Some(Reponse::AppuiTechnique) {
            let m = appui::Motif::from_code(f.motif_appui.trim());
            if m.is_none() {
                e.add(
                    "motif_appui",
                    "Choisissez le motif de l'appui demandé au travailleur social.",
                );
            }
            m
        } else {
            None
        };
        let attente_minutes = match f.attente.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(n) if (0..=ATTENTE_MAX).contains(&n) => Some(n),
                _ => {
                    e.add(
                        "attente",
                        format!("Saisissez un nombre entier de minutes, entre 0 et {ATTENTE_MAX}."),
                    );
                    None
                }
            },
        };
        e.into_result()?;
        Ok(Self {
            canal: canal.unwrap_or(Canal::Visite),
            moment: moment.unwrap_or(now),
            lieu: lieu.unwrap_or(Lieu::Site(0)),
            personne_id,
            typologie: typologie.unwrap_or(Typologie::Autre),
            reponse: reponse.unwrap_or(Reponse::Information),
            partenaire,
            attente_minutes,
            motif_appui,
            motif_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 5)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    fn ok_form() -> ContactForm {
        ContactForm {
            canal: "visite".into(),
            date: "05/03/2026".into(),
            heure: "09:40".into(),
            lieu: "site-3".into(),
            personne_id: "anonyme".into(),
            typologie: "logement".into(),
            reponse: "information".into(),
            partenaire: "ignoré".into(),
            attente: "5".into(),
            motif_appui: "ignoré".into(),
        }
    }

    #[test]
    fn an_ordinary_contact_parses() {
        let c = NewContact::parse(&ok_form(), now(), &[]).unwrap();
        assert_eq!(c.lieu, Lieu::Site(3));
        assert_eq!(c.personne_id, None);
        assert_eq!(c.typologie, Typologie::Logement);
        assert_eq!(c.partenaire, None);
        assert_eq!(c.attente_minutes, Some(5));
        assert_eq!(c.motif_appui, None);
    }

    #[test]
    fn a_support_request_needs_its_reason() {
        let mut f = ok_form();
        f.reponse = "appui_technique".into();
        f.motif_appui = String::new();
        let e = NewContact::parse(&f, now(), &[]).unwrap_err().0;
        assert!(e.get("motif_appui").is_some());
        f.motif_appui = "agressivite".into();
        let c = NewContact::parse(&f, now(), &[]).unwrap();
        assert_eq!(c.motif_appui, Some(appui::Motif::Agressivite));
    }

    #[test]
    fn each_bad_field_has_its_message() {
        let f = ContactForm {
            canal: "pigeon".into(),
            date: "31/02/2026".into(),
            lieu: "ailleurs".into(),
            reponse: "orientation".into(),
            attente: "-3".into(),
            ..Default::default()
        };
        let e = NewContact::parse(&f, now(), &[]).unwrap_err().0;
        for k in [
            "canal",
            "date",
            "heure",
            "lieu",
            "typologie",
            "partenaire",
            "attente",
        ] {
            assert!(e.get(k).is_some(), "{k}");
        }
    }

    #[test]
    fn a_contact_cannot_be_in_the_future() {
        let mut f = ok_form();
        f.heure = "11:00".into();
        let e = NewContact::parse(&f, now(), &[]).unwrap_err().0;
        assert!(e.get("heure").is_some());
    }

    #[test]
    fn a_motif_of_the_departement_gives_its_family_and_an_inactive_one_is_refused() {
        let motifs = [
            MotifDemande {
                id: 12,
                libelle: "Impayés de loyer".into(),
                typologie: Typologie::Logement,
                actif: true,
            },
            MotifDemande {
                id: 13,
                libelle: "Ancien motif".into(),
                typologie: Typologie::Sante,
                actif: false,
            },
        ];
        let mut f = ok_form();
        f.typologie = "motif-12".into();
        let c = NewContact::parse(&f, now(), &motifs).unwrap();
        assert_eq!((c.typologie, c.motif_id), (Typologie::Logement, Some(12)));
        for bad in ["motif-13", "motif-99", "motif-x"] {
            f.typologie = bad.into();
            let e = NewContact::parse(&f, now(), &motifs).unwrap_err().0;
            assert!(e.get("typologie").is_some(), "{bad}");
        }
        assert!(NewMotif::parse("  ", "sante").is_err());
        assert!(NewMotif::parse("Aide alimentaire", "inconnue").is_err());
        assert_eq!(
            NewMotif::parse("Aide alimentaire", "financier")
                .unwrap()
                .typologie,
            Typologie::Financier
        );
    }

    #[test]
    fn codes_round_trip() {
        for t in Typologie::ALL {
            assert_eq!(Typologie::from_code(t.code()), Some(*t));
        }
        assert_eq!(Lieu::parse("permanence-7"), Some(Lieu::Permanence(7)));
        assert_eq!(Lieu::parse(&Lieu::Site(2).code()), Some(Lieu::Site(2)));
    }
}
