"""``manage.py replay_risk --start ISO --end ISO [--step 1h] [--rule KEY] [--param KEY=VALUE
...] [--json]``: replay the risk rules over recorded history, step by step, without writing
a case, and print per rule what they would have found — to tune a rule before enabling it:

    manage.py replay_risk --start 2026-10-01 --end 2026-10-31 --rule late_delivery \\
        --param grace_hours=6
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases import services
from cases.management.commands.run_risk_checks import parse_moment
from cases.risk import RULES

STEP = re.compile(r"(\d+)\s*([mhd])")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_step(value: str) -> dt.timedelta:
    """``30m``, ``1h``, ``2d``."""
    match = STEP.fullmatch(value.strip().lower())
    if match is None:
        raise CommandError(f"--step {value!r} is not a duration like 30m, 1h or 1d.")
    return dt.timedelta(**{UNITS[match[2]]: int(match[1])})


def parse_param(value: str) -> tuple[str, str]:
    name, equals, setting = value.partition("=")
    if not equals or not name.strip() or not setting.strip():
        raise CommandError(f"--param {value!r} is not KEY=VALUE or RULE.KEY=VALUE, "
                           "e.g. grace_hours=6.")
    return name.strip(), setting.strip()


class Command(BaseCommand):
    help = ("Replay the risk rules over a past period without writing cases, and print per "
            "rule the problem orders found, those caught before the customer's first "
            "contact, the median lead time and the false alarms.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", required=True, metavar="ISO8601")
        parser.add_argument("--end", required=True, metavar="ISO8601")
        parser.add_argument("--step", default="1h", help="30m, 1h, 1d… (default 1h)")
        parser.add_argument(
            "--rule", action="append", dest="rules", metavar="KEY", choices=sorted(RULES),
            help="Replay this rule (repeatable). Default: every rule, enabled or not.",
        )
        parser.add_argument(
            "--param", action="append", dest="params", default=[],
            metavar="KEY=VALUE",
            help="Try this parameter instead of the saved one; RULE.KEY=VALUE for one rule.",
        )
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args, start: str, end: str, step: str, rules: list[str] | None,
               params: list[str], json: bool, **options) -> None:
        overrides = dict(parse_param(value) for value in params)
        show_progress = not json and sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if show_progress:
                self.stderr.write(f"\r{done:,}/{total:,} steps", ending="")

        try:
            report = services.replay_risk(
                start=parse_moment(start, "--start"), end=parse_moment(end, "--end"),
                step=parse_step(step), keys=rules, params=overrides, progress=progress,
            )
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        if show_progress:
            self.stderr.write("")
        if json:
            self.stdout.write(dumps(report.as_dict()))
            return
        self.stdout.write(
            f"Replay from {report.start.isoformat()} to {report.end.isoformat()}, "
            f"{report.steps:,} steps of {report.step}")
        self.stdout.write(
            f"{'rule':24} {'signals':>8} {'problems':>8} {'contact':>8} {'caught':>7} "
            f"{'caught %':>8} {'median h':>9} {'false':>6}")
        for rule in report.rules:
            share = (f"{rule.caught_before_contact / rule.with_contact:.0%}"
                     if rule.with_contact else "-")
            median = "-" if rule.median_lead_hours is None else f"{rule.median_lead_hours:.1f}"
            self.stdout.write(
                f"{rule.key:24} {rule.signals:>8,} {rule.problem_orders:>8,} "
                f"{rule.with_contact:>8,} {rule.caught_before_contact:>7,} {share:>8} "
                f"{median:>9} {rule.false_alarms:>6,}")
        for key, values in report.params.items():
            if values:
                settings = ", ".join(f"{name}={value}" for name, value in values.items())
                self.stdout.write(f"  {key}: {settings}")


def dumps(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _messages(error: ValidationError) -> str:
    flags = {"rule_key": "--rule", "params": "--param", "start": "--start", "end": "--end",
             "step": "--step"}
    if hasattr(error, "error_dict"):
        return "; ".join(f"{flags.get(name, name)}: {' '.join(messages)}"
                         for name, messages in error.message_dict.items())
    return " ".join(error.messages)
