//! The demo département: a deterministic, entirely synthetic département (no real person, no real
//! commune) with the figures of seed 001 at the default scale — 421,891 inhabitants, 9 MDS,
//! 177 agents for 159 ETP, 84 permanences — and a `nord` scale of 2.6 million inhabitants.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::habilitations::Role;
use crate::referentiel::ServiceKind;

/// The size of the demo département.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Seed 001: 421,891 inhabitants, 9 MDS, 177 agents (159 ETP), 84 permanences.
    Defaut,
    /// A département of 2.6 million inhabitants, for load tests.
    Nord,
}

impl Scale {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "defaut" | "default" | "défaut" => Some(Self::Defaut),
            "nord" => Some(Self::Nord),
            _ => None,
        }
    }
    /// Populations of the MDS areas; they add up to the département's population.
    fn mds_populations(self) -> Vec<i64> {
        match self {
            Scale::Defaut => vec![
                92_000, 66_000, 52_000, 47_000, 42_000, 37_000, 32_000, 27_891, 26_000,
            ],
            // 48 MDS of 54,166 or 54,167 inhabitants: 2,600,000 in all.
            Scale::Nord => (0..48)
                .map(|i| if i < 32 { 54_167 } else { 54_166 })
                .collect(),
        }
    }
    fn agents(self) -> usize {
        match self {
            Scale::Defaut => 177,
            Scale::Nord => 1_090,
        }
    }
    fn etp_centiemes(self) -> i64 {
        match self {
            Scale::Defaut => 15_900,
            Scale::Nord => 97_900,
        }
    }
    fn permanences(self) -> usize {
        match self {
            Scale::Defaut => 84,
            Scale::Nord => 517,
        }
    }
    /// Average inhabitants of a commune outside the MDS seat; larger at the nord scale so that the
    /// communes fit in the 998 INSEE codes of one département.
    fn village_size(self) -> f64 {
        match self {
            Scale::Defaut => 1_500.0,
            Scale::Nord => 3_500.0,
        }
    }
    fn territoires(self) -> usize {
        match self {
            Scale::Defaut => 3,
            Scale::Nord => 8,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoTerritoire {
    pub code: String,
    pub nom: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoSite {
    pub code: String,
    pub nom: String,
    pub territoire: usize,
    pub adresse: String,
    pub commune: usize,
    pub population: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoSecteur {
    pub code: String,
    pub nom: String,
    pub site: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoCommune {
    pub insee: String,
    pub nom: String,
    pub code_postal: String,
    pub population: i64,
    pub secteur: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoPermanence {
    pub site: usize,
    pub commune: usize,
    pub nom: String,
    pub adresse: String,
    pub horaires: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoAgent {
    pub matricule: String,
    pub prenom: String,
    pub nom: String,
    pub email: String,
    pub metier: &'static str,
    pub role: Role,
    pub service: ServiceKind,
    pub site: Option<usize>,
    pub secteur: Option<usize>,
    pub etp_centiemes: i64,
    pub pool_remplacement: bool,
    /// Demo accounts that can sign in (one per role), listed by `parcours demo`.
    pub login: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Demo {
    pub departement_code: String,
    pub departement_nom: String,
    pub territoires: Vec<DemoTerritoire>,
    pub sites: Vec<DemoSite>,
    pub secteurs: Vec<DemoSecteur>,
    pub communes: Vec<DemoCommune>,
    pub permanences: Vec<DemoPermanence>,
    pub agents: Vec<DemoAgent>,
}

impl Demo {
    pub fn population(&self) -> i64 {
        self.communes.iter().map(|c| c.population).sum()
    }
    pub fn etp_centiemes(&self) -> i64 {
        self.agents.iter().map(|a| a.etp_centiemes).sum()
    }
}

/// The password of every demo account; demo data only, printed by `parcours demo`.
pub const DEMO_PASSWORD: &str = "Vitrail-Demo-2026!";
/// The code of the demo département: 96 was never given to a French département.
pub const DEMO_DEPARTEMENT: &str = "96";

const ROOTS: &[&str] = &[
    "Vaux",
    "Brielle",
    "Chaumont",
    "Roche",
    "Fontelle",
    "Marsac",
    "Lussange",
    "Civrac",
    "Aubier",
    "Bellac",
    "Montoire",
    "Saulnay",
    "Verrière",
    "Champdor",
    "Cerisay",
    "Mirande",
    "Orval",
    "Pressac",
    "Quinçay",
    "Ruffigné",
    "Salvert",
    "Tercé",
    "Usson",
    "Vernelle",
    "Availly",
    "Blanzac",
    "Coulonges",
    "Dienné",
    "Esnandes",
    "Fleuré",
    "Gençay",
    "Haims",
    "Iteuil",
    "Jardres",
    "Lathus",
    "Mauprévoir",
    "Nouaillé",
    "Oyré",
    "Payrac",
    "Romagne",
    "Sérigny",
    "Thuré",
    "Valdivienne",
    "Brux",
    "Celle",
    "Savigné",
    "Mazerolles",
    "Lizant",
    "Charroux",
    "Persac",
];
const SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    "-sur-Sorne",
    "-le-Château",
    "-en-Bocage",
    "-la-Forêt",
    "-les-Bois",
    "-sur-Loue",
    "-de-Vienne",
    "-Saint-Jean",
    "-le-Haut",
];
const PREFIXES: &[&str] = &["", "", "", "Saint-", "Sainte-", "La ", "Le ", "Les "];
const STREETS: &[&str] = &[
    "rue de la République",
    "avenue du Général-Leclerc",
    "place de la Mairie",
    "rue des Écoles",
    "boulevard Jean-Jaurès",
    "rue Victor-Hugo",
    "allée des Tilleuls",
    "rue du Moulin",
];
const PRENOMS: &[&str] = &[
    "Camille",
    "Claire",
    "Julien",
    "Sophie",
    "Nadia",
    "Thomas",
    "Élodie",
    "Karim",
    "Aurélie",
    "Mathieu",
    "Léa",
    "Hugo",
    "Inès",
    "Nicolas",
    "Sandrine",
    "Yasmine",
    "Pierre",
    "Manon",
    "Laurent",
    "Chloé",
    "Fatou",
    "Sébastien",
    "Amandine",
    "Romain",
    "Céline",
    "Mehdi",
    "Valérie",
    "Antoine",
    "Justine",
    "Olivier",
];
const NOMS: &[&str] = &[
    "Martin",
    "Bernard",
    "Moreau",
    "Laurent",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefèvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
];
const JOURS: &[&str] = &["lundi", "mardi", "mercredi", "jeudi", "vendredi"];

/// Builds the demo département for a seed and a scale; the same seed gives the same département.
pub fn generate(seed: u64, scale: Scale) -> Demo {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut used_names = std::collections::BTreeSet::new();
    let mut commune_name = |rng: &mut ChaCha8Rng| loop {
        let name = format!(
            "{}{}{}",
            PREFIXES[rng.gen_range(0..PREFIXES.len())],
            ROOTS[rng.gen_range(0..ROOTS.len())],
            SUFFIXES[rng.gen_range(0..SUFFIXES.len())]
        );
        if used_names.insert(name.clone()) {
            return name;
        }
    };

    let territoires: Vec<DemoTerritoire> = (0..scale.territoires())
        .map(|i| DemoTerritoire {
            code: format!("UTASI-{}", i + 1),
            nom: [
                "Nord",
                "Centre",
                "Sud",
                "Est",
                "Ouest",
                "Nord-Est",
                "Sud-Ouest",
                "Littoral",
            ][i % 8]
                .to_string(),
        })
        .map(|mut t| {
            t.nom = format!("UTASI {}", t.nom);
            t
        })
        .collect();

    let mut sites = vec![];
    let mut secteurs = vec![];
    let mut communes: Vec<DemoCommune> = vec![];
    let mut insee_seq = 1;
    let mut cp_seq = 0;
    for (m, pop) in scale.mds_populations().into_iter().enumerate() {
        let seat_name = commune_name(&mut rng);
        // About one secteur per 7,000 inhabitants, one commune per 1,500 outside the seat.
        let n_secteurs = ((pop as f64 / 7_000.0).round() as usize).max(3);
        let first_secteur = secteurs.len();
        for s in 0..n_secteurs {
            secteurs.push(DemoSecteur {
                code: format!("S{:02}-{:02}", m + 1, s + 1),
                nom: format!("Secteur {} {}", seat_name, s + 1),
                site: m,
            });
        }
        let seat_pop = pop * 2 / 5;
        let rural = pop - seat_pop;
        let n_communes = ((rural as f64 / scale.village_size()).round() as usize).max(n_secteurs);
        // Random weights give unequal villages; the remainder goes to the last one so the sum is exact.
        let weights: Vec<f64> = (0..n_communes).map(|_| rng.gen_range(0.3..2.0)).collect();
        let total: f64 = weights.iter().sum();
        let seat_index = communes.len();
        cp_seq += 1;
        let seat_cp = format!("96{:03}", cp_seq * 10);
        communes.push(DemoCommune {
            insee: format!("96{insee_seq:03}"),
            nom: seat_name.clone(),
            code_postal: seat_cp,
            population: seat_pop,
            secteur: first_secteur,
        });
        insee_seq += 1;
        let mut given = 0;
        for (i, w) in weights.iter().enumerate() {
            let p = if i + 1 == n_communes {
                rural - given
            } else {
                (rural as f64 * w / total).floor() as i64
            };
            given += p;
            communes.push(DemoCommune {
                insee: format!("96{insee_seq:03}"),
                nom: commune_name(&mut rng),
                code_postal: format!("96{:03}", cp_seq * 10 + (i % 9) as i64 + 1),
                population: p,
                secteur: first_secteur + (i * n_secteurs / n_communes),
            });
            insee_seq += 1;
        }
        sites.push(DemoSite {
            code: format!("MDS-{:02}", m + 1),
            nom: format!("MDS {}", de(&seat_name)),
            territoire: m * territoires.len() / scale.mds_populations().len(),
            adresse: format!(
                "{} {}",
                rng.gen_range(1..80),
                STREETS[rng.gen_range(0..STREETS.len())]
            ),
            commune: seat_index,
            population: pop,
        });
    }
    // Permanences: in the larger villages of each MDS area, spread by population.
    let mut permanences = vec![];
    let n_sites = sites.len();
    let total_pop: i64 = sites.iter().map(|s| s.population).sum();
    let mut quotas: Vec<usize> = sites
        .iter()
        .map(|s| ((scale.permanences() as i64 * s.population) / total_pop) as usize)
        .collect();
    let mut missing = scale.permanences() - quotas.iter().sum::<usize>();
    let mut k = 0;
    while missing > 0 {
        quotas[k % n_sites] += 1;
        missing -= 1;
        k += 1;
    }
    for (m, quota) in quotas.iter().enumerate() {
        let mut villages: Vec<usize> = (0..communes.len())
            .filter(|&c| secteurs[communes[c].secteur].site == m)
            .collect();
        villages.sort_by_key(|&c| std::cmp::Reverse(communes[c].population));
        for j in 0..*quota {
            let c = villages[j % villages.len()];
            let jour = JOURS[(j + m) % JOURS.len()];
            permanences.push(DemoPermanence {
                site: m,
                commune: c,
                nom: format!(
                    "Permanence de {}{}",
                    communes[c].nom,
                    if j >= villages.len() { " (2)" } else { "" }
                ),
                adresse: format!("Mairie, {}", STREETS[(j + 2) % STREETS.len()]),
                horaires: if j % 2 == 0 {
                    format!("{jour} 9h00-12h00")
                } else {
                    format!("{jour} 14h00-17h00, sur rendez-vous")
                },
            });
        }
    }

    let agents = generate_agents(&mut rng, scale, &sites, &secteurs);
    Demo {
        departement_code: DEMO_DEPARTEMENT.into(),
        departement_nom: "Département de démonstration (Val-de-Sorne)".into(),
        territoires,
        sites,
        secteurs,
        communes,
        permanences,
        agents,
    }
}

fn generate_agents(
    rng: &mut ChaCha8Rng,
    scale: Scale,
    sites: &[DemoSite],
    secteurs: &[DemoSecteur],
) -> Vec<DemoAgent> {
    let mut agents: Vec<DemoAgent> = vec![];
    let mut used = std::collections::BTreeSet::new();
    let mut person = |rng: &mut ChaCha8Rng| loop {
        let p = PRENOMS[rng.gen_range(0..PRENOMS.len())];
        let n = NOMS[rng.gen_range(0..NOMS.len())];
        if used.insert((p.to_string(), n.to_string())) {
            return (p.to_string(), n.to_string());
        }
        // More people than name pairs at the nord scale: add an initial.
        let initial = (b'A' + rng.gen_range(0..26u8)) as char;
        let n2 = format!("{n}-{initial}");
        if used.insert((p.to_string(), n2.clone())) {
            return (p.to_string(), n2);
        }
    };
    let mut push = |rng: &mut ChaCha8Rng,
                    agents: &mut Vec<DemoAgent>,
                    metier: &'static str,
                    role: Role,
                    service: ServiceKind,
                    site: Option<usize>,
                    secteur: Option<usize>| {
        let (prenom, nom) = person(rng);
        let n = agents.len() + 1;
        let email = format!("{}.{}{}@cd96.demo", ascii(&prenom), ascii(&nom), n);
        agents.push(DemoAgent {
            matricule: format!("A{n:05}"),
            prenom,
            nom,
            email,
            metier,
            role,
            service,
            site,
            secteur,
            etp_centiemes: 100,
            pool_remplacement: false,
            login: false,
        });
    };
    // Central services first: direction, DPO, administrators, CRIP.
    let central = match scale {
        Scale::Defaut => 1,
        Scale::Nord => 6,
    };
    for _ in 0..central {
        push(
            rng,
            &mut agents,
            "CADRE",
            Role::Direction,
            ServiceKind::Central,
            None,
            None,
        );
        push(
            rng,
            &mut agents,
            "ADM",
            Role::Dpo,
            ServiceKind::Central,
            None,
            None,
        );
        push(
            rng,
            &mut agents,
            "ADM",
            Role::Administrateur,
            ServiceKind::Central,
            None,
            None,
        );
        for _ in 0..3 {
            push(
                rng,
                &mut agents,
                "EDUC",
                Role::EquipeCentrale,
                ServiceKind::Crip,
                None,
                None,
            );
        }
    }
    // Each MDS: a cadre, desk agents, social workers on the secteurs, then the remaining posts spread by
    // population (CESF, PMI, ASE, insertion).
    let remaining = scale.agents() - agents.len();
    let total_pop: i64 = sites.iter().map(|s| s.population).sum();
    for (m, site) in sites.iter().enumerate() {
        let share = (remaining as i64 * site.population / total_pop) as usize;
        let start = agents.len();
        push(
            rng,
            &mut agents,
            "CADRE",
            Role::Cadre,
            ServiceKind::ServiceSocial,
            Some(m),
            None,
        );
        let secteurs_here: Vec<usize> = (0..secteurs.len())
            .filter(|&s| secteurs[s].site == m)
            .collect();
        for &s in &secteurs_here {
            push(
                rng,
                &mut agents,
                "ASS",
                Role::TravailleurSocial,
                ServiceKind::ServiceSocial,
                Some(m),
                Some(s),
            );
        }
        let mut k = 0;
        while agents.len() - start < share {
            let (metier, role, service) = match k % 6 {
                0 | 3 => ("ACC", Role::Accueil, ServiceKind::ServiceSocial),
                1 => ("CESF", Role::TravailleurSocial, ServiceKind::ServiceSocial),
                2 => ("PUER", Role::TravailleurSocial, ServiceKind::Pmi),
                4 => ("EDUC", Role::TravailleurSocial, ServiceKind::Ase),
                _ => ("REFRSA", Role::TravailleurSocial, ServiceKind::Insertion),
            };
            push(rng, &mut agents, metier, role, service, Some(m), None);
            k += 1;
        }
    }
    // Top up to the exact head count with the replacement pool.
    while agents.len() < scale.agents() {
        push(
            rng,
            &mut agents,
            "ASS",
            Role::TravailleurSocial,
            ServiceKind::ServiceSocial,
            None,
            None,
        );
        if let Some(a) = agents.last_mut() {
            a.pool_remplacement = true;
        }
    }
    agents.truncate(scale.agents());
    // Part-time posts until the ETP total is the seed's: 0.8, then 0.5 where needed.
    let mut surplus = agents.len() as i64 * 100 - scale.etp_centiemes();
    let mut order: Vec<usize> = (0..agents.len()).collect();
    order.shuffle(rng);
    for i in order {
        if surplus <= 0 {
            break;
        }
        let cut = if surplus >= 50 && surplus % 20 != 0 {
            50
        } else {
            20.min(surplus)
        };
        agents[i].etp_centiemes -= cut;
        surplus -= cut;
    }
    // One sign-in account per role, the first agent of each role.
    for role in Role::ALL {
        if let Some(a) = agents.iter_mut().find(|a| a.role == role) {
            a.login = true;
        }
    }
    agents
}

/// « de » with its French contractions: du Chaumont, des Vignes, de La Roche, d'Aubier.
fn de(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("Le ") {
        format!("du {rest}")
    } else if let Some(rest) = name.strip_prefix("Les ") {
        format!("des {rest}")
    } else if name.starts_with(['A', 'E', 'I', 'O', 'U', 'É']) {
        format!("d'{name}")
    } else {
        format!("de {name}")
    }
}

fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
            'ç' => 'c',
            'ï' | 'î' => 'i',
            'ô' => 'o',
            c => c.to_ascii_lowercase(),
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_scale_has_the_figures_of_seed_001() {
        let d = generate(1, Scale::Defaut);
        assert_eq!(d.population(), 421_891);
        assert_eq!(d.sites.len(), 9);
        assert_eq!(d.agents.len(), 177);
        assert_eq!(d.etp_centiemes(), 15_900);
        assert_eq!(d.permanences.len(), 84);
        assert!(d
            .sites
            .iter()
            .all(|s| (26_000..=92_000).contains(&s.population)));
    }

    #[test]
    fn the_same_seed_gives_the_same_departement() {
        assert_eq!(generate(7, Scale::Defaut), generate(7, Scale::Defaut));
        assert_ne!(
            generate(7, Scale::Defaut).communes,
            generate(8, Scale::Defaut).communes
        );
    }

    #[test]
    fn the_nord_scale_has_2_6_million_inhabitants_and_unique_codes() {
        let d = generate(1, Scale::Nord);
        assert_eq!(d.population(), 2_600_000);
        let codes: std::collections::BTreeSet<_> = d.communes.iter().map(|c| &c.insee).collect();
        assert_eq!(codes.len(), d.communes.len());
        assert_eq!(d.etp_centiemes(), 97_900);
    }

    #[test]
    fn every_role_has_a_demo_login() {
        let d = generate(1, Scale::Defaut);
        for role in Role::ALL {
            assert!(
                d.agents.iter().any(|a| a.login && a.role == role),
                "{role:?}"
            );
        }
    }
}
