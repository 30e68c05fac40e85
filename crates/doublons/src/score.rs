//! Fellegi–Sunter style score of two normalised records: per-field graded comparisons, each level
//! worth a log2(m/u) weight, summed, then mapped to a probability in [0, 1]; plus explicit rules for
//! the hard non-matches (twins, parent and child of the same name).
//!
//! The weights were set from the m/u probabilities one expects in a départemental social-services
//! base (u of an exact date ≈ 1/30 000, of a surname ≈ 1/500, …) and then checked on the synthetic
//! data of `synthese`; they are constants rather than EM-trained so that the score of a pair never
//! depends on the rest of the base (the creation form scores one record against the index).

use strsim::jaro_winkler;

use crate::normalise::{Nom, Normalised};
use crate::{Date, Sexe};

/// Total weight (log2 of the likelihood ratio) at which the score is 0.5: the prior log-odds of a
/// random candidate pair being a duplicate, in bits.
const PIVOT: f64 = 17.0;

/// Comparison levels of the surnames (birth and usage names cross-compared).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NiveauNom {
    Different,
    Proche,
    Phonetique,
    JetonCommun,
    Exact,
}

fn compare_noms(a: &Nom, b: &Nom) -> NiveauNom {
    if a.compact == b.compact {
        return NiveauNom::Exact;
    }
    let mut niveau = NiveauNom::Different;
    for (i, ja) in a.jetons.iter().enumerate() {
        for (j, jb) in b.jetons.iter().enumerate() {
            let n = if ja == jb {
                NiveauNom::JetonCommun
            } else if a.phonetiques[i] == b.phonetiques[j] && !a.phonetiques[i].is_empty() {
                NiveauNom::Phonetique
            } else {
                let jw = jaro_winkler(ja, jb);
                if jw >= 0.9 {
                    NiveauNom::Phonetique
                } else if jw >= 0.82 {
                    NiveauNom::Proche
                } else {
                    NiveauNom::Different
                }
            };
            niveau = niveau.max(n);
        }
    }
    if niveau < NiveauNom::Phonetique && jaro_winkler(&a.compact, &b.compact) >= 0.9 {
        // Split or glued names (« Le Gall » typed « Legal »).
        niveau = NiveauNom::Phonetique;
    }
    niveau
}

/// Best agreement over birth/usage names on both sides, and whether the best came only from a
/// cross comparison involving a usage name (married names).
fn niveau_noms(a: &Normalised, b: &Normalised) -> Option<(NiveauNom, bool)> {
    let noms_a = [&a.nom_naissance, &a.nom_usage];
    let noms_b = [&b.nom_naissance, &b.nom_usage];
    let mut meilleur: Option<(NiveauNom, bool)> = None;
    for (i, na) in noms_a.iter().enumerate() {
        for (j, nb) in noms_b.iter().enumerate() {
            if na.est_vide() || nb.est_vide() {
                continue;
            }
            let n = compare_noms(na, nb);
            let usage = i == 1 || j == 1;
            meilleur = Some(match meilleur {
                None => (n, usage),
                Some((m, u)) if n > m || (n == m && u && !usage) => (n, usage),
                Some(x) => x,
            });
        }
    }
    meilleur
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NiveauPrenoms {
    Different,
    Proche,
    UnCommun,
    PremierCommun,
    Identiques,
}

fn niveau_prenoms(a: &Normalised, b: &Normalised) -> Option<NiveauPrenoms> {
    if a.prenoms.is_empty() || b.prenoms.is_empty() {
        return None;
    }
    // Same set (given names are distinct within a record, so equal lengths and inclusion suffice).
    if a.prenoms.len() == b.prenoms.len() && a.prenoms.iter().all(|p| b.prenoms.contains(p)) {
        return Some(NiveauPrenoms::Identiques);
    }
    if a.prenoms[0] == b.prenoms[0] {
        return Some(NiveauPrenoms::PremierCommun);
    }
    let mut niveau = NiveauPrenoms::Different;
    for (i, pa) in a.prenoms.iter().enumerate() {
        for (j, pb) in b.prenoms.iter().enumerate() {
            let n = if pa == pb {
                NiveauPrenoms::UnCommun
            } else if a.prenoms_phonetiques[i] == b.prenoms_phonetiques[j] || proches(pa, pb) {
                NiveauPrenoms::Proche
            } else {
                NiveauPrenoms::Different
            };
            niveau = niveau.max(n);
        }
    }
    if niveau < NiveauPrenoms::Proche {
        // Compound given names written glued or split (« Jean-Pierre » / « Jeanpierre »).
        let ca: String = a.prenoms.concat();
        let cb: String = b.prenoms.concat();
        if ca == cb || jaro_winkler(&ca, &cb) >= 0.92 {
            niveau = NiveauPrenoms::Proche;
        }
    }
    Some(niveau)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NiveauDate {
    Exacte,
    JourMoisInverses,
    UneErreur,
    DeuxSurTrois,
    DeuxErreurs,
    Differente,
}

fn chiffres_proches(x: u32, y: u32) -> bool {
    // One digit typed wrong, or two adjacent digits swapped (on four decimal digits).
    let chiffres = |v: u32| [v / 1000 % 10, v / 100 % 10, v / 10 % 10, v % 10];
    let (cx, cy) = (chiffres(x), chiffres(y));
    let mut diff = [0usize; 4];
    let mut n = 0;
    for i in 0..4 {
        if cx[i] != cy[i] {
            diff[n] = i;
            n += 1;
        }
    }
    match n {
        1 => true,
        2 => diff[1] == diff[0] + 1 && cx[diff[0]] == cy[diff[1]] && cx[diff[1]] == cy[diff[0]],
        _ => false,
    }
}

fn niveau_date(a: Date, b: Date) -> NiveauDate {
    if a == b {
        return NiveauDate::Exacte;
    }
    let annee_egale = a.annee == b.annee;
    let annee_proche = annee_egale || chiffres_proches(u32::from(a.annee), u32::from(b.annee));
    let jm_egaux = a.jour == b.jour && a.mois == b.mois;
    let jm_inverses = a.jour == b.mois && a.mois == b.jour;
    let jm_une_faute = (a.jour == b.jour && chiffres_proches(u32::from(a.mois), u32::from(b.mois)))
        || (a.mois == b.mois && chiffres_proches(u32::from(a.jour), u32::from(b.jour)));
    if annee_egale && jm_inverses {
        return NiveauDate::JourMoisInverses;
    }
    if (annee_proche && jm_egaux) || (annee_egale && jm_une_faute) {
        return NiveauDate::UneErreur;
    }
    let egaux = [annee_egale, a.mois == b.mois, a.jour == b.jour];
    if egaux.iter().filter(|e| **e).count() == 2 {
        return NiveauDate::DeuxSurTrois;
    }
    if annee_proche && (jm_inverses || jm_une_faute) {
        // Two errors on one date: still far likelier for one person than for two.
        return NiveauDate::DeuxErreurs;
    }
    NiveauDate::Differente
}

/// One typo apart (Jaro–Winkler misses a typo near the start of a short name).
fn proches(p: &str, q: &str) -> bool {
    jaro_winkler(p, q) >= 0.85
        || (p.len().min(q.len()) >= 4 && une_faute(p.as_bytes(), q.as_bytes()))
}

/// At most one substitution, insertion, deletion or adjacent transposition apart (ASCII after
/// folding); allocation-free because it runs on every candidate pair.
fn une_faute(p: &[u8], q: &[u8]) -> bool {
    let debut = p.iter().zip(q).take_while(|(x, y)| x == y).count();
    let fin = p[debut..]
        .iter()
        .rev()
        .zip(q[debut..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (rp, rq) = (p.len() - debut - fin, q.len() - debut - fin);
    match (rp, rq) {
        (0, _) | (_, 0) => rp + rq <= 1,
        (1, 1) => true,
        (2, 2) => p[debut] == q[debut + 1] && p[debut + 1] == q[debut],
        _ => false,
    }
}

/// True when given name `i` of `a` is (nearly) one of `b`'s given names.
fn prenom_parmi(a: &Normalised, i: usize, b: &Normalised) -> bool {
    let (p, k) = (&a.prenoms[i], &a.prenoms_phonetiques[i]);
    b.prenoms
        .iter()
        .zip(&b.prenoms_phonetiques)
        .any(|(q, kq)| q == p || kq == k || proches(p, q))
}

/// Detailed result of a comparison, for explanations and tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detail {
    /// Sum of the field weights, in bits.
    pub poids: f64,
    /// Set when a hard non-match rule fired (the score is then 0).
    pub regle: Option<&'static str>,
}

/// Weighs the comparison of two records (see the module documentation).
pub fn detail(a: &Normalised, b: &Normalised) -> Detail {
    detail_borne(a, b, f64::NEG_INFINITY).unwrap_or(Detail {
        poids: f64::NEG_INFINITY,
        regle: None,
    })
}

/// Most names agree at most this much (surname 9 + given names 7).
const POIDS_MAX_NOMS: f64 = 16.0;

/// Like [`detail`], but gives up (None) as soon as the weight cannot reach `poids_min`: the batch
/// scores millions of candidate pairs and most are settled by the cheap fields, before any
/// Jaro–Winkler on names.
pub fn detail_borne(a: &Normalised, b: &Normalised, poids_min: f64) -> Option<Detail> {
    let mut poids = 0.0;
    let date = match (a.date_naissance, b.date_naissance) {
        (Some(x), Some(y)) => Some((niveau_date(x, y), x, y)),
        _ => None,
    };
    poids += match date {
        None => 0.0,
        Some((NiveauDate::Exacte, ..)) => 13.0,
        Some((NiveauDate::JourMoisInverses, ..)) => 9.0,
        Some((NiveauDate::UneErreur, ..)) => 6.0,
        Some((NiveauDate::DeuxSurTrois, ..)) => 2.0,
        Some((NiveauDate::DeuxErreurs, ..)) => 0.0,
        Some((NiveauDate::Differente, ..)) => -11.0,
    };
    poids += match (a.sexe, b.sexe) {
        (Some(x), Some(y)) if x == y => 0.8,
        (Some(_), Some(_)) => -5.0,
        _ => 0.0,
    };
    let (ca, cb) = (&a.commune_naissance_insee, &b.commune_naissance_insee);
    if !ca.is_empty() && !cb.is_empty() {
        poids += if ca == cb { 4.0 } else { -4.0 };
    }
    let meme_adresse = !a.voie.is_empty()
        && !b.voie.is_empty()
        && a.code_postal == b.code_postal
        && a.numero_voie == b.numero_voie
        && jaro_winkler(&a.voie, &b.voie) >= 0.9;
    if meme_adresse {
        poids += 4.0;
    } else if !a.code_postal.is_empty() && a.code_postal == b.code_postal {
        poids += 1.0;
    } else if !a.code_postal.is_empty() && !b.code_postal.is_empty() {
        // People move: a different address is weak evidence.
        poids -= 1.0;
    }

    if poids + POIDS_MAX_NOMS < poids_min {
        return None;
    }
    let noms = niveau_noms(a, b);
    let femme_ou_inconnu = a.sexe != Some(Sexe::M) || b.sexe != Some(Sexe::M);
    poids += match noms {
        None => 0.0,
        Some((NiveauNom::Exact, false)) => 9.0,
        Some((NiveauNom::Exact, true)) | Some((NiveauNom::JetonCommun, _)) => 7.5,
        Some((NiveauNom::Phonetique, _)) => 5.5,
        Some((NiveauNom::Proche, _)) => 1.5,
        // A woman's birth name against her married name disagrees; cost less than a true mismatch.
        Some((NiveauNom::Different, _)) if femme_ou_inconnu => -3.5,
        Some((NiveauNom::Different, _)) => -8.0,
    };
    let prenoms = niveau_prenoms(a, b);
    poids += match prenoms {
        None => 0.0,
        Some(NiveauPrenoms::Identiques) => 7.0,
        Some(NiveauPrenoms::PremierCommun) => 6.0,
        Some(NiveauPrenoms::UnCommun) => 4.5,
        Some(NiveauPrenoms::Proche) => 3.5,
        Some(NiveauPrenoms::Different) => -7.0,
    };
    // Hard non-matches.
    let mut regle = None;
    if let Some((niveau, x, y)) = date {
        let ecart = (i32::from(x.annee) - i32::from(y.annee)).abs();
        let jour_mois = x.jour == y.jour && x.mois == y.mois;
        if ecart >= 12 && !(jour_mois && niveau == NiveauDate::UneErreur) {
            regle = Some("parent et enfant : années de naissance trop éloignées");
        }
        if niveau == NiveauDate::Exacte || niveau == NiveauDate::JourMoisInverses {
            // Twins may share a middle name: what tells them apart is that neither usual (first)
            // given name is found among the other's given names.
            let prenoms_differents = matches!(prenoms, Some(NiveauPrenoms::Different))
                || (!a.prenoms.is_empty()
                    && !b.prenoms.is_empty()
                    && !prenom_parmi(a, 0, b)
                    && !prenom_parmi(b, 0, a));
            let sexes_differents = matches!((a.sexe, b.sexe), (Some(p), Some(q)) if p != q)
                && !matches!(prenoms, Some(NiveauPrenoms::Identiques));
            if prenoms_differents || sexes_differents {
                regle = Some("jumeaux : même date de naissance, prénoms ou sexes différents");
            }
        }
    }
    Some(Detail { poids, regle })
}

/// Probability-like score in [0, 1] that two records are the same person.
pub fn score(a: &Normalised, b: &Normalised) -> f64 {
    vers_score(detail(a, b))
}

fn vers_score(d: Detail) -> f64 {
    if d.regle.is_some() {
        return 0.0;
    }
    1.0 / (1.0 + (PIVOT - d.poids).exp2())
}

/// The score if it reaches `seuil`, else None (cheaper than [`score`] on most non-matches).
pub fn score_si_au_moins(a: &Normalised, b: &Normalised, seuil: f64) -> Option<f64> {
    // Weight at which the score equals the threshold (a little margin for rounding).
    let poids_min = if seuil <= 0.0 {
        f64::NEG_INFINITY
    } else if seuil >= 1.0 {
        f64::INFINITY
    } else {
        PIVOT - ((1.0 - seuil) / seuil).log2() - 1e-9
    };
    let s = vers_score(detail_borne(a, b, poids_min)?);
    (s >= seuil).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn une_faute_de_frappe() {
        assert!(une_faute(b"HELENE", b"HLENE"));
        assert!(une_faute(b"HELENE", b"HELEEN"));
        assert!(une_faute(b"HELENE", b"HELENA"));
        assert!(une_faute(b"HELENE", b"HELENES"));
        assert!(!une_faute(b"HELENE", b"HALANE"));
        assert!(!une_faute(b"ANNE", b"ANNETTE"));
    }

    #[test]
    fn chiffres() {
        assert!(chiffres_proches(1985, 1958));
        assert!(!chiffres_proches(1985, 2011));
        assert!(chiffres_proches(1985, 1986));
        assert!(chiffres_proches(1985, 1895));
        assert!(chiffres_proches(12, 21));
        assert!(!chiffres_proches(12, 30));
    }
}
