//! The register of prepaid payment cards (seed 000: « une carte de paiement créditée » to pay monthly
//! allowances, pocket money and clothing, and to pay foster carers the pocket money and clothing of
//! the children in their care): who holds a card, its life (asked, active, blocked), and which cards
//! a request may be paid on.

use serde::{Deserialize, Serialize};

use crate::FieldErrors;

/// Who holds a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Titulaire {
    /// A person of Parcours: a young person of the ASE, a beneficiary.
    Personne,
    /// A foster carer (assistant familial), paid the pocket money and clothing of the children she
    /// cares for.
    AssistantFamilial,
}

impl Titulaire {
    pub fn code(self) -> &'static str {
        match self {
            Titulaire::Personne => "personne",
            Titulaire::AssistantFamilial => "assistant_familial",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Titulaire::Personne, Titulaire::AssistantFamilial]
            .into_iter()
            .find(|t| t.code() == s)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Titulaire::Personne => "Personne accompagnée",
            Titulaire::AssistantFamilial => "Assistant familial",
        }
    }
}

/// Where a card stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatutCarte {
    /// Asked in Parcours; the job has not yet had it issued by the provider.
    AEmettre,
    Active,
    /// No load is sent to it any more (lost, stolen, end of the placement).
    Bloquee,
    /// The provider refused to issue it.
    Refusee,
}

impl StatutCarte {
    pub const ALL: [StatutCarte; 4] = [
        StatutCarte::AEmettre,
        StatutCarte::Active,
        StatutCarte::Bloquee,
        StatutCarte::Refusee,
    ];
    pub fn code(self) -> &'static str {
        match self {
            StatutCarte::AEmettre => "a_emettre",
            StatutCarte::Active => "active",
            StatutCarte::Bloquee => "bloquee",
            StatutCarte::Refusee => "refusee",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == s)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            StatutCarte::AEmettre => "En cours d'émission",
            StatutCarte::Active => "Active",
            StatutCarte::Bloquee => "Bloquée",
            StatutCarte::Refusee => "Émission refusée",
        }
    }
}

/// What the form of a new card sends.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CarteForm {
    /// `personne` or `assistant_familial`.
    pub titulaire: String,
    /// The person, for a card held by a person (chosen by name).
    #[serde(default)]
    pub personne_id: String,
    /// The foster carer's name and first name, and the number of her approval.
    #[serde(default)]
    pub nom: String,
    #[serde(default)]
    pub prenom: String,
    #[serde(default)]
    pub agrement: String,
    /// The MDS that manages the card.
    #[serde(default)]
    pub site_id: String,
}

/// A checked request for a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NouvelleCarte {
    pub titulaire: Titulaire,
    pub personne_id: Option<i64>,
    /// « Prénom NOM » of a foster carer (a person's name is read from her file).
    pub nom: Option<String>,
    pub agrement: Option<String>,
    pub site_id: i64,
}

fn nom_valide(s: &str) -> bool {
    let n = s.chars().count();
    (1..=80).contains(&n)
        && s.chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.'))
}

/// Checks the form of a new card; each message on its field.
pub fn verifier(f: &CarteForm) -> Result<NouvelleCarte, crate::Invalid> {
    let mut e = FieldErrors::new();
    let titulaire = Titulaire::parse(&f.titulaire);
    if titulaire.is_none() {
        e.add(
            "titulaire",
            "Choisissez qui tient la carte : une personne accompagnée ou un assistant familial.",
        );
    }
    let site_id = f.site_id.trim().parse::<i64>().ok();
    if site_id.is_none() {
        e.add("site_id", "Choisissez la MDS qui gère la carte.");
    }
    let mut personne_id = None;
    let mut nom = None;
    let mut agrement = None;
    match titulaire {
        Some(Titulaire::Personne) => match f.personne_id.trim().parse::<i64>() {
            Ok(p) => personne_id = Some(p),
            Err(_) => e.add(
                "personne_id",
                "Cherchez la personne par son nom, puis choisissez-la.",
            ),
        },
        Some(Titulaire::AssistantFamilial) => {
            let n = f.nom.trim();
            let p = f.prenom.trim();
            if !nom_valide(n) {
                e.add(
                    "nom",
                    "Indiquez le nom de l'assistant familial (lettres, espaces, tirets ; 80 caractères au plus).",
                );
            }
            if !nom_valide(p) {
                e.add(
                    "prenom",
                    "Indiquez le prénom de l'assistant familial (lettres, espaces, tirets ; 80 caractères au plus).",
                );
            }
            let a = f.agrement.trim();
            if a.is_empty() {
                e.add(
                    "agrement",
                    "Indiquez le numéro de l'agrément de l'assistant familial (il figure sur l'arrêté d'agrément).",
                );
            } else if a.chars().count() > 40
                || !a
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | ' '))
            {
                e.add(
                    "agrement",
                    "Le numéro d'agrément se compose de chiffres, de lettres, de tirets et de barres obliques (40 caractères au plus).",
                );
            } else {
                agrement = Some(a.to_uppercase());
            }
            nom = Some(format!("{p} {}", n.to_uppercase()));
        }
        None => {}
    }
    e.into_result()?;
    Ok(NouvelleCarte {
        titulaire: titulaire.expect("checked above"),
        personne_id,
        nom,
        agrement,
        site_id: site_id.expect("checked above"),
    })
}

/// Checks why a card is blocked (the provider and the register keep it).
pub fn motif_blocage(motif: &str) -> Result<String, crate::Invalid> {
    let m = motif.trim();
    let mut e = FieldErrors::new();
    if m.is_empty() {
        e.add(
            "motif",
            "Indiquez pourquoi la carte est bloquée (perte, vol, fin de l'accueil…).",
        );
    } else if m.chars().count() > 500 {
        e.add("motif", "500 caractères au plus.");
    }
    e.into_result()?;
    Ok(m.to_string())
}

/// A card a request may be paid on: an active card of the person, or of a foster carer when the
/// fund allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarteChoix {
    pub reference: String,
    /// The holder's name: the payee of the load.
    pub titulaire: String,
    /// What the agent reads in the list, e.g. « Carte FTC-000004 de Nadia BENALI, assistante familiale ».
    pub libelle: String,
    /// A foster carer's card, offered only when the fund's rules allow it (`carte_accueillant`).
    pub accueillant: bool,
}

/// The cards a request of a fund may load, out of the person's and the foster carers' ones.
pub fn pour_le_fonds(cartes: &[CarteChoix], carte_accueillant: bool) -> Vec<CarteChoix> {
    cartes
        .iter()
        .filter(|c| carte_accueillant || !c.accueillant)
        .cloned()
        .collect()
}
