"""Demo data other apps add to ``load_demo`` without ``cases`` importing them: an app
registers a loader in its ``AppConfig.ready``; ``load_demo`` runs them after its own data,
in the same transaction, and prints what each says it loaded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

DEMO_LOADERS: dict[str, Callable[[dt.datetime], str]] = {}


def register_demo_loader(name: str) -> Callable:
    def register(loader: Callable[[dt.datetime], str]) -> Callable[[dt.datetime], str]:
        DEMO_LOADERS[name] = loader
        return loader
    return register
