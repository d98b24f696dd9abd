"""Calibration of the import's near-duplicate threshold (engine/io/writer.py, NEAR_DUPLICATE).

    .venv/bin/python bench/io_near_duplicates.py [--json out.json]

Sixteen hand-written pairs, none of them used by the tests: eight where the second note rewords the
first (the same fact, other words), eight where both notes are about one topic but say different
things. Printed: the cosine similarity of each pair with the on-device embedder. A threshold between
the highest "different" and the lowest "same" score separates them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import emit

from engine.api import load_models

SAME = [
    (
        "I want to run a marathon in under four hours next spring.",
        "Next spring I want to finish a marathon in less than four hours.",
    ),
    (
        "Call the plumber about the leaking kitchen tap on Monday.",
        "Monday: phone the plumber, the kitchen tap is leaking.",
    ),
    (
        "Budget idea: move 10% of salary to index funds every month.",
        "Every month put ten percent of my pay into index funds.",
    ),
    (
        "Sarah said the landing page copy needs to be shorter.",
        "Feedback from Sarah: shorten the landing page text.",
    ),
    (
        "Slept badly again, coffee after 4pm is a mistake.",
        "Bad sleep again - no more coffee after four in the afternoon.",
    ),
    ("Gift idea for mum's birthday: a pottery class.", "Mum's birthday present idea - pottery course."),
    (
        "Read chapter 3 of Deep Work; key point: schedule shallow work.",
        "Deep Work ch. 3 takeaway: put shallow tasks on a schedule.",
    ),
    ("Garden: plant tomatoes after the last frost in May.", "Plant the tomatoes in May once frost is over."),
]
DIFFERENT = [
    (
        "I want to run a marathon in under four hours next spring.",
        "Bought new running shoes for the marathon training today.",
    ),
    (
        "Call the plumber about the leaking kitchen tap on Monday.",
        "The kitchen renovation budget is now 9500 euros.",
    ),
    (
        "Budget idea: move 10% of salary to index funds every month.",
        "Reviewed my savings rate: 18% this quarter.",
    ),
    (
        "Sarah said the landing page copy needs to be shorter.",
        "Sarah sent the new logo drafts for the website.",
    ),
    ("Slept badly again, coffee after 4pm is a mistake.", "Tried a wind-down routine, slept eight hours."),
    ("Gift idea for mum's birthday: a pottery class.", "Dinner at mum's on Sunday, bring dessert."),
    (
        "Read chapter 3 of Deep Work; key point: schedule shallow work.",
        "Finished Deep Work, next on the list is Seneca's letters.",
    ),
    ("Garden: plant tomatoes after the last frost in May.", "Started a compost heap behind the shed."),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        embedder = load_models(home).embedder

        def cosine(a: str, b: str) -> float:
            v = embedder.embed_batch([a, b], kind="document")
            return round(float(v[0] @ v[1] / np.linalg.norm(v[0]) / np.linalg.norm(v[1])), 3)

        same = [cosine(a, b) for a, b in SAME]
        different = [cosine(a, b) for a, b in DIFFERENT]
    print(f"rewordings:        {same}  (min {min(same)})")
    print(f"same topic, other: {different}  (max {max(different)})")
    emit(
        {"same": same, "different": different, "min_same": min(same), "max_different": max(different)},
        args.json,
    )


if __name__ == "__main__":
    main()
