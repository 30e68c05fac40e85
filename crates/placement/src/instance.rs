//! The instance of `placement.md`: communes, places, children; CSV parsing and validation with a
//! French message naming file, line and column; the hard constraints H3–H6 of one pair.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::error::PlacementError;

/// Need flag: handicap.
pub const BESOIN_H: u8 = 1;
/// Need flag: psychological/behavioural care.
pub const BESOIN_T: u8 = 2;

/// A commune of the plane (coordinates in hectometres).
#[derive(Debug, Clone)]
pub struct Commune {
    pub id: String,
    pub kind: String,
    pub x_hm: i64,
    pub y_hm: i64,
    pub weight: f64,
}

/// Sex accepted by a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SexePlace {
    Mixte,
    Garcons,
    Filles,
}

/// One place: a living unit or a foster carer.
#[derive(Debug, Clone)]
pub struct Place {
    pub id: String,
    pub site_id: String,
    /// Index into [`Instance::sites`].
    pub site: usize,
    pub kind: String,
    /// Index into [`Instance::communes`].
    pub commune: usize,
    pub capacity: u32,
    pub age_min: u8,
    pub age_max: u8,
    pub sex: SexePlace,
    /// Bit set of `BESOIN_H`, `BESOIN_T`.
    pub meets: u8,
    pub urgence: bool,
    pub collective: bool,
}

/// One child waiting for (or under review of) a placement.
#[derive(Debug, Clone)]
pub struct Child {
    pub id: String,
    pub group_id: String,
    /// Index into [`Instance::groups`].
    pub group: usize,
    pub age: u8,
    /// `true` for `M`, `false` for `F`.
    pub garcon: bool,
    pub needs: u8,
    pub home: usize,
    pub school: usize,
    pub urgency: u8,
    /// Index of the place the child is in now.
    pub current: Option<usize>,
    /// Line of `children.csv` (header is line 1), for messages.
    pub ligne: u64,
}

/// Why a place is excluded for a child (hard constraints H3–H6, and a fixing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusion {
    H3 {
        age: u8,
        min: u8,
        max: u8,
    },
    H4 {
        sexe_place: SexePlace,
    },
    H5 {
        manque: u8,
    },
    H6,
    /// The agent fixed this child elsewhere (`--fixer`).
    Fixe,
}

fn lettres(b: u8) -> String {
    let mut s = String::new();
    if b & BESOIN_H != 0 {
        s.push('H');
    }
    if b & BESOIN_T != 0 {
        s.push('T');
    }
    s
}

impl std::fmt::Display for Exclusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exclusion::H3 { age, min, max } => write!(f, "H3 âge {age} hors agrément {min}–{max}"),
            Exclusion::H4 { sexe_place } => write!(
                f,
                "H4 place réservée aux {}",
                if *sexe_place == SexePlace::Garcons {
                    "garçons"
                } else {
                    "filles"
                }
            ),
            Exclusion::H5 { manque } => {
                write!(f, "H5 besoin {} non couvert", lettres(*manque))
            }
            Exclusion::H6 => write!(f, "H6 urgence immédiate : place d'urgence requise"),
            Exclusion::Fixe => write!(f, "choix fixé par l'agent"),
        }
    }
}

/// A parsed and validated instance, with the fixings of the agent (if any).
#[derive(Debug, Clone)]
pub struct Instance {
    pub communes: Vec<Commune>,
    pub places: Vec<Place>,
    pub children: Vec<Child>,
    /// Members of each sibling group, in file order.
    pub groups: Vec<Vec<usize>>,
    /// Site ids, and the places of each site.
    pub sites: Vec<String>,
    pub site_places: Vec<Vec<usize>>,
    /// Distance in km between communes (row-major, `communes.len()` squared).
    dist: Vec<u32>,
    /// Per child: `None` free; `Some(Some(p))` fixed in `p`; `Some(None)` fixed unplaced.
    pub fixations: Vec<Option<Option<usize>>>,
}

/// Floor of the square root, exact on integers.
pub fn isqrt(n: u64) -> u64 {
    let mut r = (n as f64).sqrt() as u64;
    while r * r > n {
        r -= 1;
    }
    while (r + 1) * (r + 1) <= n {
        r += 1;
    }
    r
}

/// `dist(a,b)` of the contract: Euclidean distance in km, rounded half up, in integer arithmetic.
pub fn distance_km(a: &Commune, b: &Commune) -> u32 {
    let dx = a.x_hm.abs_diff(b.x_hm);
    let dy = a.y_hm.abs_diff(b.y_hm);
    ((isqrt(dx * dx + dy * dy) + 5) / 10) as u32
}

impl Instance {
    /// Builds an instance from already checked parts (used by the parser and the generator).
    pub fn nouvelle(
        communes: Vec<Commune>,
        mut places: Vec<Place>,
        mut children: Vec<Child>,
    ) -> Self {
        let n = communes.len();
        let mut dist = vec![0; n * n];
        for a in 0..n {
            for b in 0..n {
                dist[a * n + b] = distance_km(&communes[a], &communes[b]);
            }
        }
        let mut sites = Vec::new();
        let mut site_index: HashMap<String, usize> = HashMap::new();
        let mut site_places: Vec<Vec<usize>> = Vec::new();
        for (i, p) in places.iter_mut().enumerate() {
            let s = *site_index.entry(p.site_id.clone()).or_insert_with(|| {
                sites.push(p.site_id.clone());
                site_places.push(Vec::new());
                sites.len() - 1
            });
            p.site = s;
            site_places[s].push(i);
        }
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut group_index: HashMap<String, usize> = HashMap::new();
        for (i, c) in children.iter_mut().enumerate() {
            let g = *group_index.entry(c.group_id.clone()).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            c.group = g;
            groups[g].push(i);
        }
        let nc = children.len();
        Instance {
            communes,
            places,
            children,
            groups,
            sites,
            site_places,
            dist,
            fixations: vec![None; nc],
        }
    }

    /// Distance in km between two communes (indices).
    pub fn dist(&self, a: usize, b: usize) -> u32 {
        self.dist[a * self.communes.len() + b]
    }

    /// Hard constraints H3–H6 for child `c` in place `p` (H1, H2 are about the whole solution).
    pub fn exclusion(&self, c: usize, p: usize) -> Option<Exclusion> {
        let ch = &self.children[c];
        let pl = &self.places[p];
        if ch.age < pl.age_min || ch.age > pl.age_max {
            return Some(Exclusion::H3 {
                age: ch.age,
                min: pl.age_min,
                max: pl.age_max,
            });
        }
        match (pl.sex, ch.garcon) {
            (SexePlace::Garcons, false) | (SexePlace::Filles, true) => {
                return Some(Exclusion::H4 { sexe_place: pl.sex })
            }
            _ => {}
        }
        let manque = ch.needs & !pl.meets;
        if manque != 0 {
            return Some(Exclusion::H5 { manque });
        }
        if ch.urgency == 2 && !pl.urgence {
            return Some(Exclusion::H6);
        }
        None
    }

    /// H3–H6 hold for the pair.
    pub fn compatible(&self, c: usize, p: usize) -> bool {
        self.exclusion(c, p).is_none()
    }

    /// The pair is allowed: compatible and not contrary to a fixing.
    pub fn admissible(&self, c: usize, p: usize) -> bool {
        match self.fixations[c] {
            Some(Some(q)) => q == p,
            Some(None) => false,
            None => self.compatible(c, p),
        }
    }

    /// The child may stay unplaced: no current place (H1) and not fixed in a place.
    pub fn peut_rester_non_place(&self, c: usize) -> bool {
        self.children[c].current.is_none() && !matches!(self.fixations[c], Some(Some(_)))
    }

    /// Children for whom no place at all satisfies H3–H6: a fact of the instance, not an error.
    pub fn sans_place_possible(&self) -> Vec<usize> {
        (0..self.children.len())
            .filter(|&c| !(0..self.places.len()).any(|p| self.compatible(c, p)))
            .collect()
    }

    /// Reads `communes.csv`, `places.csv` and `children.csv` from a directory.
    pub fn depuis_repertoire(dir: &Path) -> Result<Self, PlacementError> {
        let ouvrir = |nom: &str| {
            std::fs::File::open(dir.join(nom)).map_err(|e| PlacementError::Fichier {
                fichier: dir.join(nom).display().to_string(),
                detail: format!("ouverture impossible : {e}"),
            })
        };
        Self::depuis_lecteurs(
            ouvrir("communes.csv")?,
            ouvrir("places.csv")?,
            ouvrir("children.csv")?,
        )
    }

    /// Reads and validates the three files.
    pub fn depuis_lecteurs(
        communes: impl Read,
        places: impl Read,
        children: impl Read,
    ) -> Result<Self, PlacementError> {
        let communes = lire_communes(communes)?;
        let cidx: HashMap<&str, usize> = communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let places = lire_places(places, &cidx)?;
        let pidx: HashMap<&str, usize> = places
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();
        let children = lire_enfants(children, &cidx, &pidx)?;
        let inst = Instance::nouvelle(communes, places, children);
        inst.valider_places_actuelles()?;
        inst.valider_besoins()?;
        Ok(inst)
    }

    /// Every child's `needs` is met by at least one place (H5 alone): otherwise the file is wrong
    /// (a typo in `needs` or a missing place), and the issue asks for an error, not a silent C6.
    fn valider_besoins(&self) -> Result<(), PlacementError> {
        let mut offerts: Vec<u8> = self.places.iter().map(|p| p.meets).collect();
        offerts.sort_unstable();
        offerts.dedup();
        for ch in &self.children {
            if !offerts.iter().any(|&m| ch.needs & !m == 0) {
                let lettres: String = [(BESOIN_H, 'H'), (BESOIN_T, 'T')]
                    .iter()
                    .filter(|(b, _)| ch.needs & b != 0)
                    .map(|(_, l)| *l)
                    .collect();
                return Err(PlacementError::donnee(
                    "children.csv",
                    ch.ligne,
                    "needs",
                    format!(
                        "aucune place ne répond aux besoins {lettres} de l'enfant {}",
                        ch.id
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Every `current_place` satisfies H3–H6 for its child and no place holds more current children
    /// than its capacity (the contract guarantees "everybody stays" is feasible; we check it).
    fn valider_places_actuelles(&self) -> Result<(), PlacementError> {
        let mut occupants: Vec<Vec<usize>> = vec![Vec::new(); self.places.len()];
        for (c, ch) in self.children.iter().enumerate() {
            let Some(p) = ch.current else { continue };
            if let Some(e) = self.exclusion(c, p) {
                return Err(PlacementError::donnee(
                    "children.csv",
                    ch.ligne,
                    "current_place",
                    format!(
                        "la place actuelle {} ne convient pas à l'enfant {} : {e}",
                        self.places[p].id, ch.id
                    ),
                ));
            }
            if occupants[p].len() as u32 >= self.places[p].capacity {
                let deja: Vec<&str> = occupants[p]
                    .iter()
                    .map(|&d| self.children[d].id.as_str())
                    .collect();
                return Err(PlacementError::donnee(
                    "children.csv",
                    ch.ligne,
                    "current_place",
                    format!(
                        "place {} au-delà de sa capacité ({}) : l'enfant {} s'ajoute à {}",
                        self.places[p].id,
                        self.places[p].capacity,
                        ch.id,
                        if deja.is_empty() {
                            "aucun lit disponible".to_owned()
                        } else {
                            deja.join(", ")
                        }
                    ),
                ));
            }
            occupants[p].push(c);
        }
        Ok(())
    }

    /// Reads the agent's fixings (`child_id,place_id`, empty place = stays unplaced) and checks them.
    pub fn fixer(&mut self, lecteur: impl Read, fichier: &str) -> Result<(), PlacementError> {
        let cidx: HashMap<&str, usize> = self
            .children
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let pidx: HashMap<&str, usize> = self
            .places
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();
        let mut fix: Vec<Option<Option<usize>>> = vec![None; self.children.len()];
        let mut lignes = vec![0u64; self.children.len()];
        let mut charge = vec![0u32; self.places.len()];
        let mut t = Table::lire(lecteur, fichier, &["child_id", "place_id"])?;
        while let Some(r) = t.suivante()? {
            let ligne = r.ligne;
            let cid = r.get("child_id");
            let &c = cidx.get(cid).ok_or_else(|| {
                PlacementError::donnee(fichier, ligne, "child_id", format!("enfant {cid} inconnu"))
            })?;
            if fix[c].is_some() {
                return Err(PlacementError::donnee(
                    fichier,
                    ligne,
                    "child_id",
                    format!("enfant {cid} déjà fixé ligne {}", lignes[c]),
                ));
            }
            let pid = r.get("place_id");
            if pid.is_empty() {
                if self.children[c].current.is_some() {
                    return Err(PlacementError::donnee(
                        fichier,
                        ligne,
                        "place_id",
                        format!(
                            "l'enfant {cid} est déjà accueilli ({}) : il ne peut pas rester sans place (H1)",
                            self.places[self.children[c].current.unwrap_or(0)].id
                        ),
                    ));
                }
                fix[c] = Some(None);
            } else {
                let &p = pidx.get(pid).ok_or_else(|| {
                    PlacementError::donnee(
                        fichier,
                        ligne,
                        "place_id",
                        format!("place {pid} inconnue"),
                    )
                })?;
                if let Some(e) = self.exclusion(c, p) {
                    return Err(PlacementError::donnee(
                        fichier,
                        ligne,
                        "place_id",
                        format!("la place {pid} ne convient pas à l'enfant {cid} : {e}"),
                    ));
                }
                charge[p] += 1;
                if charge[p] > self.places[p].capacity {
                    return Err(PlacementError::donnee(
                        fichier,
                        ligne,
                        "place_id",
                        format!(
                            "place {pid} au-delà de sa capacité ({}) avec les fixations précédentes",
                            self.places[p].capacity
                        ),
                    ));
                }
                fix[c] = Some(Some(p));
            }
            lignes[c] = ligne;
        }
        self.fixations = fix;
        Ok(())
    }
}

/// A CSV table read with its header, giving cells by column name and the line of each row.
pub(crate) struct Table<R: Read> {
    fichier: String,
    lecteur: csv::Reader<R>,
    colonnes: HashMap<String, usize>,
    record: csv::StringRecord,
}

/// One row of a [`Table`].
pub(crate) struct Rangee<'a> {
    pub fichier: &'a str,
    pub ligne: u64,
    record: &'a csv::StringRecord,
    colonnes: &'a HashMap<String, usize>,
}

fn erreur_csv(fichier: &str, e: csv::Error) -> PlacementError {
    let ligne = e.position().map(|p| p.line()).unwrap_or(0);
    let detail = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "encodage invalide : le fichier doit être en UTF-8".to_owned()
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} champs au lieu de {expected_len}"),
        _ => format!("CSV mal formé : {e}"),
    };
    PlacementError::Fichier {
        fichier: format!("{fichier}, ligne {ligne}"),
        detail,
    }
}

impl<R: Read> Table<R> {
    pub(crate) fn lire(
        lecteur: R,
        fichier: &str,
        requises: &[&str],
    ) -> Result<Self, PlacementError> {
        let mut lecteur = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(lecteur);
        let entete = lecteur
            .headers()
            .map_err(|e| erreur_csv(fichier, e))?
            .clone();
        let colonnes: HashMap<String, usize> = entete
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim_start_matches('\u{feff}').to_owned(), i))
            .collect();
        for r in requises {
            if !colonnes.contains_key(*r) {
                return Err(PlacementError::ColonneManquante {
                    fichier: fichier.to_owned(),
                    colonne: (*r).to_owned(),
                });
            }
        }
        Ok(Table {
            fichier: fichier.to_owned(),
            lecteur,
            colonnes,
            record: csv::StringRecord::new(),
        })
    }

    pub(crate) fn suivante(&mut self) -> Result<Option<Rangee<'_>>, PlacementError> {
        let lu = self
            .lecteur
            .read_record(&mut self.record)
            .map_err(|e| erreur_csv(&self.fichier, e))?;
        if !lu {
            return Ok(None);
        }
        Ok(Some(Rangee {
            fichier: &self.fichier,
            ligne: self.record.position().map(|p| p.line()).unwrap_or(0),
            record: &self.record,
            colonnes: &self.colonnes,
        }))
    }
}

impl Rangee<'_> {
    pub(crate) fn get(&self, col: &str) -> &str {
        self.colonnes
            .get(col)
            .and_then(|&i| self.record.get(i))
            .unwrap_or("")
    }

    fn err(&self, col: &str, message: impl Into<String>) -> PlacementError {
        PlacementError::donnee(self.fichier, self.ligne, col, message)
    }

    fn non_vide(&self, col: &str) -> Result<&str, PlacementError> {
        let v = self.get(col);
        if v.is_empty() {
            Err(self.err(col, "valeur vide"))
        } else {
            Ok(v)
        }
    }

    fn entier(&self, col: &str, min: i64, max: i64) -> Result<i64, PlacementError> {
        let v = self.non_vide(col)?;
        match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            Ok(n) => Err(self.err(col, format!("{n} hors de l'intervalle {min}–{max}"))),
            Err(_) => Err(self.err(col, format!("« {v} » n'est pas un entier"))),
        }
    }

    fn booleen(&self, col: &str) -> Result<bool, PlacementError> {
        match self.get(col) {
            "0" => Ok(false),
            "1" => Ok(true),
            v => Err(self.err(col, format!("« {v} » : 0 ou 1 attendu"))),
        }
    }

    fn besoins(&self, col: &str) -> Result<u8, PlacementError> {
        let mut b = 0;
        for ch in self.get(col).chars() {
            let f = match ch {
                'H' => BESOIN_H,
                'T' => BESOIN_T,
                _ => {
                    return Err(self.err(
                        col,
                        format!("« {} » : lettres H et T seulement", self.get(col)),
                    ))
                }
            };
            if b & f != 0 {
                return Err(self.err(col, format!("« {} » : lettre {ch} répétée", self.get(col))));
            }
            b |= f;
        }
        Ok(b)
    }

    fn reference(
        &self,
        col: &str,
        index: &HashMap<&str, usize>,
        quoi: &str,
    ) -> Result<usize, PlacementError> {
        let v = self.non_vide(col)?;
        index
            .get(v)
            .copied()
            .ok_or_else(|| self.err(col, format!("{quoi} {v} inconnue")))
    }
}

fn identifiant_unique(
    r: &Rangee<'_>,
    col: &str,
    vus: &mut HashMap<String, u64>,
) -> Result<String, PlacementError> {
    let id = r.non_vide(col)?.to_owned();
    if let Some(l) = vus.get(&id) {
        return Err(r.err(col, format!("identifiant {id} déjà utilisé ligne {l}")));
    }
    vus.insert(id.clone(), r.ligne);
    Ok(id)
}

fn lire_communes(lecteur: impl Read) -> Result<Vec<Commune>, PlacementError> {
    let mut t = Table::lire(
        lecteur,
        "communes.csv",
        &["commune_id", "kind", "x_hm", "y_hm", "weight"],
    )?;
    let mut vus = HashMap::new();
    let mut out = Vec::new();
    while let Some(r) = t.suivante()? {
        let id = identifiant_unique(&r, "commune_id", &mut vus)?;
        let kind = r.get("kind");
        if !matches!(kind, "chef-lieu" | "ville" | "village") {
            return Err(r.err(
                "kind",
                format!("« {kind} » : chef-lieu, ville ou village attendu"),
            ));
        }
        let x_hm = r.entier("x_hm", -10_000_000, 10_000_000)?;
        let y_hm = r.entier("y_hm", -10_000_000, 10_000_000)?;
        let w = r.non_vide("weight")?;
        let weight: f64 = match w.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => v,
            _ => return Err(r.err("weight", format!("« {w} » n'est pas un nombre positif"))),
        };
        out.push(Commune {
            id,
            kind: kind.to_owned(),
            x_hm,
            y_hm,
            weight,
        });
    }
    Ok(out)
}

const GENRES_PLACES: [&str; 7] = ["AF", "MECS", "FOYER", "POUP", "VILLAGE", "LVA", "AUTO"];

fn lire_places(
    lecteur: impl Read,
    communes: &HashMap<&str, usize>,
) -> Result<Vec<Place>, PlacementError> {
    let mut t = Table::lire(
        lecteur,
        "places.csv",
        &[
            "place_id",
            "site_id",
            "kind",
            "commune_id",
            "capacity",
            "age_min",
            "age_max",
            "sex",
            "meets",
            "urgence",
            "collective",
        ],
    )?;
    let mut vus = HashMap::new();
    let mut out = Vec::new();
    while let Some(r) = t.suivante()? {
        let id = identifiant_unique(&r, "place_id", &mut vus)?;
        let site_id = r.non_vide("site_id")?.to_owned();
        let kind = r.get("kind");
        if !GENRES_PLACES.contains(&kind) {
            return Err(r.err(
                "kind",
                format!("« {kind} » : {} attendu", GENRES_PLACES.join(", ")),
            ));
        }
        let commune = r.reference("commune_id", communes, "commune")?;
        let capacity = r.entier("capacity", 0, 1_000_000)? as u32;
        let age_min = r.entier("age_min", 0, 20)? as u8;
        let age_max = r.entier("age_max", 0, 20)? as u8;
        if age_min > age_max {
            return Err(r.err(
                "age_max",
                format!("age_max {age_max} inférieur à age_min {age_min}"),
            ));
        }
        let sex = match r.get("sex") {
            "X" => SexePlace::Mixte,
            "M" => SexePlace::Garcons,
            "F" => SexePlace::Filles,
            v => return Err(r.err("sex", format!("« {v} » : X, M ou F attendu"))),
        };
        out.push(Place {
            id,
            site_id,
            site: 0,
            kind: kind.to_owned(),
            commune,
            capacity,
            age_min,
            age_max,
            sex,
            meets: r.besoins("meets")?,
            urgence: r.booleen("urgence")?,
            collective: r.booleen("collective")?,
        });
    }
    Ok(out)
}

fn lire_enfants(
    lecteur: impl Read,
    communes: &HashMap<&str, usize>,
    places: &HashMap<&str, usize>,
) -> Result<Vec<Child>, PlacementError> {
    let mut t = Table::lire(
        lecteur,
        "children.csv",
        &[
            "child_id",
            "group_id",
            "age",
            "sex",
            "needs",
            "home_commune",
            "school_commune",
            "urgency",
            "current_place",
        ],
    )?;
    let mut vus = HashMap::new();
    let mut out = Vec::new();
    while let Some(r) = t.suivante()? {
        let id = identifiant_unique(&r, "child_id", &mut vus)?;
        let group_id = r.non_vide("group_id")?.to_owned();
        let age = r.entier("age", 0, 20)? as u8;
        let garcon = match r.get("sex") {
            "M" => true,
            "F" => false,
            v => return Err(r.err("sex", format!("« {v} » : M ou F attendu"))),
        };
        let needs = r.besoins("needs")?;
        let home = r.reference("home_commune", communes, "commune")?;
        let school = r.reference("school_commune", communes, "commune")?;
        let urgency = r.entier("urgency", 0, 2)? as u8;
        let cp = r.get("current_place");
        let current = if cp.is_empty() {
            None
        } else {
            Some(r.reference("current_place", places, "place")?)
        };
        out.push(Child {
            id,
            group_id,
            group: 0,
            age,
            garcon,
            needs,
            home,
            school,
            urgency,
            current,
            ligne: r.ligne,
        });
    }
    Ok(out)
}
