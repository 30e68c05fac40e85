//! The measures of `sectorisation.md`: each post's load ratio and deviation, each MDS's balance D,
//! balance class τ and compactness C, and the département summary. Also an independent check of a
//! map, used on everything the commands write.

use crate::instance::Instance;

/// Width of a balance class (0.5 point) and the band where deviations count as balanced (5 %),
/// both in steps of that width.
pub const PAS_CLASSE: f64 = 0.005;
pub const CLASSE_EQUILIBRE: u32 = 10;

/// τ(D) as a number of 0.5-point steps: max(10, ⌈D / 0.5 %⌉). A relative tolerance keeps a
/// deviation of exactly 5 % in the 5 % class despite floating-point rounding.
pub fn classe(d: f64) -> u32 {
    let pas = (d / PAS_CLASSE - 1e-9).ceil().max(0.0);
    (pas as u32).max(CLASSE_EQUILIBRE)
}

/// τ as a fraction (0.05, 0.055…).
pub fn tau(classe: u32) -> f64 {
    f64::from(classe) * PAS_CLASSE
}

/// min over c ∈ S of Σ_{i∈S} w_i · d(i, c): the load-weighted distance to the secteur's 1-median.
pub fn cout_secteur(
    membres: &[usize],
    w: impl Fn(usize) -> f64,
    d: impl Fn(usize, usize) -> f64,
) -> (f64, usize) {
    let mut meilleur = (f64::INFINITY, usize::MAX);
    for &c in membres {
        let mut s = 0.0;
        for &i in membres {
            s += w(i) * d(i, c);
            if s >= meilleur.0 {
                break;
            }
        }
        if s < meilleur.0 {
            meilleur = (s, c);
        }
    }
    meilleur
}

/// Euclidean distance in km between two units' points.
pub fn distance(inst: &Instance, a: usize, b: usize) -> f64 {
    let (ua, ub) = (&inst.unites[a], &inst.unites[b]);
    (ua.x_km - ub.x_km).hypot(ua.y_km - ub.y_km)
}

/// One post under a map.
#[derive(Debug, Clone)]
pub struct MesurePoste {
    pub poste: usize,
    pub unites: usize,
    pub charge_h: f64,
    /// r_k = L_k / E_k.
    pub ratio: f64,
    /// (r_k − μ_m) / μ_m.
    pub ecart: f64,
    /// The secteur's centre (1-median unit).
    pub centre: usize,
    pub compacite: f64,
}

/// One MDS under a map.
#[derive(Debug, Clone)]
pub struct MesureMds {
    pub mds: usize,
    pub moyenne: f64,
    pub d: f64,
    pub classe: u32,
    /// C_m (hour·km).
    pub compacite: f64,
    /// Σ (ℓ_i + 1) over the MDS.
    pub masse: f64,
    pub postes: Vec<MesurePoste>,
}

/// The département summary.
#[derive(Debug, Clone)]
pub struct Mesure {
    pub mds: Vec<MesureMds>,
    pub tau_max: f64,
    pub mds_equilibrees: usize,
    pub d_max: f64,
    pub d_moyen: f64,
    /// C (km): Σ_m C_m / Σ_i (ℓ_i + 1).
    pub c_km: f64,
}

/// Measures a map (one post per unit).
pub fn mesurer(inst: &Instance, carte: &[usize]) -> Mesure {
    let mut secteurs = vec![Vec::new(); inst.postes.len()];
    for (u, &k) in carte.iter().enumerate() {
        secteurs[k].push(u);
    }
    let w = |i: usize| inst.unites[i].charge_h + 1.0;
    let mut par_mds = Vec::new();
    for (m, postes) in inst.postes_par_mds().into_iter().enumerate() {
        let total: f64 = postes
            .iter()
            .flat_map(|&k| secteurs[k].iter())
            .map(|&i| inst.unites[i].charge_h)
            .sum();
        let etp: f64 = postes.iter().map(|&k| inst.postes[k].etp).sum();
        let moyenne = total / etp;
        let mut mp = Vec::new();
        for &k in &postes {
            let charge: f64 = secteurs[k].iter().map(|&i| inst.unites[i].charge_h).sum();
            let ratio = charge / inst.postes[k].etp;
            let ecart = if moyenne > 0.0 {
                (ratio - moyenne) / moyenne
            } else {
                0.0
            };
            let (compacite, centre) = cout_secteur(&secteurs[k], w, |a, b| distance(inst, a, b));
            mp.push(MesurePoste {
                poste: k,
                unites: secteurs[k].len(),
                charge_h: charge,
                ratio,
                ecart,
                centre,
                compacite,
            });
        }
        let d = mp.iter().map(|p| p.ecart.abs()).fold(0.0, f64::max);
        par_mds.push(MesureMds {
            mds: m,
            moyenne,
            d,
            classe: classe(d),
            compacite: mp.iter().map(|p| p.compacite).sum(),
            masse: postes
                .iter()
                .flat_map(|&k| secteurs[k].iter())
                .map(|&i| w(i))
                .sum(),
            postes: mp,
        });
    }
    let n = par_mds.len().max(1) as f64;
    Mesure {
        tau_max: par_mds.iter().map(|m| tau(m.classe)).fold(0.0, f64::max),
        mds_equilibrees: par_mds
            .iter()
            .filter(|m| m.classe == CLASSE_EQUILIBRE)
            .count(),
        d_max: par_mds.iter().map(|m| m.d).fold(0.0, f64::max),
        d_moyen: par_mds.iter().map(|m| m.d).sum::<f64>() / n,
        c_km: par_mds.iter().map(|m| m.compacite).sum::<f64>()
            / par_mds
                .iter()
                .map(|m| m.masse)
                .sum::<f64>()
                .max(f64::MIN_POSITIVE),
        mds: par_mds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_balance_class_counts_half_points_above_the_five_percent_band() {
        assert_eq!(classe(0.0), 10);
        assert_eq!(classe(0.049), 10);
        // Exactly 5 % is balanced, despite 0.05 / 0.005 not being exactly 10 in binary.
        assert_eq!(classe(0.05), 10);
        assert_eq!(classe(0.0501), 11);
        assert_eq!(classe(0.055), 11);
        assert_eq!(classe(0.0551), 12);
        assert_eq!(classe(0.1), 20);
        assert!((tau(11) - 0.055).abs() < 1e-12);
    }

    #[test]
    fn a_secteurs_cost_is_taken_around_its_one_median() {
        // Three units on a line, the middle one heaviest: the centre is the middle unit.
        let x: [f64; 3] = [0.0, 1.0, 3.0];
        let w = [1.0, 5.0, 1.0];
        let (c, centre) = cout_secteur(&[0, 1, 2], |i| w[i], |a, b| (x[a] - x[b]).abs());
        assert_eq!(centre, 1);
        assert!((c - 3.0).abs() < 1e-12);
    }
}
