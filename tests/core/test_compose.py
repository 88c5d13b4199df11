"""docker-compose.yml keeps its promises: restarts, healthchecks, a Redis volume, least-privilege database roles."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def services():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


@pytest.mark.parametrize("name", ["web", "worker", "beat", "postgres", "redis"])
def test_long_running_services_restart_and_report_health(services, name):
    assert services[name]["restart"] == "unless-stopped"
    assert services[name]["healthcheck"]["test"]


def test_redis_keeps_its_data_on_a_volume(services):
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])
    assert "--appendonly" in services["redis"]["command"]


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_the_app_connects_as_the_role_that_owns_nothing(services, name):
    assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://sibcase_app:")
    assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_migrations_run_as_the_owner_and_then_grant_the_app_role(services):
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://sibcase_owner:")
    assert "migrate" in migrate["command"] and "bin/db_roles.sh grant" in migrate["command"]
    assert "migrate" not in services["web"]["command"]


def test_the_roles_are_created_when_the_database_is_initialised(services):
    assert any("bin/db_roles.sh:/docker-entrypoint-initdb.d/" in volume for volume in services["postgres"]["volumes"])
    assert (ROOT / "bin" / "db_roles.sh").stat().st_mode & 0o111  # the image runs it only if executable
