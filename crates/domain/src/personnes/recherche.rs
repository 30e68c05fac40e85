//! Normalisation for the search of people: names folded to lower-case ASCII without accents, hyphens,
//! apostrophes or spaces, so that « Le Goff », « LE-GOFF » and « legoff » meet; the name tokens a
//! person is indexed under (each name folded, and each part of a composed name) with their French
//! phonetic key, so that « Lefebvre » finds « Lefèvre »; and the parsing of what is typed in the search
//! box (names, a birth date, a NIR or a phone number).

use chrono::NaiveDate;

use super::contact::Telephone;
use super::etat_civil::parse_date_text;
use super::nir::looks_like_nir;

/// Folds one name: lower case, accents and ligatures removed, and everything that is not a letter or a
/// digit dropped (hyphens, apostrophes, spaces). The result contains no LIKE wildcard (`%`, `_`), so it
/// can be put in a pattern as is.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
                out.push('a')
            }
            'ç' | 'Ç' | 'ć' | 'č' | 'Č' | 'Ć' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' | 'ě' | 'ę' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => out.push('i'),
            'ñ' | 'Ñ' | 'ń' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => {
                out.push('o')
            }
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => out.push('u'),
            'ý' | 'ÿ' | 'Ý' | 'Ÿ' => out.push('y'),
            'š' | 'Š' | 'ś' => out.push('s'),
            'ž' | 'Ž' | 'ź' | 'ż' => out.push('z'),
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            // Hyphens, apostrophes, spaces and punctuation separate nothing in a name.
            _ => {}
        }
    }
    out
}

/// The stored search key of a person: each name folded, separated by one space. Birth name first,
/// then the usage name, then the given names in order.
pub fn nom_recherche(nom_naissance: &str, nom_usage: Option<&str>, prenoms: &[String]) -> String {
    std::iter::once(nom_naissance)
        .chain(nom_usage)
        .chain(prenoms.iter().map(String::as_str))
        .map(fold)
        .filter(|f| !f.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Which name a search token comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindNom {
    Naissance,
    Usage,
    Prenom,
}

impl KindNom {
    /// The code stored in `personne_noms.kind`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Naissance => "naissance",
            Self::Usage => "usage",
            Self::Prenom => "prenom",
        }
    }
}

/// One token a person is found under: a folded name or part of one, its phonetic key (empty when the
/// token has no Latin letter) and the name it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenNom {
    pub token: String,
    pub phonetique: String,
    pub kind: KindNom,
}

/// The tokens of one name: the whole name folded, then, for a composed name (« D'Artagnan-Dupré »,
/// « Le Goff », « Marie-Hélène »), each ending that starts at a part (« artagnandupre », « dupre ») and
/// each part of two letters or more (« artagnan »). A word typed in the search box matches a token
/// when it is the token or one of its prefixes, so every run of consecutive parts can be found, and a
/// part typed alone is an exact match.
fn tokens_of_name(name: &str) -> Vec<String> {
    let parts: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .map(fold)
        .filter(|p| !p.is_empty())
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    for i in 0..parts.len() {
        push(parts[i..].concat());
    }
    for p in &parts {
        if p.chars().count() >= 2 {
            push(p.clone());
        }
    }
    out
}

impl TokenNom {
    /// Every token of a person's names, without duplicates (a token shared by two names keeps the
    /// first: birth name, usage name, given names).
    pub fn of_person(
        nom_naissance: &str,
        nom_usage: Option<&str>,
        prenoms: &[String],
    ) -> Vec<Self> {
        let names = std::iter::once((nom_naissance, KindNom::Naissance))
            .chain(nom_usage.map(|n| (n, KindNom::Usage)))
            .chain(prenoms.iter().map(|p| (p.as_str(), KindNom::Prenom)));
        let mut out: Vec<TokenNom> = Vec::new();
        for (name, kind) in names {
            for token in tokens_of_name(name) {
                if !out.iter().any(|t| t.token == token) {
                    out.push(TokenNom {
                        phonetique: phonetique(&token),
                        token,
                        kind,
                    });
                }
            }
        }
        out
    }
}

/// The key of the pair index for two tokens typed or stored in that order: « martin marie ». Tokens
/// hold no space, so the keys that start with « martin mar » are those of the pairs whose first
/// token is « martin » and whose second starts with « mar » (one range, see [`prefix_upper_bound`]).
pub fn cle_paire(premier: &str, second: &str) -> String {
    format!("{premier} {second}")
}

/// The key of the pair index for two phonetic keys: « #MART1 MARI ». The `#` keeps these keys apart
/// from the token pairs (tokens are lower case letters and digits).
pub fn cle_paire_phonetique(premier: &str, second: &str) -> String {
    format!("#{premier} {second}")
}

/// The keys a person is found under in the pair index: each token of the person alone (so that the
/// exact matches of one word come in name order from the index), and for each token of a surname
/// (birth or usage name) and each token of a given name, both pairs (surname given name, given name
/// surname) and both pairs of their phonetic keys when both have one. Without duplicates.
pub fn cles_index(tokens: &[TokenNom]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |k: String| {
        if !out.contains(&k) {
            out.push(k);
        }
    };
    for t in tokens {
        push(t.token.clone());
    }
    let noms = tokens.iter().filter(|t| t.kind != KindNom::Prenom);
    for n in noms {
        for p in tokens.iter().filter(|t| t.kind == KindNom::Prenom) {
            push(cle_paire(&n.token, &p.token));
            push(cle_paire(&p.token, &n.token));
            if !n.phonetique.is_empty() && !p.phonetique.is_empty() {
                push(cle_paire_phonetique(&n.phonetique, &p.phonetique));
                push(cle_paire_phonetique(&p.phonetique, &n.phonetique));
            }
        }
    }
    out
}

/// The smallest string greater than every string that starts with `prefix` (its last character
/// incremented), so that `token >= prefix AND token < upper` is a prefix match that a B-tree index
/// answers with one range, on byte-ordered text (SQLite's BINARY, PostgreSQL's "C" collation).
pub fn prefix_upper_bound(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The next code point; surrogates are skipped, the last code point has no successor.
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(n) = next {
            chars.push(n);
            return chars.into_iter().collect();
        }
    }
    // Only an empty prefix (or one of U+10FFFF) gets here: no upper bound below every string.
    char::MAX.to_string()
}

/// French phonetic key of a folded token, in the spirit of Phonex (F. Brouard, 1999) and « Soundex
/// FR » (the same rules as the duplicate matcher, `parcours-doublons`): Lefèvre/Lefebvre,
/// Gauthier/Gautier, Philippe/Filipe, Mohamed/Mohammed, Renaud/Renault/Reno share their key. Vowels
/// are kept, so the key stays selective. Only the letters A–Z count; a token without any has an empty
/// key, which matches nothing.
pub fn phonetique(token: &str) -> String {
    let mut s: Vec<u8> = token
        .bytes()
        .filter(u8::is_ascii_alphabetic)
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if s.is_empty() {
        return String::new();
    }
    // Multi-letter graphemes first: their letters must not be rewritten one by one.
    const REMPLACEMENTS: &[(&str, &str)] = &[
        ("Y", "I"),
        ("SCH", "X"),
        ("CH", "X"),
        ("SH", "X"),
        ("PH", "F"),
        ("TH", "T"),
        ("GU", "G"),
        ("QU", "K"),
        ("Q", "K"),
        ("CK", "K"),
        ("GN", "NI"),
        ("BV", "V"),
        ("EAU", "O"),
        ("AULT", "O"),
        ("AU", "O"),
        ("OU", "U"),
        ("OI", "UA"),
        ("AI", "E"),
        ("EI", "E"),
        ("W", "V"),
        ("Z", "S"),
        ("H", ""),
    ];
    for (de, vers) in REMPLACEMENTS {
        s = remplacer(&s, de.as_bytes(), vers.as_bytes());
    }
    // Contextual consonants: soft C and G before a front vowel.
    let mut t = Vec::with_capacity(s.len());
    for i in 0..s.len() {
        let doux = matches!(s.get(i + 1), Some(b'E' | b'I'));
        t.push(match s[i] {
            b'C' if doux => b'S',
            b'C' => b'K',
            b'G' if doux => b'J',
            c => c,
        });
    }
    // Nasal vowels: vowel + N/M not followed by a vowel (or a second N/M) is one sound.
    let voyelle = |c: u8| matches!(c, b'A' | b'E' | b'I' | b'O' | b'U');
    let mut n = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        let c = t[i];
        if voyelle(c) && matches!(t.get(i + 1), Some(b'N' | b'M')) {
            let nasale = match t.get(i + 2).copied() {
                None => true,
                Some(a) => !voyelle(a) && a != b'N' && a != b'M',
            };
            if nasale {
                n.push(match c {
                    b'A' | b'E' => b'1',
                    b'O' => b'3',
                    _ => b'4',
                });
                i += 2;
                continue;
            }
        }
        n.push(c);
        i += 1;
    }
    // Silent endings: -ER/-EZ/-ET sound like an E, then final E, S, T, D, X, P are not heard.
    loop {
        let avant = n.len();
        if n.len() > 2 && n.ends_with(b"ER") {
            n.pop();
        }
        while n.len() > 1 && matches!(n.last(), Some(b'E' | b'S' | b'T' | b'D' | b'X' | b'P')) {
            n.pop();
        }
        if n.len() == avant {
            break;
        }
    }
    // Doubled letters are one sound.
    n.dedup();
    String::from_utf8(n).unwrap_or_default()
}

fn remplacer(s: &[u8], de: &[u8], vers: &[u8]) -> Vec<u8> {
    if !s.windows(de.len()).any(|w| w == de) {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(de) {
            out.extend_from_slice(vers);
            i += de.len();
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// What the search box asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recherche {
    /// A NIR, with its key (15 characters) or without (13): matched on the first 13.
    Nir(String),
    /// A phone number, normalised like the stored ones.
    Telephone(String),
    /// Folded words (each must match a name token of the person: equal, prefix of it, or the same
    /// phonetic key) and an optional birth date, which ranks the people born that day first; a date
    /// alone finds the people born that day.
    Nom {
        tokens: Vec<String>,
        date_naissance: Option<NaiveDate>,
    },
}

impl Recherche {
    /// The tokens a person is indexed under (see [`TokenNom`]).
    pub fn tokens_nom(
        nom_naissance: &str,
        nom_usage: Option<&str>,
        prenoms: &[String],
    ) -> Vec<TokenNom> {
        TokenNom::of_person(nom_naissance, nom_usage, prenoms)
    }

    /// The keys of the pair index of a person's tokens (see [`cles_index`]).
    pub fn cles_index(tokens: &[TokenNom]) -> Vec<String> {
        cles_index(tokens)
    }

    /// The pair-index key of two words in that order (see [`cle_paire`]).
    pub fn cle_paire(premier: &str, second: &str) -> String {
        cle_paire(premier, second)
    }

    /// The pair-index key of two phonetic keys in that order (see [`cle_paire_phonetique`]).
    pub fn cle_paire_phonetique(premier: &str, second: &str) -> String {
        cle_paire_phonetique(premier, second)
    }

    /// The phonetic key of a folded word (see [`phonetique`]).
    pub fn phonetique(mot: &str) -> String {
        phonetique(mot)
    }

    /// The exclusive upper bound of the words that start with `prefix` (see [`prefix_upper_bound`]).
    pub fn borne_prefixe(prefix: &str) -> String {
        prefix_upper_bound(prefix)
    }

    /// Reads the search box. `None` when nothing searchable was typed.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Some(nir) = looks_like_nir(t) {
            return Some(Self::Nir(nir[..13].to_string()));
        }
        let digits_only = t
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace() || matches!(c, '+' | '.' | '-'));
        if digits_only {
            if let Ok(tel) = Telephone::parse(t) {
                return Some(Self::Telephone(tel.as_str().to_string()));
            }
        }
        let mut tokens = Vec::new();
        let mut date_naissance = None;
        for word in t.split_whitespace() {
            match parse_date_text(word) {
                Some(d) if date_naissance.is_none() => date_naissance = Some(d),
                _ => {
                    let f = fold(word);
                    if !f.is_empty() {
                        tokens.push(f);
                    }
                }
            }
        }
        if tokens.is_empty() && date_naissance.is_none() {
            return None;
        }
        Some(Self::Nom {
            tokens,
            date_naissance,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_accents_case_hyphens_apostrophes_and_spaces() {
        assert_eq!(fold("Éloïse"), "eloise");
        assert_eq!(fold("LE GOFF"), fold("le-goff"));
        assert_eq!(fold("D'Artagnan"), "dartagnan");
        assert_eq!(fold("N’Diaye"), "ndiaye");
        assert_eq!(fold("Œuvray-Lætitia"), "oeuvraylaetitia");
        assert_eq!(fold("100%_sûr"), "100sur");
    }

    #[test]
    fn the_search_key_holds_every_name_in_order() {
        let prenoms = vec!["Marie-Hélène".to_string(), "Zoé".to_string()];
        assert_eq!(
            nom_recherche("Lefèvre", Some("Le Goff"), &prenoms),
            "lefevre legoff mariehelene zoe"
        );
        assert_eq!(nom_recherche("Durand", None, &[]), "durand");
    }

    #[test]
    fn a_composed_name_is_found_by_any_run_of_its_parts() {
        let tokens = |n: &str| tokens_of_name(n);
        assert_eq!(
            tokens("D'Artagnan-Dupré"),
            ["dartagnandupre", "artagnandupre", "dupre", "artagnan"]
        );
        assert_eq!(tokens("Le Goff"), ["legoff", "goff", "le"]);
        assert_eq!(tokens("MARTIN"), ["martin"]);
        assert_eq!(tokens(" - "), Vec::<String>::new());
    }

    #[test]
    fn a_person_is_indexed_under_every_name_once_with_its_kind_and_phonetic_key() {
        let t = Recherche::tokens_nom(
            "Martin",
            Some("Le Goff"),
            &["Marie-Hélène".to_string(), "Martin".to_string()],
        );
        let got: Vec<(&str, KindNom)> = t.iter().map(|t| (t.token.as_str(), t.kind)).collect();
        assert_eq!(
            got,
            [
                ("martin", KindNom::Naissance),
                ("legoff", KindNom::Usage),
                ("goff", KindNom::Usage),
                ("le", KindNom::Usage),
                ("mariehelene", KindNom::Prenom),
                ("helene", KindNom::Prenom),
                ("marie", KindNom::Prenom),
            ]
        );
        assert_eq!(t[0].phonetique, phonetique("martin"));
    }

    #[test]
    fn spelling_variants_share_their_phonetic_key_and_other_names_do_not() {
        let k = phonetique;
        for (a, b) in [
            ("lefebvre", "lefevre"),
            ("mohamed", "mohammed"),
            ("gauthier", "gautier"),
            ("philippe", "filipe"),
            ("catherine", "katherine"),
            ("renaud", "renault"),
            ("rousseau", "rousso"),
        ] {
            assert_eq!(k(a), k(b), "{a} / {b}");
        }
        assert_ne!(k("martin"), k("martinez"));
        assert_ne!(k("lefevre"), k("lefevrier"));
        assert_ne!(k("dubois"), k("dupont"));
        assert_eq!(k("1234"), "");
    }

    #[test]
    fn the_pair_index_holds_each_token_and_surname_given_name_pairs_both_ways() {
        let t = Recherche::tokens_nom("Le Goff", None, &["Zoé".to_string()]);
        let cles = cles_index(&t);
        let pk = |a: &str, b: &str| cle_paire_phonetique(&phonetique(a), &phonetique(b));
        for k in [
            "legoff".to_string(),
            "goff".to_string(),
            "le".to_string(),
            "zoe".to_string(),
            "legoff zoe".to_string(),
            "zoe legoff".to_string(),
            "goff zoe".to_string(),
            "zoe goff".to_string(),
            "le zoe".to_string(),
            pk("legoff", "zoe"),
            pk("zoe", "goff"),
        ] {
            assert!(cles.contains(&k), "{k}");
        }
        // No pair of two parts of the same name, nor duplicates.
        assert!(!cles.contains(&"le goff".to_string()));
        let mut uniques = cles.clone();
        uniques.sort();
        uniques.dedup();
        assert_eq!(uniques.len(), cles.len());
        // A word typed after an exact one is a range of keys.
        let debut = cle_paire("zoe", "leg");
        let fin = prefix_upper_bound(&debut);
        assert!(cles.iter().any(|k| *k >= debut && *k < fin));
        assert!(!cles_index(&Recherche::tokens_nom("Durand", None, &[]))
            .iter()
            .any(|k| k.contains(' ')));
    }

    #[test]
    fn the_prefix_upper_bound_closes_the_range_of_words_starting_with_the_prefix() {
        assert_eq!(prefix_upper_bound("lefev"), "lefew");
        assert_eq!(prefix_upper_bound("abz"), "ab{");
        assert_eq!(prefix_upper_bound("a9"), "a:");
        let upper = prefix_upper_bound("lefev");
        for w in ["lefev", "lefevre", "lefevzzzz"] {
            assert!(w >= "lefev" && w < upper.as_str(), "{w}");
        }
        for w in ["lefeu", "lefew", "lefe"] {
            assert!(!(w >= "lefev" && w < upper.as_str()), "{w}");
        }
    }

    #[test]
    fn the_search_box_recognises_nir_phone_names_and_dates() {
        assert_eq!(
            Recherche::parse("1 84 12 76 451 089 46"),
            Some(Recherche::Nir("1841276451089".into()))
        );
        assert_eq!(
            Recherche::parse("06 12 34 56 78"),
            Some(Recherche::Telephone("+33612345678".into()))
        );
        assert_eq!(
            Recherche::parse("Lefèvre marie-hélène 14/03/1992"),
            Some(Recherche::Nom {
                tokens: vec!["lefevre".into(), "mariehelene".into()],
                date_naissance: NaiveDate::from_ymd_opt(1992, 3, 14),
            })
        );
        assert_eq!(Recherche::parse("  "), None);
        assert_eq!(Recherche::parse("' - '"), None);
    }
}
