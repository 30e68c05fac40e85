//! Seeds and the draw: seed string → SHA-256 → ChaCha20, commit-then-reveal, picking one panel.

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};

use crate::distribution::{Distribution, Panel};
use crate::error::TirageError;
use crate::input::sha256_hex;

/// Separator between revealed values when they are combined into one seed string.
pub const SEPARATEUR: &str = "|";

/// SHA-256 (hex) commitment of a value to be revealed later.
pub fn engagement(valeur: &str) -> String {
    sha256_hex(valeur.as_bytes())
}

/// Checks revealed values against published commitments (same order, same count) and returns
/// the seed string: the values joined by [`SEPARATEUR`].
pub fn graine_depuis_revelations(
    engagements: &[String],
    revelations: &[String],
) -> Result<String, TirageError> {
    if engagements.len() != revelations.len() {
        return Err(TirageError::Graine(format!(
            "{} valeurs révélées pour {} engagements publiés",
            revelations.len(),
            engagements.len()
        )));
    }
    for (i, (e, r)) in engagements.iter().zip(revelations).enumerate() {
        if engagement(r) != e.to_lowercase() {
            return Err(TirageError::Graine(format!(
                "la valeur révélée n°{} ne correspond pas à l'engagement publié {e}",
                i + 1
            )));
        }
    }
    Ok(revelations.join(SEPARATEUR))
}

/// The random stream of a seed: ChaCha20 keyed by SHA-256 of the UTF-8 seed string.
pub fn generateur(graine: &str) -> ChaCha20Rng {
    let cle: [u8; 32] = Sha256::digest(graine.as_bytes()).into();
    ChaCha20Rng::from_seed(cle)
}

/// Uniform number in [0,1) from the first 64-bit output: its top 53 bits over 2^53. Spelled out
/// here, rather than taken from `rand`, so the draw can be reproduced from this description.
pub fn uniforme(graine: &str) -> f64 {
    let mut rng = generateur(graine);
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Draws one concrete panel: u = [`uniforme`]`(seed)`, then the first panel, in published order,
/// whose cumulative probability exceeds u.
pub fn draw(distribution: &Distribution, seed: &str) -> Panel {
    let u = uniforme(seed);
    let mut cumul = 0.0;
    for p in &distribution.panels {
        cumul += p.probability;
        if u < cumul {
            return p.clone();
        }
    }
    // Rounding left u above the total: the last panel with positive probability.
    distribution
        .panels
        .iter()
        .rev()
        .find(|p| p.probability > 0.0)
        .or(distribution.panels.last())
        .cloned()
        .unwrap_or(Panel {
            members: Vec::new(),
            probability: 0.0,
        })
}
