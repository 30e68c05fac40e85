//! The payment order Parcours sends, the operation the provider records, and the acknowledgement.

use serde::{Deserialize, Serialize};

/// How the aid reaches the payee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Load on a prepaid card (« carte de paiement créditée »).
    Carte,
    /// Bank transfer (« virement ») to the person or a third party (landlord, energy supplier).
    Virement,
}

/// One payment order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ordre {
    /// Idempotency key chosen by Parcours (e.g. `96-ordre-123`): the provider never pays the same
    /// key twice, so the key must be derived from the decision, never drawn afresh for a retry.
    pub cle: String,
    pub mode: Mode,
    /// Amount in euro cents, strictly positive.
    pub montant_centimes: i64,
    /// Name of the payee.
    pub beneficiaire: String,
    /// IBAN of the payee, for [`Mode::Virement`].
    pub iban: Option<String>,
    /// Reference of the card, for [`Mode::Carte`].
    pub carte: Option<String>,
    /// Wording shown on the statement, e.g. « Secours d'urgence — alimentation ».
    pub libelle: String,
}

/// The provider's acknowledgement of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accuse {
    /// The provider's operation id.
    pub reference: String,
    /// The key was already known: this answer is the first operation again, nothing was paid twice.
    pub deja_recu: bool,
}

/// An operation recorded by the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// The provider's operation id.
    pub reference: String,
    /// The idempotency key of the order.
    pub cle: String,
    pub mode: Mode,
    pub montant_centimes: i64,
    pub beneficiaire: String,
    /// The card loaded, for [`Mode::Carte`] (absent from an older ledger line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carte: Option<String>,
    /// `"execute"` once paid.
    pub statut: String,
    /// When the provider received the order (RFC 3339).
    pub recu_le: String,
}
