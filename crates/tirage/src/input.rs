//! Reading `features.csv` (quotas) and `people.csv` (volunteers) into an [`Instance`], with
//! line-and-column French errors, and grouping volunteers into interchangeable types.

use std::collections::BTreeMap;
use std::io::Read;

use sha2::{Digest, Sha256};

use crate::error::TirageError;

const QUOTAS: &str = "features.csv";
const VOLONTAIRES: &str = "people.csv";

/// Quota bounds for one value of one feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValeurQuota {
    /// Value as written in `features.csv` (trimmed).
    pub nom: String,
    pub min: u32,
    pub max: u32,
    /// Line in `features.csv` (header is line 1), kept to name it in messages.
    pub ligne: usize,
}

/// One feature (column of `people.csv`) with its values' quotas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caracteristique {
    pub nom: String,
    pub valeurs: Vec<ValeurQuota>,
}

/// All quotas, features in order of first appearance in `features.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    pub caracteristiques: Vec<Caracteristique>,
    /// SHA-256 of the raw file, recorded in results so the verifier can tell the inputs changed.
    pub empreinte: String,
}

/// One volunteer: the id and, for each feature of [`Quotas`], the index of their value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volontaire {
    pub id: String,
    pub valeurs: Vec<usize>,
    pub ligne: usize,
}

/// The pool read from `people.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volontaires {
    /// Sorted by id, so every later step is independent of the file's row order.
    pub liste: Vec<Volontaire>,
    pub empreinte: String,
}

/// A complete, validated sortition problem.
#[derive(Debug, Clone)]
pub struct Instance {
    pub quotas: Quotas,
    pub volontaires: Volontaires,
    pub taille: usize,
    /// Volunteers with identical feature vectors, sorted by feature vector; members sorted by id.
    pub types: Vec<Type>,
}

/// An equivalence class of interchangeable volunteers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Type {
    /// Value index per feature.
    pub valeurs: Vec<usize>,
    /// Indices into `Instance::volontaires.liste`, increasing (hence sorted by id).
    pub membres: Vec<usize>,
}

impl Type {
    pub fn multiplicite(&self) -> usize {
        self.membres.len()
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the whole input, rejects non-UTF-8 with the position of the first bad byte, drops a BOM.
fn lire_utf8(
    mut reader: impl Read,
    fichier: &'static str,
) -> Result<(String, String), TirageError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| TirageError::CsvMalForme {
            fichier,
            ligne: 1,
            colonne: String::new(),
            detail: format!("lecture impossible : {e}"),
        })?;
    let empreinte = sha256_hex(&bytes);
    let sans_bom = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(sans_bom) {
        Ok(s) => Ok((s.to_owned(), empreinte)),
        Err(e) => {
            let pos = e.valid_up_to();
            let avant = &sans_bom[..pos];
            let ligne = avant.iter().filter(|&&b| b == b'\n').count() + 1;
            let debut_ligne = avant.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            // Column = number of separators before the bad byte on its line, 1-based.
            let colonne = avant[debut_ligne..].iter().filter(|&&b| b == b',').count() + 1;
            Err(TirageError::EncodageInvalide {
                fichier,
                ligne,
                colonne,
                octet: pos + 1 + (bytes.len() - sans_bom.len()),
            })
        }
    }
}

/// Parsed CSV: header and rows with their 1-based line numbers.
struct Tableau {
    entete: Vec<String>,
    lignes: Vec<(usize, Vec<String>)>,
}

fn lire_csv(texte: &str, fichier: &'static str) -> Result<Tableau, TirageError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(texte.as_bytes());
    let mut entete: Option<Vec<String>> = None;
    let mut lignes = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let ligne = e.position().map_or(0, |p| p.line() as usize);
            TirageError::CsvMalForme {
                fichier,
                ligne,
                colonne: String::new(),
                detail: e.to_string(),
            }
        })?;
        let ligne = rec.position().map_or(0, |p| p.line() as usize);
        let champs: Vec<String> = rec.iter().map(str::to_owned).collect();
        match &entete {
            None => entete = Some(champs),
            Some(h) => {
                // Spreadsheet exports often end with blank rows: skip them rather than fail.
                if champs.iter().all(String::is_empty) {
                    continue;
                }
                if champs.len() != h.len() {
                    let colonne = if champs.len() < h.len() {
                        h[champs.len()].clone()
                    } else {
                        format!("n°{}", h.len() + 1)
                    };
                    let detail = if champs.len() < h.len() {
                        format!(
                            "{} colonnes au lieu de {} (colonne manquante)",
                            champs.len(),
                            h.len()
                        )
                    } else {
                        format!(
                            "{} colonnes au lieu de {} (colonne en trop)",
                            champs.len(),
                            h.len()
                        )
                    };
                    return Err(TirageError::CsvMalForme {
                        fichier,
                        ligne,
                        colonne,
                        detail,
                    });
                }
                lignes.push((ligne, champs));
            }
        }
    }
    let entete = entete.ok_or(TirageError::FichierVide { fichier })?;
    if entete.iter().all(String::is_empty) {
        return Err(TirageError::FichierVide { fichier });
    }
    Ok(Tableau { entete, lignes })
}

fn position(entete: &[String], nom: &str, fichier: &'static str) -> Result<usize, TirageError> {
    let trouves: Vec<usize> = entete
        .iter()
        .enumerate()
        .filter(|(_, h)| h.eq_ignore_ascii_case(nom))
        .map(|(i, _)| i)
        .collect();
    match trouves.as_slice() {
        [i] => Ok(*i),
        [] => Err(TirageError::ColonneManquante {
            fichier,
            colonne: nom.to_owned(),
        }),
        _ => Err(TirageError::ColonneDupliquee {
            fichier,
            colonne: nom.to_owned(),
        }),
    }
}

fn entier(
    brut: &str,
    ligne: usize,
    colonne: &str,
    fichier: &'static str,
) -> Result<u32, TirageError> {
    if brut.is_empty() {
        return Err(TirageError::ValeurVide {
            fichier,
            ligne,
            colonne: colonne.to_owned(),
        });
    }
    brut.parse::<u32>()
        .map_err(|_| TirageError::NombreInvalide {
            fichier,
            ligne,
            colonne: colonne.to_owned(),
            valeur: brut.to_owned(),
        })
}

/// Parses `features.csv` (header `feature,value,min,max`; the legacy `category,name` and extra
/// columns such as `min_flex,max_flex` are accepted and ignored, as `sortition-algorithms` does).
pub fn parse_quotas(reader: impl Read) -> Result<Quotas, TirageError> {
    let (texte, empreinte) = lire_utf8(reader, QUOTAS)?;
    let t = lire_csv(&texte, QUOTAS)?;
    let legacy = !t.entete.iter().any(|h| h.eq_ignore_ascii_case("feature"))
        && t.entete.iter().any(|h| h.eq_ignore_ascii_case("category"));
    let (nf, nv) = if legacy {
        ("category", "name")
    } else {
        ("feature", "value")
    };
    let i_f = position(&t.entete, nf, QUOTAS)?;
    let i_v = position(&t.entete, nv, QUOTAS)?;
    let i_min = position(&t.entete, "min", QUOTAS)?;
    let i_max = position(&t.entete, "max", QUOTAS)?;

    let mut caracteristiques: Vec<Caracteristique> = Vec::new();
    for (ligne, champs) in &t.lignes {
        let ligne = *ligne;
        let f = &champs[i_f];
        let v = &champs[i_v];
        if f.is_empty() {
            return Err(TirageError::ValeurVide {
                fichier: QUOTAS,
                ligne,
                colonne: nf.to_owned(),
            });
        }
        if v.is_empty() {
            return Err(TirageError::ValeurVide {
                fichier: QUOTAS,
                ligne,
                colonne: nv.to_owned(),
            });
        }
        let min = entier(&champs[i_min], ligne, "min", QUOTAS)?;
        let max = entier(&champs[i_max], ligne, "max", QUOTAS)?;
        if min > max {
            return Err(TirageError::MinSuperieurMax {
                ligne,
                caracteristique: f.clone(),
                valeur: v.clone(),
                min,
                max,
            });
        }
        let car = match caracteristiques
            .iter_mut()
            .position(|c| c.nom.eq_ignore_ascii_case(f))
        {
            Some(i) => &mut caracteristiques[i],
            None => {
                caracteristiques.push(Caracteristique {
                    nom: f.clone(),
                    valeurs: Vec::new(),
                });
                let last = caracteristiques.len() - 1;
                &mut caracteristiques[last]
            }
        };
        if let Some(prec) = car
            .valeurs
            .iter()
            .find(|x| x.nom.to_lowercase() == v.to_lowercase())
        {
            return Err(TirageError::QuotaDuplique {
                ligne,
                premiere_ligne: prec.ligne,
                caracteristique: f.clone(),
                valeur: v.clone(),
            });
        }
        car.valeurs.push(ValeurQuota {
            nom: v.clone(),
            min,
            max,
            ligne,
        });
    }
    if caracteristiques.is_empty() {
        return Err(TirageError::FichierVide { fichier: QUOTAS });
    }
    Ok(Quotas {
        caracteristiques,
        empreinte,
    })
}

/// Parses `people.csv` (header `id,<feature>,...`, one column per feature of the quotas, no other
/// column). Values are matched to the quotas ignoring surrounding spaces and letter case.
pub fn parse_volontaires(reader: impl Read, quotas: &Quotas) -> Result<Volontaires, TirageError> {
    let (texte, empreinte) = lire_utf8(reader, VOLONTAIRES)?;
    let t = lire_csv(&texte, VOLONTAIRES)?;
    let i_id = position(&t.entete, "id", VOLONTAIRES)?;
    // Every other column must be a feature: an unexpected column is most often a typo in a
    // feature name, and silently ignoring it would draw without the intended quota.
    for (i, h) in t.entete.iter().enumerate() {
        if i == i_id {
            continue;
        }
        if !quotas
            .caracteristiques
            .iter()
            .any(|c| c.nom.eq_ignore_ascii_case(h))
        {
            return Err(TirageError::ColonneInconnue {
                fichier: VOLONTAIRES,
                position: i + 1,
                colonne: h.clone(),
            });
        }
    }
    let mut colonnes = Vec::with_capacity(quotas.caracteristiques.len());
    for c in &quotas.caracteristiques {
        colonnes.push(position(&t.entete, &c.nom, VOLONTAIRES)?);
    }
    let mut vus: BTreeMap<String, usize> = BTreeMap::new();
    let mut liste = Vec::with_capacity(t.lignes.len());
    for (ligne, champs) in &t.lignes {
        let ligne = *ligne;
        let id = champs[i_id].clone();
        if id.is_empty() {
            return Err(TirageError::ValeurVide {
                fichier: VOLONTAIRES,
                ligne,
                colonne: t.entete[i_id].clone(),
            });
        }
        if let Some(&premiere_ligne) = vus.get(&id) {
            return Err(TirageError::IdentifiantDuplique {
                ligne,
                premiere_ligne,
                id,
            });
        }
        vus.insert(id.clone(), ligne);
        let mut valeurs = Vec::with_capacity(colonnes.len());
        for (c, &col) in quotas.caracteristiques.iter().zip(&colonnes) {
            let brut = &champs[col];
            if brut.is_empty() {
                return Err(TirageError::ValeurVide {
                    fichier: VOLONTAIRES,
                    ligne,
                    colonne: t.entete[col].clone(),
                });
            }
            let bas = brut.to_lowercase();
            match c.valeurs.iter().position(|v| v.nom.to_lowercase() == bas) {
                Some(i) => valeurs.push(i),
                None => {
                    return Err(TirageError::ValeurInconnue {
                        ligne,
                        colonne: t.entete[col].clone(),
                        valeur: brut.clone(),
                        possibles: c
                            .valeurs
                            .iter()
                            .map(|v| v.nom.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                }
            }
        }
        liste.push(Volontaire { id, valeurs, ligne });
    }
    if liste.is_empty() {
        return Err(TirageError::AucunVolontaire);
    }
    liste.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Volontaires { liste, empreinte })
}

impl Instance {
    /// Validates the panel size and groups volunteers into types.
    pub fn new(
        quotas: Quotas,
        volontaires: Volontaires,
        taille: usize,
    ) -> Result<Self, TirageError> {
        if taille == 0 {
            return Err(TirageError::TailleNulle);
        }
        if taille > volontaires.liste.len() {
            return Err(TirageError::TailleTropGrande {
                taille,
                volontaires: volontaires.liste.len(),
            });
        }
        let mut groupes: BTreeMap<Vec<usize>, Vec<usize>> = BTreeMap::new();
        for (i, v) in volontaires.liste.iter().enumerate() {
            groupes.entry(v.valeurs.clone()).or_default().push(i);
        }
        let types = groupes
            .into_iter()
            .map(|(valeurs, membres)| Type { valeurs, membres })
            .collect();
        Ok(Instance {
            quotas,
            volontaires,
            taille,
            types,
        })
    }

    /// Convenience: parse both files and build the instance.
    pub fn depuis_lecteurs(
        quotas: impl Read,
        volontaires: impl Read,
        taille: usize,
    ) -> Result<Self, TirageError> {
        let q = parse_quotas(quotas)?;
        let v = parse_volontaires(volontaires, &q)?;
        Instance::new(q, v, taille)
    }

    /// Label of a type as published ("T001", …), stable given the inputs.
    pub fn libelle_type(&self, t: usize) -> String {
        let largeur = self.types.len().to_string().len().max(3);
        format!("T{:0largeur$}", t + 1)
    }

    /// Checks a panel given as type counts against size and quotas, in exact integer arithmetic.
    pub fn respecte_quotas(&self, effectifs: &[u32]) -> bool {
        if effectifs.len() != self.types.len() {
            return false;
        }
        let total: u64 = effectifs.iter().map(|&c| u64::from(c)).sum();
        if total != self.taille as u64 {
            return false;
        }
        for (t, &c) in self.types.iter().zip(effectifs) {
            if c as usize > t.multiplicite() {
                return false;
            }
        }
        for (f, car) in self.quotas.caracteristiques.iter().enumerate() {
            for (v, q) in car.valeurs.iter().enumerate() {
                let n: u32 = self
                    .types
                    .iter()
                    .zip(effectifs)
                    .filter(|(t, _)| t.valeurs[f] == v)
                    .map(|(_, &c)| c)
                    .sum();
                if n < q.min || n > q.max {
                    return false;
                }
            }
        }
        true
    }
}
