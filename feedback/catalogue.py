"""Cataloguing: what a piece of feedback is about and how the customer feels, in the
languages the team works in.

- **Language**: the platform's word when it gives one, else detected with lingua, limited
  to ``FEEDBACK_LANGUAGES`` (a short review cannot then be taken for Catalan).
- **Rating** normalised to 0..1 from the platform's own scale.
- **Sentiment** (-1..1): from the text, word by word against a lexicon per language,
  matched on Snowball stems (PyStemmer) with negation ("not good", "non buono", "ikke
  bra", "nu e bun") flipping the next words; where the customer gave a rating, the rating
  carries most of the weight (a 1-star review is negative whatever its politeness). The
  words that drove the score are kept, so a reader sees why.
- **Themes** from the taxonomy (``Theme.keywords``, per language), matched on stems: a
  keyword matches every form of the word ("delay", "delayed", "delays"); a phrase matches
  its words in sequence.

A ``Cataloguer`` is built once per import (taxonomy and stemmers loaded once) and
catalogues records in batches; the same code re-catalogues items when the taxonomy changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import Stemmer
from django.conf import settings
from lingua import Language, LanguageDetectorBuilder

from feedback.lexicon import NEGATIONS, NEGATIVE, POSITIVE

STEMMER_NAMES = {"en": "english", "it": "italian", "nb": "norwegian", "ro": "romanian",
                 "de": "german", "fr": "french", "es": "spanish", "sv": "swedish",
                 "da": "danish", "nl": "dutch", "pt": "portuguese"}
LINGUA = {"en": Language.ENGLISH, "it": Language.ITALIAN, "nb": Language.BOKMAL,
          "ro": Language.ROMANIAN, "de": Language.GERMAN, "fr": Language.FRENCH,
          "es": Language.SPANISH, "sv": Language.SWEDISH, "da": Language.DANISH,
          "nl": Language.DUTCH, "pt": Language.PORTUGUESE}
# What platforms call the languages we know ("no" is Norwegian, which we read as Bokmål).
LANGUAGE_ALIASES = {"no": "nb", "nn": "nb", "nob": "nb", "eng": "en", "ita": "it",
                    "ron": "ro", "rum": "ro"}
APOSTROPHE = "\u2019"  # typographic apostrophe, as phones type it
WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?", re.UNICODE)
RATING_WEIGHT = 0.75  # of the sentiment, when the customer gave a rating
NEGATION_REACH = 3  # words after "not" it turns around
MIN_DETECTION_CHARS = 12  # shorter texts keep the platform's language or none


@dataclass
class Catalogued:
    """What cataloguing found in one record."""

    language: str
    rating_normalised: float | None
    sentiment: float | None
    sentiment_terms: list[str]
    themes: dict[int, list[str]] = field(default_factory=dict)  # theme id → matched words


def normalise_language(code: str) -> str:
    code = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return LANGUAGE_ALIASES.get(code, code)


def normalise_rating(rating: float | None,
                     scale: tuple[float, float] | None) -> float | None:
    if rating is None or scale is None:
        return None
    worst, best = scale
    if best == worst:
        return None
    return min(1.0, max(0.0, (rating - worst) / (best - worst)))


@cache
def _stemmer(language: str) -> Stemmer.Stemmer | None:
    name = STEMMER_NAMES.get(language)
    return Stemmer.Stemmer(name) if name else None


def stems(words: Sequence[str], language: str) -> list[str]:
    stemmer = _stemmer(language)
    return stemmer.stemWords(words) if stemmer else list(words)


def words_of(text: str) -> list[str]:
    return [word.replace(APOSTROPHE, "'") for word in WORD.findall(text.lower())]


@cache
def _detector(languages: tuple[str, ...]):
    known = [LINGUA[code] for code in languages if code in LINGUA]
    if len(known) < 2:
        return None
    # Models load on first use: a file whose platform names each review's language never
    # pays for them (they take a hundred megabytes).
    return LanguageDetectorBuilder.from_languages(*known).build()


@cache
def _lexicon(language: str) -> tuple[dict[str, float], frozenset[str]]:
    """Stem → polarity, and the negation words, of one language."""
    polarity: dict[str, float] = {}
    for words, sign in ((POSITIVE.get(language, ()), 1.0), (NEGATIVE.get(language, ()), -1.0)):
        for entry in words:
            word, _sep, weight = entry.partition(":")
            stem = stems([word], language)[0]
            polarity[stem] = sign * (float(weight) if weight else 1.0)
    return polarity, frozenset(NEGATIONS.get(language, ()))


class Cataloguer:
    """Catalogues records against one version of the taxonomy."""

    def __init__(self, themes: Iterable, languages: Sequence[str] | None = None):
        self.languages = tuple(languages or settings.FEEDBACK_LANGUAGES)
        self._detector = None
        # Per language: keyword stem -> the themes it belongs to, and a phrase's first stem
        # -> (theme, the phrase's stems); a text is then read once, word by word, whatever
        # the size of the taxonomy.
        self.words: dict[str, dict[str, list[int]]] = {}
        self.phrases: dict[str, dict[str, list[tuple[int, tuple[str, ...]]]]] = {}
        for theme in themes:
            for language, keywords in (theme.keywords or {}).items():
                language = normalise_language(language)
                words = self.words.setdefault(language, {})
                phrases = self.phrases.setdefault(language, {})
                for keyword in keywords:
                    keyword_stems = stems(words_of(keyword), language)
                    if len(keyword_stems) == 1:
                        themes_of = words.setdefault(keyword_stems[0], [])
                        if theme.pk not in themes_of:
                            themes_of.append(theme.pk)
                    elif keyword_stems:
                        phrases.setdefault(keyword_stems[0], []).append(
                            (theme.pk, tuple(keyword_stems)))

    @property
    def detector(self):
        if self._detector is None:
            self._detector = _detector(self.languages)
        return self._detector

    def detect(self, texts: Sequence[str], given: Sequence[str]) -> list[str]:
        """Each text's language: the platform's, when it gives one; else detected among
        the languages we work in (texts too short to tell get none)."""
        found = [normalise_language(code) for code in given]
        unknown = [index for index, code in enumerate(found)
                   if not code and len(texts[index]) >= MIN_DETECTION_CHARS]
        if unknown and self.detector is not None:
            detected = self.detector.detect_languages_in_parallel_of(
                [texts[index] for index in unknown])
            for index, language in zip(unknown, detected, strict=True):
                if language is not None:
                    found[index] = language.iso_code_639_1.name.lower()
                    found[index] = normalise_language(found[index])
        elif unknown and len(self.languages) == 1:
            for index in unknown:
                found[index] = self.languages[0]
        return found

    def catalogue(self, records: Sequence) -> list[Catalogued]:
        """``records``: objects with ``title``, ``text``, ``language``, ``rating`` and
        ``rating_scale`` (``feedback.formats.Record`` or items being re-catalogued)."""
        texts = [" ".join(part for part in (record.title, record.text) if part)
                 for record in records]
        languages = self.detect(texts, [record.language for record in records])
        results = []
        for record, text, language in zip(records, texts, languages, strict=True):
            words = words_of(text)
            word_stems = stems(words, language)
            rating = normalise_rating(record.rating, record.rating_scale)
            text_score, terms = self._text_sentiment(words, word_stems, language)
            if rating is not None:
                sentiment = RATING_WEIGHT * (2 * rating - 1) + (1 - RATING_WEIGHT) * text_score
            elif terms:
                sentiment = text_score
            else:
                sentiment = None
            results.append(Catalogued(
                language=language, rating_normalised=rating,
                sentiment=None if sentiment is None else round(sentiment, 3),
                sentiment_terms=terms, themes=self._themes(words, word_stems, language),
            ))
        return results

    def _text_sentiment(self, words: list[str], word_stems: list[str],
                        language: str) -> tuple[float, list[str]]:
        polarity, negations = _lexicon(language)
        if not polarity:
            return 0.0, []
        score, terms, flip_until = 0.0, [], -1
        for index, (word, stem) in enumerate(zip(words, word_stems, strict=True)):
            if word in negations:
                flip_until = index + NEGATION_REACH
                continue
            weight = polarity.get(stem)
            if weight is None:
                continue
            if index <= flip_until:
                weight = -weight
                word = f"{words[index - 1]} {word}" if index else word
            score += weight
            terms.append(word)
        # Many strong words push towards ±1 without reaching it.
        return (score / (abs(score) + 2.0) if score else 0.0), terms[:12]

    def _themes(self, words: list[str], word_stems: list[str],
                language: str) -> dict[int, list[str]]:
        keyword_themes = self.words.get(language) or {}
        phrase_starts = self.phrases.get(language) or {}
        if not (keyword_themes or phrase_starts):
            return {}
        hits: dict[int, list[str]] = {}
        for index, stem in enumerate(word_stems):
            for theme_id in keyword_themes.get(stem, ()):
                hits.setdefault(theme_id, []).append(words[index])
            for theme_id, phrase in phrase_starts.get(stem, ()):
                end = index + len(phrase)
                if tuple(word_stems[index:end]) == phrase:
                    hits.setdefault(theme_id, []).append(" ".join(words[index:end]))
        return {theme_id: list(dict.fromkeys(found))[:8] for theme_id, found in hits.items()}
