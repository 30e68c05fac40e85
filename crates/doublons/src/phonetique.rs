//! French phonetic key for names: a simplified French phonetic code in the spirit of Phonex
//! (F. Brouard, 1999) and « Soundex FR ».
//!
//! Why our own: crates.io has phonetic crates (`rphonetic`: Soundex, Metaphone, Cologne, Beider–Morse…)
//! but none with a French algorithm that is maintained; English Soundex/Metaphone map French spellings
//! badly (silent final letters, nasal vowels, « eau », « ph », « gu »). The rules below are applied in
//! order on an upper-case ASCII name (see `normalise::plier`) and keep vowels, so that the key stays
//! selective enough to be a blocking key, while the usual spelling variants collapse:
//! Lefèvre/Lefebvre, Gauthier/Gautier, Philippe/Filipe, Catherine/Katherine, Renaud/Renault/Reno.

/// Computes the phonetic key of one name token (letters A–Z; anything else is ignored). The
/// algorithm lives in the domain, so that the person search and the duplicate matcher agree on which
/// names sound alike.
pub fn cle_phonetique(nom: &str) -> String {
    parcours_domain::personnes::Recherche::phonetique(nom)
}

#[cfg(test)]
mod tests {
    use super::cle_phonetique as k;

    #[test]
    fn variantes_orthographiques() {
        assert_eq!(k("LEFEVRE"), k("LEFEBVRE"));
        assert_eq!(k("GAUTHIER"), k("GAUTIER"));
        assert_eq!(k("PHILIPPE"), k("FILIPE"));
        assert_eq!(k("CATHERINE"), k("KATHERINE"));
        assert_eq!(k("RENAUD"), k("RENAULT"));
        assert_eq!(k("RENAUD"), k("RENO"));
        assert_eq!(k("THOMAS"), k("TOMAS"));
        assert_eq!(k("FRANCOIS"), k("FRANCOISE"));
        assert_eq!(k("ROUSSEAU"), k("ROUSSO"));
        assert_eq!(k("BERNARD"), k("BERNAR"));
    }

    #[test]
    fn noms_differents_restent_distincts() {
        assert_ne!(k("MARTIN"), k("MARTINEZ"));
        assert_ne!(k("DUBOIS"), k("DUPONT"));
        assert_ne!(k("LOUIS"), k("LUC"));
        assert_eq!(k(""), "");
        assert_eq!(k("123"), "");
    }
}
