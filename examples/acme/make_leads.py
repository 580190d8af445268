#!/usr/bin/env python3
"""Makes examples/acme/leads.csv and leads.jsonl: 1,200 synthetic leads with
the kind of dirt a real CRM export has (Python 3 stdlib only, deterministic).

    python3 examples/acme/make_leads.py                 # writes next to this script
    python3 examples/acme/make_leads.py --gen PATH/TO/gen_leads.py --out-dir /tmp/acme

The clean leads come from the shared generator:

    gen_leads.py --n 1200 --seed 42 --format csv
    gen_leads.py --n 1200 --seed 42 --format jsonl

(both hold the same leads in the same order). This script then rewrites a
fixed, seeded choice of rows; no row gets more than one change, the header is
kept, and the CSV and JSONL files get the same change on the same lead.

INVALID leads (24 of 1,200 = 2%; `on invalid -> queue data_quality` takes them):
  8  employees with a thousands separator ("1,030"; a string "1,030" in JSON)
  4  region "Antarctica" (no alias maps it)
  6  a required field left empty: email x2, company, employees, score, industry
     (CSV: empty cell; JSON: "" for text, null for numbers)
  3  a CRM placeholder in a required field, which the schema reads as absent:
     industry "Select", source "Select", country "N/A"
  3  ragged rows: the `state` cell is missing, so every later column shifts
     left (13 cells instead of 14); in JSONL the `employees` key is missing
JSONL only, in addition:
  1  a line of broken JSON (one lead's line cut off half way)

VALID dirt (routes normally once aliases, placeholders and trimming apply):
  17 region spellings: "Europe" x4, "emea" x4, "EU" x2, "North America" x3,
     "Latin America" x2, "Asia Pacific" x2
  10 industry spellings: "Financial Services" x3, "Technology" x3,
     "Health Care" x2, "Public Sector" x2
   2 source spellings: "Web Form" x2
   7 placeholders in optional fields: state "N/A" x3 and "Select" x1 (US
     leads, so they land in the territory_review queue when mid-market),
     account_id "-" x3
   8 web-form noise for the hygiene rules: private mailboxes x3 (@gmail.com
     x2, @yahoo.co.uk; prospects scoring under 50), student addresses x2
     (@berkeley.edu, @tum.edu; not education companies), an internal QA fill
     (qa+webform@acme.io), a test submission (test@ email) and keyboard
     mashing in company ("asdf")
   3 values padded with spaces: region " EMEA ", employees " 183 " (CSV
     only: a JSON number cannot be padded), industry "software "

71 leads are changed in all (72 in leads.jsonl, with the broken line).

The ids of every changed lead are printed to stderr.
"""
import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_GEN = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "bench", "gen_leads.py"))
N, SEED = 1200, 42
DIRT_SEED = 20260101

FIELDS = ["id", "email", "company", "country", "region", "state", "employees", "annual_revenue",
          "industry", "source", "score", "product", "is_customer", "account_id"]
NUMERIC = {"employees", "annual_revenue", "score"}


def generate(gen, fmt):
    out = subprocess.run([sys.executable, gen, "--n", str(N), "--seed", str(SEED), "--format", fmt],
                         check=True, capture_output=True, text=True)
    return out.stdout


SAME = object()  # "the JSON value is the CSV text"


class Dirt:
    """One change to one lead, in both formats."""

    def __init__(self, kind, field=None, csv_value=None, json_value=SAME, valid=True):
        self.kind, self.field, self.valid = kind, field, valid
        self.csv_value = csv_value
        self.json_value = csv_value if json_value is SAME else json_value

    def apply_csv(self, row):
        if self.kind == "ragged":
            del row[FIELDS.index("state")]
        else:
            row[FIELDS.index(self.field)] = self.csv_value
        return row

    def apply_json(self, obj):
        if self.kind == "ragged":
            del obj["employees"]
        else:
            obj[self.field] = self.json_value
        return obj


def plan(rows, rng):
    """Chooses which lead gets which change: {row index: Dirt}."""
    used = {}

    def pick(count, eligible, make):
        pool = [i for i, r in enumerate(rows) if i not in used and eligible(r)]
        for i in sorted(rng.sample(pool, count)):
            used[i] = make(rows[i])

    col = {f: k for k, f in enumerate(FIELDS)}

    def get(r, f):
        return r[col[f]]

    # -- invalid
    pick(8, lambda r: int(get(r, "employees")) >= 1000,
         lambda r: Dirt("thousands", "employees", format(int(get(r, "employees")), ","), valid=False))
    pick(4, lambda r: True, lambda r: Dirt("unknown_region", "region", "Antarctica", valid=False))
    for field in ["email", "email", "company", "employees", "score", "industry"]:
        pick(1, lambda r: True,
             lambda r, f=field: Dirt("empty_required", f, "", None if f in NUMERIC else "", valid=False))
    for field, marker in [("industry", "Select"), ("source", "Select"), ("country", "N/A")]:
        pick(1, lambda r: True, lambda r, f=field, m=marker: Dirt("placeholder_required", f, m, valid=False))
    pick(3, lambda r: True, lambda r: Dirt("ragged", valid=False))
    # -- valid
    for spelling, region, count in [("Europe", "EMEA", 4), ("emea", "EMEA", 4), ("EU", "EMEA", 2),
                                    ("North America", "NA", 3), ("Latin America", "LATAM", 2),
                                    ("Asia Pacific", "APAC", 2)]:
        pick(count, lambda r, g=region: get(r, "region") == g,
             lambda r, s=spelling: Dirt("region_alias", "region", s))
    for spelling, industry, count in [("Financial Services", "finance", 3), ("Technology", "software", 3),
                                      ("Health Care", "healthcare", 2), ("Public Sector", "government", 2)]:
        pick(count, lambda r, i=industry: get(r, "industry") == i,
             lambda r, s=spelling: Dirt("industry_alias", "industry", s))
    pick(2, lambda r: get(r, "source") == "web", lambda r: Dirt("source_alias", "source", "Web Form"))
    pick(3, lambda r: get(r, "country") == "US", lambda r: Dirt("placeholder_optional", "state", "N/A"))
    pick(1, lambda r: get(r, "country") == "US", lambda r: Dirt("placeholder_optional", "state", "Select"))
    pick(3, lambda r: get(r, "account_id") == "", lambda r: Dirt("placeholder_optional", "account_id", "-"))
    pick(1, lambda r: get(r, "region") == "EMEA", lambda r: Dirt("padded", "region", " EMEA "))
    def local(r):
        return get(r, "email").split("@")[0]

    for domain in ["gmail.com", "gmail.com", "yahoo.co.uk"]:
        pick(1, lambda r: get(r, "is_customer") == "false" and int(get(r, "score")) < 50,
             lambda r, d=domain: Dirt("web_form_noise", "email", local(r) + "@" + d))
    for domain in ["berkeley.edu", "tum.edu"]:
        pick(1, lambda r: get(r, "industry") != "education",
             lambda r, d=domain: Dirt("web_form_noise", "email", local(r) + "@" + d))
    pick(1, lambda r: True, lambda r: Dirt("web_form_noise", "email", "qa+webform@acme.io"))
    pick(1, lambda r: True, lambda r: Dirt("web_form_noise", "email", "test@" + get(r, "email").split("@")[1]))
    pick(1, lambda r: True, lambda r: Dirt("web_form_noise", "company", "asdf"))
    # JSON numbers cannot be padded: that lead keeps its number in leads.jsonl
    pick(1, lambda r: True,
         lambda r: Dirt("padded", "employees", " %s " % get(r, "employees"), int(get(r, "employees"))))
    pick(1, lambda r: get(r, "industry") == "software", lambda r: Dirt("padded", "industry", "software "))
    return used


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gen", default=DEFAULT_GEN, help="path to gen_leads.py (default: %(default)s)")
    ap.add_argument("--out-dir", default=HERE, help="where to write leads.csv and leads.jsonl")
    args = ap.parse_args(argv)

    clean_csv = generate(args.gen, "csv")
    clean_jsonl = generate(args.gen, "jsonl").splitlines()
    reader = csv.reader(io.StringIO(clean_csv))
    header = next(reader)
    assert header == FIELDS, header
    rows = list(reader)
    assert len(rows) == len(clean_jsonl) == N

    rng = random.Random(DIRT_SEED)
    dirt = plan(rows, rng)
    # one JSONL line is cut off half way: a lead not otherwise changed
    broken = rng.choice([i for i in range(N) if i not in dirt])

    out_csv = io.StringIO()
    writer = csv.writer(out_csv, lineterminator="\n")
    # `last_activity` (MM/DD/YYYY in the CRM report) is blank for these
    # never-worked leads: an empty cell in CSV, no key in JSONL.
    writer.writerow(header + ["last_activity"])
    for i, row in enumerate(rows):
        writer.writerow((dirt[i].apply_csv(list(row)) if i in dirt else row) + [""])

    out_jsonl = []
    for i, line in enumerate(clean_jsonl):
        if i in dirt:
            line = json.dumps(dirt[i].apply_json(json.loads(line)), separators=(",", ":"))
        elif i == broken:
            line = line[: len(line) // 2]
        out_jsonl.append(line + "\n")

    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "leads.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(out_csv.getvalue())
    with open(os.path.join(args.out_dir, "leads.jsonl"), "w", encoding="utf-8", newline="") as f:
        f.writelines(out_jsonl)

    # report
    by_kind = {}
    for i in sorted(dirt):
        d = dirt[i]
        key = ("invalid" if not d.valid else "valid", d.kind, d.field or "state column")
        by_kind.setdefault(key, []).append(rows[i][0])
    for (validity, kind, field), ids in sorted(by_kind.items()):
        print("%-7s %-20s %-14s %2d  %s" % (validity, kind, field, len(ids), " ".join(ids)), file=sys.stderr)
    print("jsonl   broken_json          (line)          1  %s" % rows[broken][0], file=sys.stderr)
    invalid = sum(1 for d in dirt.values() if not d.valid)
    print("%d leads; %d changed; %d invalid in leads.csv, %d in leads.jsonl"
          % (N, len(dirt), invalid, invalid + 1), file=sys.stderr)


if __name__ == "__main__":
    main()
