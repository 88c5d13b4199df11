"""Writes of case notes and attachments.

Attachments are checked before anything is stored: at most MAX_ATTACHMENT_BYTES, and only PDF, PNG or JPEG, by
the file's own first bytes (its signature) matching its name's extension, so a renamed executable or HTML page is
refused. The file is kept under a random name in PRIVATE_FILES_ROOT, which no URL serves; its SHA-256 is recorded.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import uuid

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import User

from .models import AttachmentKind, CaseAttachment, CaseNote, Family

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# extension → (content type, the signatures a file of that type starts with)
ALLOWED_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


def case_note_add(*, actor: User, family: Family, text: str, written_on: datetime.date | None = None) -> CaseNote:
    text = text.strip()
    if not text:
        raise DomainError(Problem("note_empty", _("Kirjoita merkintä.")), field_name="text")
    written_on = written_on or timezone.localdate()
    if written_on > timezone.localdate():
        raise DomainError(Problem("date_in_future", _("Päivä ei voi olla tulevaisuudessa.")), field_name="written_on")
    with transaction.atomic():
        note = CaseNote.objects.create(family=family, text=text, written_on=written_on, created_by=actor)
        audit_record(actor=actor, event_type="note.created", obj=note, new={"family": family.pk})
    return note


def _refuse(code: str, message) -> None:
    raise DomainError(Problem(code, message), field_name="file")


def attachment_add(
    *, actor: User, family: Family, kind: str, upload: UploadedFile, description: str = ""
) -> CaseAttachment:
    if kind not in AttachmentKind.values:
        raise DomainError(Problem("attachment_kind_unknown", _("Valitse asiakirjan laji.")), field_name="kind")
    if not upload.size:
        _refuse("attachment_empty", _("Tiedosto on tyhjä."))
    if upload.size > MAX_ATTACHMENT_BYTES:
        _refuse(
            "attachment_too_large",
            _("Tiedosto on liian suuri (enintään %(mb)s Mt).") % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
        )
    extension = os.path.splitext(upload.name or "")[1].lower()
    allowed = ALLOWED_TYPES.get(extension)
    if allowed is None:
        _refuse("attachment_type", _("Vain PDF-, PNG- ja JPEG-tiedostot käyvät."))
    content_type, signatures = allowed
    upload.seek(0)
    head = upload.read(16)
    if not any(head.startswith(signature) for signature in signatures):
        _refuse("attachment_content", _("Tiedoston sisältö ei vastaa sen tyyppiä (%(ext)s).") % {"ext": extension})
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = CaseAttachment(
        family=family,
        kind=kind,
        original_name=os.path.basename(upload.name)[:200],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        description=description.strip(),
        uploaded_by=actor,
    )
    # A random stored name: the original (which may carry a person's name) stays only in the database.
    attachment.file.save(f"{uuid.uuid4().hex}{extension}", upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            audit_record(
                actor=actor,
                event_type="attachment.created",
                obj=attachment,
                new={"family": family.pk, "kind": kind, "size": attachment.size, "sha256": attachment.sha256},
            )
    except Exception:
        attachment.file.delete(save=False)  # no orphan file for a row that was never saved
        raise
    return attachment
