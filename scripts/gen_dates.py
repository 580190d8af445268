#!/usr/bin/env python3
"""The dates benchmark workload (docs/performance.md), from the shared
generators' output (Python 3 stdlib only, deterministic).

    gen_dates.py leads < leads.csv > leads-dates.csv   # two date columns added
    gen_dates.py rules < rules-N.route > rules-dates-N.route

`leads` appends `created_at` (an ISO 8601 datetime in the year before
2026-11-25T10:00:00Z, a third with milliseconds, a sixth with an offset)
and `last_activity` (a date written %m/%d/%Y, blank for a quarter of the
leads) to every row. `rules` declares both fields in the schema and puts a
dozen date rules (`before`/`after`, ranges, `within`, working hours) before
the generated ones, so every lead is read with dates, derived and routed
through date tests first.
"""

import csv
import datetime
import random
import sys

NOW = datetime.datetime(2026, 11, 25, 10, 0, 0, tzinfo=datetime.timezone.utc)
SEED = 11

SCHEMA_FIELDS = """  created_at: datetime
  last_activity: date? format "%m/%d/%Y"
"""

DATE_RULES = """# Date rules (scripts/gen_dates.py)
when last_activity before 2026-01-01 and score < 30 -> team fallback
when created_at within 2 hours and score >= 90 -> team fallback
when last_activity within 7 days and region == "EMEA" and score >= 80 -> team fallback
when now outside hours "Mon-Fri 08:00-18:00" in "America/New_York" and region == "NA" and score >= 95 -> team fallback
when created_at after 2026-11-24T00:00:00Z and created_at < 2026-11-25T00:00:00Z and employees > 5000 -> team fallback
when created_at before 2026-01-01T00:00:00+01:00 and is_customer and score >= 85 -> team fallback
when last_activity >= 2026-06-01 and last_activity <= 2026-06-30 and product == "security" -> team fallback
when last_activity == 2026-11-20 -> team fallback
when last_activity in [2026-03-01, 2026-04-01, 2026-05-01] and employees < 10 -> team fallback
when created_at within 30 days and last_activity within 30 days and annual_revenue > 100_000_000.0 -> team fallback
when not last_activity exists and score >= 98 -> team fallback
when created_at after 2026-11-25T09:00:00-05:00 -> team fallback

"""


def leads(inp, out):
    rng = random.Random(SEED)
    reader = csv.reader(inp)
    writer = csv.writer(out, lineterminator="\n")
    header = next(reader)
    writer.writerow(header + ["created_at", "last_activity"])
    for row in reader:
        created = NOW - datetime.timedelta(seconds=rng.randrange(365 * 24 * 3600))
        roll = rng.random()
        if roll < 1 / 3:
            text = created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randrange(1000):03d}Z"
        elif roll < 1 / 2:
            text = created.astimezone(datetime.timezone(datetime.timedelta(hours=-5))).isoformat()
        else:
            text = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        if rng.random() < 0.25:
            last = ""
        else:
            last = (NOW - datetime.timedelta(days=rng.randrange(400))).strftime("%m/%d/%Y")
        writer.writerow(row + [text, last])


def rules(text, out):
    field = "  account_id: string?\n"
    head, found, rest = text.partition(field)
    body, first, tail = rest.partition("\nwhen ")
    if not found or not first:
        sys.exit("gen_dates.py rules: expected an `account_id: string?` field and a `when` rule")
    out.write(head + field + SCHEMA_FIELDS + body + "\n" + DATE_RULES + "when " + tail)


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("leads", "rules"):
        sys.exit(__doc__)
    if sys.argv[1] == "leads":
        leads(sys.stdin, sys.stdout)
    else:
        rules(sys.stdin.read(), sys.stdout)


if __name__ == "__main__":
    main()
