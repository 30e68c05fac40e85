//! Password rules for local accounts, after the ANSSI recommendations on authentication by password
//! (ANSSI, « Recommandations relatives à l'authentification multifacteur et aux mots de passe », 2021):
//! at least 12 characters drawn from the four classes, not built on the login, not a known weak word.

/// Checks a new password; the message says what to change.
pub fn check(password: &str, login: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < 12 {
        return Err("Le mot de passe doit contenir au moins 12 caractères.".into());
    }
    if len > 128 {
        return Err("Le mot de passe ne doit pas dépasser 128 caractères.".into());
    }
    let lower = password.chars().any(|c| c.is_lowercase());
    let upper = password.chars().any(|c| c.is_uppercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let special = password.chars().any(|c| !c.is_alphanumeric());
    if !(lower && upper && digit && special) {
        return Err(
            "Le mot de passe doit mêler minuscules, majuscules, chiffres et caractères spéciaux."
                .into(),
        );
    }
    let p = password.to_lowercase();
    let l = login.trim().to_lowercase();
    let local = l.split('@').next().unwrap_or("");
    if local.len() >= 3 && p.contains(local) {
        return Err("Le mot de passe ne doit pas contenir l'identifiant.".into());
    }
    for weak in [
        "motdepasse",
        "password",
        "azerty",
        "qwerty",
        "123456",
        "parcours",
        "solidarite",
    ] {
        if p.contains(weak) {
            return Err(format!("Le mot de passe ne doit pas contenir « {weak} »."));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn short_or_single_class_passwords_are_refused() {
        assert!(check("Court1!", "a@b.fr").is_err());
        assert!(check("toutenminusculeslongues", "a@b.fr").is_err());
    }

    #[test]
    fn a_password_containing_the_login_is_refused() {
        assert!(check("Marie.Durand-2026!", "marie.durand@cd96.fr")
            .unwrap_err()
            .contains("identifiant"));
    }

    #[test]
    fn a_long_mixed_password_is_accepted() {
        assert!(check("Ourson-Vert-42-Lune", "marie.durand@cd96.fr").is_ok());
    }
}

/// Hashes a password with Argon2id (the argon2 crate's defaults follow RFC 9106's second recommended
/// option: 19 MiB, 2 passes), with a random salt.
pub fn hash(password: &str) -> Result<String, String> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod hash_tests {
    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = super::hash("Ourson-Vert-42-Lune").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("Ourson-Vert-42-Lune", &h));
        assert!(!super::verify("Ourson-Vert-42-Lunf", &h));
        assert!(!super::verify("x", "pas-un-hash"));
    }
}
