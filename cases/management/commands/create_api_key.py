from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases import services


class Command(BaseCommand):
    help = "Create an API key for an integration; the key is printed once, as the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who uses the key, e.g. 'webshop'.")
        parser.add_argument(
            "--scopes",
            required=True,
            help="Comma-separated scopes. Known: " + ", ".join(services.API_SCOPES),
        )

    def handle(self, *args, name: str, scopes: str, **options) -> None:
        wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        try:
            api_key, raw_key = services.create_api_key(name=name, scopes=wanted, actor=None)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            f"Created API key {api_key.name!r} ({api_key.prefix}…) with scopes "
            f"{', '.join(api_key.scopes)}. Store it now: it is not shown again."
        )
        self.stdout.write(raw_key)
