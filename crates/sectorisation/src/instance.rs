//! An instance of `sectorisation.md` read from its folder of CSV files and checked: every reference
//! resolved, every number in range, the map in force valid (own MDS, non-empty, contiguous secteurs),
//! every MDS connected. Errors name the file, the line and the column.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::error::SectorisationError;

/// How the workers of a post share it (seed 001, fiches 5–6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One worker per secteur.
    Sectorisation,
    /// Two workers share a secteur.
    Cosectorisation,
    /// A team of three or more covers the secteur.
    Desectorisation,
}

/// A unit of territory: a commune, or an IRIS of a town.
#[derive(Debug, Clone)]
pub struct Unite {
    pub id: String,
    pub mds: usize,
    pub x_km: f64,
    pub y_km: f64,
    /// Situations per year of each kind, in the order of `Instance::poids` (0 when the column is absent).
    pub situations: Vec<f64>,
    /// Weighted load ℓ (hours per year).
    pub charge_h: f64,
    /// Post of the map in force.
    pub poste_actuel: usize,
    pub ligne: u64,
}

/// A post of an MDS: one worker, a co-sector pair or a team, with its ETP.
#[derive(Debug, Clone)]
pub struct Poste {
    pub id: String,
    pub mds: usize,
    pub mode: Mode,
    pub etp: f64,
    pub ligne: u64,
}

/// A worker, member of one post.
#[derive(Debug, Clone)]
pub struct Agent {
    pub id: String,
    pub mds: usize,
    pub poste: usize,
    pub etp: f64,
    pub charge_h: f64,
    pub rsa: f64,
    pub plafond_h: f64,
    pub plafond_rsa: f64,
    pub ligne: u64,
}

/// A row of the weighting grid.
#[derive(Debug, Clone)]
pub struct Poids {
    pub kind: String,
    pub poids_h: f64,
    pub label: String,
}

/// A new situation to assign.
#[derive(Debug, Clone)]
pub struct Situation {
    pub id: String,
    pub unite: usize,
    pub kind: String,
    pub poids_h: f64,
    /// Counts against the RSA cap (kind `RSA`).
    pub rsa: bool,
}

/// The kind whose situations count against the RSA cap of `workers.csv`.
pub const KIND_RSA: &str = "RSA";

/// A whole instance.
#[derive(Debug, Clone)]
pub struct Instance {
    pub mds: Vec<String>,
    pub unites: Vec<Unite>,
    /// Planar adjacency, both directions, sorted.
    pub voisins: Vec<Vec<usize>>,
    pub postes: Vec<Poste>,
    pub agents: Vec<Agent>,
    pub poids: Vec<Poids>,
    pub situations: Vec<Situation>,
}

impl Instance {
    /// Reads `units.csv`, `edges.csv`, `posts.csv`, `workers.csv`, `weights.csv` and, when it is
    /// there, `new_situations.csv`.
    pub fn depuis_repertoire(dir: &Path) -> Result<Self, SectorisationError> {
        let ouvrir = |nom: &str| {
            std::fs::File::open(dir.join(nom)).map_err(|e| SectorisationError::Fichier {
                fichier: nom.to_owned(),
                detail: format!("impossible d'ouvrir {} : {e}", dir.join(nom).display()),
            })
        };
        let situations = if dir.join("new_situations.csv").exists() {
            Some(ouvrir("new_situations.csv")?)
        } else {
            None
        };
        Instance::depuis_lecteurs(
            ouvrir("weights.csv")?,
            ouvrir("posts.csv")?,
            ouvrir("units.csv")?,
            ouvrir("edges.csv")?,
            ouvrir("workers.csv")?,
            situations,
        )
    }

    /// The same from readers (tests).
    pub fn depuis_lecteurs(
        weights: impl Read,
        posts: impl Read,
        units: impl Read,
        edges: impl Read,
        workers: impl Read,
        new_situations: Option<impl Read>,
    ) -> Result<Self, SectorisationError> {
        let poids = lire_poids(weights)?;
        let mut mds = Vec::new();
        let mut mds_index = HashMap::new();
        let postes = lire_postes(posts, &mut mds, &mut mds_index)?;
        let unites = lire_unites(units, &poids, &postes, &mds_index)?;
        let voisins = lire_aretes(edges, &unites)?;
        let agents = lire_agents(workers, &postes, &mds_index)?;
        let situations = match new_situations {
            Some(r) => lire_situations(r, &unites, &poids)?,
            None => Vec::new(),
        };
        let inst = Instance {
            mds,
            unites,
            voisins,
            postes,
            agents,
            poids,
            situations,
        };
        inst.valider_mds()?;
        let carte: Vec<usize> = inst.unites.iter().map(|u| u.poste_actuel).collect();
        crate::carte::valider(&inst, &carte, "units.csv", "current_post", |u| {
            inst.unites[u].ligne
        })?;
        Ok(inst)
    }

    /// Units of each MDS, in file order.
    pub fn unites_par_mds(&self) -> Vec<Vec<usize>> {
        let mut v = vec![Vec::new(); self.mds.len()];
        for (i, u) in self.unites.iter().enumerate() {
            v[u.mds].push(i);
        }
        v
    }

    /// Posts of each MDS, in file order.
    pub fn postes_par_mds(&self) -> Vec<Vec<usize>> {
        let mut v = vec![Vec::new(); self.mds.len()];
        for (k, p) in self.postes.iter().enumerate() {
            v[p.mds].push(k);
        }
        v
    }

    /// Workers of each post, in file order.
    pub fn agents_par_poste(&self) -> Vec<Vec<usize>> {
        let mut v = vec![Vec::new(); self.postes.len()];
        for (w, a) in self.agents.iter().enumerate() {
            v[a.poste].push(w);
        }
        v
    }

    /// Every MDS has a unit and a post, no more posts than units, and its units are linked.
    fn valider_mds(&self) -> Result<(), SectorisationError> {
        let unites = self.unites_par_mds();
        let postes = self.postes_par_mds();
        for (m, nom) in self.mds.iter().enumerate() {
            if unites[m].is_empty() {
                return Err(SectorisationError::incoherence(
                    "posts.csv",
                    format!("la MDS {nom} a des postes mais aucune unité dans units.csv"),
                ));
            }
            if postes[m].len() > unites[m].len() {
                return Err(SectorisationError::incoherence(
                    "posts.csv",
                    format!(
                        "la MDS {nom} a {} postes pour {} unités : chaque secteur doit avoir au moins une unité",
                        postes[m].len(),
                        unites[m].len()
                    ),
                ));
            }
            let composantes =
                crate::carte::composantes(&self.voisins, &unites[m], |u| self.unites[u].mds == m);
            if composantes.len() > 1 {
                let isolee = &self.unites[composantes[1][0]];
                return Err(SectorisationError::incoherence(
                    "edges.csv",
                    format!(
                        "les unités de la MDS {nom} ne sont pas toutes reliées : l'unité {} (units.csv, ligne {}) n'a aucun chemin vers l'unité {} dans la MDS",
                        isolee.id, isolee.ligne, self.unites[composantes[0][0]].id
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Position of each item by its identifier.
pub(crate) fn index_par_id<T>(items: &[T], id: impl Fn(&T) -> &str) -> HashMap<String, usize> {
    items
        .iter()
        .enumerate()
        .map(|(i, x)| (id(x).to_owned(), i))
        .collect()
}

/// Columns of `workers.csv`, read here and written by the generator.
pub(crate) const COLONNES_AGENTS: [&str; 8] = [
    "worker_id",
    "mds_id",
    "post_id",
    "etp",
    "current_load_h",
    "current_rsa",
    "load_cap_h",
    "rsa_cap",
];

/// A CSV file read row by row with its header, so each error can name its line and column.
struct Table<R: Read> {
    fichier: String,
    lecteur: csv::Reader<R>,
    colonnes: HashMap<String, usize>,
    record: csv::StringRecord,
}

/// A row of a [`Table`].
struct Ligne<'a> {
    fichier: &'a str,
    numero: u64,
    record: &'a csv::StringRecord,
    colonnes: &'a HashMap<String, usize>,
}

fn erreur_csv(fichier: &str, e: &csv::Error) -> SectorisationError {
    let ligne = e.position().map(|p| p.line()).unwrap_or(0);
    let detail = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "encodage invalide : UTF-8 attendu".to_owned(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} champs au lieu de {expected_len}"),
        _ => format!("CSV mal formé : {e}"),
    };
    SectorisationError::Fichier {
        fichier: format!("{fichier}, ligne {ligne}"),
        detail,
    }
}

impl<R: Read> Table<R> {
    fn ouvrir(lecteur: R, fichier: &str, requises: &[&str]) -> Result<Self, SectorisationError> {
        let mut lecteur = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(lecteur);
        let colonnes: HashMap<String, usize> = lecteur
            .headers()
            .map_err(|e| erreur_csv(fichier, &e))?
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim_start_matches('\u{feff}').to_owned(), i))
            .collect();
        if let Some(c) = requises.iter().find(|c| !colonnes.contains_key(**c)) {
            return Err(SectorisationError::ColonneManquante {
                fichier: fichier.to_owned(),
                colonne: (*c).to_owned(),
            });
        }
        Ok(Table {
            fichier: fichier.to_owned(),
            lecteur,
            colonnes,
            record: csv::StringRecord::new(),
        })
    }

    fn a(&self, colonne: &str) -> bool {
        self.colonnes.contains_key(colonne)
    }

    fn suivante(&mut self) -> Result<Option<Ligne<'_>>, SectorisationError> {
        if !self
            .lecteur
            .read_record(&mut self.record)
            .map_err(|e| erreur_csv(&self.fichier, &e))?
        {
            return Ok(None);
        }
        Ok(Some(Ligne {
            fichier: &self.fichier,
            numero: self.record.position().map(|p| p.line()).unwrap_or(0),
            record: &self.record,
            colonnes: &self.colonnes,
        }))
    }
}

impl Ligne<'_> {
    fn texte(&self, col: &str) -> &str {
        self.colonnes
            .get(col)
            .and_then(|&i| self.record.get(i))
            .unwrap_or("")
    }

    fn erreur(&self, col: &str, message: impl Into<String>) -> SectorisationError {
        SectorisationError::donnee(self.fichier, self.numero, col, message)
    }

    fn requis(&self, col: &str) -> Result<&str, SectorisationError> {
        match self.texte(col) {
            "" => Err(self.erreur(col, "valeur vide")),
            v => Ok(v),
        }
    }

    /// A finite number, at least `min` (`strict`: above it).
    fn nombre(&self, col: &str, min: f64, strict: bool) -> Result<f64, SectorisationError> {
        let v = self.requis(col)?;
        let n: f64 = v
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite())
            .ok_or_else(|| self.erreur(col, format!("« {v} » n'est pas un nombre")))?;
        if n < min || (strict && n <= min) {
            let borne = if strict { "supérieur à" } else { "au moins" };
            return Err(self.erreur(col, format!("{v} : un nombre {borne} {min} est attendu")));
        }
        Ok(n)
    }

    fn reference(
        &self,
        col: &str,
        index: &HashMap<String, usize>,
        quoi: &str,
    ) -> Result<usize, SectorisationError> {
        let v = self.requis(col)?;
        index
            .get(v)
            .copied()
            .ok_or_else(|| self.erreur(col, format!("{quoi} « {v} » inconnu(e)")))
    }

    fn identifiant(
        &self,
        col: &str,
        vus: &mut HashMap<String, usize>,
        rang: usize,
    ) -> Result<String, SectorisationError> {
        let id = self.requis(col)?.to_owned();
        if vus.insert(id.clone(), rang).is_some() {
            return Err(self.erreur(col, format!("identifiant « {id} » en double")));
        }
        Ok(id)
    }
}

fn lire_poids(r: impl Read) -> Result<Vec<Poids>, SectorisationError> {
    let mut t = Table::ouvrir(r, "weights.csv", &["kind", "weight_h"])?;
    let mut vus = HashMap::new();
    let mut out = Vec::new();
    while let Some(l) = t.suivante()? {
        out.push(Poids {
            kind: l.identifiant("kind", &mut vus, out.len())?,
            poids_h: l.nombre("weight_h", 0.0, false)?,
            label: l.texte("label").to_owned(),
        });
    }
    Ok(out)
}

fn lire_postes(
    r: impl Read,
    mds: &mut Vec<String>,
    mds_index: &mut HashMap<String, usize>,
) -> Result<Vec<Poste>, SectorisationError> {
    let mut t = Table::ouvrir(r, "posts.csv", &["post_id", "mds_id", "etp"])?;
    let mut vus = HashMap::new();
    let mut out = Vec::new();
    while let Some(l) = t.suivante()? {
        let id = l.identifiant("post_id", &mut vus, out.len())?;
        let m = l.requis("mds_id")?.to_owned();
        let m = *mds_index.entry(m.clone()).or_insert_with(|| {
            mds.push(m);
            mds.len() - 1
        });
        // As the territories write it: « Co-sectorisation », « désectorisation »…
        let mode_lu: String = l
            .texte("mode")
            .to_lowercase()
            .replace(['é', 'è'], "e")
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '_'))
            .collect();
        let mode = match mode_lu.as_str() {
            "" | "sectorisation" => Mode::Sectorisation,
            "cosectorisation" => Mode::Cosectorisation,
            "desectorisation" => Mode::Desectorisation,
            v => {
                return Err(l.erreur(
                    "mode",
                    format!("« {v} » : sectorisation, cosectorisation ou desectorisation attendu"),
                ))
            }
        };
        let etp = l.nombre("etp", 0.0, false)?;
        if etp == 0.0 {
            return Err(l.erreur(
                "etp",
                "ETP nul : un poste sans ETP ne peut porter de secteur",
            ));
        }
        out.push(Poste {
            id,
            mds: m,
            mode,
            etp,
            ligne: l.numero,
        });
    }
    if out.is_empty() {
        return Err(SectorisationError::incoherence("posts.csv", "aucun poste"));
    }
    Ok(out)
}

fn lire_unites(
    r: impl Read,
    poids: &[Poids],
    postes: &[Poste],
    mds_index: &HashMap<String, usize>,
) -> Result<Vec<Unite>, SectorisationError> {
    let mut t = Table::ouvrir(
        r,
        "units.csv",
        &[
            "unit_id",
            "mds_id",
            "x_km",
            "y_km",
            "load_h",
            "current_post",
        ],
    )?;
    let colonnes_n: Vec<Option<String>> = poids
        .iter()
        .map(|p| Some(format!("n_{}", p.kind)).filter(|c| t.a(c)))
        .collect();
    let index_postes = index_par_id(postes, |p| &p.id);
    let mut vus = HashMap::new();
    let mut out = Vec::new();
    while let Some(l) = t.suivante()? {
        let id = l.identifiant("unit_id", &mut vus, out.len())?;
        let mds = l.reference("mds_id", mds_index, "MDS sans poste dans posts.csv :")?;
        let mut situations = Vec::with_capacity(poids.len());
        for c in &colonnes_n {
            situations.push(match c {
                Some(c) => l.nombre(c, 0.0, false)?,
                None => 0.0,
            });
        }
        let poste = l.reference("current_post", &index_postes, "poste")?;
        if postes[poste].mds != mds {
            return Err(l.erreur(
                "current_post",
                format!(
                    "le poste {} appartient à une autre MDS que l'unité {id} : une unité ne change pas de MDS",
                    postes[poste].id
                ),
            ));
        }
        out.push(Unite {
            id,
            mds,
            x_km: l.nombre("x_km", f64::MIN, false)?,
            y_km: l.nombre("y_km", f64::MIN, false)?,
            situations,
            charge_h: l.nombre("load_h", 0.0, false)?,
            poste_actuel: poste,
            ligne: l.numero,
        });
    }
    Ok(out)
}

fn lire_aretes(r: impl Read, unites: &[Unite]) -> Result<Vec<Vec<usize>>, SectorisationError> {
    let mut t = Table::ouvrir(r, "edges.csv", &["unit_a", "unit_b"])?;
    let index = index_par_id(unites, |u| &u.id);
    let mut voisins = vec![Vec::new(); unites.len()];
    while let Some(l) = t.suivante()? {
        let a = l.reference("unit_a", &index, "unité")?;
        let b = l.reference("unit_b", &index, "unité")?;
        if a == b {
            return Err(l.erreur("unit_b", "une unité ne peut être voisine d'elle-même"));
        }
        voisins[a].push(b);
        voisins[b].push(a);
    }
    for v in &mut voisins {
        v.sort_unstable();
        v.dedup();
    }
    Ok(voisins)
}

fn lire_agents(
    r: impl Read,
    postes: &[Poste],
    mds_index: &HashMap<String, usize>,
) -> Result<Vec<Agent>, SectorisationError> {
    let mut t = Table::ouvrir(r, "workers.csv", &COLONNES_AGENTS)?;
    let index_postes = index_par_id(postes, |p| &p.id);
    let mut vus = HashMap::new();
    let mut out = Vec::new();
    while let Some(l) = t.suivante()? {
        let id = l.identifiant("worker_id", &mut vus, out.len())?;
        let mds = l.reference("mds_id", mds_index, "MDS sans poste dans posts.csv :")?;
        let poste = l.reference("post_id", &index_postes, "poste")?;
        if postes[poste].mds != mds {
            return Err(l.erreur(
                "post_id",
                format!("le poste {} appartient à une autre MDS", postes[poste].id),
            ));
        }
        out.push(Agent {
            id,
            mds,
            poste,
            etp: l.nombre("etp", 0.0, true)?,
            charge_h: l.nombre("current_load_h", 0.0, false)?,
            rsa: l.nombre("current_rsa", 0.0, false)?,
            plafond_h: l.nombre("load_cap_h", 0.0, false)?,
            plafond_rsa: l.nombre("rsa_cap", 0.0, false)?,
            ligne: l.numero,
        });
    }
    let mut sans_agent = vec![true; postes.len()];
    for a in &out {
        sans_agent[a.poste] = false;
    }
    if let Some(k) = sans_agent.iter().position(|&s| s) {
        return Err(SectorisationError::donnee(
            "posts.csv",
            postes[k].ligne,
            "post_id",
            format!("le poste {} n'a aucun agent dans workers.csv", postes[k].id),
        ));
    }
    Ok(out)
}

fn lire_situations(
    r: impl Read,
    unites: &[Unite],
    poids: &[Poids],
) -> Result<Vec<Situation>, SectorisationError> {
    let mut t = Table::ouvrir(
        r,
        "new_situations.csv",
        &["sit_id", "unit_id", "kind", "weight_h"],
    )?;
    let index = index_par_id(unites, |u| &u.id);
    let kinds = index_par_id(poids, |p| &p.kind);
    let mut vus = HashMap::new();
    let mut out = Vec::new();
    while let Some(l) = t.suivante()? {
        let id = l.identifiant("sit_id", &mut vus, out.len())?;
        let unite = l.reference("unit_id", &index, "unité")?;
        let k = l.reference("kind", &kinds, "type de situation (absent de weights.csv)")?;
        out.push(Situation {
            id,
            unite,
            kind: poids[k].kind.clone(),
            poids_h: l.nombre("weight_h", 0.0, false)?,
            rsa: poids[k].kind == KIND_RSA,
        });
    }
    Ok(out)
}
