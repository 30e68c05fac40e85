//! Failures of the provider, sorted by what the caller should do next.

/// A failure to pay through the provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErreurFournisseur {
    /// Timeout, connection refused, HTTP 5xx/429/408, unreadable answer: the order may or may not have
    /// been paid, so retry later with the same key (the provider pays a key at most once).
    #[error("fournisseur de paiement momentanément indisponible, à réessayer : {0}")]
    Temporaire(String),
    /// Refusal (HTTP 4xx: bad IBAN, blocked card, token refused…) with the provider's reason, or an
    /// order that could not be sent at all: certainly not paid, a retry would fail the same way.
    #[error("paiement refusé : {0}")]
    Definitive(String),
}

impl ErreurFournisseur {
    /// Whether a retry with the same key may succeed.
    pub fn est_temporaire(&self) -> bool {
        matches!(self, Self::Temporaire(_))
    }

    /// The reason alone, without the prefix of the message.
    pub fn motif(&self) -> &str {
        match self {
            Self::Temporaire(m) | Self::Definitive(m) => m,
        }
    }
}
