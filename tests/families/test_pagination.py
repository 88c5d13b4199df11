"""The family list and the API lists count at most COUNT_CAP + 1 rows (issue 14): exact totals up to the cap, "over
N" past it, and page navigation that works at any depth."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from sibcase import pagination

from ..factories import (
    ChildFactory,
    EnrollmentFactory,
    FamilyFactory,
    OutcomeObservationFactory,
    ServiceEpisodeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_client(client, social_worker):
    client.force_login(social_worker)
    return client


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 3 and a cap of 5, so a handful of families crosses both."""
    monkeypatch.setattr("families.views.PAGE_SIZE", 3)
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)


def _families(municipality, n):
    return sorted((FamilyFactory(municipality=municipality) for _ in range(n)), key=lambda f: f.reference)


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_first_page_under_the_cap_shows_the_exact_total_and_a_next_link(worker_client, municipality, small_pages):
    families = _families(municipality, 4)
    response = worker_client.get(reverse("families:list"))
    text = _text(response)
    assert "4 perhettä" in text
    assert "Sivu 1 / 2" in text
    assert 'href="?page=2" rel="next"' in text
    assert families[0].reference in text and families[3].reference not in text


def test_last_page_under_the_cap_has_a_previous_link_and_no_next(worker_client, municipality, small_pages):
    families = _families(municipality, 4)
    text = _text(worker_client.get(reverse("families:list") + "?page=2"))
    assert "Sivu 2 / 2" in text
    assert 'href="?page=1" rel="prev"' in text
    assert 'rel="next"' not in text
    assert families[3].reference in text and families[0].reference not in text


def test_past_the_cap_the_page_says_over_the_cap_without_a_page_total(worker_client, municipality, small_pages):
    _families(municipality, 8)
    text = _text(worker_client.get(reverse("families:list")))
    assert "Yli 5 perhettä" in text
    assert "Sivu 1" in text and "Sivu 1 /" not in text
    assert 'href="?page=2" rel="next"' in text


def test_past_the_cap_next_pages_are_reachable_to_the_last_row(worker_client, municipality, small_pages):
    families = _families(municipality, 8)
    second = _text(worker_client.get(reverse("families:list") + "?page=2"))
    assert 'href="?page=3" rel="next"' in second
    third = _text(worker_client.get(reverse("families:list") + "?page=3"))
    assert "Sivu 3" in third
    assert 'rel="next"' not in third
    assert families[6].reference in third and families[7].reference in third
    assert 'href="?page=1">Ensimmäinen' in third


def test_over_the_cap_is_translated(worker_client, municipality, small_pages):
    _families(municipality, 8)
    worker_client.cookies["django_language"] = "en"
    text = _text(worker_client.get(reverse("families:list"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Over 5 families" in text


def test_the_count_stops_at_the_cap(worker_client, municipality, small_pages):
    _families(municipality, 8)
    with CaptureQueriesContext(connection) as queries:
        worker_client.get(reverse("families:list"))
    (count,) = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert "LIMIT 6" in count
    assert "ORDER BY" not in count


def test_a_first_page_that_is_not_full_needs_no_count(worker_client, municipality, small_pages):
    _families(municipality, 2)
    with CaptureQueriesContext(connection) as queries:
        response = worker_client.get(reverse("families:list"))
    assert "2 perhettä" in _text(response)
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_api_family_list_reports_a_capped_count_and_a_next_link(social_worker, municipality, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    _families(municipality, 8)
    api = APIClient()
    api.force_authenticate(social_worker)
    first = api.get("/api/families/", {"page_size": 3}).json()
    assert (first["count"], first["count_capped"]) == (5, True)
    assert first["next"] and "page=2" in first["next"]
    last = api.get("/api/families/", {"page_size": 3, "page": 3}).json()
    assert len(last["results"]) == 2
    assert last["next"] is None


def test_api_family_list_under_the_cap_counts_exactly(social_worker, municipality):
    _families(municipality, 4)
    api = APIClient()
    api.force_authenticate(social_worker)
    body = api.get("/api/families/", {"page_size": 3}).json()
    assert (body["count"], body["count_capped"]) == (4, False)


def test_the_count_reads_no_row_contents(worker_client, municipality, small_pages):
    _families(municipality, 8)
    with CaptureQueriesContext(connection) as queries:
        worker_client.get(reverse("families:list"))
    (count,) = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert "families_child" not in count and "ARRAY" not in count.upper()


@pytest.mark.parametrize("url", ["/api/episodes/", "/api/observations/"])
def test_api_episode_and_observation_lists_count_only_up_to_the_cap(social_worker, municipality, monkeypatch, url):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    family = FamilyFactory(municipality=municipality)
    child = ChildFactory(family=family)
    enrollment = EnrollmentFactory(family=family)
    for day in range(1, 6):
        ServiceEpisodeFactory(enrollment=enrollment, start_date=datetime.date(2024, 2, day))
        OutcomeObservationFactory(child=child, period_start=datetime.date(2024, 3, day))
    api = APIClient()
    api.force_authenticate(social_worker)
    body = api.get(url, {"page_size": 2}).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (3, True, 2)
    assert body["next"]
