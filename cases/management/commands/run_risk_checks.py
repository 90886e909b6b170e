"""``manage.py run_risk_checks [--rule KEY] [--now ISO8601]``: run the risk checks in the
foreground as of a moment and print what each rule found.

Everything the run records carries that moment, so a month can be simulated hour by hour:

    for hour in $(seq 0 719); do
        manage.py run_risk_checks --now "$(date -u -d "2026-10-01 + $hour hours" -Iseconds)"
    done
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cases import services
from cases.models import RuleRun
from cases.risk import RULES


def parse_moment(value: str, flag: str = "--now") -> dt.datetime:
    """An ISO 8601 time; without an offset it is taken in the desk's time zone."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"{flag} {value!r} is not an ISO 8601 time, e.g. 2026-11-20T14:00:00+01:00"
        ) from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Run the proactive risk checks now, or as of --now, and print a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rule", action="append", dest="rules", metavar="KEY", choices=sorted(RULES),
            help="Run this rule, enabled or not (repeatable). Default: every enabled rule.",
        )
        parser.add_argument("--now", metavar="ISO8601",
                            help="Evaluate as of this time instead of the clock's.")

    def handle(self, *args, rules: list[str] | None, now: str | None, **options) -> None:
        as_of = parse_moment(now) if now else timezone.now()
        runs = services.run_enabled_rules(as_of=as_of, keys=rules)
        if not runs:
            self.stdout.write("No rule is enabled; name one with --rule, or enable rules "
                              "on the Rules page.")
            return
        self.stdout.write(f"Risk checks as of {as_of.isoformat()}")
        header = (f"{'rule':24} {'result':9} {'examined':>9} {'new':>6} {'open':>6} "
                  f"{'cleared':>7} {'cases':>6} {'ms':>8}")
        self.stdout.write(header)
        failed = 0
        for run in runs:
            ms = f"{run.duration_ms:,.0f}" if run.duration_ms is not None else ""
            self.stdout.write(
                f"{run.rule.key:24} {run.status:9} {run.rows_examined:>9,} "
                f"{run.signals_new:>6,} {run.signals_open:>6,} {run.signals_cleared:>7,} "
                f"{run.cases_opened:>6,} {ms:>8}"
            )
            if run.status == RuleRun.Status.FAILED:
                failed += 1
                self.stderr.write(f"  {run.rule.key} failed: {run.error}")
        if failed:
            raise CommandError(f"{failed} of {len(runs)} rules failed; the others ran.")
