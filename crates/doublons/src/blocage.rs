//! Blocking: several hashed keys per record so that a duplicate shares at least one key with its
//! original whatever single field was corrupted, while candidate pairs stay near-linear in the base.
//! Then parallel scoring of the deduplicated candidate pairs.

use std::hash::{Hash, Hasher};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};

use crate::normalise::{normalise, Normalised};
use crate::score::score_si_au_moins;
use crate::{Date, Options, Pair, Record};

/// Blocks larger than this are skipped: a block of n records costs n²/2 comparisons, and such a
/// block (a very common name in a very common year) is covered by the other, finer keys anyway.
/// Keys on the full birth date are selective, so they may form larger blocks than name keys.
pub fn taille_max_bloc(cle: u64) -> usize {
    match cle >> 61 {
        2 | 3 => 150,
        _ => 40,
    }
}

/// Hashes a blocking key: its kind, a text part, and either a number or a second text part.
fn cle(genre: u32, texte: &str, nombre: u32, texte2: &str) -> u64 {
    let mut h = FxHasher::default();
    genre.hash(&mut h);
    texte.hash(&mut h);
    nombre.hash(&mut h);
    texte2.hash(&mut h);
    // FxHash's low bits are weak on short inputs: mix once more before sorting on the key.
    let x = h.finish();
    let x = x ^ (x >> 31).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // The kind in the top 3 bits: the block-size cap depends on it.
    (x >> 3) | (u64::from(genre & 7) << 61)
}

/// Day and month sorted: a date and its day/month-swapped typo give the same value.
fn date_canonique(d: Date) -> u32 {
    let (p, g) = if d.jour <= d.mois {
        (d.jour, d.mois)
    } else {
        (d.mois, d.jour)
    };
    u32::from(d.annee) * 10_000 + u32::from(p) * 100 + u32::from(g)
}

/// The blocking keys of one normalised record (deduplicated).
pub fn cles_de_blocage(n: &Normalised) -> Vec<u64> {
    let mut cles = Vec::with_capacity(16);
    let noms_phon: Vec<&str> = n
        .nom_naissance
        .phonetiques
        .iter()
        .chain(&n.nom_usage.phonetiques)
        .map(String::as_str)
        .filter(|p| !p.is_empty())
        .collect();
    let prenom_phon: Vec<&str> = n
        .prenoms_phonetiques
        .iter()
        .map(String::as_str)
        .filter(|p| !p.is_empty())
        .collect();
    // The initial of the usual given name refines the name keys: typos rarely hit a first letter,
    // and without it the commonest names fill blocks beyond the cap at a million records.
    let initiale = n.prenoms.first().map_or("", |p| &p[..1]);
    // 1. Surname (each token, birth and usage) + birth year (+ initial).
    // 2. Given name (each) + date (day/month order-insensitive): survives any surname change.
    // 3. Date + birth commune: survives a change of both names (married woman, typo'd given name).
    // 4. Surname + given name: survives a wrong or missing date.
    // 5. Surname + postcode: survives a wrong date and given name.
    if let Some(d) = n.date_naissance {
        let annee = u32::from(d.annee);
        let canon = date_canonique(d);
        for nom in &noms_phon {
            cles.push(cle(1, nom, annee, initiale));
            // Without the initial too: rare names keep small blocks, common ones hit the cap.
            cles.push(cle(1, nom, annee, ""));
        }
        for p in &prenom_phon {
            cles.push(cle(2, p, canon, ""));
        }
        if !n.commune_naissance_insee.is_empty() {
            cles.push(cle(3, &n.commune_naissance_insee, canon, ""));
        }
    }
    for nom in &noms_phon {
        for p in prenom_phon.iter().take(2) {
            cles.push(cle(4, nom, 0, p));
        }
        if !n.code_postal.is_empty() {
            cles.push(cle(5, nom, 0, &format!("{}{initiale}", n.code_postal)));
            cles.push(cle(5, nom, 0, &n.code_postal));
        }
    }
    cles.sort_unstable();
    cles.dedup();
    cles
}

/// Candidate pairs (i < j, positions in `normalises`), deduplicated and sorted.
pub fn paires_candidates(normalises: &[Normalised]) -> Vec<(u32, u32)> {
    let mut entrees: Vec<(u64, u32)> = normalises
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, n)| cles_de_blocage(n).into_iter().map(move |k| (k, i as u32)))
        .collect();
    entrees.par_sort_unstable();
    let blocs: Vec<&[(u64, u32)]> = entrees.chunk_by(|a, b| a.0 == b.0).collect();
    let mut paires: Vec<u64> = blocs
        .par_iter()
        .filter(|b| b.len() >= 2 && b.len() <= taille_max_bloc(b[0].0))
        .flat_map_iter(|b| {
            (0..b.len()).flat_map(move |x| {
                ((x + 1)..b.len()).map(move |y| {
                    // Entries of a block are sorted by position: b[x].1 < b[y].1 (a record's keys
                    // are deduplicated, so it never appears twice in one block).
                    (u64::from(b[x].1) << 32) | u64::from(b[y].1)
                })
            })
        })
        .collect();
    drop(entrees);
    paires.par_sort_unstable();
    paires.dedup();
    paires
        .into_iter()
        .map(|p| ((p >> 32) as u32, p as u32))
        .collect()
}

/// Finds the pairs of records judged to be the same person, sorted by (record_id_a, record_id_b),
/// with record_id_a < record_id_b. `progress(done, total)` is called while scoring.
pub fn find_pairs(
    records: &[Record],
    options: &Options,
    progress: impl Fn(u64, u64) + Sync,
) -> Vec<Pair> {
    if records.len() > u32::MAX as usize {
        // Positions are u32 to halve the memory of the candidate pairs; 4 billion records is far
        // beyond one département.
        return Vec::new();
    }
    let debut = std::time::Instant::now();
    let debug = std::env::var_os("DOUBLONS_DEBUG").is_some();
    let normalises: Vec<Normalised> = records.par_iter().map(normalise).collect();
    if debug {
        eprintln!("normalisation : {:?}", debut.elapsed());
    }
    let candidates = paires_candidates(&normalises);
    if debug {
        eprintln!(
            "{} paires candidates : {:?}",
            candidates.len(),
            debut.elapsed()
        );
    }
    let total = candidates.len() as u64;
    progress(0, total);
    let fait = std::sync::atomic::AtomicU64::new(0);
    const LOT: usize = 65_536;
    let mut paires: Vec<Pair> = candidates
        .par_chunks(LOT)
        .flat_map_iter(|lot| {
            let trouvees: Vec<Pair> = lot
                .iter()
                .filter_map(|&(i, j)| {
                    score_si_au_moins(
                        &normalises[i as usize],
                        &normalises[j as usize],
                        options.seuil,
                    )
                    .map(|s| {
                        Pair::new(
                            &records[i as usize].record_id,
                            &records[j as usize].record_id,
                            s,
                        )
                    })
                })
                .collect();
            let n = fait.fetch_add(lot.len() as u64, std::sync::atomic::Ordering::Relaxed)
                + lot.len() as u64;
            progress(n, total);
            trouvees
        })
        .filter(|p| p.record_id_a != p.record_id_b)
        .collect();
    paires.par_sort_unstable_by(|a, b| {
        (&a.record_id_a, &a.record_id_b).cmp(&(&b.record_id_a, &b.record_id_b))
    });
    // Two records sharing a record_id would give the same pair twice: keep one.
    paires.dedup_by(|a, b| a.record_id_a == b.record_id_a && a.record_id_b == b.record_id_b);
    paires
}

/// An index of existing records, to look for likely duplicates of a person being created.
pub struct Index {
    normalises: Vec<Normalised>,
    blocs: FxHashMap<u64, Vec<u32>>,
    seuil: f64,
}

/// A likely duplicate of the record being created.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidat {
    /// Position of the existing record in the slice given to [`Index::new`].
    pub position: usize,
    pub score: f64,
}

impl Index {
    /// Indexes existing records; `options.seuil_alerte` is the score from which a candidate is shown.
    pub fn new(records: &[Record], options: &Options) -> Self {
        let normalises: Vec<Normalised> = records.par_iter().map(normalise).collect();
        let mut blocs: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
        for (i, n) in normalises.iter().enumerate() {
            for k in cles_de_blocage(n) {
                blocs.entry(k).or_default().push(i as u32);
            }
        }
        Index {
            normalises,
            blocs,
            seuil: options.seuil_alerte,
        }
    }

    /// Number of indexed records.
    pub fn len(&self) -> usize {
        self.normalises.len()
    }

    /// True when no record is indexed.
    pub fn is_empty(&self) -> bool {
        self.normalises.is_empty()
    }

    /// Adds one record (just created) to the index; returns its position.
    pub fn ajouter(&mut self, record: &Record) -> usize {
        let n = normalise(record);
        let i = self.normalises.len();
        for k in cles_de_blocage(&n) {
            self.blocs.entry(k).or_default().push(i as u32);
        }
        self.normalises.push(n);
        i
    }
}

/// Likely duplicates of `record` among the indexed records, best first (ties by position).
/// Unlike the batch, large blocks are not skipped: one record against a block is cheap.
pub fn candidates_for(record: &Record, index: &Index) -> Vec<Candidat> {
    let n = normalise(record);
    let mut positions: Vec<u32> = cles_de_blocage(&n)
        .iter()
        .filter_map(|k| index.blocs.get(k))
        .flatten()
        .copied()
        .collect();
    positions.sort_unstable();
    positions.dedup();
    let mut out: Vec<Candidat> = positions
        .into_iter()
        .filter_map(|p| {
            score_si_au_moins(&n, &index.normalises[p as usize], index.seuil).map(|s| Candidat {
                position: p as usize,
                score: s,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.position.cmp(&b.position))
    });
    out
}
