//! The batch calculator behind `parcours echeances`: a CSV of cases (`regle,debut,naissance`) in, the
//! same rows with their `echeance` out. All or nothing: the first bad line stops the run with a
//! French message naming it, and no output is produced.

use chrono::NaiveDate;

use super::{regle, Echeancier, Moment};

/// A line of the input that cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ligne {ligne} : {message}")]
pub struct ErreurLot {
    /// The line number in the file (the header is line 1).
    pub ligne: u64,
    pub message: String,
}

fn erreur(ligne: u64, message: impl Into<String>) -> ErreurLot {
    ErreurLot {
        ligne,
        message: message.into(),
    }
}

/// Computes every row of `entree`; returns the output CSV.
pub fn calculer_lot(ech: &Echeancier, entree: &[u8]) -> Result<Vec<u8>, ErreurLot> {
    let entree = entree.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(entree);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(entree);
    let entete = rdr
        .headers()
        .map_err(|e| erreur(1, format!("en-tête illisible ({e})")))?
        .clone();
    let colonne = |nom: &str| {
        entete
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(nom))
    };
    let (Some(c_regle), Some(c_debut)) = (colonne("regle"), colonne("debut")) else {
        return Err(erreur(
            1,
            "l'en-tête doit être « regle,debut,naissance » (colonnes regle et debut obligatoires)",
        ));
    };
    let c_naissance = colonne("naissance");
    if colonne("echeance").is_some() {
        return Err(erreur(
            1,
            "la colonne echeance est celle que la commande écrit",
        ));
    }

    let mut out = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut tete: Vec<&str> = entete.iter().collect();
    tete.push("echeance");
    out.write_record(&tete)
        .map_err(|e| erreur(1, e.to_string()))?;

    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let ligne = e.position().map(|p| p.line()).unwrap_or(0);
            erreur(ligne, format!("ligne CSV illisible ({e})"))
        })?;
        let ligne = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != entete.len() {
            return Err(erreur(
                ligne,
                format!(
                    "{} colonnes au lieu de {} (en-tête : {})",
                    rec.len(),
                    entete.len(),
                    tete[..tete.len() - 1].join(",")
                ),
            ));
        }
        let id = rec.get(c_regle).unwrap_or("").trim();
        if id.is_empty() {
            return Err(erreur(ligne, "règle manquante"));
        }
        let r = regle(id).ok_or_else(|| {
            erreur(
                ligne,
                format!("règle « {id} » inconnue de l'échéancier (référence §10)"),
            )
        })?;
        let brut = rec.get(c_debut).unwrap_or("").trim();
        if brut.is_empty() {
            return Err(erreur(ligne, "date de début manquante"));
        }
        let debut = Moment::parse(brut).ok_or_else(|| {
            erreur(
                ligne,
                format!(
                    "date de début « {brut} » invalide : attendu AAAA-MM-JJ, ou AAAA-MM-JJTHH:MM pour une règle en heures"
                ),
            )
        })?;
        let naissance = match c_naissance.and_then(|c| rec.get(c)).map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                erreur(
                    ligne,
                    format!("date de naissance « {s} » invalide : attendu AAAA-MM-JJ"),
                )
            })?),
        };
        let echeance = ech
            .echeance(r, debut, naissance)
            .map_err(|e| erreur(ligne, e.to_string()))?;
        let mut champs: Vec<String> = rec.iter().map(str::to_string).collect();
        champs.push(echeance.iso());
        out.write_record(&champs)
            .map_err(|e| erreur(ligne, e.to_string()))?;
    }
    out.into_inner()
        .map_err(|e| erreur(0, format!("écriture impossible ({e})")))
}
