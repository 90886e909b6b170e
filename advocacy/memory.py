"""The garbage collector of a web process, set for serving pages.

A page of the desk allocates some hundred thousand short-lived objects. With CPython's
default thresholds (a collection every 700 net allocations) that is one or two collections
per request, each walking the young objects, and now and then an older generation: whole
milliseconds, at random, on pages that take twenty. Measured on the queue at 1M cases:
1.5 collections and 1.5 ms of collecting per request by default; none with the thresholds
below (see ``make bench``).

So, once the application is loaded:

- ``gc.freeze()`` moves everything loaded so far (Django, the apps, about 150,000 objects)
  out of the collector's sight: it lives as long as the process, and a full collection no
  longer walks it (with gunicorn's ``--preload`` the forked workers also keep sharing those
  pages instead of copying them when the collector touches them);
- the first generation is collected every ``YOUNG`` allocations instead of 700. Reference
  counting still frees almost everything at once; only cycles wait a little longer.
"""

import gc

YOUNG, MIDDLE, OLD = 50_000, 20, 100


def tune_for_serving() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, MIDDLE, OLD)
