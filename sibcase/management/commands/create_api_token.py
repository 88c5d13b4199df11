"""manage.py create_api_token <username> [--days N] [--name …]: prints a new API token once (only its hash is kept)."""

from django.core.management.base import BaseCommand, CommandError

from sibcase.api_tokens import api_token_create
from sibcase.errors import DomainError
from sibcase.models import User


class Command(BaseCommand):
    help = "Create an API token for a user and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=None, help="Validity in days (default API_TOKEN_DEFAULT_DAYS).")
        parser.add_argument("--name", default="", help="What the token is for, e.g. the integration's name.")

    def handle(self, *args, username, days, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            token = api_token_create(user=user, days=days, name=name)
        except DomainError as error:
            raise CommandError("; ".join(str(p.message) for p in error.problems)) from error
        self.stdout.write(token)
        self.stderr.write("Store the token now: it is not shown again. Send it as 'Authorization: Token <token>'.")
