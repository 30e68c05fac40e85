"""Peer baseline: Splink (DuckDB backend) on the same records.csv, writing the same pairs format.

Usage: splink_doublons.py records.csv paires.csv [threshold]
Standard comparisons (NameComparison, DateOfBirthComparison, exact postcode/sex/birth place),
blocking rules comparable to Parcours's keys, u by random sampling, m by EM, predict at 0.9.
"""
import sys
import unicodedata

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def plier(s):
    # Light cleaning as in Splink's tutorials: lower case, accents and punctuation dropped.
    if not isinstance(s, str) or not s:
        return None
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = "".join(c if c.isalnum() else " " for c in s.lower())
    s = " ".join(s.split())
    return s or None


def main():
    entree, sortie = sys.argv[1], sys.argv[2]
    seuil = float(sys.argv[3]) if len(sys.argv) > 3 else 0.9
    df = pd.read_csv(entree, dtype=str, keep_default_na=False)
    for c in ["nom_naissance", "nom_usage", "prenoms"]:
        df[c] = df[c].map(plier)
    df["prenom1"] = df["prenoms"].map(lambda s: s.split(" ")[0] if isinstance(s, str) and s else None)
    for c in ["sexe", "date_naissance", "commune_naissance_insee", "code_postal"]:
        df[c] = df[c].replace("", None)
    df["annee"] = df["date_naissance"].map(lambda s: s[:4] if isinstance(s, str) and s else None)
    df = df[["record_id", "nom_naissance", "nom_usage", "prenoms", "prenom1", "sexe",
             "date_naissance", "annee", "commune_naissance_insee", "code_postal"]]

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.NameComparison("nom_naissance"),
            cl.NameComparison("nom_usage"),
            cl.NameComparison("prenom1"),
            cl.DateOfBirthComparison("date_naissance", input_is_string=True),
            cl.ExactMatch("code_postal"),
            cl.ExactMatch("commune_naissance_insee"),
            cl.ExactMatch("sexe"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("nom_naissance", "annee"),
            block_on("nom_usage", "annee"),
            block_on("prenom1", "date_naissance"),
            block_on("date_naissance", "commune_naissance_insee"),
            block_on("nom_naissance", "prenom1"),
            block_on("nom_naissance", "code_postal"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    sdf = db_api.register(df)
    linker = Linker(sdf, settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nom_naissance", "prenom1", "date_naissance")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("nom_naissance", "prenom1"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_naissance"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("commune_naissance_insee", "annee"))
    pred = linker.inference.predict(threshold_match_probability=seuil).as_pandas_dataframe()
    a = pred["record_id_l"].astype(str)
    b = pred["record_id_r"].astype(str)
    out = pd.DataFrame({
        "record_id_a": a.where(a < b, b),
        "record_id_b": b.where(a < b, a),
        "score": pred["match_probability"].round(4),
    }).sort_values(["record_id_a", "record_id_b"])
    out.to_csv(sortie, index=False)
    print(f"{len(out)} paires (splink, seuil {seuil})", file=sys.stderr)


if __name__ == "__main__":
    main()
