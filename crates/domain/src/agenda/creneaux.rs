//! The search of free slots: walk the days from now, lay the slots of each plage that takes the kind
//! on a quarter-hour grid, drop those that meet an appointment, an absence or a session of the agent,
//! and keep the earliest (ties: the agent with the lower id, so that the answer is stable). Pure: the
//! store loads the plages and the busy times of the candidate agents in three queries.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;

use super::{Plage, TypeRdv};

/// Slots start on this grid from the start of their plage.
pub const PAS_MINUTES: i64 = 15;

/// A free slot of an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Creneau {
    pub agent_id: i64,
    pub debut: NaiveDateTime,
    pub fin: NaiveDateTime,
    pub site_id: i64,
    pub permanence_id: Option<i64>,
    pub nature: super::NaturePlage,
}

/// A busy interval of an agent (appointment, absence, session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occupation {
    pub agent_id: i64,
    pub debut: NaiveDateTime,
    pub fin: NaiveDateTime,
}

/// At most `max` free slots of `duree` minutes for `type_rdv`, starting at or after `apres` and before
/// the end of day `jusqu_au`, earliest first.
pub fn libres(
    plages: &[Plage],
    occupations: &[Occupation],
    type_rdv: TypeRdv,
    duree: i64,
    apres: NaiveDateTime,
    jusqu_au: NaiveDate,
    max: usize,
) -> Vec<Creneau> {
    let mut busy: HashMap<i64, Vec<(NaiveDateTime, NaiveDateTime)>> = HashMap::new();
    for o in occupations {
        busy.entry(o.agent_id).or_default().push((o.debut, o.fin));
    }
    for v in busy.values_mut() {
        v.sort();
    }
    let mut by_day: [Vec<&Plage>; 7] = Default::default();
    for p in plages
        .iter()
        .filter(|p| type_rdv.accepte(p.nature) && p.fin - p.debut >= duree)
    {
        if let Some(slot) = by_day.get_mut(p.jour.saturating_sub(1) as usize) {
            slot.push(p);
        }
    }
    let mut out = Vec::new();
    let mut day = apres.date();
    while day <= jusqu_au && out.len() < max {
        let mut today: Vec<Creneau> = Vec::new();
        let midnight = day.and_time(NaiveTime::MIN);
        for p in &by_day[day.weekday().num_days_from_monday() as usize] {
            let agent_busy = busy.get(&p.agent_id).map(Vec::as_slice).unwrap_or(&[]);
            let mut t = p.debut;
            while t + duree <= p.fin {
                let debut = midnight + Duration::minutes(t);
                let fin = debut + Duration::minutes(duree);
                t += PAS_MINUTES;
                if debut < apres {
                    continue;
                }
                // Busy intervals are sorted by start: only those starting before our end can meet us.
                let end = agent_busy.partition_point(|(d, _)| *d < fin);
                if agent_busy[..end].iter().any(|(_, f)| *f > debut) {
                    continue;
                }
                today.push(Creneau {
                    agent_id: p.agent_id,
                    debut,
                    fin,
                    site_id: p.site_id,
                    permanence_id: p.permanence_id,
                    nature: p.nature,
                });
                // The earliest slot of this plage is all a first-slot search needs from it when
                // only one slot is asked.
                if max == 1 {
                    break;
                }
            }
        }
        today.sort_by_key(|c| (c.debut, c.agent_id));
        today.dedup_by_key(|c| (c.debut, c.agent_id));
        out.extend(today.into_iter().take(max - out.len()));
        day += Duration::days(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{heure, NaturePlage};
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        heure::parse(s).unwrap()
    }

    fn plage(agent_id: i64, jour: u32, debut: i64, fin: i64, nature: NaturePlage) -> Plage {
        Plage {
            id: agent_id * 10 + i64::from(jour),
            agent_id,
            jour,
            debut,
            fin,
            nature,
            site_id: 1,
            permanence_id: None,
        }
    }

    #[test]
    fn the_first_free_slot_skips_busy_times_and_the_past() {
        // Tuesday 24 November 2026, 9:10: agent 1 receives 9:00–12:00, busy 9:30–10:15.
        let plages = [
            plage(1, 2, 540, 720, NaturePlage::RendezVous),
            plage(2, 3, 540, 600, NaturePlage::RendezVous),
        ];
        let busy = [Occupation {
            agent_id: 1,
            debut: at("2026-11-24T09:30"),
            fin: at("2026-11-24T10:15"),
        }];
        let s = libres(
            &plages,
            &busy,
            TypeRdv::Suivi,
            45,
            at("2026-11-24T09:10"),
            at("2026-12-31T00:00").date(),
            3,
        );
        assert_eq!(s[0].debut, at("2026-11-24T10:15"));
        assert_eq!(s[1].debut, at("2026-11-24T10:30"));
        let first = libres(
            &plages,
            &busy,
            TypeRdv::Suivi,
            45,
            at("2026-11-24T11:30"),
            at("2026-12-31T00:00").date(),
            1,
        );
        assert_eq!(first[0].agent_id, 2);
        assert_eq!(first[0].debut, at("2026-11-25T09:00"));
    }

    #[test]
    fn a_plas_only_offers_first_appointments() {
        let plages = [plage(1, 2, 540, 720, NaturePlage::Plas)];
        let apres = at("2026-11-23T08:00");
        assert!(libres(
            &plages,
            &[],
            TypeRdv::Suivi,
            45,
            apres,
            apres.date() + Duration::days(14),
            1
        )
        .is_empty());
        assert_eq!(
            libres(
                &plages,
                &[],
                TypeRdv::PremierAccueil,
                45,
                apres,
                apres.date() + Duration::days(14),
                1
            )
            .len(),
            1
        );
    }
}
