//! A sector map (unit → post): its checks (own MDS, every secteur non-empty and contiguous), read
//! from and written to `partition.csv`.

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};

use crate::error::SectorisationError;
use crate::instance::Instance;

/// Connected components of `membres` in the graph `voisins` restricted to the units `dans` accepts,
/// each in BFS order from its first member in `membres` order.
pub fn composantes(
    voisins: &[Vec<usize>],
    membres: &[usize],
    dans: impl Fn(usize) -> bool,
) -> Vec<Vec<usize>> {
    let mut vu: HashMap<usize, bool> = membres.iter().map(|&u| (u, false)).collect();
    let mut out = Vec::new();
    for &depart in membres {
        if vu[&depart] {
            continue;
        }
        let mut comp = vec![depart];
        vu.insert(depart, true);
        let mut file = VecDeque::from([depart]);
        while let Some(u) = file.pop_front() {
            for &v in &voisins[u] {
                if dans(v) {
                    if let Some(f) = vu.get_mut(&v) {
                        if !*f {
                            *f = true;
                            comp.push(v);
                            file.push_back(v);
                        }
                    }
                }
            }
        }
        out.push(comp);
    }
    out
}

/// Checks a map: every unit on a post of its own MDS, every post with a unit, every secteur
/// contiguous. `ligne_de` gives the line where a unit's post is written, for the message.
pub fn valider(
    inst: &Instance,
    carte: &[usize],
    fichier: &str,
    colonne: &str,
    ligne_de: impl Fn(usize) -> u64,
) -> Result<(), SectorisationError> {
    let mut secteurs = vec![Vec::new(); inst.postes.len()];
    for (u, &k) in carte.iter().enumerate() {
        let unite = &inst.unites[u];
        if inst.postes[k].mds != unite.mds {
            return Err(SectorisationError::donnee(
                fichier,
                ligne_de(u),
                colonne,
                format!(
                    "l'unité {} (MDS {}) est donnée au poste {} de la MDS {} : une unité ne change pas de MDS",
                    unite.id, inst.mds[unite.mds], inst.postes[k].id, inst.mds[inst.postes[k].mds]
                ),
            ));
        }
        secteurs[k].push(u);
    }
    for (k, s) in secteurs.iter().enumerate() {
        let poste = &inst.postes[k];
        if s.is_empty() {
            return Err(SectorisationError::donnee(
                "posts.csv",
                poste.ligne,
                "post_id",
                format!("le poste {} n'a aucune unité dans {fichier} : chaque secteur doit en avoir au moins une", poste.id),
            ));
        }
        let c = composantes(&inst.voisins, s, |v| carte[v] == k);
        if c.len() > 1 {
            let u = c[1][0];
            return Err(SectorisationError::donnee(
                fichier,
                ligne_de(u),
                colonne,
                format!(
                    "le secteur du poste {} n'est pas contigu : l'unité {} n'est reliée à l'unité {} par aucune unité du même secteur ({} morceaux)",
                    poste.id,
                    inst.unites[u].id,
                    inst.unites[c[0][0]].id,
                    c.len()
                ),
            ));
        }
    }
    Ok(())
}

/// Reads a `unit_id,post_id` map, one row per unit, and checks it.
pub fn lire_partition(
    inst: &Instance,
    lecteur: impl Read,
    fichier: &str,
) -> Result<Vec<usize>, SectorisationError> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(lecteur);
    let fichier_err = |e: csv::Error| SectorisationError::Fichier {
        fichier: fichier.to_owned(),
        detail: format!("CSV mal formé : {e}"),
    };
    let entete = r.headers().map_err(fichier_err)?.clone();
    let col = |nom: &str| {
        entete
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == nom)
            .ok_or_else(|| SectorisationError::ColonneManquante {
                fichier: fichier.to_owned(),
                colonne: nom.to_owned(),
            })
    };
    let (cu, cp) = (col("unit_id")?, col("post_id")?);
    let unites = crate::instance::index_par_id(&inst.unites, |u| &u.id);
    let postes = crate::instance::index_par_id(&inst.postes, |p| &p.id);
    let mut carte: Vec<Option<usize>> = vec![None; inst.unites.len()];
    let mut lignes = vec![0u64; inst.unites.len()];
    let mut rec = csv::StringRecord::new();
    while r.read_record(&mut rec).map_err(fichier_err)? {
        let ligne = rec.position().map(|p| p.line()).unwrap_or(0);
        let err = |c: &str, m: String| SectorisationError::donnee(fichier, ligne, c, m);
        let u_id = rec.get(cu).unwrap_or("");
        let &u = unites
            .get(u_id)
            .ok_or_else(|| err("unit_id", format!("unité « {u_id} » inconnue")))?;
        let p_id = rec.get(cp).unwrap_or("");
        let &k = postes
            .get(p_id)
            .ok_or_else(|| err("post_id", format!("poste « {p_id} » inconnu")))?;
        if carte[u].is_some() {
            return Err(err(
                "unit_id",
                format!("unité {u_id} déjà donnée ligne {}", lignes[u]),
            ));
        }
        carte[u] = Some(k);
        lignes[u] = ligne;
    }
    let mut out = Vec::with_capacity(carte.len());
    for (u, k) in carte.into_iter().enumerate() {
        match k {
            Some(k) => out.push(k),
            None => {
                return Err(SectorisationError::incoherence(
                    fichier,
                    format!(
                        "l'unité {} (units.csv, ligne {}) n'a pas de poste : la carte doit couvrir toutes les unités",
                        inst.unites[u].id, inst.unites[u].ligne
                    ),
                ))
            }
        }
    }
    valider(inst, &out, fichier, "post_id", |u| lignes[u])?;
    Ok(out)
}

/// Writes `unit_id,post_id`, units in file order.
pub fn ecrire_partition(
    inst: &Instance,
    carte: &[usize],
    sortie: impl Write,
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(sortie);
    w.write_record(["unit_id", "post_id"])?;
    for (u, &k) in carte.iter().enumerate() {
        w.write_record([inst.unites[u].id.as_str(), inst.postes[k].id.as_str()])?;
    }
    w.flush()?;
    Ok(())
}
