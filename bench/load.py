"""Pages and API under load: gunicorn on loopback, hit by wrk, next to a trivial Django view in the same run.

    apt-get install wrk                          # once (Debian's package)
    .venv/bin/python bench/seed_scale.py         # once
    .venv/bin/python bench/load.py [--workers 4 --connections 20 --duration 20]

Runs the production settings module (DEBUG off) with gunicorn, logs in as the demo social worker, fund manager
and an API token user, and prints requests/s and p50/p95/p99 latency per URL. The trivial view is /healthz
(one SELECT 1). Goals: p50 ≤ 2 × the trivial view's, p99 < 250 ms at 20 concurrent users.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from _common import BENCH_DATABASE_URL, ROOT, machine, setup_django

LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.3f %.3f %.3f %d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
PORT = 8799
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "sibcase-demo-2026"  # noqa: S105 - the demo logins' published password


def login(username: str) -> str:
    """Log in like a browser behind the TLS proxy. Cookies are Secure, so they are carried by hand over loopback."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT)
    proxy = {"X-Forwarded-Proto": "https"}
    connection.request("GET", "/login/", headers=proxy)
    response = connection.getresponse()
    page = response.read().decode()
    csrf_cookie = re.search(r"(__Host-csrftoken=[^;]+)", response.getheader("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    headers = {
        **proxy,
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": csrf_cookie,
        "Referer": f"https://127.0.0.1:{PORT}/login/",
    }
    connection.request("POST", "/login/", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    session = re.search(r"(__Host-sessionid=[^;]+)", ", ".join(response.headers.get_all("Set-Cookie") or []))
    if response.status != 302 or session is None:
        sys.exit(f"login failed for {username}: HTTP {response.status}")
    return session.group(1)


def wrk(url: str, header: str, args) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    command = [
        "wrk",
        "-t",
        str(min(2, args.connections)),
        "-c",
        str(args.connections),
        "-d",
        f"{args.duration}s",
        "-s",
        script.name,
        "--latency",
    ]
    command += ["-H", "X-Forwarded-Proto: https", "-H", header, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    requests, seconds, p50, p95, p99, errors = re.search(r"RESULT (.*)", output).group(1).split()
    return {
        "rps": int(requests) / float(seconds),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "errors": int(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--duration", type=int, default=20)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    setup_django()
    from django.db.models import Count

    from families.models import Family
    from sibcase.api_tokens import api_token_create
    from sibcase.models import User

    family = Family.objects.filter(municipality__code="091").annotate(n=Count("children")).filter(n__gt=1).first()
    token = api_token_create(user=User.objects.get(username="demo-sosiaalityo-helsinki"), days=1, name="bench")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sibcase.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", BENCH_DATABASE_URL),
        "DATABASE_CONN_MAX_AGE": "60",
        "API_THROTTLE_USER": "1000000/minute",
        # The bench signs in with a password only (it measures pages, not the second factor).
        "SIBCASE_REQUIRE_OTP": "false",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    server = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "sibcase.wsgi:application",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(50):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
                probe.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
                if probe.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        worker = login("demo-sosiaalityo-helsinki")
        fund = login("demo-rahasto")
        cases = [
            ("trivial view (/healthz)", f"{BASE}/healthz", "X-Bench: 1"),
            ("family list", f"{BASE}/families/", f"Cookie: {worker}"),
            ("family page", f"{BASE}/families/{family.pk}/", f"Cookie: {worker}"),
            ("fund overview", f"{BASE}/fund/", f"Cookie: {fund}"),
            ("API family list", f"{BASE}/api/families/", f"Authorization: Token {token}"),
        ]
        print(
            f"machine: {machine()}; gunicorn {args.workers} workers, {args.connections} connections, {args.duration} s each"
        )
        print(f"families in the database: {Family.objects.count()}")
        print(f"{'URL':<26} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
        results = {}
        for name, url, header in cases:
            result = results[name] = wrk(url, header, args)
            print(
                f"{name:<26} {result['rps']:>8.1f} {result['p50']:>8.1f} {result['p95']:>8.1f} {result['p99']:>8.1f} {result['errors']:>7}"
            )
        trivial = results["trivial view (/healthz)"]["p50"]
        for name, result in results.items():
            print(
                f"{name}: p50 = {result['p50'] / trivial:.1f} × trivial; p99 {'<' if result['p99'] < 250 else '≥'} 250 ms"
            )
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
