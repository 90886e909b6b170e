"""Cataloguing measured on labelled samples, one per language (``labelled/*.jsonl``:
real-shaped reviews labelled by hand, blind to the lexicon and the keywords, which were
not tuned on them): theme precision and recall, and how often the sentiment agrees with
the label. The minimums asserted are the floor we keep; the figures are in the README."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from feedback.catalogue import Cataloguer
from feedback.models import Theme

pytestmark = pytest.mark.django_db

LABELLED = Path(__file__).parent / "labelled"
LANGUAGES = ("en", "it", "nb", "ro")
MIN_PRECISION, MIN_RECALL, MIN_SENTIMENT = 0.65, 0.55, 0.7


@dataclass
class Sample:
    title: str
    text: str
    language: str
    rating: float | None
    rating_scale: tuple[float, float] | None
    themes: set[str]
    sentiment: str


def samples(language: str) -> list[Sample]:
    rows = [json.loads(line) for line in (LABELLED / f"{language}.jsonl").read_text().splitlines()
            if line.strip()]
    return [Sample("", row["text"], "", row["rating"], (1, 5) if row["rating"] else None,
                   set(row["themes"]), row["sentiment"]) for row in rows]


def agrees(score: float | None, label: str) -> bool:
    if score is None:
        return label in ("neutral", "mixed")
    if label == "positive":
        return score > 0.1
    if label == "negative":
        return score < -0.1
    if label == "neutral":
        return abs(score) <= 0.3
    return abs(score) <= 0.6  # mixed


def quality(language: str) -> tuple[float, float, float, bool]:
    """Theme precision and recall (over all theme assignments), sentiment agreement, and
    whether the language was detected right for every sample."""
    themes = {theme.pk: theme.slug for theme in Theme.objects.all()}
    labelled = samples(language)
    found = Cataloguer(Theme.objects.all()).catalogue(labelled)
    right = predicted = expected = agreeing = 0
    detected = True
    for sample, catalogued in zip(labelled, found, strict=True):
        guessed = {themes[pk] for pk in catalogued.themes}
        right += len(guessed & sample.themes)
        predicted += len(guessed)
        expected += len(sample.themes)
        agreeing += agrees(catalogued.sentiment, sample.sentiment)
        detected &= len(sample.text) < 12 or catalogued.language == language
    return right / predicted, right / expected, agreeing / len(labelled), detected


@pytest.mark.parametrize("language", LANGUAGES)
def test_cataloguing_quality_on_the_labelled_sample(language):
    precision, recall, sentiment, detected = quality(language)
    print(f"\n{language}: themes precision {precision:.2f} recall {recall:.2f}, "
          f"sentiment agreement {sentiment:.2f}")
    assert detected
    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL
    assert sentiment >= MIN_SENTIMENT
