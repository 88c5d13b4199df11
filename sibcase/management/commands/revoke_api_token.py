"""manage.py revoke_api_token <prefix>: the token stops working at once (the row stays, with its revocation time)."""

from django.core.management.base import BaseCommand, CommandError

from sibcase.api_tokens import api_token_revoke
from sibcase.errors import DomainError


class Command(BaseCommand):
    help = "Revoke an API token by its prefix (the part before the dot) or by the whole token."

    def add_arguments(self, parser):
        parser.add_argument("token", help="The token's prefix (shown in the admin) or the whole token.")

    def handle(self, *args, token, **options):
        prefix = token.partition(".")[0]
        try:
            revoked = api_token_revoke(prefix=prefix)
        except DomainError as error:
            raise CommandError("; ".join(str(p.message) for p in error.problems)) from error
        self.stdout.write(f"Revoked {revoked.prefix} ({revoked.user.username}) at {revoked.revoked_at:%Y-%m-%d %H:%M}.")
