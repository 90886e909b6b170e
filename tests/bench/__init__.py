"""``make bench``: the desk's speed at production volume, measured in-process on PostgreSQL.

Run ``python -m tests.bench.run``. Nothing here is named ``test_*``, so pytest collects none
of it: the benchmark loads a million rows and belongs to no test run.
"""
