//! The objective of `placement.md` (C1–C6, integers) and the independent checker of H1–H6: every
//! solver's output is re-verified with these, never trusted.

use crate::instance::Instance;

/// A solution: for each child (instance order), its place index or `None` (unplaced).
pub type Solution = Vec<Option<usize>>;

/// C2: an emergency bed used by a child who is not an immediate emergency.
pub const C2_URGENCE: i64 = 150;
/// C3: moving a child out of a regular place.
pub const C3_DEPLACEMENT: i64 = 200;
/// C4: a child of 5 or less in collective care.
pub const C4_COLLECTIF: i64 = 60;
/// C5: per extra site, per extra place within a site.
pub const C5_SITE: i64 = 400;
pub const C5_PLACE: i64 = 100;

/// The objective by term.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Detail {
    pub c1: i64,
    pub c2: i64,
    pub c3: i64,
    pub c4: i64,
    pub c5: i64,
    pub c6: i64,
    pub total: i64,
}

/// C1..C4 of child `c` in place `p`.
pub fn termes(inst: &Instance, c: usize, p: usize) -> [i64; 4] {
    let ch = &inst.children[c];
    let pl = &inst.places[p];
    let c1 =
        i64::from(inst.dist(ch.home, pl.commune)) + i64::from(inst.dist(ch.school, pl.commune));
    let c2 = if pl.urgence && ch.urgency < 2 {
        C2_URGENCE
    } else {
        0
    };
    let c3 = match ch.current {
        Some(q) if !inst.places[q].urgence && q != p => C3_DEPLACEMENT,
        _ => 0,
    };
    let c4 = if ch.age <= 5 && pl.collective {
        C4_COLLECTIF
    } else {
        0
    };
    [c1, c2, c3, c4]
}

/// C1+C2+C3+C4 of child `c` in place `p`.
pub fn cout_paire(inst: &Instance, c: usize, p: usize) -> i64 {
    termes(inst, c, p).iter().sum()
}

/// C6 of child `c` left unplaced.
pub fn cout_non_place(inst: &Instance, c: usize) -> i64 {
    match inst.children[c].urgency {
        2 => 5000,
        1 => 3000,
        _ => 2000,
    }
}

/// Cost of one child's choice (C1..C4 or C6), without C5.
pub fn cout_choix(inst: &Instance, c: usize, p: Option<usize>) -> i64 {
    match p {
        Some(p) => cout_paire(inst, c, p),
        None => cout_non_place(inst, c),
    }
}

/// C5 of a sibling group given the places of its members (`None` = unplaced, ignored).
pub fn c5_places(inst: &Instance, places: impl IntoIterator<Item = Option<usize>>) -> i64 {
    let mut u: Vec<usize> = Vec::with_capacity(8);
    let mut s: Vec<usize> = Vec::with_capacity(8);
    for p in places.into_iter().flatten() {
        if !u.contains(&p) {
            u.push(p);
        }
        let site = inst.places[p].site;
        if !s.contains(&site) {
            s.push(site);
        }
    }
    if u.is_empty() {
        return 0;
    }
    C5_SITE * (s.len() as i64 - 1) + C5_PLACE * (u.len() as i64 - s.len() as i64)
}

/// C5 of group `g` in solution `sol`.
pub fn c5_groupe(inst: &Instance, g: usize, sol: &[Option<usize>]) -> i64 {
    c5_places(inst, inst.groups[g].iter().map(|&c| sol[c]))
}

/// The objective of `sol`, term by term (assumes one entry per child).
pub fn cout(inst: &Instance, sol: &[Option<usize>]) -> Detail {
    let mut d = Detail::default();
    for (c, &p) in sol.iter().enumerate() {
        match p {
            Some(p) => {
                let t = termes(inst, c, p);
                d.c1 += t[0];
                d.c2 += t[1];
                d.c3 += t[2];
                d.c4 += t[3];
            }
            None => d.c6 += cout_non_place(inst, c),
        }
    }
    for g in 0..inst.groups.len() {
        d.c5 += c5_groupe(inst, g, sol);
    }
    d.total = d.c1 + d.c2 + d.c3 + d.c4 + d.c5 + d.c6;
    d
}

/// Checks H1–H6 and the agent's fixings; returns every violation in French.
pub fn verifier(inst: &Instance, sol: &[Option<usize>]) -> Result<(), Vec<String>> {
    let mut erreurs = Vec::new();
    if sol.len() != inst.children.len() {
        erreurs.push(format!(
            "H1 : {} choix pour {} enfants",
            sol.len(),
            inst.children.len()
        ));
        return Err(erreurs);
    }
    let mut charge = vec![0u32; inst.places.len()];
    for (c, &p) in sol.iter().enumerate() {
        let ch = &inst.children[c];
        match p {
            None => {
                if ch.current.is_some() {
                    erreurs.push(format!(
                        "H1 : l'enfant {} est déjà accueilli et doit rester placé",
                        ch.id
                    ));
                }
                if let Some(Some(q)) = inst.fixations[c] {
                    erreurs.push(format!(
                        "fixation : l'enfant {} doit aller en {}",
                        ch.id, inst.places[q].id
                    ));
                }
            }
            Some(p) => {
                if p >= inst.places.len() {
                    erreurs.push(format!("place n°{p} inexistante pour l'enfant {}", ch.id));
                    continue;
                }
                charge[p] += 1;
                if let Some(e) = inst.exclusion(c, p) {
                    erreurs.push(format!(
                        "{e} : enfant {} en place {}",
                        ch.id, inst.places[p].id
                    ));
                }
                match inst.fixations[c] {
                    Some(Some(q)) if q != p => erreurs.push(format!(
                        "fixation : l'enfant {} doit aller en {}",
                        ch.id, inst.places[q].id
                    )),
                    Some(None) => erreurs.push(format!(
                        "fixation : l'enfant {} doit rester sans place",
                        ch.id
                    )),
                    _ => {}
                }
            }
        }
    }
    for (p, &n) in charge.iter().enumerate() {
        if n > inst.places[p].capacity {
            erreurs.push(format!(
                "H2 : place {} : {n} enfants pour {} lits",
                inst.places[p].id, inst.places[p].capacity
            ));
        }
    }
    if erreurs.is_empty() {
        Ok(())
    } else {
        Err(erreurs)
    }
}
