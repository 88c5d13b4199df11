"""Queries per page at two database sizes (default: the 100-children and the 100,000-children benchmark
databases); the counts must be equal. Also prints EXPLAIN ANALYZE of the family list's searches at the larger size.

    .venv/bin/python bench/seed_scale.py --children 100 --observations 1000 --episodes 300 \\
        --database-url postgres://postgres@127.0.0.1:5432/sibcase_bench_small
    .venv/bin/python bench/seed_scale.py
    .venv/bin/python bench/query_counts.py
"""

from __future__ import annotations

import json
import subprocess
import sys

from _common import BENCH_DATABASE_URL

SMALL = "postgres://postgres@127.0.0.1:5432/sibcase_bench_small"


def measure() -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from families.models import Family
    from payments.models import PaymentStatement
    from sibcase.models import User

    family = Family.objects.filter(municipality__code="091").order_by("-id").first()
    statement = PaymentStatement.objects.order_by("id").first()
    pages = {
        "home (caseload)": ("demo-sosiaalityo-helsinki", "/"),
        "family list": ("demo-sosiaalityo-helsinki", "/families/"),
        "family list, name search": ("demo-sosiaalityo-helsinki", "/families/?q=Suku42"),
        "family page": ("demo-sosiaalityo-helsinki", f"/families/{family.pk}/"),
        "payment statements": ("demo-koordinaattori", "/payments/"),
        "statement page": ("demo-koordinaattori", f"/payments/statements/{statement.pk}/"),
        "fund overview": ("demo-rahasto", "/fund/"),
        "API family list": ("demo-sosiaalityo-helsinki", "/api/families/"),
    }
    counts = {"families": Family.objects.count()}
    for name, (username, url) in pages.items():
        client = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="127.0.0.1")
        user = User.objects.get(username=username)
        client.force_login(user)
        # Signed in with the second factor too (the demo logins' confirmed authenticator), as every page requires.
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
        session.save()
        client.get(url)  # warm per-process caches (content types, translations)
        with CaptureQueriesContext(connection) as queries:
            status = client.get(url).status_code
        if status != 200:  # a redirect or refusal counts nothing worth comparing
            sys.exit(f"{name} ({url} as {username}): HTTP {status}, not the page")
        counts[name] = len(queries)
    return counts


def explain() -> None:
    from django.db import connection

    from families.selectors import family_search
    from sibcase.models import User

    worker = User.objects.get(username="demo-sosiaalityo-helsinki")
    searches = {
        "name contains 'Suku42'": {"text": "Suku42"},
        "family reference": {"text": "B-00050000"},
        "district": {"district": "Vuosaari"},
        "programme + status": {"programme_id": 0, "status": "active"},
    }
    from programs.models import Programme

    searches["programme + status"]["programme_id"] = Programme.objects.get(code="bench-helsinki").pk
    for name, filters in searches.items():
        queryset = family_search(user=worker, **filters)[:25]
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        print(f"\n-- {name}")
        print("\n".join(plan))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        from _common import setup_django

        setup_django(sys.argv[2])
        print(json.dumps(measure()))
        if len(sys.argv) > 3:
            explain()
        return
    small, large = (
        json.loads(
            subprocess.run(  # noqa: S603
                [sys.executable, __file__, "--one", url], capture_output=True, text=True, check=True
            ).stdout.splitlines()[0]
        )
        for url in (SMALL, BENCH_DATABASE_URL)
    )
    print(
        f"{'page':<28} {'families: ' + str(small.pop('families')):>18} {'families: ' + str(large.pop('families')):>18}  equal"
    )
    for name in small:
        print(f"{name:<28} {small[name]:>18} {large[name]:>18}  {'yes' if small[name] == large[name] else 'NO'}")
    print("\nEXPLAIN ANALYZE of the family list's searches at the larger size:")
    print(
        subprocess.run(  # noqa: S603 - our own script
            [sys.executable, __file__, "--one", BENCH_DATABASE_URL, "explain"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n", 1)[1]
    )  # noqa: S603


if __name__ == "__main__":
    main()
