//! IBAN check (ISO 13616): the structure and the mod-97 check digits, which catch any single typo and
//! most swaps of two characters before an order leaves Parcours.

/// Whether `iban` (spaces allowed, any case) is well formed and its check digits are right.
/// The length of each country's BBAN is not checked.
pub fn iban_valide(iban: &str) -> bool {
    let compact: Vec<u8> = iban
        .bytes()
        .filter(|b| *b != b' ')
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if !(15..=34).contains(&compact.len())
        || !compact[..2].iter().all(u8::is_ascii_uppercase)
        || !compact[2..4].iter().all(u8::is_ascii_digit)
        || !compact.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    // The first four characters move to the end, each letter becomes two digits (A = 10 … Z = 35),
    // and the number must be 1 modulo 97; computed digit by digit since it has up to 68 digits.
    let mut reste: u32 = 0;
    for &c in compact[4..].iter().chain(&compact[..4]) {
        if c.is_ascii_digit() {
            reste = (reste * 10 + u32::from(c - b'0')) % 97;
        } else {
            reste = (reste * 100 + u32::from(c - b'A') + 10) % 97;
        }
    }
    reste == 1
}

#[cfg(test)]
mod tests {
    use super::iban_valide;

    #[test]
    fn ibans_valides() {
        assert!(iban_valide("FR7630006000011234567890189"));
        assert!(iban_valide("FR76 3000 6000 0112 3456 7890 189"));
        assert!(iban_valide("fr7630006000011234567890189"));
        assert!(iban_valide("DE89370400440532013000"));
        assert!(iban_valide("GB82WEST12345698765432"));
    }

    #[test]
    fn ibans_invalides() {
        // One digit changed.
        assert!(!iban_valide("FR7630006000011234567890188"));
        // Two characters swapped.
        assert!(!iban_valide("FR7630006000011234567890198"));
        assert!(!iban_valide(""));
        assert!(!iban_valide("FR76"));
        assert!(!iban_valide("7630006000011234567890189FR"));
        assert!(!iban_valide("FR76-3000-6000-0112-3456-7890-189"));
        assert!(!iban_valide("FR763000600001123456789018É"));
    }
}
