"""Converts the Open Bandit Dataset's small sample into logs that `bandit import logs` reads.

    python3 examples/obd/obd_to_bandit.py SOURCE [--per-day N] [--out FILE]

SOURCE is the sample's `all.csv` (uniform-random logging, "all" campaign), or the `obp` 0.5.7 source
distribution that ships it (`pip download obp==0.5.7 --no-deps --no-binary :all:
--ignore-requires-python` gives obp-0.5.7.tar.gz; the file inside is
obp-0.5.7/obp/dataset/obd/random/all/all.csv). Its 10,000 rows are 7 days of ZOZOTOWN recommendations:
an item (80) shown at a position (3) chosen uniformly at random (propensity_score 1/80 for the item at
that position), whether it was clicked, and four categorical user features (hashed strings).

Written (to FILE, default standard output), one row per logged impression in the file's order:

- `day`: 1 + the UTC date's offset from the first row's date (the sample spans 2019-11-24..30);
- `action`: item_id (0..79); `reward`: click (0 or 1); `propensity`: propensity_score;
- `x1..xm`: one-hot columns, first each user feature's categories (user_feature_0..3, each category
  in sorted order of its hash), then the position (1, 2, 3). Every category of the sample gets a
  column (no reference level: bandit's least squares is the notebook's pseudo-inverse, which takes
  the collinearity with the constant feature in its stride).

With --per-day N, only the first N rows of each day (the committed test extract uses 150). The
columns' meanings go to standard error. Numbers are written as the sample has them.
"""

import argparse
import csv
import io
import sys
import tarfile
from datetime import datetime

MEMBER = "obp-0.5.7/obp/dataset/obd/random/all/all.csv"
USER_FEATURES = ["user_feature_0", "user_feature_1", "user_feature_2", "user_feature_3"]
POSITIONS = ["1", "2", "3"]


def read_rows(source):
    if source.endswith(".tar.gz"):
        with tarfile.open(source) as archive:
            text = archive.extractfile(MEMBER).read().decode("utf-8")
    else:
        with open(source, encoding="utf-8") as handle:
            text = handle.read()
    return list(csv.DictReader(io.StringIO(text)))


def convert(rows, per_day=None):
    categories = {name: sorted({row[name] for row in rows}) for name in USER_FEATURES}
    columns = [(name, value) for name in USER_FEATURES for value in categories[name]]
    columns += [("position", value) for value in POSITIONS]
    first = datetime.fromisoformat(rows[0]["timestamp"]).date()
    out = io.StringIO()
    out.write(",".join(["day", "action", "reward", "propensity"] + [f"x{j + 1}" for j in range(len(columns))]) + "\n")
    kept = {}
    for row in rows:
        day = (datetime.fromisoformat(row["timestamp"]).date() - first).days + 1
        if day < 1:
            sys.exit(f"row {row['']}: a date before the first row's: the sample is expected in time order")
        kept[day] = kept.get(day, 0) + 1
        if per_day is not None and kept[day] > per_day:
            continue
        bits = ["1" if row[name] == value else "0" for name, value in columns]
        out.write(",".join([str(day), row["item_id"], row["click"], row["propensity_score"]] + bits) + "\n")
    return out.getvalue(), columns


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="all.csv of the OBD sample, or obp-0.5.7.tar.gz")
    parser.add_argument("--per-day", type=int, help="keep the first N rows of each day")
    parser.add_argument("--out", help="the file to write (default: standard output)")
    arguments = parser.parse_args()
    text, columns = convert(read_rows(arguments.source), arguments.per_day)
    for j, (name, value) in enumerate(columns):
        print(f"x{j + 1}: {name} = {value}", file=sys.stderr)
    if arguments.out:
        with open(arguments.out, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"{arguments.out}: {text.count(chr(10)) - 1} rows", file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
