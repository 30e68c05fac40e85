//! The wire protocol shared by the HTTP adapter and the test provider, so that both read and write
//! the very same JSON.

use serde::{Deserialize, Serialize};

use crate::{Carte, Operation};

/// Path of the orders, below the provider's base URL.
pub const CHEMIN_ORDRES: &str = "/v1/ordres";

/// Path of the cards, below the provider's base URL.
pub const CHEMIN_CARTES: &str = "/v1/cartes";

/// Header carrying the idempotency key of a `POST` (the order's `cle`).
pub const EN_TETE_IDEMPOTENCE: &str = "Idempotency-Key";

/// Body of the answer to `POST /v1/ordres` (201 for a new key, 200 for a known one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReponseOrdre {
    #[serde(flatten)]
    pub operation: Operation,
    /// Absent from a provider that tells a known key only by its 200 status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deja_recu: Option<bool>,
}

/// Body of a refusal (4xx) or failure (5xx): the provider's reason, in French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReponseErreur {
    pub erreur: String,
}

/// Body of the answer to `POST /v1/cartes` (201 for a new key, 200 for a known one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReponseCarte {
    #[serde(flatten)]
    pub carte: Carte,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deja_recu: Option<bool>,
}
