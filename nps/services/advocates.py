"""Brand advocates: promoters become candidates, staff confirm them, care actions keep them."""

from __future__ import annotations

from nps.models import Response


def answer_recorded(*, response: Response, previous_score: int | None = None) -> None:
    """Called by ``answers.record_answer`` (in its transaction) after every answer or
    change of answer: a promoter becomes an advocate candidate."""
