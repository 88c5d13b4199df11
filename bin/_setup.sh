# Shared set-up for bin/demo and bin/test: a local virtualenv with the pinned requirements, and compiled
# translations. Sourced, not run. Re-running is cheap: pip runs only when the requirement files changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
wanted="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat .venv/.requirements-hash 2>/dev/null || true)" != "$wanted" ]; then
  echo "==> installing Python requirements"
  .venv/bin/pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$wanted" > .venv/.requirements-hash
fi

apt_install() {
  # Debian packages the project needs (gettext for translations, chromium for browser tests).
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

command -v msgfmt >/dev/null 2>&1 || { echo "==> installing gettext"; apt_install gettext; }
if [ -d locale ]; then
  # compilemessages needs no secrets; the test settings module is enough to load Django.
  DJANGO_SETTINGS_MODULE=sibcase.settings.test .venv/bin/python manage.py compilemessages --verbosity 0 --ignore=.venv --ignore=node_modules
fi
