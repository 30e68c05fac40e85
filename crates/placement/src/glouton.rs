//! `glouton`: the greedy baseline. Sibling groups by decreasing urgency; each member takes its
//! cheapest admissible place with a free bed, counting C5 with the siblings already seated, either
//! anywhere or inside one site (the cheapest variant is kept). Fast and always feasible, but blind to what later children need: a baseline, not a
//! solution (the engine starts from better and never returns worse).

use crate::cout::{c5_places, cout_non_place, cout_paire, Solution};
use crate::instance::Instance;

/// Greedy solution; feasible for H1–H6 and the fixings as soon as the instance is (beds of children
/// already placed stay reserved for them until their turn).
pub fn glouton(inst: &Instance) -> Solution {
    let n = inst.children.len();
    let mut sol: Solution = vec![None; n];
    let mut libre: Vec<i64> = inst.places.iter().map(|p| i64::from(p.capacity)).collect();
    // Reserve the beds of children already in a place (and of fixed children) until they choose.
    let mut reserve = vec![0i64; inst.places.len()];
    let reservation = |c: usize| match inst.fixations[c] {
        Some(Some(p)) => Some(p),
        Some(None) => None,
        None => inst.children[c].current,
    };
    for c in 0..n {
        if let Some(p) = reservation(c) {
            reserve[p] += 1;
        }
    }
    let mut ordre: Vec<usize> = (0..n).collect();
    // Fixed children first (they have no choice), then by urgency, groups kept together.
    ordre.sort_by_key(|&c| {
        let ch = &inst.children[c];
        (
            inst.fixations[c].is_none(),
            std::cmp::Reverse(
                inst.groups[ch.group]
                    .iter()
                    .map(|&d| inst.children[d].urgency)
                    .max(),
            ),
            ch.group,
            c,
        )
    });
    // One sibling group at a time (the order keeps groups contiguous): its members' reserved beds
    // are released, then the group is seated member by member either freely or inside one site,
    // and the cheapest of these first-fit variants is kept. Seating siblings one by one without
    // looking at the site splits most groups (the first one takes a single-bed AF), which is not
    // what a placement officer does.
    let mut i = 0;
    while i < ordre.len() {
        let g = inst.children[ordre[i]].group;
        let mut j = i;
        while j < ordre.len() && inst.children[ordre[j]].group == g {
            j += 1;
        }
        let membres = &ordre[i..j];
        let mut meilleur = seance(inst, membres, &mut sol, &mut libre, &mut reserve, None)
            .expect("the free choice always succeeds");
        if membres.len() >= 2 {
            let mut sites: Vec<usize> = membres
                .iter()
                .flat_map(|&c| {
                    (0..inst.places.len())
                        .filter(move |&p| inst.admissible(c, p))
                        .map(|p| inst.places[p].site)
                })
                .collect();
            sites.sort_unstable();
            sites.dedup();
            for s in sites {
                if let Some(v) = seance(inst, membres, &mut sol, &mut libre, &mut reserve, Some(s))
                {
                    if v.0 < meilleur.0 {
                        meilleur = v;
                    }
                }
            }
        }
        for (&c, &p) in membres.iter().zip(&meilleur.1) {
            if let Some(r) = reservation(c) {
                reserve[r] -= 1;
            }
            sol[c] = p;
            if let Some(p) = p {
                libre[p] -= 1;
            }
        }
        i = j;
    }
    sol
}

/// Seats `membres` one after the other, each at its cheapest admissible place with a free bed
/// (counting C5 with the siblings already seated), only inside site `site` when given; then frees
/// the beds again. Returns the cost of the group (C1–C6 with C5) and the choices, or `None` when a
/// member cannot be seated in the site.
fn seance(
    inst: &Instance,
    membres: &[usize],
    sol: &mut Solution,
    libre: &mut [i64],
    reserve: &mut [i64],
    site: Option<usize>,
) -> Option<(i64, Vec<Option<usize>>)> {
    let mut choix: Vec<Option<usize>> = Vec::with_capacity(membres.len());
    let mut total = 0;
    let mut ok = true;
    // A member's reserved bed is released at its own turn only: an earlier sibling must not take
    // the bed of one who has to stay placed.
    let mut liberes: Vec<usize> = Vec::new();
    for &c in membres {
        if let Some(r) = reservation_de(inst, c) {
            reserve[r] -= 1;
            liberes.push(r);
        }
        let freres: Vec<Option<usize>> = membres.iter().zip(&choix).map(|(_, &p)| p).collect();
        let c5_avant = c5_places(inst, freres.iter().copied());
        let mut meilleur: Option<(i64, usize)> = None;
        let places: Box<dyn Iterator<Item = usize>> = match site {
            Some(s) => Box::new(inst.site_places[s].iter().copied()),
            None => Box::new(0..inst.places.len()),
        };
        for p in places {
            if libre[p] - reserve[p] <= 0 || !inst.admissible(c, p) {
                continue;
            }
            let c5 = c5_places(inst, freres.iter().copied().chain([Some(p)])) - c5_avant;
            let v = cout_paire(inst, c, p) + c5;
            if meilleur.is_none_or(|(m, _)| v < m) {
                meilleur = Some((v, p));
            }
        }
        let q = match meilleur {
            Some((v, p)) if !inst.peut_rester_non_place(c) || v < cout_non_place(inst, c) => {
                Some(p)
            }
            _ if inst.peut_rester_non_place(c) && site.is_none() => None,
            // Only when the instance itself is infeasible (fixings): keep its reserved bed.
            None if site.is_none() => reservation_de(inst, c),
            _ => {
                ok = false;
                break;
            }
        };
        total += match q {
            Some(p) => cout_paire(inst, c, p),
            None => cout_non_place(inst, c),
        };
        if let Some(p) = q {
            libre[p] -= 1;
        }
        choix.push(q);
    }
    for p in choix.iter().flatten() {
        libre[*p] += 1;
    }
    for r in liberes {
        reserve[r] += 1;
    }
    if !ok {
        return None;
    }
    for (&c, &p) in membres.iter().zip(&choix) {
        sol[c] = p;
    }
    let g = inst.children[membres[0]].group;
    total += crate::cout::c5_groupe(inst, g, sol);
    for &c in membres {
        sol[c] = None;
    }
    Some((total, choix))
}

fn reservation_de(inst: &Instance, c: usize) -> Option<usize> {
    match inst.fixations[c] {
        Some(Some(p)) => Some(p),
        Some(None) => None,
        None => inst.children[c].current,
    }
}
