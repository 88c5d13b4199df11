"""Pages and API lists under load: gunicorn as docker-compose.yml runs it, hit by wrk, next to the trivial view.

    apt-get install wrk                          # once (Debian's package)
    .venv/bin/python bench/seed_scale.py         # once: 100,000 children on top of the demo data
    .venv/bin/python bench/load.py [--connections 20 --duration 10 --rounds 3]

The server runs with the settings docker-compose.yml gives the web service: the production settings module (DEBUG
off), gunicorn with 4 sync workers, persistent database connections (DATABASE_CONN_MAX_AGE=60 with health checks)
and the Redis cache (CACHE_URL). Users sign in as a browser does, with password and the second factor (the demo
logins' published TOTP secret), so every page pays for the session, the verified-device check and the access log.

Each round requests every URL in turn (the trivial view /healthz included), so slow drifts of the shared machine
hit all URLs alike; the order rotates between rounds. Printed per URL: medians over the rounds of requests/s,
p50/p99 latency, and the per-round ratios to the trivial view measured in the same round.
Goals (issue 14): throughput ≥ 0.4 × the trivial view's and p99 < 250 ms at 20 connections.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from _common import BENCH_DATABASE_URL, ROOT, machine, setup_django

LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.3f %.3f %.3f %d %d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
PORT = 8799
PROXY = {"X-Forwarded-Proto": "https"}  # the server sits behind the TLS proxy; cookies are Secure
PASSWORD = "sibcase-demo-2026"  # noqa: S105 - the demo logins' published password
GOAL_THROUGHPUT = 0.4
GOAL_P99_MS = 250


class Browser:
    """A signed-in session over loopback: password, then the six-digit code, with the cookies carried by hand."""

    def __init__(self, username: str, totp_key_hex: str) -> None:
        self.cookies: dict[str, str] = {}
        page = self._request("GET", "/login/").read().decode()
        # The password leads on; every page then asks for the code until it is given.
        self._post("/login/", page, {"username": username, "password": PASSWORD}, expect="/")
        code_page = self._request("GET", "/login/code/").read().decode()
        self._post("/login/code/", code_page, {"code": _totp(totp_key_hex)}, expect="/")

    @property
    def header(self) -> str:
        return "Cookie: " + "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        all_headers = {**PROXY, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = self.header.removeprefix("Cookie: ")
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def _post(self, path: str, page: str, fields: dict, expect: str) -> None:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"https://127.0.0.1:{PORT}{path}"}
        response = self._request("POST", path, body=body, headers=headers)
        response.read()
        location = response.getheader("Location", "")
        if response.status != 302 or not location.startswith(expect):
            sys.exit(f"sign-in failed at {path}: HTTP {response.status} → {location!r}")


def _totp(key_hex: str) -> str:
    from django_otp.oath import TOTP

    return f"{TOTP(bytes.fromhex(key_hex)).token():06d}"


def _check(path: str, header: str) -> None:
    """The URL answers 200 with this session or token (wrk would count a redirect to sign-in as a success)."""
    name, _, value = header.partition(": ")
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    connection.request("GET", path, headers={**PROXY, name: value})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"{path}: HTTP {response.status} before the run")


def _drain() -> None:
    """Wait until the server has worked off what the previous URL left queued (a sync worker still answers requests
    wrk has stopped waiting for), so that no URL is measured against another's backlog."""
    quick = 0
    deadline = time.monotonic() + 120
    while quick < 3 and time.monotonic() < deadline:
        start = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        connection.request("GET", "/healthz", headers=PROXY)
        connection.getresponse().read()
        quick = quick + 1 if time.monotonic() - start < 0.05 else 0
        time.sleep(0.1)


def wrk(path: str, header: str, args) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    command = ["wrk", "-t", "2", "-c", str(args.connections), "-d", f"{args.duration}s", "-s", script.name]
    command += ["--timeout", "10s", "-H", "X-Forwarded-Proto: https", "-H", header, f"http://127.0.0.1:{PORT}{path}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    requests, seconds, p50, p95, p99, bad_status, socket_errors = re.search(r"RESULT (.*)", output).group(1).split()
    return {
        "rps": int(requests) / float(seconds),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "errors": int(bad_status) + int(socket_errors),
    }


def _server_env(cache_db: int) -> dict:
    database_url = os.environ.get("BENCH_DATABASE_URL", BENCH_DATABASE_URL)
    return {
        **os.environ,
        # As docker-compose.yml's x-app environment sets them for the web service.
        "DJANGO_SETTINGS_MODULE": "sibcase.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "PSEUDONYM_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "60",
        "CACHE_URL": f"redis://127.0.0.1:6379/{cache_db}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{cache_db}",
        # The bench is one client address making thousands of API calls a minute.
        "API_THROTTLE_USER": "1000000/minute",
        "LOG_LEVEL": "WARNING",
    }


def _cases() -> list[tuple[str, str, str]]:
    """(label, path, who) for every page and API list the issue names; `who` is a demo login or "token:<login>"."""
    from django.db.models import Count

    from families.models import Family
    from payments.models import PaymentStatement, StatementKind
    from programs.models import Programme

    family = Family.objects.filter(municipality__code="091").annotate(n=Count("children")).filter(n__gt=1).first()
    programme = Programme.objects.get(code="helsinki-perheen-mukana")
    statement = (
        PaymentStatement.objects.filter(programme=programme)
        .filter(kind=StatementKind.ANNUAL)
        .order_by("-period_end")
        .first()
    )
    worker, coordinator, fund = "demo-sosiaalityo-helsinki", "demo-koordinaattori", "demo-rahasto"
    return [
        ("trivial view (/healthz)", "/healthz", ""),
        # The floor of any signed-in page: session, user, second-factor device and the base template, no data (the
        # evaluator's home shows no caseload).
        ("signed-in floor (evaluator's home)", "/", "demo-arvioija"),
        ("family list", "/families/", worker),
        ("family page", f"/families/{family.pk}/", worker),
        ("social worker's home", "/", worker),
        ("programme overview", f"/programmes/{programme.pk}/", coordinator),
        ("fund programme page", f"/fund/programmes/{programme.pk}/", fund),
        ("fund overview", "/fund/", fund),
        ("statement page", f"/payments/statements/{statement.pk}/", coordinator),
        ("API families", "/api/families/", f"token:{worker}"),
        ("API enrollments", "/api/enrollments/", f"token:{worker}"),
        ("API observations", "/api/observations/", f"token:{worker}"),
        ("API episodes", "/api/episodes/", f"token:{worker}"),
        ("API referrals", "/api/referrals/", f"token:{worker}"),
        ("API programmes", "/api/programmes/", f"token:{worker}"),
        ("API payment statements", "/api/payment-statements/", f"token:{coordinator}"),
    ]


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (docker-compose.yml: 4)")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--duration", type=int, default=10, help="seconds per URL per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated labels to run (the trivial view always runs)")
    parser.add_argument("--cache-db", type=int, default=9, help="Redis database for the server's cache")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    setup_django()
    from families.models import Child, Family
    from sibcase.api_tokens import api_token_create
    from sibcase.management.commands.seed_demo import DEMO_TOTP_KEY_HEX
    from sibcase.models import User

    cases = _cases()
    if args.only:
        wanted = {label.strip() for label in args.only.split(",")}
        cases = [case for case in cases if case[2] == "" or case[0] in wanted]
    env = _server_env(args.cache_db)
    subprocess.run(["redis-cli", "-n", str(args.cache_db), "flushdb"], check=True, capture_output=True)  # noqa: S603, S607
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "sibcase.wsgi:application"]
    gunicorn += ["-b", f"127.0.0.1:{PORT}", "-w", str(args.workers), "--timeout", "60", "--log-level", "warning"]
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env)  # noqa: S603
    try:
        for _ in range(100):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
                probe.request("GET", "/healthz", headers=PROXY)
                if probe.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        headers: dict[str, str] = {"": "X-Bench: 1"}
        for _label, _path, who in cases:
            if who in headers:
                continue
            if who.startswith("token:"):
                user = User.objects.get(username=who.removeprefix("token:"))
                headers[who] = f"Authorization: Token {api_token_create(user=user, days=1, name='bench')}"
            else:
                headers[who] = Browser(who, DEMO_TOTP_KEY_HEX).header
        for _label, path, who in cases:
            _check(path, headers[who])  # also warms each worker's first request a little
        print(
            f"machine: {machine()}; gunicorn {args.workers} sync workers, production settings, CONN_MAX_AGE 60, "
            f"Redis cache; wrk {args.connections} connections, {args.duration} s per URL, {args.rounds} rounds "
            "(interleaved, order rotated)"
        )
        print(f"data: {Family.objects.count():,} families, {Child.objects.count():,} children")
        runs: dict[str, list[dict]] = {label: [] for label, _path, _who in cases}
        for number in range(args.rounds):
            shift = number % len(cases)
            for label, path, who in cases[shift:] + cases[:shift]:
                _drain()
                runs[label].append(wrk(path, headers[who], args))
            print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)
        trivial = runs[cases[0][0]]
        print()
        print(
            f"| {'page':<34} | {'req/s':>7} | {'req/s vs trivial':>16} | {'p50 ms':>7} | {'p50 vs trivial':>14} "
            f"| {'p99 ms':>7} | {'errors':>6} | goals |"
        )
        print(f"|{'-' * 36}|{'-' * 9}|{'-' * 18}|{'-' * 9}|{'-' * 16}|{'-' * 9}|{'-' * 8}|-------|")
        for label, _path, _who in cases:
            rounds = runs[label]
            throughput = _median([run["rps"] / base["rps"] for run, base in zip(rounds, trivial, strict=True)])
            latency = _median([run["p50"] / base["p50"] for run, base in zip(rounds, trivial, strict=True)])
            p99 = _median([run["p99"] for run in rounds])
            errors = sum(run["errors"] for run in rounds)
            met = throughput >= GOAL_THROUGHPUT and p99 < GOAL_P99_MS and errors == 0
            print(
                f"| {label:<34} | {_median([run['rps'] for run in rounds]):>7.0f} | {throughput:>16.2f} "
                f"| {_median([run['p50'] for run in rounds]):>7.1f} | {latency:>13.1f}× | {p99:>7.0f} | {errors:>6} "
                f"| {'✔' if met else '✘'}     |"
            )
        print(f"\ngoals: throughput ≥ {GOAL_THROUGHPUT} × the trivial view's, p99 < {GOAL_P99_MS} ms, no errors")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
