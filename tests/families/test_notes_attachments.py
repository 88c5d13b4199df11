"""Case notes and attachments: type and size checks, stored outside the web root, served only access-checked."""

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from families.models import CaseAttachment, CaseNote
from families.records import MAX_ATTACHMENT_BYTES, attachment_add
from sibcase.errors import DomainError
from sibcase.models import AccessLogEntry, Role

from ..factories import FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def family(municipality):
    return FamilyFactory(municipality=municipality)


def _token(client, url: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)


def test_a_pdf_is_stored_under_a_random_name_in_the_private_root(family, social_worker):
    attachment = attachment_add(
        actor=social_worker,
        family=family,
        kind="signed_consent",
        upload=SimpleUploadedFile("Suostumus Virtanen.pdf", PDF),
    )
    assert attachment.file.path.startswith(str(settings.MEDIA_ROOT))
    assert "Virtanen" not in attachment.file.name
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "Suostumus Virtanen.pdf",
        "application/pdf",
        len(PDF),
    )


def test_a_renamed_html_page_is_refused(family, social_worker):
    with pytest.raises(DomainError) as exc:
        attachment_add(
            actor=social_worker, family=family, kind="decision", upload=SimpleUploadedFile("paatos.pdf", b"<html>")
        )
    assert exc.value.codes == ["attachment_content"]
    assert not CaseAttachment.objects.exists()


def test_an_executable_type_is_refused(family, social_worker):
    with pytest.raises(DomainError) as exc:
        attachment_add(actor=social_worker, family=family, kind="other", upload=SimpleUploadedFile("x.exe", b"MZ"))
    assert exc.value.codes == ["attachment_type"]


def test_a_too_large_file_is_refused(family, social_worker):
    upload = SimpleUploadedFile("iso.pdf", PDF + b"0" * MAX_ATTACHMENT_BYTES)
    with pytest.raises(DomainError) as exc:
        attachment_add(actor=social_worker, family=family, kind="decision", upload=upload)
    assert exc.value.codes == ["attachment_too_large"]


def test_download_is_logged_and_sent_as_a_download(client, family, social_worker):
    attachment = attachment_add(
        actor=social_worker, family=family, kind="decision", upload=SimpleUploadedFile("p.pdf", PDF)
    )
    client.force_login(social_worker)
    response = client.get(reverse("families:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert AccessLogEntry.objects.filter(user=social_worker, family_id=family.pk, path__contains="attachments").exists()


def test_another_municipalitys_attachment_is_404(client, family, social_worker):
    attachment = attachment_add(
        actor=social_worker, family=family, kind="decision", upload=SimpleUploadedFile("p.pdf", PDF)
    )
    outsider = UserFactory(role=Role.SOCIAL_WORKER)
    client.force_login(outsider)
    assert client.get(reverse("families:attachment_download", args=[attachment.pk])).status_code == 404


def test_provider_worker_cannot_open_attachments(client, family, social_worker):
    attachment = attachment_add(
        actor=social_worker, family=family, kind="decision", upload=SimpleUploadedFile("p.pdf", PDF)
    )
    client.force_login(UserFactory(role=Role.PROVIDER_WORKER))
    assert client.get(reverse("families:attachment_download", args=[attachment.pk])).status_code == 403


def test_media_is_not_served_by_any_url(client, family, social_worker):
    attachment = attachment_add(
        actor=social_worker, family=family, kind="decision", upload=SimpleUploadedFile("p.pdf", PDF)
    )
    client.force_login(social_worker)
    assert client.get("/media/" + attachment.file.name).status_code == 404
    assert client.get("/" + attachment.file.name).status_code == 404


def test_upload_page_saves_the_attachment(client, family, social_worker):
    client.force_login(social_worker)
    url = reverse("families:attachment_create", args=[family.pk])
    response = client.post(
        url,
        {
            "kind": "signed_consent",
            "file": SimpleUploadedFile("s.pdf", PDF),
            "description": "",
            "form_token": _token(client, url),
        },
    )
    assert response.status_code == 302
    assert CaseAttachment.objects.filter(family=family).count() == 1


def test_note_page_writes_a_note_shown_on_the_family_page(client, family, social_worker):
    client.force_login(social_worker)
    url = reverse("families:case_note_create", args=[family.pk])
    response = client.post(
        url, {"written_on": "1.2.2024", "text": "Kotikäynti tehty.", "form_token": _token(client, url)}
    )
    assert response.status_code == 302
    assert CaseNote.objects.get().created_by == social_worker
    assert "Kotikäynti tehty." in client.get(reverse("families:detail", args=[family.pk])).content.decode()
