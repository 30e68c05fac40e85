//! CSV input (records) and output (pairs), with French errors naming the line and the column.

use std::io::{Read, Write};

use crate::{Date, Pair, Record, Sexe};

/// The input header, in this order (columns may come in any order; extra ones are ignored).
pub const COLONNES: [&str; 10] = [
    "record_id",
    "nom_naissance",
    "nom_usage",
    "prenoms",
    "sexe",
    "date_naissance",
    "commune_naissance_insee",
    "adresse",
    "code_postal",
    "commune",
];

/// A CSV error, in French, with its place in the file (line numbers start at 1, the header is line 1).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ErreurCsv {
    #[error("en-tête : colonne manquante « {0} » (attendu : {cols})", cols = COLONNES.join(","))]
    ColonneManquante(String),
    #[error("ligne {ligne}, colonne « {colonne} » : texte non UTF-8")]
    NonUtf8 { ligne: u64, colonne: String },
    #[error(
        "ligne {ligne}, colonne « {colonne} » : date invalide « {valeur} » (attendu AAAA-MM-JJ)"
    )]
    DateInvalide {
        ligne: u64,
        colonne: String,
        valeur: String,
    },
    #[error("ligne {ligne}, colonne « {colonne} » : sexe invalide « {valeur} » (attendu M ou F)")]
    SexeInvalide {
        ligne: u64,
        colonne: String,
        valeur: String,
    },
    #[error("ligne {ligne}, colonne « record_id » : identifiant vide")]
    IdentifiantVide { ligne: u64 },
    #[error("ligne {ligne} : {nombre} champs au lieu de {attendu}")]
    NombreDeChamps {
        ligne: u64,
        nombre: usize,
        attendu: usize,
    },
    #[error("fichier vide : l'en-tête est absent")]
    Vide,
    #[error("ligne {ligne} : lecture impossible : {message}")]
    Lecture { ligne: u64, message: String },
}

/// Reads records from a CSV (UTF-8, comma, header as in [`COLONNES`]).
pub fn read_records<R: Read>(lecteur: R) -> Result<Vec<Record>, ErreurCsv> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(lecteur);
    let mut ligne_brute = csv::ByteRecord::new();
    let lire = |csv: &mut csv::Reader<R>, b: &mut csv::ByteRecord| -> Result<bool, ErreurCsv> {
        csv.read_byte_record(b).map_err(|e| ErreurCsv::Lecture {
            ligne: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })
    };
    if !lire(&mut csv, &mut ligne_brute)? {
        return Err(ErreurCsv::Vide);
    }
    let entete: Vec<String> = ligne_brute
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let c = if i == 0 {
                c.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(c)
            } else {
                c
            };
            String::from_utf8_lossy(c).trim().to_string()
        })
        .collect();
    let mut positions = [0usize; 10];
    for (k, nom) in COLONNES.iter().enumerate() {
        positions[k] = entete
            .iter()
            .position(|c| c == nom)
            .ok_or_else(|| ErreurCsv::ColonneManquante((*nom).to_string()))?;
    }
    let largeur = entete.len();
    let mut records = Vec::new();
    while lire(&mut csv, &mut ligne_brute)? {
        let ligne = ligne_brute.position().map_or(0, |p| p.line());
        if ligne_brute.len() == 1 && ligne_brute.get(0).is_some_and(<[u8]>::is_empty) {
            continue; // blank line
        }
        if ligne_brute.len() != largeur {
            return Err(ErreurCsv::NombreDeChamps {
                ligne,
                nombre: ligne_brute.len(),
                attendu: largeur,
            });
        }
        let mut champs: [&str; 10] = [""; 10];
        for (k, &p) in positions.iter().enumerate() {
            let brut = ligne_brute.get(p).unwrap_or_default();
            champs[k] = std::str::from_utf8(brut)
                .map_err(|_| ErreurCsv::NonUtf8 {
                    ligne,
                    colonne: COLONNES[k].to_string(),
                })?
                .trim();
        }
        let [record_id, nom_naissance, nom_usage, prenoms, sexe, date, commune_naissance_insee, adresse, code_postal, commune] =
            champs;
        if record_id.is_empty() {
            return Err(ErreurCsv::IdentifiantVide { ligne });
        }
        let date_naissance = if date.is_empty() {
            None
        } else {
            Some(Date::parse(date).ok_or_else(|| ErreurCsv::DateInvalide {
                ligne,
                colonne: "date_naissance".into(),
                valeur: date.to_string(),
            })?)
        };
        let sexe = match sexe.to_ascii_uppercase().as_str() {
            "" => None,
            "M" | "H" | "1" => Some(Sexe::M),
            "F" | "2" => Some(Sexe::F),
            _ => {
                return Err(ErreurCsv::SexeInvalide {
                    ligne,
                    colonne: "sexe".into(),
                    valeur: sexe.to_string(),
                })
            }
        };
        records.push(Record {
            record_id: record_id.to_string(),
            nom_naissance: nom_naissance.to_string(),
            nom_usage: nom_usage.to_string(),
            prenoms: prenoms.to_string(),
            sexe,
            date_naissance,
            commune_naissance_insee: commune_naissance_insee.to_string(),
            adresse: adresse.to_string(),
            code_postal: code_postal.to_string(),
            commune: commune.to_string(),
        });
    }
    Ok(records)
}

/// Writes records with the input header (used by the test-data generator).
pub fn write_records<W: Write>(sortie: W, records: &[Record]) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(sortie);
    csv.write_record(COLONNES)?;
    for r in records {
        let sexe = match r.sexe {
            Some(Sexe::M) => "M",
            Some(Sexe::F) => "F",
            None => "",
        };
        let date = r.date_naissance.map(|d| d.to_string()).unwrap_or_default();
        csv.write_record([
            r.record_id.as_str(),
            &r.nom_naissance,
            &r.nom_usage,
            &r.prenoms,
            sexe,
            &date,
            &r.commune_naissance_insee,
            &r.adresse,
            &r.code_postal,
            &r.commune,
        ])?;
    }
    csv.flush()
}

/// Writes pairs as `record_id_a,record_id_b,score` (score with 4 decimals), in the given order.
pub fn write_pairs<W: Write>(sortie: W, paires: &[Pair]) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(sortie);
    csv.write_record(["record_id_a", "record_id_b", "score"])?;
    for p in paires {
        csv.write_record([
            p.record_id_a.as_str(),
            p.record_id_b.as_str(),
            &format!("{:.4}", p.score),
        ])?;
    }
    csv.flush()
}
