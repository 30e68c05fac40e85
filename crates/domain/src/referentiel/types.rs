//! The records of the référentiel and the parsing of their forms into valid values.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::validation::{optional_text, required_text, FieldErrors, Invalid};

/// Kind of territorial unit above the sites. Local names vary (reference §9.2), so the label shown is
/// the kind's French name and each département names its units freely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TerritoireKind {
    Utasi,
    Dts,
    Tis,
}

impl TerritoireKind {
    pub const ALL: [TerritoireKind; 3] = [Self::Utasi, Self::Dts, Self::Tis];
    pub fn code(self) -> &'static str {
        match self {
            Self::Utasi => "UTASI",
            Self::Dts => "DTS",
            Self::Tis => "TIS",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::Utasi => "Unité territoriale d'action sociale et d'insertion (UTASI)",
            Self::Dts => "Direction territoriale des solidarités (DTS)",
            Self::Tis => "Territoire d'intervention sociale (TIS)",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Kind of local site of the solidarity directorate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SiteKind {
    Mds,
    Mdd,
    Cms,
}

impl SiteKind {
    pub const ALL: [SiteKind; 3] = [Self::Mds, Self::Mdd, Self::Cms];
    pub fn code(self) -> &'static str {
        match self {
            Self::Mds => "MDS",
            Self::Mdd => "MDD",
            Self::Cms => "CMS",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::Mds => "Maison départementale des solidarités",
            Self::Mdd => "Maison du département",
            Self::Cms => "Centre médico-social",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The services of the solidarity directorate; access rules depend on them (secret partagé).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ServiceKind {
    ServiceSocial,
    Ase,
    Crip,
    Pmi,
    Insertion,
    Autonomie,
    Central,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 7] = [
        Self::ServiceSocial,
        Self::Ase,
        Self::Crip,
        Self::Pmi,
        Self::Insertion,
        Self::Autonomie,
        Self::Central,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::ServiceSocial => "SERVICE_SOCIAL",
            Self::Ase => "ASE",
            Self::Crip => "CRIP",
            Self::Pmi => "PMI",
            Self::Insertion => "INSERTION",
            Self::Autonomie => "AUTONOMIE",
            Self::Central => "CENTRAL",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::ServiceSocial => "Service social départemental",
            Self::Ase => "Aide sociale à l'enfance",
            Self::Crip => "Cellule de recueil des informations préoccupantes",
            Self::Pmi => "Protection maternelle et infantile",
            Self::Insertion => "Insertion",
            Self::Autonomie => "Autonomie",
            Self::Central => "Services centraux",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// A commune code of the Code officiel géographique: 2 digits (or 2A/2B for Corsica) then 3 digits,
/// or 97x/98x then 2 digits for overseas.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InseeCode(String);

impl InseeCode {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim().to_uppercase();
        let b = t.as_bytes();
        let ok = b.len() == 5
            && ((b[0].is_ascii_digit() && b[1].is_ascii_digit())
                || (b[0] == b'2' && (b[1] == b'A' || b[1] == b'B')))
            && b[2..].iter().all(u8::is_ascii_digit)
            && &t != "00000";
        if ok {
            Ok(Self(t))
        } else {
            Err(format!(
                "« {} » n'est pas un code INSEE de commune (5 caractères, par exemple 86194).",
                text.trim()
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The département part of the code (2 or 3 characters).
    pub fn departement(&self) -> &str {
        if self.0.starts_with("97") || self.0.starts_with("98") {
            &self.0[..3]
        } else {
            &self.0[..2]
        }
    }
}

/// A French postcode: 5 digits.
pub fn parse_code_postal(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_string())
    } else {
        Err(format!("« {t} » n'est pas un code postal (5 chiffres)."))
    }
}

/// A short code, unique in its list (upper-case letters, digits, dash, underscore).
pub fn parse_code(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    let v = value.trim().to_uppercase();
    if v.is_empty() {
        errors.add(field, "Le code est obligatoire.");
    } else if v.len() > 20
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        errors.add(
            field,
            "Le code ne contient que des lettres, chiffres, tirets (20 caractères au plus).",
        );
    }
    v
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Territoire {
    pub id: i64,
    pub code: String,
    pub nom: String,
    pub kind: TerritoireKind,
    pub ferme_le: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Site {
    pub id: i64,
    pub territoire_id: i64,
    pub code: String,
    pub nom: String,
    pub kind: SiteKind,
    pub adresse: String,
    pub commune_insee: Option<String>,
    pub ferme_le: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Secteur {
    pub id: i64,
    pub site_id: i64,
    pub code: String,
    pub nom: String,
    pub ferme_le: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Commune {
    pub insee: String,
    pub nom: String,
    pub codes_postaux: Vec<String>,
    pub population: i64,
    pub secteur_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Permanence {
    pub id: i64,
    pub site_id: i64,
    pub commune_insee: String,
    pub nom: String,
    pub adresse: String,
    /// Opening hours as the public reads them ("mardi 9h-12h, jeudi 14h-17h").
    pub horaires: String,
    pub ferme_le: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Service {
    pub id: i64,
    pub code: String,
    pub nom: String,
    pub kind: ServiceKind,
    pub ferme_le: Option<String>,
}

/// A budgeted position: a trade at a site in a service, with its ETP, filled or vacant.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Poste {
    pub id: i64,
    pub libelle: String,
    pub metier: String,
    pub site_id: Option<i64>,
    pub service_id: i64,
    /// Full-time equivalent in hundredths (80 = 0.8 ETP), kept as an integer to add up exactly.
    pub etp_centiemes: i64,
    pub agent_id: Option<i64>,
    pub ferme_le: Option<String>,
}

/// The trades of social action (métiers); the list is configurable per département.
pub const METIERS: &[(&str, &str)] = &[
    ("ASS", "Assistant de service social"),
    ("CESF", "Conseiller en économie sociale et familiale"),
    ("EDUC", "Éducateur spécialisé"),
    ("PUER", "Puéricultrice"),
    ("SF", "Sage-femme"),
    ("MED", "Médecin"),
    ("PSY", "Psychologue"),
    ("SEC", "Secrétaire médico-sociale"),
    ("ACC", "Agent d'accueil"),
    ("REFRSA", "Référent RSA"),
    ("CADRE", "Cadre (responsable de MDS, RASE, chef de service)"),
    ("ADM", "Gestionnaire administratif"),
];

pub fn metier_libelle(code: &str) -> &str {
    METIERS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or(code)
}

/// The form of a territoire, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTerritoire {
    pub code: String,
    pub nom: String,
    pub kind: TerritoireKind,
}

impl NewTerritoire {
    pub fn parse(code: &str, nom: &str, kind: &str) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let code = parse_code(&mut e, "code", code);
        let nom = required_text(&mut e, "nom", "Le nom", nom, 120);
        let kind = TerritoireKind::parse(kind);
        if kind.is_none() {
            e.add("kind", "Choisissez le type de territoire.");
        }
        e.into_result()?;
        Ok(Self {
            code,
            nom,
            kind: kind.unwrap_or(TerritoireKind::Utasi),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSite {
    pub territoire_id: i64,
    pub code: String,
    pub nom: String,
    pub kind: SiteKind,
    pub adresse: String,
    pub commune_insee: Option<String>,
}

impl NewSite {
    pub fn parse(
        territoire_id: &str,
        code: &str,
        nom: &str,
        kind: &str,
        adresse: &str,
        commune_insee: &str,
    ) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let territoire_id = parse_id(
            &mut e,
            "territoire_id",
            territoire_id,
            "Choisissez le territoire.",
        );
        let code = parse_code(&mut e, "code", code);
        let nom = required_text(&mut e, "nom", "Le nom", nom, 120);
        let kind = SiteKind::parse(kind);
        if kind.is_none() {
            e.add("kind", "Choisissez le type de site.");
        }
        let adresse = required_text(&mut e, "adresse", "L'adresse", adresse, 200);
        let commune_insee =
            match optional_text(&mut e, "commune_insee", "La commune", commune_insee, 5) {
                Some(c) => match InseeCode::parse(&c) {
                    Ok(c) => Some(c.as_str().to_string()),
                    Err(m) => {
                        e.add("commune_insee", m);
                        None
                    }
                },
                None => None,
            };
        e.into_result()?;
        Ok(Self {
            territoire_id,
            code,
            nom,
            kind: kind.unwrap_or(SiteKind::Mds),
            adresse,
            commune_insee,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSecteur {
    pub site_id: i64,
    pub code: String,
    pub nom: String,
}

impl NewSecteur {
    pub fn parse(site_id: &str, code: &str, nom: &str) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let site_id = parse_id(
            &mut e,
            "site_id",
            site_id,
            "Choisissez la maison des solidarités.",
        );
        let code = parse_code(&mut e, "code", code);
        let nom = required_text(&mut e, "nom", "Le nom", nom, 120);
        e.into_result()?;
        Ok(Self { site_id, code, nom })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPermanence {
    pub site_id: i64,
    pub commune_insee: String,
    pub nom: String,
    pub adresse: String,
    pub horaires: String,
}

impl NewPermanence {
    pub fn parse(
        site_id: &str,
        commune_insee: &str,
        nom: &str,
        adresse: &str,
        horaires: &str,
    ) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let site_id = parse_id(
            &mut e,
            "site_id",
            site_id,
            "Choisissez la maison des solidarités de rattachement.",
        );
        let commune_insee = match InseeCode::parse(commune_insee) {
            Ok(c) => c.as_str().to_string(),
            Err(m) => {
                e.add("commune_insee", m);
                String::new()
            }
        };
        let nom = required_text(&mut e, "nom", "Le nom", nom, 120);
        let adresse = required_text(&mut e, "adresse", "L'adresse", adresse, 200);
        let horaires = required_text(&mut e, "horaires", "Les horaires", horaires, 300);
        e.into_result()?;
        Ok(Self {
            site_id,
            commune_insee,
            nom,
            adresse,
            horaires,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewService {
    pub code: String,
    pub nom: String,
    pub kind: ServiceKind,
}

impl NewService {
    pub fn parse(code: &str, nom: &str, kind: &str) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let code = parse_code(&mut e, "code", code);
        let nom = required_text(&mut e, "nom", "Le nom", nom, 120);
        let kind = ServiceKind::parse(kind);
        if kind.is_none() {
            e.add("kind", "Choisissez le type de service.");
        }
        e.into_result()?;
        Ok(Self {
            code,
            nom,
            kind: kind.unwrap_or(ServiceKind::ServiceSocial),
        })
    }
}

/// Parses a select's value into an id; the message is the one shown beside the field.
pub fn parse_id(errors: &mut FieldErrors, field: &str, value: &str, message: &str) -> i64 {
    match value.trim().parse::<i64>() {
        Ok(id) if id > 0 => id,
        _ => {
            errors.add(field, message);
            0
        }
    }
}

/// Parses an ETP written the French way ("0,8", "1", "0.5") into hundredths.
pub fn parse_etp(text: &str) -> Result<i64, String> {
    let t = text.trim().replace(',', ".");
    match t.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) && v > 0.0 => Ok((v * 100.0).round() as i64),
        _ => Err(format!(
            "« {} » n'est pas un ETP entre 0,01 et 1.",
            text.trim()
        )),
    }
}

/// Formats hundredths of ETP the French way.
pub fn format_etp(centiemes: i64) -> String {
    let s = format!("{}.{:02}", centiemes / 100, centiemes % 100);
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    s.replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insee_codes_of_mainland_corsica_and_overseas_are_accepted() {
        assert_eq!(InseeCode::parse("86194").unwrap().departement(), "86");
        assert_eq!(InseeCode::parse("2a004").unwrap().as_str(), "2A004");
        assert_eq!(InseeCode::parse("97411").unwrap().departement(), "974");
    }

    #[test]
    fn malformed_insee_codes_are_refused_with_a_french_message() {
        for bad in ["8619", "861944", "AB123", "00000", ""] {
            let err = InseeCode::parse(bad).unwrap_err();
            assert!(err.contains("code INSEE"), "{bad}: {err}");
        }
    }

    #[test]
    fn etp_reads_french_decimals_and_rejects_more_than_one() {
        assert_eq!(parse_etp("0,8"), Ok(80));
        assert_eq!(parse_etp("1"), Ok(100));
        assert!(parse_etp("1,2").is_err());
        assert!(parse_etp("zéro").is_err());
        assert_eq!(format_etp(80), "0,8");
        assert_eq!(format_etp(100), "1");
        assert_eq!(format_etp(15900), "159");
    }

    #[test]
    fn a_site_form_reports_every_bad_field_at_once() {
        let err = NewSite::parse("", "", "", "XXX", "", "123").unwrap_err();
        for field in [
            "territoire_id",
            "code",
            "nom",
            "kind",
            "adresse",
            "commune_insee",
        ] {
            assert!(err.0.get(field).is_some(), "no message for {field}");
        }
    }
}

/// An agent of the département: staff record and account.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Agent {
    pub id: i64,
    pub matricule: String,
    pub prenom: String,
    pub nom: String,
    pub email: String,
    pub metier: String,
    pub role: crate::habilitations::Role,
    pub service_id: i64,
    pub pool_remplacement: bool,
    /// Sum of the ETP of the agent's open posts, in hundredths.
    pub etp_centiemes: i64,
    /// Sites of the agent's current assignments.
    pub site_ids: Vec<i64>,
    pub secteur_ids: Vec<i64>,
    pub ferme_le: Option<String>,
    #[serde(skip)]
    pub locked_until: Option<String>,
    #[serde(skip)]
    pub has_password: bool,
}

impl Agent {
    pub fn nom_complet(&self) -> String {
        format!("{} {}", self.prenom, self.nom)
    }
}

/// The form of an agent, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAgent {
    pub matricule: String,
    pub prenom: String,
    pub nom: String,
    pub email: String,
    pub metier: String,
    pub role: crate::habilitations::Role,
    pub service_id: i64,
    pub site_id: Option<i64>,
    pub secteur_id: Option<i64>,
    pub etp_centiemes: i64,
    pub pool_remplacement: bool,
}

/// The raw fields of the agent form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct AgentForm {
    #[serde(default)]
    pub matricule: String,
    #[serde(default)]
    pub prenom: String,
    #[serde(default)]
    pub nom: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub metier: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub service_id: String,
    #[serde(default)]
    pub site_id: String,
    #[serde(default)]
    pub secteur_id: String,
    #[serde(default)]
    pub etp: String,
    #[serde(default)]
    pub pool_remplacement: Option<String>,
}

impl NewAgent {
    pub fn parse(f: &AgentForm) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let matricule = parse_code(&mut e, "matricule", &f.matricule);
        let prenom = required_text(&mut e, "prenom", "Le prénom", &f.prenom, 80);
        let nom = required_text(&mut e, "nom", "Le nom", &f.nom, 80);
        let email = f.email.trim().to_lowercase();
        if !is_email(&email) {
            e.add(
                "email",
                "Saisissez une adresse électronique valide, par exemple prenom.nom@departement.fr.",
            );
        }
        let metier = f.metier.trim().to_string();
        if !METIERS.iter().any(|(c, _)| *c == metier) {
            e.add("metier", "Choisissez le métier.");
        }
        let role = crate::habilitations::Role::parse(f.role.trim());
        if role.is_none() {
            e.add("role", "Choisissez le rôle.");
        }
        let service_id = parse_id(
            &mut e,
            "service_id",
            &f.service_id,
            "Choisissez le service.",
        );
        let site_id = if f.site_id.trim().is_empty() {
            None
        } else {
            Some(parse_id(
                &mut e,
                "site_id",
                &f.site_id,
                "Choisissez un site valide.",
            ))
        };
        let secteur_id = if f.secteur_id.trim().is_empty() {
            None
        } else {
            Some(parse_id(
                &mut e,
                "secteur_id",
                &f.secteur_id,
                "Choisissez un secteur valide.",
            ))
        };
        let etp_centiemes = if f.etp.trim().is_empty() {
            100
        } else {
            match parse_etp(&f.etp) {
                Ok(v) => v,
                Err(m) => {
                    e.add("etp", m);
                    0
                }
            }
        };
        if secteur_id.is_some() && site_id.is_none() {
            e.add(
                "site_id",
                "Un secteur est rattaché à un site : choisissez aussi le site.",
            );
        }
        e.into_result()?;
        Ok(Self {
            matricule,
            prenom,
            nom,
            email,
            metier,
            role: role.unwrap_or(crate::habilitations::Role::Accueil),
            service_id,
            site_id,
            secteur_id,
            etp_centiemes,
            pool_remplacement: f.pool_remplacement.is_some(),
        })
    }
}

/// A plausible e-mail address (one @, a dot in the domain, no spaces).
pub fn is_email(s: &str) -> bool {
    let mut parts = s.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && s.len() <= 254
                && !s.chars().any(char::is_whitespace)
        }
        _ => false,
    }
}
