//! Synthetic test data: realistic French person records with a ground truth of duplicate pairs.
//! Deterministic for a seed. No real person: common names from public frequency lists, synthetic
//! surnames for the long tail, synthetic communes with plausible INSEE codes.
//!
//! Duplicates (about 15 % of persons) carry the corruptions seen in social-services bases: typos,
//! lost accents, given names swapped or missing, married and double usage names, day and month
//! swapped, date typos, missing fields, moves. Hard non-matches are added as separate persons:
//! twins (same surname, date, address; other given names) and a parent and a child of the same
//! name at the same address.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Date, Record, Sexe};

const NOMS: &[&str] = &[
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefebvre",
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
    "Garcia",
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
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martinez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Leclercq",
    "Guillaume",
    "Lecomte",
    "Lopez",
    "Jean",
    "Dupuy",
    "Guillot",
    "Hubert",
    "Berger",
    "Carpentier",
    "Sanchez",
    "Dupuis",
    "Moulin",
    "Louis",
    "Deschamps",
    "Huet",
    "Vasseur",
    "Perez",
    "Boucher",
    "Fleury",
    "Royer",
    "Klein",
    "Jacquet",
    "Adam",
    "Paris",
    "Poirier",
    "Marty",
    "Aubry",
    "Guyot",
    "Carré",
    "Charles",
    "Renault",
    "Charpentier",
    "Ménard",
    "Maillard",
    "Baron",
    "Bertin",
    "Bailly",
    "Hervé",
    "Schneider",
    "Fernandez",
    "Le Gall",
    "Collet",
    "Léger",
    "Bouvier",
    "Julien",
    "Prévost",
    "Millet",
    "Perrot",
    "Daniel",
    "Le Roux",
    "Cousin",
    "Germain",
    "Breton",
    "Besson",
    "Langlois",
    "Rémy",
    "Le Goff",
    "Pelletier",
    "Lévêque",
    "Perrier",
    "Leblanc",
    "Barré",
    "Lebrun",
    "Marchal",
    "Weber",
    "Mallet",
    "Hamon",
    "Boulanger",
    "Jacob",
    "Monnier",
    "Michaud",
    "Rodriguez",
    "Guichard",
    "Gillet",
    "Étienne",
    "Grondin",
    "Poulain",
    "Tessier",
    "Chevallier",
    "Collin",
    "Chauvin",
    "Da Silva",
    "Bouchet",
    "Gay",
    "Lemaître",
    "Bénard",
    "Maréchal",
    "Humbert",
    "Reynaud",
    "Antoine",
    "Hoarau",
    "Perret",
    "Barthélemy",
    "Cordier",
    "Pichon",
    "Lejeune",
    "Gilbert",
    "Lamy",
    "Delaunay",
    "Pasquier",
    "Carlier",
    "Laporte",
    "Dos Santos",
    "De Oliveira",
    "Hébert",
    "Chrétien",
    "D'Almeida",
    "de la Fontaine",
    "Le Guen",
    "Lebon",
    "Texier",
    "Fouquet",
    "Lelièvre",
    "Vallée",
    "Bérard",
    "Mathis",
    "Cordonnier",
    "Delmas",
    "Duhamel",
    "Roques",
];

/// Syllables for the long tail of synthetic surnames (most French people carry a rare name).
const DEBUTS: &[&str] = &[
    "Ber", "Lab", "Mon", "Cas", "Del", "Gar", "Vil", "Roch", "Bou", "Char", "Fer", "Mar", "Pel",
    "Sau", "Tar", "Val", "Bel", "Cour", "Des", "Fon", "Gri", "Jou", "Lan", "Mau", "Noi", "Pou",
    "Ri", "Sal", "Thi", "Ver", "Cham", "Bro", "Ca", "Du", "Es", "Fa", "Gui", "La", "Mé", "Po",
];
const FINS: &[&str] = &[
    "ard", "elle", "ier", "aud", "ot", "et", "on", "eau", "in", "ac", "ès", "ade", "ois", "ault",
    "enne", "illon", "ouze", "ec", "ié", "oux", "ette", "ane", "ery", "agne", "ourt", "ange",
    "ival", "enac", "ousse", "ière",
];

const PRENOMS_H: &[&str] = &[
    "Jean",
    "Pierre",
    "Michel",
    "André",
    "Philippe",
    "Louis",
    "Alain",
    "Jacques",
    "Bernard",
    "Marcel",
    "Daniel",
    "Roger",
    "Robert",
    "Paul",
    "Claude",
    "Christian",
    "Henri",
    "Georges",
    "Nicolas",
    "François",
    "Patrick",
    "Gérard",
    "Christophe",
    "Joseph",
    "René",
    "Julien",
    "Frédéric",
    "Éric",
    "Thierry",
    "Stéphane",
    "David",
    "Pascal",
    "Laurent",
    "Sébastien",
    "Olivier",
    "Maurice",
    "Dominique",
    "Thomas",
    "Raymond",
    "Guy",
    "Lucien",
    "Alexandre",
    "Antoine",
    "Maxime",
    "Vincent",
    "Yves",
    "Jérôme",
    "Didier",
    "Bruno",
    "Serge",
    "Mathieu",
    "Guillaume",
    "Franck",
    "Fabrice",
    "Cédric",
    "Romain",
    "Anthony",
    "Jean-Pierre",
    "Jean-Claude",
    "Jean-Marc",
    "Jean-Luc",
    "Hugo",
    "Lucas",
    "Théo",
    "Léo",
    "Gabriel",
    "Raphaël",
    "Arthur",
    "Jules",
    "Adam",
    "Nathan",
    "Enzo",
    "Mathis",
    "Noah",
    "Ethan",
    "Tom",
    "Clément",
    "Quentin",
    "Kevin",
    "Benoît",
    "Rémi",
    "Loïc",
    "Grégory",
    "Arnaud",
    "Xavier",
    "Emmanuel",
    "Fabien",
    "Jonathan",
    "Mickaël",
    "Yannick",
    "Gilles",
    "Hervé",
    "Joël",
    "Noël",
    "Victor",
    "Baptiste",
    "Valentin",
    "Florian",
    "Adrien",
    "Aurélien",
    "Damien",
    "Bastien",
    "Mohamed",
    "Karim",
    "Mehdi",
    "Yassine",
    "Sacha",
    "Timéo",
    "Nolan",
    "Axel",
    "Paul-Henri",
];

const PRENOMS_F: &[&str] = &[
    "Marie",
    "Jeanne",
    "Françoise",
    "Monique",
    "Catherine",
    "Nathalie",
    "Isabelle",
    "Jacqueline",
    "Anne",
    "Sylvie",
    "Martine",
    "Madeleine",
    "Nicole",
    "Suzanne",
    "Hélène",
    "Christine",
    "Marguerite",
    "Denise",
    "Louise",
    "Christiane",
    "Yvonne",
    "Valérie",
    "Sophie",
    "Sandrine",
    "Stéphanie",
    "Céline",
    "Véronique",
    "Chantal",
    "Nadine",
    "Julie",
    "Aurélie",
    "Émilie",
    "Camille",
    "Laura",
    "Léa",
    "Manon",
    "Chloé",
    "Emma",
    "Inès",
    "Jade",
    "Zoé",
    "Lina",
    "Louna",
    "Alice",
    "Ambre",
    "Anaïs",
    "Mélanie",
    "Virginie",
    "Patricia",
    "Brigitte",
    "Danielle",
    "Josiane",
    "Colette",
    "Simone",
    "Odette",
    "Germaine",
    "Paulette",
    "Renée",
    "Thérèse",
    "Bernadette",
    "Agnès",
    "Cécile",
    "Claire",
    "Élodie",
    "Audrey",
    "Caroline",
    "Laetitia",
    "Delphine",
    "Karine",
    "Sabrina",
    "Vanessa",
    "Jessica",
    "Marion",
    "Pauline",
    "Charlotte",
    "Margaux",
    "Clara",
    "Océane",
    "Mathilde",
    "Lucie",
    "Justine",
    "Morgane",
    "Marine",
    "Elise",
    "Maëlys",
    "Lola",
    "Rose",
    "Anna",
    "Mila",
    "Fatima",
    "Yasmine",
    "Nadia",
    "Marie-Claire",
    "Marie-Thérèse",
    "Anne-Marie",
    "Marie-Christine",
    "Bénédicte",
    "Geneviève",
    "Josette",
    "Ginette",
    "Huguette",
    "Lucienne",
    "Annick",
    "Corinne",
    "Florence",
    "Pascale",
    "Myriam",
    "Noémie",
    "Romane",
    "Agathe",
    "Juliette",
    "Apolline",
    "Capucine",
    "Héloïse",
];

const VOIES: &[&str] = &[
    "de la Paix",
    "Victor Hugo",
    "Jean Jaurès",
    "de la République",
    "des Lilas",
    "du Moulin",
    "de l'Église",
    "Pasteur",
    "Gambetta",
    "du Général de Gaulle",
    "des Écoles",
    "de la Gare",
    "du Château",
    "des Tilleuls",
    "Émile Zola",
    "Jules Ferry",
    "de la Mairie",
    "des Roses",
    "du Stade",
    "de Verdun",
    "Anatole France",
    "des Acacias",
    "du Marché",
    "de la Liberté",
    "Voltaire",
    "des Peupliers",
    "du Pont",
    "de la Forêt",
    "Saint-Martin",
    "des Champs",
    "de Paris",
    "du Port",
    "des Vignes",
    "Louis Pasteur",
    "Carnot",
    "de la Fontaine",
    "Molière",
    "des Sports",
    "du Bois",
    "de la Croix",
    "Aristide Briand",
    "des Jardins",
    "du Calvaire",
    "Paul Bert",
    "de Lattre de Tassigny",
    "des Mimosas",
    "du Maréchal Foch",
    "de Bretagne",
];
const TYPES_VOIE: &[&str] = &[
    "rue",
    "avenue",
    "boulevard",
    "impasse",
    "allée",
    "chemin",
    "place",
    "route",
];

const RACINES_COMMUNES: &[&str] = &[
    "Beaulieu",
    "Villeneuve",
    "Montigny",
    "Fontenay",
    "Neuville",
    "Bourg",
    "Château",
    "Roche",
    "Mont",
    "Val",
    "Bois",
    "Saint-Martin",
    "Saint-Pierre",
    "Saint-Jean",
    "Sainte-Marie",
    "Saint-Laurent",
    "Saint-Étienne",
    "Plessis",
    "Mesnil",
    "Marcilly",
    "Aubigny",
    "Bellevue",
    "Clairefontaine",
    "Longueville",
    "Haute-Rive",
    "Chênehutte",
    "Courcelles",
    "Érigné",
    "Louvigny",
    "Ormoy",
];
const SUFFIXES_COMMUNES: &[&str] = &[
    "",
    "-sur-Loire",
    "-sur-Mer",
    "-le-Château",
    "-les-Bains",
    "-en-Vallée",
    "-la-Forêt",
    "-sur-Oise",
    "-le-Grand",
    "-le-Petit",
    "-aux-Bois",
    "-de-Bretagne",
];

/// A synthetic commune of the département.
#[derive(Debug, Clone)]
struct Commune {
    nom: String,
    insee: String,
    code_postal: String,
}

/// Generated data: shuffled records and the true duplicate pairs (ids ordered, pairs sorted).
pub struct Jeu {
    pub records: Vec<Record>,
    pub verite: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct Personne {
    sexe: Sexe,
    prenoms: Vec<String>,
    nom_naissance: String,
    nom_usage: String,
    date: Date,
    commune_naissance: String,
    adresse: String,
    code_postal: String,
    commune: String,
}

struct Generateur {
    rng: ChaCha8Rng,
    communes: Vec<Commune>,
}

impl Generateur {
    fn nom(&mut self) -> String {
        if self.rng.gen_bool(0.55) {
            // Mildly skewed: rank r drawn with weight ~ 1/(r + 30).
            let r = loop {
                let r = self.rng.gen_range(0..NOMS.len());
                if self.rng.gen_bool(30.0 / (r as f64 + 30.0)) {
                    break r;
                }
            };
            NOMS[r].to_string()
        } else {
            let mut n = String::new();
            n.push_str(DEBUTS.choose(&mut self.rng).copied().unwrap_or("Ber"));
            if self.rng.gen_bool(0.3) {
                n.push_str(
                    ["ti", "de", "ra", "lo", "ven"]
                        .choose(&mut self.rng)
                        .copied()
                        .unwrap_or(""),
                );
            }
            n.push_str(FINS.choose(&mut self.rng).copied().unwrap_or("ard"));
            n
        }
    }

    fn prenom(&mut self, sexe: Sexe) -> String {
        let liste = if sexe == Sexe::M {
            PRENOMS_H
        } else {
            PRENOMS_F
        };
        let r = loop {
            let r = self.rng.gen_range(0..liste.len());
            if self.rng.gen_bool(20.0 / (r as f64 + 20.0)) {
                break r;
            }
        };
        liste[r].to_string()
    }

    fn prenoms(&mut self, sexe: Sexe) -> Vec<String> {
        let n = *[1usize, 1, 2, 2, 2, 3].choose(&mut self.rng).unwrap_or(&1);
        let mut v: Vec<String> = Vec::new();
        while v.len() < n {
            let p = self.prenom(sexe);
            if !v.contains(&p) {
                v.push(p);
            }
        }
        v
    }

    fn date(&mut self, de: u16, a: u16) -> Date {
        loop {
            let annee = self.rng.gen_range(de..=a);
            if let Some(d) = Date::new(
                annee,
                self.rng.gen_range(1..=12),
                self.rng.gen_range(1..=31),
            ) {
                return d;
            }
        }
    }

    fn adresse(&mut self) -> (String, String, String) {
        let c = self
            .communes
            .choose(&mut self.rng)
            .cloned()
            .unwrap_or(Commune {
                nom: "Beaulieu".into(),
                insee: "59001".into(),
                code_postal: "59000".into(),
            });
        let voie = format!(
            "{} {} {}",
            self.rng.gen_range(1..160),
            TYPES_VOIE.choose(&mut self.rng).copied().unwrap_or("rue"),
            VOIES.choose(&mut self.rng).copied().unwrap_or("de la Paix"),
        );
        (voie, c.code_postal, c.nom)
    }

    fn commune_naissance(&mut self) -> String {
        if self.rng.gen_bool(0.6) {
            self.communes
                .choose(&mut self.rng)
                .map(|c| c.insee.clone())
                .unwrap_or_default()
        } else {
            let dep = self.rng.gen_range(1..96);
            format!("{dep:02}{:03}", self.rng.gen_range(1..700))
        }
    }

    fn personne(&mut self) -> Personne {
        let sexe = if self.rng.gen_bool(0.5) {
            Sexe::M
        } else {
            Sexe::F
        };
        let date = self.date(1935, 2023);
        let nom_naissance = self.nom();
        let mut nom_usage = String::new();
        if sexe == Sexe::F && date.annee < 2002 && self.rng.gen_bool(0.45) {
            let conjoint = self.nom();
            nom_usage = if self.rng.gen_bool(0.8) {
                conjoint
            } else {
                format!("{nom_naissance}-{conjoint}")
            };
        } else if self.rng.gen_bool(0.4) {
            // Many bases copy the birth name into the usage name.
            nom_usage = nom_naissance.clone();
        }
        let (adresse, code_postal, commune) = self.adresse();
        Personne {
            sexe,
            prenoms: self.prenoms(sexe),
            nom_naissance,
            nom_usage,
            date,
            commune_naissance: self.commune_naissance(),
            adresse,
            code_postal,
            commune,
        }
    }

    fn record(&mut self, p: &Personne) -> Record {
        let majuscules = self.rng.gen_bool(0.4);
        let casse = |s: &str| {
            if majuscules {
                s.to_uppercase()
            } else {
                s.to_string()
            }
        };
        Record {
            record_id: String::new(),
            nom_naissance: casse(&p.nom_naissance),
            nom_usage: casse(&p.nom_usage),
            prenoms: casse(&p.prenoms.join(" ")),
            sexe: Some(p.sexe),
            date_naissance: Some(p.date),
            commune_naissance_insee: p.commune_naissance.clone(),
            adresse: p.adresse.clone(),
            code_postal: p.code_postal.clone(),
            commune: p.commune.clone(),
        }
    }

    fn faute(&mut self, s: &str) -> String {
        let mut c: Vec<char> = s.chars().collect();
        if c.len() < 3 {
            return s.to_string();
        }
        // Never the first letter: typists rarely get it wrong, and it keeps the data realistic.
        let i = self.rng.gen_range(1..c.len());
        let lettre = (b'a' + self.rng.gen_range(0..26u8)) as char;
        match self.rng.gen_range(0..4) {
            0 => c[i] = lettre,
            1 => {
                c.remove(i);
            }
            2 => c.insert(i, lettre),
            _ => {
                if i + 1 < c.len() {
                    c.swap(i, i + 1);
                } else {
                    c.swap(i - 1, i);
                }
            }
        }
        c.into_iter().collect()
    }

    fn corrompre(&mut self, r: &mut Record, p: &Personne) {
        let n = *[1usize, 1, 1, 2, 2, 3].choose(&mut self.rng).unwrap_or(&1);
        // Distinct corruption kinds: the same field is rarely damaged twice in one record.
        let mut genres: Vec<u32> = (0..14).collect();
        genres.shuffle(&mut self.rng);
        for &genre in genres.iter().take(n) {
            match genre {
                0 => r.nom_naissance = self.faute(&r.nom_naissance),
                1 => {
                    let mut ps: Vec<String> = r.prenoms.split(' ').map(str::to_string).collect();
                    if let Some(x) = ps.first_mut() {
                        *x = self.faute(x);
                    }
                    r.prenoms = ps.join(" ");
                }
                2 => {
                    let sans = |s: &str| crate::normalise::plier(s);
                    r.nom_naissance = sans(&r.nom_naissance);
                    r.nom_usage = sans(&r.nom_usage);
                    r.prenoms = sans(&r.prenoms);
                }
                3 => {
                    let mut ps: Vec<&str> = r.prenoms.split(' ').collect();
                    if ps.len() >= 2 {
                        ps.swap(0, 1);
                        r.prenoms = ps.join(" ");
                    } else {
                        r.prenoms.clear();
                    }
                }
                4 => {
                    if self.rng.gen_bool(0.3) {
                        r.prenoms.clear();
                    } else if let Some(x) = r.prenoms.split(' ').next() {
                        r.prenoms = x.to_string();
                    }
                }
                5 => {
                    // Marriage (or divorce) between the two records.
                    if p.sexe == Sexe::F {
                        let conjoint = self.nom();
                        match self.rng.gen_range(0..3) {
                            0 => r.nom_usage = conjoint,
                            1 => {
                                r.nom_usage = conjoint;
                                r.nom_naissance.clear();
                            }
                            _ => r.nom_usage = format!("{}-{conjoint}", p.nom_naissance),
                        }
                    } else {
                        r.nom_usage.clear();
                    }
                }
                6 => {
                    // Usage name typed in the birth-name field, or the double name shortened.
                    if !p.nom_usage.is_empty() && p.nom_usage != p.nom_naissance {
                        r.nom_naissance = p.nom_usage.clone();
                    } else if let Some(x) = p.nom_naissance.split(['-', ' ']).next() {
                        r.nom_usage = x.to_string();
                    }
                }
                7 => {
                    if let Some(d) = r.date_naissance {
                        if d.jour <= 12 && d.jour != d.mois {
                            r.date_naissance = Date::new(d.annee, d.jour, d.mois);
                        } else {
                            r.date_naissance =
                                Date::new(d.annee.saturating_add(1), d.mois, d.jour).or(Some(d));
                        }
                    }
                }
                8 => {
                    if let Some(d) = r.date_naissance {
                        let t = match self.rng.gen_range(0..3) {
                            0 => Date::new(d.annee, d.mois, (d.jour % 28) + 1),
                            1 => Date::new(d.annee, (d.mois % 12) + 1, d.jour),
                            _ => {
                                let annee = if self.rng.gen_bool(0.5) {
                                    d.annee + 1
                                } else {
                                    d.annee - 1
                                };
                                Date::new(annee, d.mois, d.jour)
                            }
                        };
                        r.date_naissance = t.or(Some(d));
                    }
                }
                9 => r.date_naissance = None,
                10 => r.commune_naissance_insee.clear(),
                11 => {
                    r.adresse.clear();
                    r.code_postal.clear();
                    r.commune.clear();
                }
                12 => r.sexe = None,
                _ => {
                    r.nom_naissance = r.nom_naissance.replace([' ', '\''], "");
                    r.prenoms = r.prenoms.replace('-', " ");
                }
            }
        }
        if self.rng.gen_bool(0.3) {
            let (a, c, m) = self.adresse();
            r.adresse = a;
            r.code_postal = c;
            r.commune = m;
        }
    }
}

/// Generates about `n` records (exactly `n`) for `seed`.
pub fn generer(n: usize, seed: u64) -> Jeu {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut communes = Vec::new();
    for (i, racine) in RACINES_COMMUNES.iter().enumerate() {
        for (j, suffixe) in SUFFIXES_COMMUNES.iter().enumerate() {
            if (i + j) % 2 == 0 {
                let num = communes.len() + 1;
                communes.push(Commune {
                    nom: format!("{racine}{suffixe}"),
                    insee: format!("59{num:03}"),
                    code_postal: format!("59{:03}", (num / 3) * 10 % 1000),
                });
            }
        }
    }
    let mut g = Generateur {
        rng: ChaCha8Rng::seed_from_u64(rng.gen()),
        communes,
    };
    // groups[k] = the records of person k.
    let mut groupes: Vec<Vec<Record>> = Vec::new();
    let mut total = 0;
    while total < n {
        let p = g.personne();
        let mut personnes = vec![p.clone()];
        let tirage: f64 = g.rng.gen();
        if tirage < 0.015 {
            // Twins: same surname, date, birth place and address; other given names.
            let mut j = p.clone();
            j.sexe = if g.rng.gen_bool(0.5) {
                Sexe::M
            } else {
                Sexe::F
            };
            if j.sexe != p.sexe || j.date.annee >= 2002 {
                j.nom_usage = if p.nom_usage == p.nom_naissance {
                    p.nom_usage.clone()
                } else {
                    String::new()
                };
            }
            loop {
                j.prenoms = g.prenoms(j.sexe);
                let (a, b) = (
                    crate::normalise::plier(&j.prenoms[0]),
                    crate::normalise::plier(&p.prenoms[0]),
                );
                if strsim::jaro_winkler(&a, &b) < 0.85
                    && !j.prenoms.iter().any(|x| p.prenoms.contains(x))
                {
                    break;
                }
            }
            personnes.push(j);
        } else if tirage < 0.03 {
            // Parent and child of the same name at the same address.
            let mut e = p.clone();
            e.date = g.date(
                p.date.annee.saturating_add(18).min(2023),
                p.date.annee.saturating_add(40).min(2024),
            );
            e.commune_naissance = g.commune_naissance();
            if p.sexe == Sexe::F {
                e.nom_naissance = if p.nom_usage.is_empty() {
                    p.nom_naissance.clone()
                } else {
                    p.nom_usage.clone()
                };
                e.nom_usage = String::new();
            }
            if e.prenoms.len() > 1 && g.rng.gen_bool(0.5) {
                e.prenoms.truncate(1);
            }
            personnes.push(e);
        }
        for p in personnes {
            let mut records = vec![g.record(&p)];
            let x: f64 = g.rng.gen();
            let doublons = if x < 0.03 {
                2
            } else if x < 0.15 {
                1
            } else {
                0
            };
            for _ in 0..doublons {
                let mut r = g.record(&p);
                g.corrompre(&mut r, &p);
                records.push(r);
            }
            total += records.len();
            groupes.push(records);
        }
    }
    // Trim to exactly n records, dropping whole groups from the end where possible.
    while total > n {
        if let Some(mut dernier) = groupes.pop() {
            let trop = total - n;
            if dernier.len() > trop {
                dernier.truncate(dernier.len() - trop);
                total = n;
                groupes.push(dernier);
            } else {
                total -= dernier.len();
            }
        }
    }
    let mut ids: Vec<u32> = (1..=n as u32).collect();
    ids.shuffle(&mut g.rng);
    let mut records = Vec::with_capacity(n);
    let mut verite = Vec::new();
    let mut k = 0;
    for groupe in groupes {
        let debut = records.len();
        for mut r in groupe {
            r.record_id = format!("P{:07}", ids[k]);
            k += 1;
            records.push(r);
        }
        for a in debut..records.len() {
            for b in (a + 1)..records.len() {
                let (x, y) = (&records[a].record_id, &records[b].record_id);
                let (x, y) = if x < y { (x, y) } else { (y, x) };
                verite.push((x.clone(), y.clone()));
            }
        }
    }
    records.sort_by(|a, b| a.record_id.cmp(&b.record_id));
    verite.sort();
    Jeu { records, verite }
}
