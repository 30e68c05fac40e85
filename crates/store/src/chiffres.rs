//! Figures of the desk and of appointments (« chiffres de l'accueil », seed 001 fiches 1 to 4), per
//! site (MDS) and per month: contacts by typology, share answered at the desk, appui technique
//! requests, delay from request to appointment, no-show rate, appointments per agent. Computed by SQL
//! aggregates (COUNT and SUM of CASE, grouped by month, site and the dimension wanted) and only folded
//! here; nothing personal leaves this module but agents' names with their counts.
//!
//! Months come from the stored civil times (`YYYY-MM-DDTHH:MM`): `substr(moment, 1, 7)` is the month
//! on both backends. The one expression that differs, a difference of dates in days, is branched on
//! the backend in [`jours_entre`].

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use parcours_domain::accueil::{Reponse, Typologie};
use parcours_domain::agenda::{heure, TypeRdv};
use sqlx::Row;

use crate::{Backend, Conn, Result};

/// A calendar month, the unit of every figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mois {
    pub annee: i32,
    /// 1 to 12.
    pub mois: u32,
}

const MOIS_COURTS: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];
const MOIS_LONGS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

impl Mois {
    pub fn new(annee: i32, mois: u32) -> Option<Self> {
        ((1..=12).contains(&mois) && (1900..=9999).contains(&annee)).then_some(Self { annee, mois })
    }
    pub fn of(d: NaiveDate) -> Self {
        Self {
            annee: d.year(),
            mois: d.month(),
        }
    }
    /// `AAAA-MM`, as stored months and `<input type="month">` write it.
    pub fn parse(s: &str) -> Option<Self> {
        let (a, m) = s.trim().split_once('-')?;
        if a.len() != 4 || m.len() != 2 {
            return None;
        }
        Self::new(a.parse().ok()?, m.parse().ok()?)
    }
    pub fn code(self) -> String {
        format!("{:04}-{:02}", self.annee, self.mois)
    }
    pub fn suivant(self) -> Self {
        if self.mois == 12 {
            Self {
                annee: self.annee + 1,
                mois: 1,
            }
        } else {
            Self {
                annee: self.annee,
                mois: self.mois + 1,
            }
        }
    }
    /// The month `n` months before this one.
    pub fn avant(self, n: u32) -> Self {
        let total = self.annee * 12 + self.mois as i32 - 1 - n as i32;
        Self {
            annee: total.div_euclid(12),
            mois: total.rem_euclid(12) as u32 + 1,
        }
    }
    /// Number of months from `self` to `fin`, both included (0 when `fin` is earlier).
    pub fn jusqua(self, fin: Mois) -> u32 {
        let d = (fin.annee * 12 + fin.mois as i32) - (self.annee * 12 + self.mois as i32);
        if d < 0 {
            0
        } else {
            d as u32 + 1
        }
    }
    /// « janv. 2026 »
    pub fn libelle(self) -> String {
        format!("{} {}", MOIS_COURTS[self.mois as usize - 1], self.annee)
    }
    /// « janvier 2026 »
    pub fn libelle_long(self) -> String {
        format!("{} {}", MOIS_LONGS[self.mois as usize - 1], self.annee)
    }
    /// The civil time at which the month starts, in the stored form (`YYYY-MM-01T00:00`).
    fn debut(self) -> String {
        format!("{}-01T00:00", self.code())
    }
}

/// The answers that settle the request at the desk itself (fiche 1: information, help with
/// administrative steps); the others hand it on (orientation to a partner, appointment, emergency,
/// appui technique of a social worker).
pub const REPONSES_AU_GUICHET: [Reponse; 2] = [Reponse::Information, Reponse::AideAdministrative];

/// What to compute: the sites (`None`: the whole département), the months `du` to `au` included, and
/// now (appointments that started before it count in the no-show rate).
#[derive(Debug, Clone)]
pub struct Filtre {
    pub sites: Option<Vec<i64>>,
    pub du: Mois,
    pub au: Mois,
    pub maintenant: NaiveDateTime,
}

/// A distribution of delays in days (days → number of appointments), so that the median of a sum of
/// groups is exact.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delais(pub BTreeMap<i64, i64>);

impl Delais {
    fn add(&mut self, jours: i64, n: i64) {
        *self.0.entry(jours).or_default() += n;
    }
    fn merge(&mut self, o: &Delais) {
        for (j, n) in &o.0 {
            self.add(*j, *n);
        }
    }
    pub fn nombre(&self) -> i64 {
        self.0.values().sum()
    }
    pub fn moyenne(&self) -> Option<f64> {
        let n = self.nombre();
        (n > 0).then(|| self.0.iter().map(|(j, c)| j * c).sum::<i64>() as f64 / n as f64)
    }
    /// The median in days; with an even count, the mean of the two middle values.
    pub fn mediane(&self) -> Option<f64> {
        let n = self.nombre();
        if n == 0 {
            return None;
        }
        let rang = |k: i64| {
            let mut vus = 0;
            for (j, c) in &self.0 {
                vus += c;
                if vus > k {
                    return *j;
                }
            }
            0
        };
        let (a, b) = (rang((n - 1) / 2), rang(n / 2));
        Some((a + b) as f64 / 2.0)
    }
}

/// The figures of one month at one site, or of any sum of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Ligne {
    pub contacts: i64,
    /// Contacts per typology, in the order of `Typologie::ALL`.
    pub par_typologie: Vec<i64>,
    /// Contacts whose answer is one of [`REPONSES_AU_GUICHET`].
    pub au_guichet: i64,
    /// Contacts whose answer is « appui technique demandé » (fiche 3).
    pub appuis_techniques: i64,
    /// Appointments starting in the period, cancelled ones excluded.
    pub rendez_vous: i64,
    /// Of those, the ones that started before now and carry a final status (honoré, excusé, absent).
    pub rdv_echus: i64,
    /// Of those, the ones marked « absent non excusé ».
    pub absents: i64,
    /// Days from the request (`demande_le`) to the day of the appointment, cancelled excluded.
    pub delais: Delais,
}

impl Default for Ligne {
    fn default() -> Self {
        Self {
            contacts: 0,
            par_typologie: vec![0; Typologie::ALL.len()],
            au_guichet: 0,
            appuis_techniques: 0,
            rendez_vous: 0,
            rdv_echus: 0,
            absents: 0,
            delais: Delais::default(),
        }
    }
}

impl Ligne {
    fn merge(&mut self, o: &Ligne) {
        self.contacts += o.contacts;
        for (a, b) in self.par_typologie.iter_mut().zip(&o.par_typologie) {
            *a += b;
        }
        self.au_guichet += o.au_guichet;
        self.appuis_techniques += o.appuis_techniques;
        self.rendez_vous += o.rendez_vous;
        self.rdv_echus += o.rdv_echus;
        self.absents += o.absents;
        self.delais.merge(&o.delais);
    }
    /// Share of the contacts answered at the desk, between 0 and 1.
    pub fn part_au_guichet(&self) -> Option<f64> {
        (self.contacts > 0).then(|| self.au_guichet as f64 / self.contacts as f64)
    }
    /// No-show rate: absents non excusés over the past appointments with a final status.
    pub fn taux_absence(&self) -> Option<f64> {
        (self.rdv_echus > 0).then(|| self.absents as f64 / self.rdv_echus as f64)
    }
}

/// Appointments of one agent at one site, per month.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRdv {
    pub agent_id: i64,
    /// « Prénom NOM »
    pub nom: String,
    pub site_id: i64,
    pub par_mois: BTreeMap<Mois, i64>,
    pub total: i64,
}

/// Every figure of a filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Chiffres {
    /// Every month of the period, in order, even those without any data.
    pub mois: Vec<Mois>,
    /// Per month and site, for the months and sites that have data.
    pub detail: BTreeMap<(Mois, i64), Ligne>,
    /// Per month, every month of the period.
    pub par_mois: BTreeMap<Mois, Ligne>,
    /// Per site that has data, over the period.
    pub par_site: BTreeMap<i64, Ligne>,
    pub total: Ligne,
    /// Delay from request to appointment per kind of appointment, over the period.
    pub delais_par_type: Vec<(TypeRdv, Delais)>,
    /// Sorted by site, then name.
    pub agents: Vec<AgentRdv>,
}

impl Chiffres {
    pub fn ligne(&self, mois: Mois, site: i64) -> Option<&Ligne> {
        self.detail.get(&(mois, site))
    }
}

fn backend(conn: &Conn) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

/// Days from the date `a` (`YYYY-MM-DD`) to the day of the civil time `b`, as an integer: SQLite has
/// `julianday`, PostgreSQL subtracts dates.
fn jours_entre(backend: Backend, a: &str, b: &str) -> String {
    match backend {
        Backend::Sqlite => {
            format!("CAST(julianday(substr({b}, 1, 10)) - julianday({a}) AS BIGINT)")
        }
        Backend::Postgres => {
            format!("CAST(CAST(substr({b}, 1, 10) AS DATE) - CAST({a} AS DATE) AS BIGINT)")
        }
    }
}

/// ` AND <col> IN (…)`, or nothing for the whole département. Ids are integers, so inlining them is safe.
fn sites_clause(col: &str, sites: &Option<Vec<i64>>) -> String {
    match sites {
        None => String::new(),
        Some(s) if s.is_empty() => format!(" AND {col} IN (-1)"),
        Some(s) => format!(
            " AND {col} IN ({})",
            s.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        ),
    }
}

/// Computes the figures of `f` in département `dep`.
pub async fn calculer(conn: &mut Conn, dep: &str, f: &Filtre) -> Result<Chiffres> {
    let debut = f.du.debut();
    let fin = f.au.suivant().debut();
    let maintenant = heure::format(f.maintenant);
    let mut detail: BTreeMap<(Mois, i64), Ligne> = BTreeMap::new();
    let month = |s: String| Mois::parse(&s);

    // Desk contacts: per month, site and typology, with the answers counted by kind.
    let sql = format!(
        "SELECT substr(moment, 1, 7) AS mois, site_id, typologie, CAST(COUNT(*) AS BIGINT) AS n, \
         CAST(SUM(CASE WHEN reponse IN ('{}', '{}') THEN 1 ELSE 0 END) AS BIGINT) AS guichet, \
         CAST(SUM(CASE WHEN reponse = '{}' THEN 1 ELSE 0 END) AS BIGINT) AS appui \
         FROM accueil_contacts WHERE departement_id = $1 AND moment >= $2 AND moment < $3{} \
         GROUP BY substr(moment, 1, 7), site_id, typologie",
        REPONSES_AU_GUICHET[0].code(),
        REPONSES_AU_GUICHET[1].code(),
        Reponse::AppuiTechnique.code(),
        sites_clause("site_id", &f.sites),
    );
    for r in sqlx::query(&sql)
        .bind(dep)
        .bind(&debut)
        .bind(&fin)
        .fetch_all(&mut *conn)
        .await?
    {
        let Some(m) = month(r.get("mois")) else {
            continue;
        };
        let l = detail.entry((m, r.get("site_id"))).or_default();
        let n: i64 = r.get("n");
        l.contacts += n;
        let t: String = r.get("typologie");
        if let Some(i) = Typologie::ALL.iter().position(|x| x.code() == t) {
            l.par_typologie[i] += n;
        }
        l.au_guichet += r.get::<i64, _>("guichet");
        l.appuis_techniques += r.get::<i64, _>("appui");
    }

    // Appointments: per month, site and agent; the no-show rate counts only what has happened and
    // has its final status (an appointment still « prévu » after its time is not counted).
    let sql = format!(
        "SELECT substr(r.debut, 1, 7) AS mois, r.site_id, r.agent_id, a.prenom, a.nom, \
         CAST(COUNT(*) AS BIGINT) AS n, \
         CAST(SUM(CASE WHEN r.debut < $4 AND r.statut IN ('honore', 'excuse', 'absent') THEN 1 ELSE 0 END) AS BIGINT) AS echus, \
         CAST(SUM(CASE WHEN r.debut < $4 AND r.statut = 'absent' THEN 1 ELSE 0 END) AS BIGINT) AS absents \
         FROM rendez_vous r JOIN agents a ON a.departement_id = r.departement_id AND a.id = r.agent_id \
         WHERE r.departement_id = $1 AND r.debut >= $2 AND r.debut < $3 AND r.statut <> 'annule'{} \
         GROUP BY substr(r.debut, 1, 7), r.site_id, r.agent_id, a.prenom, a.nom",
        sites_clause("r.site_id", &f.sites),
    );
    let mut agents: BTreeMap<(i64, i64), AgentRdv> = BTreeMap::new();
    for r in sqlx::query(&sql)
        .bind(dep)
        .bind(&debut)
        .bind(&fin)
        .bind(&maintenant)
        .fetch_all(&mut *conn)
        .await?
    {
        let Some(m) = month(r.get("mois")) else {
            continue;
        };
        let site: i64 = r.get("site_id");
        let agent: i64 = r.get("agent_id");
        let n: i64 = r.get("n");
        let l = detail.entry((m, site)).or_default();
        l.rendez_vous += n;
        l.rdv_echus += r.get::<i64, _>("echus");
        l.absents += r.get::<i64, _>("absents");
        let a = agents.entry((site, agent)).or_insert_with(|| AgentRdv {
            agent_id: agent,
            nom: format!(
                "{} {}",
                r.get::<String, _>("prenom"),
                r.get::<String, _>("nom")
            ),
            site_id: site,
            par_mois: BTreeMap::new(),
            total: 0,
        });
        *a.par_mois.entry(m).or_default() += n;
        a.total += n;
    }

    // Delays: a distribution per month, site and kind, so that medians can be taken over any sum.
    let jours = jours_entre(backend(conn), "demande_le", "debut");
    let sql = format!(
        "SELECT substr(debut, 1, 7) AS mois, site_id, type, {jours} AS jours, CAST(COUNT(*) AS BIGINT) AS n \
         FROM rendez_vous WHERE departement_id = $1 AND debut >= $2 AND debut < $3 AND statut <> 'annule'{} \
         GROUP BY substr(debut, 1, 7), site_id, type, {jours}",
        sites_clause("site_id", &f.sites),
    );
    let mut par_type: BTreeMap<usize, Delais> = BTreeMap::new();
    for r in sqlx::query(&sql)
        .bind(dep)
        .bind(&debut)
        .bind(&fin)
        .fetch_all(&mut *conn)
        .await?
    {
        let Some(m) = month(r.get("mois")) else {
            continue;
        };
        let (j, n): (i64, i64) = (r.get("jours"), r.get("n"));
        detail
            .entry((m, r.get("site_id")))
            .or_default()
            .delais
            .add(j, n);
        let t: String = r.get("type");
        if let Some(i) = TypeRdv::ALL.iter().position(|x| x.code() == t) {
            par_type.entry(i).or_default().add(j, n);
        }
    }

    let mut mois = vec![];
    let mut m = f.du;
    while m <= f.au {
        mois.push(m);
        m = m.suivant();
    }
    let mut par_mois: BTreeMap<Mois, Ligne> = mois.iter().map(|m| (*m, Ligne::default())).collect();
    let mut par_site: BTreeMap<i64, Ligne> = BTreeMap::new();
    let mut total = Ligne::default();
    for ((m, s), l) in &detail {
        par_mois.entry(*m).or_default().merge(l);
        par_site.entry(*s).or_default().merge(l);
        total.merge(l);
    }
    let mut agents: Vec<AgentRdv> = agents.into_values().collect();
    agents.sort_by(|a, b| (a.site_id, &a.nom, a.agent_id).cmp(&(b.site_id, &b.nom, b.agent_id)));
    Ok(Chiffres {
        mois,
        detail,
        par_mois,
        par_site,
        total,
        delais_par_type: par_type
            .into_iter()
            .map(|(i, d)| (TypeRdv::ALL[i], d))
            .collect(),
        agents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_and_step() {
        let m = Mois::parse("2026-01").unwrap();
        assert_eq!(m.avant(1).code(), "2025-12");
        assert_eq!(m.avant(13).code(), "2024-12");
        assert_eq!(Mois::parse("2025-12").unwrap().suivant(), m);
        assert_eq!(m.avant(11).jusqua(m), 12);
        assert_eq!(m.jusqua(m.avant(1)), 0);
        assert_eq!(m.libelle(), "janv. 2026");
        assert!(Mois::parse("2026-13").is_none());
        assert!(Mois::parse("26-01").is_none());
    }

    #[test]
    fn median_and_mean_of_a_distribution() {
        let mut d = Delais::default();
        assert_eq!(d.mediane(), None);
        d.add(2, 1);
        d.add(10, 2);
        d.add(30, 1);
        assert_eq!(d.nombre(), 4);
        assert_eq!(d.mediane(), Some(10.0));
        assert_eq!(d.moyenne(), Some(13.0));
        d.add(1, 1);
        d.add(3, 1);
        // 1 2 3 10 10 30: middle values 3 and 10.
        assert_eq!(d.mediane(), Some(6.5));
    }
}
