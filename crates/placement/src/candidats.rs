//! Candidate places of each child: its cheapest admissible places, its current place, and places
//! its siblings would like (so that a sub-problem can seat a group together).

use crate::cout::cout_paire;
use crate::instance::Instance;

/// The `limite` cheapest admissible places of child `c`, cheapest first (ties by place order).
pub fn admissibles_tries(inst: &Instance, c: usize, limite: usize) -> Vec<(i64, usize)> {
    let mut v: Vec<(i64, usize)> = (0..inst.places.len())
        .filter(|&p| inst.admissible(c, p))
        .map(|p| (cout_paire(inst, c, p), p))
        .collect();
    if v.len() > limite {
        // Only the head is needed: memory stays linear in children for large instances.
        v.select_nth_unstable(limite);
        v.truncate(limite);
    }
    v.sort_unstable();
    v
}

/// Per child: `k` cheapest admissible places, the current place, then the `k_freres` cheapest of each
/// sibling (and the other units of those sites) when admissible for the child.
pub fn candidats(inst: &Instance, k: usize, k_freres: usize) -> Vec<Vec<usize>> {
    let n = inst.children.len();
    let tries: Vec<Vec<(i64, usize)>> = (0..n)
        .map(|c| admissibles_tries(inst, c, k.max(k_freres)))
        .collect();
    let mut out: Vec<Vec<usize>> = Vec::with_capacity(n);
    for c in 0..n {
        let mut v: Vec<usize> = tries[c].iter().take(k).map(|&(_, p)| p).collect();
        if let Some(p) = inst.children[c].current {
            if inst.admissible(c, p) {
                v.push(p);
            }
        }
        for &d in &inst.groups[inst.children[c].group] {
            if d == c {
                continue;
            }
            for &(_, p) in tries[d].iter().take(k_freres) {
                for &q in &inst.site_places[inst.places[p].site] {
                    if inst.admissible(c, q) {
                        v.push(q);
                    }
                }
            }
        }
        v.sort_unstable();
        v.dedup();
        out.push(v);
    }
    // Sites where the whole group fits by H3–H6, cheapest first: their units become candidates of
    // every member, so that a sub-problem can seat the siblings together.
    let mut min_site = vec![0i64; inst.sites.len()];
    let mut somme = vec![0i64; inst.sites.len()];
    for membres in inst.groups.iter().filter(|g| g.len() >= 2) {
        somme.iter_mut().for_each(|x| *x = 0);
        for &c in membres {
            min_site.iter_mut().for_each(|x| *x = i64::MAX);
            for p in 0..inst.places.len() {
                if inst.admissible(c, p) {
                    let s = inst.places[p].site;
                    min_site[s] = min_site[s].min(cout_paire(inst, c, p));
                }
            }
            for (s, &x) in min_site.iter().enumerate() {
                somme[s] = somme[s].saturating_add(x);
            }
        }
        let mut sites: Vec<(i64, usize)> = somme
            .iter()
            .enumerate()
            .filter(|(_, &x)| x < i64::MAX / 2)
            .map(|(s, &x)| (x, s))
            .collect();
        if sites.len() > SITES_GROUPE {
            sites.select_nth_unstable(SITES_GROUPE);
            sites.truncate(SITES_GROUPE);
        }
        for &c in membres {
            for &(_, s) in &sites {
                for &p in &inst.site_places[s] {
                    if inst.admissible(c, p) {
                        out[c].push(p);
                    }
                }
            }
            out[c].sort_unstable();
            out[c].dedup();
        }
    }
    out
}

/// How many whole-group sites each sibling group gets as candidates.
const SITES_GROUPE: usize = 6;
