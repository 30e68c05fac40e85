//! The catalogue of funds as configuration: each fund's rules (needs, income scale per consumption
//! unit, caps per request and per year, documents required, who decides up to which amount, how it is
//! paid) are a JSON document kept in versions dated from the day they apply, so that a request is
//! judged by the rules of its day and the history of a fund's rules stays readable. The default
//! catalogue below is the starting point of a new département: its amounts are examples of
//! règlements intérieurs, to be replaced by the département's own (they are not law).

use serde::{Deserialize, Serialize};

use super::{Centimes, ModePaiement};
use crate::FieldErrors;

/// Who decides a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Niveau {
    TravailleurSocial,
    Cadre,
    Commission,
}

impl Niveau {
    pub fn code(self) -> &'static str {
        match self {
            Niveau::TravailleurSocial => "travailleur_social",
            Niveau::Cadre => "cadre",
            Niveau::Commission => "commission",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Niveau::TravailleurSocial, Niveau::Cadre, Niveau::Commission]
            .into_iter()
            .find(|n| n.code() == s)
    }
    /// « Cette décision revient … ».
    pub fn a_qui(self) -> &'static str {
        match self {
            Niveau::TravailleurSocial => "au travailleur social",
            Niveau::Cadre => "au cadre de la MDS",
            Niveau::Commission => "à la commission",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Niveau::TravailleurSocial => "le travailleur social",
            Niveau::Cadre => "le cadre de la MDS",
            Niveau::Commission => "la commission",
        }
    }
}

/// A need a fund pays for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Besoin {
    pub code: String,
    pub libelle: String,
}

/// A document the request must carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    pub code: String,
    pub libelle: String,
}

/// The rules of a fund, as the département's règlement intérieur states them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReglesFonds {
    pub besoins: Vec<Besoin>,
    /// Income scale: the household's monthly resources per consumption unit may not exceed this.
    #[serde(default)]
    pub ressources_max_uc: Option<Centimes>,
    /// Or: the reste à vivre per consumption unit and per day may not exceed this.
    #[serde(default)]
    pub reste_a_vivre_max_jour_uc: Option<Centimes>,
    /// The most one request may ask.
    pub plafond_demande: Centimes,
    /// The most granted to one household (or person without a household) in a calendar year.
    pub plafond_annuel: Centimes,
    /// Age of the person the dossier is about (FAJ: 18 to 25, CASF L263-3).
    #[serde(default)]
    pub age_min: Option<u32>,
    #[serde(default)]
    pub age_max: Option<u32>,
    pub pieces: Vec<Piece>,
    /// Delegations: a social worker decides up to `delegation_ts`, a cadre up to `delegation_cadre`,
    /// the commission beyond. Zero means never at that level.
    pub delegation_ts: Centimes,
    pub delegation_cadre: Centimes,
    pub modes: Vec<ModePaiement>,
    /// A payee paid for the same need within this many days holds the new order for review.
    pub periode_doublon_jours: u32,
    /// Whether a budget of the household is required to instruct (and so the income scale checked).
    pub budget_requis: bool,
    /// Whether a load may go to the card of the foster carer who cares for the child (pocket money,
    /// clothing: seed 000), not only to the person's own card.
    #[serde(default)]
    pub carte_accueillant: bool,
}

impl ReglesFonds {
    /// Who decides a request of this amount.
    pub fn niveau_requis(&self, montant: Centimes) -> Niveau {
        if montant <= self.delegation_ts && self.delegation_ts.0 > 0 {
            Niveau::TravailleurSocial
        } else if montant <= self.delegation_cadre && self.delegation_cadre.0 > 0 {
            Niveau::Cadre
        } else {
            Niveau::Commission
        }
    }

    pub fn besoin(&self, code: &str) -> Option<&Besoin> {
        self.besoins.iter().find(|b| b.code == code)
    }

    /// Checks a version typed by an administrator: each message on the field concerned.
    pub fn verifier(&self) -> Result<(), crate::Invalid> {
        let mut e = FieldErrors::new();
        if self.besoins.is_empty() {
            e.add(
                "besoins",
                "Indiquez au moins un besoin que le fonds couvre.",
            );
        }
        if self.plafond_demande.0 <= 0 {
            e.add(
                "plafond_demande",
                "Le plafond par demande doit être positif.",
            );
        }
        if self.plafond_annuel < self.plafond_demande {
            e.add(
                "plafond_annuel",
                "Le plafond annuel ne peut pas être inférieur au plafond par demande.",
            );
        }
        if self.delegation_ts.0 > 0
            && self.delegation_cadre.0 > 0
            && self.delegation_ts > self.delegation_cadre
        {
            e.add(
                "delegation_ts",
                "La délégation du travailleur social ne peut pas dépasser celle du cadre.",
            );
        }
        if self.modes.is_empty() {
            e.add("modes", "Choisissez au moins un mode de paiement.");
        }
        if let (Some(a), Some(b)) = (self.age_min, self.age_max) {
            if a > b {
                e.add("age_max", "L'âge maximal est inférieur à l'âge minimal.");
            }
        }
        e.into_result()
    }
}

/// A fund with its current rules.
#[derive(Debug, Clone, Serialize)]
pub struct Fonds {
    pub code: String,
    pub libelle: String,
    /// The id of the version of the rules in force.
    pub version_id: i64,
    /// `AAAA-MM-JJ`: from when these rules apply.
    pub valide_du: String,
    pub regles: ReglesFonds,
}

fn b(code: &str, libelle: &str) -> Besoin {
    Besoin {
        code: code.into(),
        libelle: libelle.into(),
    }
}

fn p(code: &str, libelle: &str) -> Piece {
    Piece {
        code: code.into(),
        libelle: libelle.into(),
    }
}

/// The default catalogue of a new département (fund code, label, rules).
pub fn defaut() -> Vec<(&'static str, &'static str, ReglesFonds)> {
    use ModePaiement::*;
    let identite = p("identite", "Pièce d'identité ou titre de séjour");
    let ressources = p(
        "ressources",
        "Justificatifs de ressources des trois derniers mois",
    );
    let rib = p("rib", "RIB du bénéficiaire du paiement");
    let e = Centimes::euros;
    vec![
        (
            "secours_urgence",
            "Secours d'urgence",
            ReglesFonds {
                besoins: vec![
                    b("alimentation", "Alimentation et hygiène"),
                    b("energie", "Énergie (facture ou coupure)"),
                    b("transport", "Transport"),
                    b("sante", "Santé"),
                ],
                ressources_max_uc: None,
                reste_a_vivre_max_jour_uc: Some(e(10)),
                plafond_demande: e(300),
                plafond_annuel: e(600),
                age_min: None,
                age_max: None,
                pieces: vec![identite.clone()],
                delegation_ts: e(100),
                delegation_cadre: e(300),
                modes: vec![Carte, VirementPersonne, VirementTiers],
                periode_doublon_jours: 30,
                budget_requis: true,
                carte_accueillant: false,
            },
        ),
        (
            "allocation_mensuelle",
            "Allocation mensuelle d'aide sociale à l'enfance",
            ReglesFonds {
                besoins: vec![
                    b("entretien", "Entretien des enfants"),
                    b("loyer", "Maintien dans le logement"),
                ],
                ressources_max_uc: None,
                reste_a_vivre_max_jour_uc: Some(e(12)),
                plafond_demande: e(500),
                plafond_annuel: e(3000),
                age_min: None,
                age_max: None,
                pieces: vec![identite.clone(), ressources.clone()],
                delegation_ts: Centimes(0),
                delegation_cadre: e(300),
                modes: vec![Carte, VirementPersonne],
                periode_doublon_jours: 25,
                budget_requis: true,
                carte_accueillant: false,
            },
        ),
        (
            "fsl_acces",
            "FSL — accès au logement",
            ReglesFonds {
                besoins: vec![
                    b("depot_garantie", "Dépôt de garantie"),
                    b("premier_loyer", "Premier loyer"),
                    b("installation", "Frais d'installation"),
                ],
                ressources_max_uc: Some(e(1100)),
                reste_a_vivre_max_jour_uc: None,
                plafond_demande: e(1500),
                plafond_annuel: e(1500),
                age_min: None,
                age_max: None,
                pieces: vec![
                    identite.clone(),
                    ressources.clone(),
                    p("bail", "Bail ou promesse de location"),
                    rib.clone(),
                ],
                delegation_ts: Centimes(0),
                delegation_cadre: Centimes(0),
                modes: vec![VirementTiers],
                periode_doublon_jours: 365,
                budget_requis: true,
                carte_accueillant: false,
            },
        ),
        (
            "fsl_maintien",
            "FSL — maintien dans le logement",
            ReglesFonds {
                besoins: vec![b("impayes_loyer", "Impayés de loyer")],
                ressources_max_uc: Some(e(1100)),
                reste_a_vivre_max_jour_uc: None,
                plafond_demande: e(3000),
                plafond_annuel: e(3000),
                age_min: None,
                age_max: None,
                pieces: vec![
                    identite.clone(),
                    ressources.clone(),
                    p("decompte", "Décompte de la dette locative"),
                    rib,
                ],
                delegation_ts: Centimes(0),
                delegation_cadre: Centimes(0),
                modes: vec![VirementTiers],
                periode_doublon_jours: 365,
                budget_requis: true,
                carte_accueillant: false,
            },
        ),
        (
            "fsl_energie",
            "FSL — énergie",
            ReglesFonds {
                besoins: vec![
                    b("electricite", "Électricité"),
                    b("gaz", "Gaz"),
                    b("fioul", "Fioul ou bois"),
                ],
                ressources_max_uc: Some(e(1000)),
                reste_a_vivre_max_jour_uc: None,
                plafond_demande: e(500),
                plafond_annuel: e(800),
                age_min: None,
                age_max: None,
                pieces: vec![
                    identite.clone(),
                    ressources.clone(),
                    p("facture", "Facture ou échéancier du fournisseur"),
                ],
                delegation_ts: Centimes(0),
                delegation_cadre: e(300),
                modes: vec![VirementTiers],
                periode_doublon_jours: 180,
                budget_requis: true,
                carte_accueillant: false,
            },
        ),
        (
            "fsl_eau",
            "FSL — eau",
            ReglesFonds {
                besoins: vec![b("eau", "Facture d'eau")],
                ressources_max_uc: Some(e(1000)),
                reste_a_vivre_max_jour_uc: None,
                plafond_demande: e(300),
                plafond_annuel: e(500),
                age_min: None,
                age_max: None,
                pieces: vec![
                    identite.clone(),
                    ressources.clone(),
                    p("facture", "Facture du distributeur d'eau"),
                ],
                delegation_ts: Centimes(0),
                delegation_cadre: e(300),
                modes: vec![VirementTiers],
                periode_doublon_jours: 180,
                budget_requis: true,
                carte_accueillant: false,
            },
        ),
        (
            "faj",
            "Fonds d'aide aux jeunes",
            ReglesFonds {
                besoins: vec![
                    b("subsistance", "Subsistance"),
                    b(
                        "insertion",
                        "Projet d'insertion (formation, permis, équipement)",
                    ),
                    b("mobilite", "Mobilité"),
                ],
                ressources_max_uc: Some(e(900)),
                reste_a_vivre_max_jour_uc: None,
                plafond_demande: e(500),
                plafond_annuel: e(1000),
                age_min: Some(18),
                age_max: Some(25),
                pieces: vec![identite, ressources],
                delegation_ts: Centimes(0),
                delegation_cadre: e(200),
                modes: vec![Carte, VirementPersonne, VirementTiers],
                periode_doublon_jours: 30,
                budget_requis: true,
                carte_accueillant: false,
            },
        ),
        (
            "argent_de_poche",
            "Argent de poche (jeunes confiés à l'ASE)",
            ReglesFonds {
                besoins: vec![b("argent_de_poche", "Argent de poche du mois")],
                ressources_max_uc: None,
                reste_a_vivre_max_jour_uc: None,
                plafond_demande: e(80),
                plafond_annuel: e(960),
                age_min: None,
                age_max: Some(21),
                pieces: vec![],
                delegation_ts: e(80),
                delegation_cadre: e(80),
                modes: vec![Carte],
                periode_doublon_jours: 25,
                budget_requis: false,
                carte_accueillant: true,
            },
        ),
        (
            "veture",
            "Vêture (jeunes confiés à l'ASE)",
            ReglesFonds {
                besoins: vec![b("vetements", "Vêtements de saison")],
                ressources_max_uc: None,
                reste_a_vivre_max_jour_uc: None,
                plafond_demande: e(250),
                plafond_annuel: e(500),
                age_min: None,
                age_max: Some(21),
                pieces: vec![],
                delegation_ts: e(250),
                delegation_cadre: e(250),
                modes: vec![Carte],
                periode_doublon_jours: 60,
                budget_requis: false,
                carte_accueillant: true,
            },
        ),
    ]
}

/// A code of the catalogue (a fund, a need, a document): lower-case letters, digits and `_`, 2 to 40.
pub fn code_valide(code: &str) -> bool {
    (2..=40).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A code made from a label (« Frais d'obsèques » → `frais_d_obseques`).
pub fn code_de(libelle: &str) -> String {
    let mut out = String::new();
    // Letter by letter: `fold` drops what is not a letter, and the words must stay apart.
    for c in libelle.chars() {
        let f = crate::personnes::fold(&c.to_string()).to_lowercase();
        match f.chars().next() {
            Some(x) if x.is_ascii_alphanumeric() => out.push_str(&f),
            _ if !out.ends_with('_') && !out.is_empty() => out.push('_'),
            _ => {}
        }
    }
    out.trim_end_matches('_').chars().take(40).collect()
}

/// Reads a list typed one item per line as « code ; libellé »; a line without a code gets one from
/// its label, so that an administrator may just type labels, and existing codes (which requests
/// keep) stay as they were.
pub fn lire_liste(texte: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (n, ligne) in texte.lines().enumerate() {
        let l = ligne.trim();
        if l.is_empty() {
            continue;
        }
        let (code, libelle) = match l.split_once(';') {
            Some((c, lib)) => (c.trim().to_string(), lib.trim().to_string()),
            None => (code_de(l), l.to_string()),
        };
        if libelle.is_empty() || libelle.chars().count() > 120 {
            return Err(format!(
                "Ligne {} : indiquez un libellé de 120 caractères au plus.",
                n + 1
            ));
        }
        if !code_valide(&code) {
            return Err(format!(
                "Ligne {} : le code « {code} » ne va pas (lettres minuscules sans accent, chiffres et _, 2 à 40).",
                n + 1
            ));
        }
        if out.iter().any(|(c, _)| *c == code) {
            return Err(format!(
                "Ligne {} : le code « {code} » est déjà dans la liste.",
                n + 1
            ));
        }
        out.push((code, libelle));
    }
    Ok(out)
}

/// The list as the form shows it back, one « code ; libellé » per line.
pub fn ecrire_liste<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    items
        .map(|(c, l)| format!("{c} ; {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
