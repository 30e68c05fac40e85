//! CSV imports of the référentiel (secteurs, communes with their secteur): parsing, line-by-line
//! checks and the preview shown before anything is written. The store applies an accepted preview.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::types::{parse_code, parse_code_postal, InseeCode};
use crate::validation::{required_text, FieldErrors};

/// Which file is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Secteurs,
    Communes,
}

impl ImportKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "secteurs" => Some(Self::Secteurs),
            "communes" => Some(Self::Communes),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Self::Secteurs => "secteurs",
            Self::Communes => "communes",
        }
    }
    pub fn header(self) -> &'static [&'static str] {
        match self {
            Self::Secteurs => &["code", "nom", "site"],
            Self::Communes => &["insee", "nom", "codes_postaux", "population", "secteur"],
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::Secteurs => "Secteurs",
            Self::Communes => "Communes et rattachement aux secteurs",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecteurRow {
    pub code: String,
    pub nom: String,
    pub site_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommuneRow {
    pub insee: String,
    pub nom: String,
    pub codes_postaux: Vec<String>,
    pub population: i64,
    pub secteur_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// Line number in the file, header = line 1.
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

/// What an import would do, shown to the administrator before it is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub kind: ImportKind,
    pub secteurs: Vec<SecteurRow>,
    pub communes: Vec<CommuneRow>,
    pub rejected: Vec<Rejected>,
}

impl Preview {
    pub fn accepted(&self) -> usize {
        self.secteurs.len() + self.communes.len()
    }
}

/// An error that makes the whole file unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("Le fichier n'est pas encodé en UTF-8 (octet invalide à la position {0}). Enregistrez-le en « CSV UTF-8 » depuis le tableur.")]
    Encoding(usize),
    #[error("Le fichier est vide.")]
    Empty,
    #[error("Colonnes manquantes dans l'en-tête : {0}. En-tête attendu : {1}.")]
    MissingColumns(String, String),
    #[error("Fichier CSV illisible : {0}")]
    Csv(String),
    #[error("Le fichier dépasse {0} lignes ; découpez-le.")]
    TooLong(usize),
}

/// What the référentiel already holds, for the checks that need it.
#[derive(Debug, Default, Clone)]
pub struct Known {
    pub departement_code: String,
    pub site_codes: BTreeSet<String>,
    pub secteur_codes: BTreeSet<String>,
}

pub const MAX_LINES: usize = 100_000;

/// Parses a CSV file (UTF-8, optional BOM, comma or semicolon) into a preview.
pub fn preview(kind: ImportKind, bytes: &[u8], known: &Known) -> Result<Preview, FileError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FileError::Encoding(e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    // Spreadsheets in France export with semicolons; accept both.
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FileError::Csv(e.to_string()))?
        .clone();
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_lowercase(), i))
        .collect();
    let missing: Vec<&str> = kind
        .header()
        .iter()
        .copied()
        .filter(|c| !index.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        return Err(FileError::MissingColumns(
            missing.join(", "),
            kind.header().join(","),
        ));
    }
    let mut p = Preview {
        kind,
        secteurs: vec![],
        communes: vec![],
        rejected: vec![],
    };
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (n, record) in reader.records().enumerate() {
        if n >= MAX_LINES {
            return Err(FileError::TooLong(MAX_LINES));
        }
        let line = n as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                p.rejected.push(Rejected {
                    line,
                    column: None,
                    message: format!("ligne illisible : {e}"),
                });
                continue;
            }
        };
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get = |c: &str| record.get(index[c]).unwrap_or("").to_string();
        let mut reject = |column: &str, message: String| {
            p.rejected.push(Rejected {
                line,
                column: Some(column.to_string()),
                message,
            });
        };
        match kind {
            ImportKind::Secteurs => {
                // The rules of the secteur form (`NewSecteur::parse`): a secteur imported with a code
                // the form refuses could not be edited afterwards (found by fuzz/import_referentiel).
                let mut e = FieldErrors::new();
                let code = parse_code(&mut e, "code", &get("code"));
                let nom = required_text(&mut e, "nom", "Le nom du secteur", &get("nom"), 120);
                let site = get("site").to_uppercase();
                if let Some(m) = e.get("code") {
                    reject("code", m.to_string());
                } else if let Some(m) = e.get("nom") {
                    reject("nom", m.to_string());
                } else if !known.site_codes.contains(&site) {
                    reject("site", format!("site « {site} » inconnu du référentiel"));
                } else if !seen.insert(code.clone()) {
                    reject(
                        "code",
                        format!("secteur « {code} » présent deux fois dans le fichier"),
                    );
                } else {
                    p.secteurs.push(SecteurRow {
                        code,
                        nom,
                        site_code: site,
                    });
                }
            }
            ImportKind::Communes => {
                let insee = match InseeCode::parse(&get("insee")) {
                    Ok(c) => c,
                    Err(m) => {
                        reject("insee", m);
                        continue;
                    }
                };
                if !known.departement_code.is_empty()
                    && insee.departement() != known.departement_code
                {
                    reject(
                        "insee",
                        format!(
                            "la commune {} n'appartient pas au département {}",
                            insee.as_str(),
                            known.departement_code
                        ),
                    );
                    continue;
                }
                let nom = get("nom");
                if nom.is_empty() {
                    reject("nom", "nom de commune vide".into());
                    continue;
                }
                let mut codes = vec![];
                let mut bad_cp = None;
                for cp in get("codes_postaux")
                    .split(['|', ' ', '/'])
                    .filter(|s| !s.is_empty())
                {
                    match parse_code_postal(cp) {
                        Ok(c) => codes.push(c),
                        Err(m) => bad_cp = Some(m),
                    }
                }
                if let Some(m) = bad_cp {
                    reject("codes_postaux", m);
                    continue;
                }
                if codes.is_empty() {
                    reject(
                        "codes_postaux",
                        "au moins un code postal est attendu".into(),
                    );
                    continue;
                }
                let population_text = get("population").replace([' ', '\u{a0}', '\u{202f}'], "");
                let population = match population_text.parse::<i64>() {
                    Ok(v) if v >= 0 => v,
                    _ => {
                        reject(
                            "population",
                            format!("« {} » n'est pas un nombre d'habitants", get("population")),
                        );
                        continue;
                    }
                };
                let secteur = get("secteur").to_uppercase();
                let secteur_code = if secteur.is_empty() {
                    None
                } else if known.secteur_codes.contains(&secteur) {
                    Some(secteur)
                } else {
                    reject(
                        "secteur",
                        format!("secteur « {secteur} » inconnu du référentiel"),
                    );
                    continue;
                };
                if !seen.insert(insee.as_str().to_string()) {
                    reject(
                        "insee",
                        format!(
                            "commune {} présente deux fois dans le fichier",
                            insee.as_str()
                        ),
                    );
                    continue;
                }
                p.communes.push(CommuneRow {
                    insee: insee.as_str().to_string(),
                    nom,
                    codes_postaux: codes,
                    population,
                    secteur_code,
                });
            }
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Known {
        Known {
            departement_code: "96".into(),
            site_codes: ["MDS-NORD".to_string()].into(),
            secteur_codes: ["S01".to_string()].into(),
        }
    }

    #[test]
    fn a_commune_file_is_previewed_with_its_rejected_lines() {
        let csv = "insee,nom,codes_postaux,population,secteur\n96001,Aubrac-sur-Loue,96100,1200,S01\n97411,Ailleurs,97400,10,S01\n96002,Bourg,96200,xx,S01\n96003,Côte,96300,50,S99\n96004,Dune,96400|96410,50,\n";
        let p = preview(ImportKind::Communes, csv.as_bytes(), &known()).unwrap();
        assert_eq!(p.communes.len(), 2);
        assert_eq!(p.communes[1].codes_postaux, vec!["96400", "96410"]);
        let lines: Vec<_> = p
            .rejected
            .iter()
            .map(|r| (r.line, r.column.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (3, "insee".into()),
                (4, "population".into()),
                (5, "secteur".into())
            ]
        );
    }

    #[test]
    fn semicolons_and_a_bom_from_a_spreadsheet_are_accepted() {
        let csv = "\u{feff}code;nom;site\nS02;Secteur deux;mds-nord\n";
        let p = preview(ImportKind::Secteurs, csv.as_bytes(), &known()).unwrap();
        assert_eq!(p.secteurs[0].site_code, "MDS-NORD");
    }

    #[test]
    fn a_latin1_file_is_refused_as_a_whole_with_a_french_message() {
        let bytes = b"code,nom,site\nS02,Secteur d\xe9partemental,MDS-NORD\n";
        let err = preview(ImportKind::Secteurs, bytes, &known()).unwrap_err();
        assert!(matches!(err, FileError::Encoding(_)));
        assert!(err.to_string().contains("UTF-8"));
    }

    #[test]
    fn a_secteur_code_or_name_that_the_form_refuses_is_rejected() {
        // Found by fuzz/import_referentiel: NUL bytes (or spaces, accents) in a code passed the import.
        let csv =
            "code,nom,site\n\0\0S03,Secteur trois,MDS-NORD\nS 04,Quatre,MDS-NORD\nS05,,MDS-NORD\n";
        let long = format!("S06,{},MDS-NORD\n", "n".repeat(121));
        let p = preview(
            ImportKind::Secteurs,
            format!("{csv}{long}s07, Sept ,MDS-NORD\n").as_bytes(),
            &known(),
        )
        .unwrap();
        let rejected: Vec<_> = p
            .rejected
            .iter()
            .map(|r| (r.line, r.column.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            rejected,
            vec![
                (2, "code".into()),
                (3, "code".into()),
                (4, "nom".into()),
                (5, "nom".into())
            ]
        );
        assert_eq!(
            p.secteurs,
            vec![SecteurRow {
                code: "S07".into(),
                nom: "Sept".into(),
                site_code: "MDS-NORD".into()
            }]
        );
    }

    #[test]
    fn missing_columns_are_named() {
        let err = preview(ImportKind::Communes, b"insee,nom\n96001,A\n", &known()).unwrap_err();
        assert!(
            err.to_string()
                .contains("codes_postaux, population, secteur"),
            "{err}"
        );
    }
}
