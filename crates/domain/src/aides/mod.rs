//! Financial aids (aides financières): the catalogue of funds and their rules as configuration with
//! their history, the household budget and its reste à vivre, the request and its decision under
//! the delegations, the register of prepaid payment cards, and the anomalies that hold a payment
//! order before it is paid.

pub mod anomalies;
pub mod budget;
pub mod carte;
pub mod catalogue;
pub mod demande;
pub mod montant;

#[cfg(test)]
mod tests;

pub use catalogue::{Fonds, Niveau, ReglesFonds};
pub use montant::Centimes;

/// How an aid is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModePaiement {
    /// A bank transfer to the person.
    VirementPersonne,
    /// A bank transfer to a third party (landlord, energy or water supplier).
    VirementTiers,
    /// A load on the département's prepaid payment card (seed 000).
    Carte,
}

impl ModePaiement {
    pub const ALL: [ModePaiement; 3] = [
        ModePaiement::VirementPersonne,
        ModePaiement::VirementTiers,
        ModePaiement::Carte,
    ];
    pub fn code(self) -> &'static str {
        match self {
            ModePaiement::VirementPersonne => "virement_personne",
            ModePaiement::VirementTiers => "virement_tiers",
            ModePaiement::Carte => "carte",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == s)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            ModePaiement::VirementPersonne => "Virement à la personne",
            ModePaiement::VirementTiers => "Virement à un tiers (bailleur, fournisseur)",
            ModePaiement::Carte => "Chargement de la carte de paiement",
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statut {
    /// Being instructed by the social worker.
    Instruction,
    /// Put on the agenda of a commission.
    Commission,
    Accordee,
    Refusee,
    /// Postponed, most often for missing documents.
    Ajournee,
    /// Withdrawn by the person or cancelled before any decision.
    Annulee,
}

impl Statut {
    pub const ALL: [Statut; 6] = [
        Statut::Instruction,
        Statut::Commission,
        Statut::Accordee,
        Statut::Refusee,
        Statut::Ajournee,
        Statut::Annulee,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Statut::Instruction => "instruction",
            Statut::Commission => "commission",
            Statut::Accordee => "accordee",
            Statut::Refusee => "refusee",
            Statut::Ajournee => "ajournee",
            Statut::Annulee => "annulee",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == s)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Statut::Instruction => "En instruction",
            Statut::Commission => "Inscrite en commission",
            Statut::Accordee => "Accordée",
            Statut::Refusee => "Refusée",
            Statut::Ajournee => "Ajournée",
            Statut::Annulee => "Annulée",
        }
    }
    /// Whether a decision may still be taken.
    pub fn en_cours(self) -> bool {
        matches!(
            self,
            Statut::Instruction | Statut::Commission | Statut::Ajournee
        )
    }
}

/// The direction of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sens {
    Accord,
    /// Granted for less than asked.
    AccordPartiel,
    Refus,
    Ajournement,
}

impl Sens {
    pub const ALL: [Sens; 4] = [
        Sens::Accord,
        Sens::AccordPartiel,
        Sens::Refus,
        Sens::Ajournement,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Sens::Accord => "accord",
            Sens::AccordPartiel => "accord_partiel",
            Sens::Refus => "refus",
            Sens::Ajournement => "ajournement",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == s)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Sens::Accord => "Accord",
            Sens::AccordPartiel => "Accord partiel",
            Sens::Refus => "Refus",
            Sens::Ajournement => "Ajournement",
        }
    }
    pub fn accorde(self) -> bool {
        matches!(self, Sens::Accord | Sens::AccordPartiel)
    }
    pub fn statut(self) -> Statut {
        match self {
            Sens::Accord | Sens::AccordPartiel => Statut::Accordee,
            Sens::Refus => Statut::Refusee,
            Sens::Ajournement => Statut::Ajournee,
        }
    }
}

/// Where a payment order stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum StatutOrdre {
    /// Created with the decision, waiting for the anomaly check of its batch.
    AVerifier,
    /// Held by one or more anomaly rules until a cadre releases or cancels it.
    Retenu,
    /// Checked (or released): the payment job sends it to the provider.
    Pret,
    /// Paid: the provider acknowledged it.
    Paye,
    /// Refused by the provider for good (bad IBAN, blocked card): to be corrected by a new order.
    Rejete,
    /// Cancelled by a cadre.
    Annule,
}

impl StatutOrdre {
    pub const ALL: [StatutOrdre; 6] = [
        StatutOrdre::AVerifier,
        StatutOrdre::Retenu,
        StatutOrdre::Pret,
        StatutOrdre::Paye,
        StatutOrdre::Rejete,
        StatutOrdre::Annule,
    ];
    pub fn code(self) -> &'static str {
        match self {
            StatutOrdre::AVerifier => "a_verifier",
            StatutOrdre::Retenu => "retenu",
            StatutOrdre::Pret => "pret",
            StatutOrdre::Paye => "paye",
            StatutOrdre::Rejete => "rejete",
            StatutOrdre::Annule => "annule",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == s)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            StatutOrdre::AVerifier => "À contrôler",
            StatutOrdre::Retenu => "Retenu pour examen",
            StatutOrdre::Pret => "Prêt à payer",
            StatutOrdre::Paye => "Payé",
            StatutOrdre::Rejete => "Rejeté par le prestataire",
            StatutOrdre::Annule => "Annulé",
        }
    }
}

/// Checks an IBAN by ISO 13616 (mod 97); returns it grouped by four, upper case, or a French message.
pub fn iban_normalise(s: &str) -> Result<String, String> {
    let compact: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if compact.len() < 15
        || compact.len() > 34
        || !compact.chars().all(|c| c.is_ascii_alphanumeric())
        || !compact[..2].chars().all(|c| c.is_ascii_alphabetic())
        || !compact[2..4].chars().all(|c| c.is_ascii_digit())
    {
        return Err(
            "L'IBAN n'a pas la forme attendue (deux lettres de pays, deux chiffres de contrôle, puis le numéro de compte)."
                .into(),
        );
    }
    let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
    let mut rest: u32 = 0;
    for c in rearranged.chars() {
        let v = c.to_digit(36).unwrap_or(0);
        rest = if v >= 10 {
            (rest * 100 + v) % 97
        } else {
            (rest * 10 + v) % 97
        };
    }
    if rest != 1 {
        return Err(
            "L'IBAN est erroné : sa clé de contrôle ne correspond pas. Vérifiez-le sur le RIB."
                .into(),
        );
    }
    Ok(compact
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" "))
}
