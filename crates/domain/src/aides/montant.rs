//! Amounts in euro cents: what a form types (« 150 », « 150,50 », « 1 234,56 € ») and how French pages
//! print them (« 1 234,56 € »). Cents in an integer, so that sums of aids never drift.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Centimes(pub i64);

impl Centimes {
    pub fn euros(e: i64) -> Self {
        Centimes(e * 100)
    }

    /// Parses a typed amount: digits with an optional decimal comma or point (two decimals at most),
    /// spaces and a trailing « € » tolerated. Negative amounts are refused.
    pub fn parse(s: &str) -> Result<Centimes, String> {
        let t: String = s
            .trim()
            .trim_end_matches('€')
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
            .collect();
        if t.is_empty() {
            return Err("Indiquez un montant en euros.".into());
        }
        let t = t.replace(',', ".");
        let (ent, dec) = match t.split_once('.') {
            Some((e, d)) => (e, d),
            None => (t.as_str(), ""),
        };
        let bad = || "Le montant s'écrit en euros, par exemple 150 ou 150,50.".to_string();
        if ent.is_empty() || !ent.chars().all(|c| c.is_ascii_digit()) || ent.len() > 9 {
            return Err(bad());
        }
        if dec.len() > 2 || !dec.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let e: i64 = ent.parse().map_err(|_| bad())?;
        let c: i64 = match dec.len() {
            0 => 0,
            1 => dec.parse::<i64>().map_err(|_| bad())? * 10,
            _ => dec.parse().map_err(|_| bad())?,
        };
        Ok(Centimes(e * 100 + c))
    }

    /// « 1 234,56 € » with a narrow no-break space between thousands, as French typography wants.
    pub fn fr(self) -> String {
        let neg = self.0 < 0;
        let v = self.0.unsigned_abs();
        let ent = (v / 100).to_string();
        let mut grouped = String::new();
        for (i, ch) in ent.chars().enumerate() {
            if i > 0 && (ent.len() - i).is_multiple_of(3) {
                grouped.push('\u{202f}');
            }
            grouped.push(ch);
        }
        format!(
            "{}{grouped},{:02}\u{a0}€",
            if neg { "−" } else { "" },
            v % 100
        )
    }

    /// « 1234.56 » for the CSV and XLSX exports and the accounting file.
    pub fn decimal(self) -> String {
        let neg = self.0 < 0;
        let v = self.0.unsigned_abs();
        format!("{}{}.{:02}", if neg { "-" } else { "" }, v / 100, v % 100)
    }

    /// The value typed back into a form field (« 150,50 »).
    pub fn saisie(self) -> String {
        format!("{},{:02}", self.0 / 100, self.0.abs() % 100)
    }
}

impl std::ops::Add for Centimes {
    type Output = Centimes;
    fn add(self, o: Centimes) -> Centimes {
        Centimes(self.0 + o.0)
    }
}

impl std::ops::Sub for Centimes {
    type Output = Centimes;
    fn sub(self, o: Centimes) -> Centimes {
        Centimes(self.0 - o.0)
    }
}

impl std::iter::Sum for Centimes {
    fn sum<I: Iterator<Item = Centimes>>(iter: I) -> Centimes {
        Centimes(iter.map(|c| c.0).sum())
    }
}
