"""The garbage collector of a web process, set for serving pages.

A page of the desk allocates some hundred thousand short-lived objects. With CPython's
default thresholds (a collection of the young generation every 700 net allocations) that
is one or two collections per request, now and then of an older generation too: about
1.5 ms of collecting per request, at random, on pages that take twenty (measured on the
queue at 1M cases). With the young generation collected every ``YOUNG`` allocations it is
a collection every fifty requests or so. Reference counting still frees almost everything
at once; only reference cycles wait a little longer.

Not ``gc.freeze()`` as well: with the loaded application frozen, full collections came so
often in long, allocation-heavy work that the risk run after 10k carrier events took 7.2 s
instead of 0.7 s (``make bench``).
"""

import gc

YOUNG, MIDDLE, OLD = 50_000, 20, 100


def tune_for_serving() -> None:
    gc.set_threshold(YOUNG, MIDDLE, OLD)
