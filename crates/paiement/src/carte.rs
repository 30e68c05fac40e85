//! The prepaid payment card as the provider issues, blocks and reports it (seed 000: « une carte de
//! paiement créditée » for allowances, pocket money and clothing, also given to foster carers).

use serde::{Deserialize, Serialize};

/// What Parcours sends to have a card issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemandeCarte {
    /// Idempotency key chosen by Parcours (`96-carte-12`): a retried issuance never makes two cards.
    pub cle: String,
    /// The holder's name, as printed on the card.
    pub titulaire: String,
}

/// Why a card is blocked (lost, stolen, end of the foster placement…), in the agent's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemandeBlocage {
    pub motif: String,
}

/// A card as the provider knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carte {
    /// The provider's reference of the card, the one a load names.
    pub reference: String,
    /// The idempotency key of its issuance.
    pub cle: String,
    pub titulaire: String,
    /// `"active"` or `"bloquee"`.
    pub statut: String,
    /// When the provider issued it (RFC 3339).
    pub emise_le: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bloquee_le: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motif_blocage: Option<String>,
    /// What the card holds, in euro cents: the loads less what the holder spent.
    #[serde(default)]
    pub solde_centimes: i64,
}

impl Carte {
    pub fn bloquee(&self) -> bool {
        self.statut == "bloquee"
    }
}
