"""What a person reads instead of an internal code: audit event types and refusal codes as translated labels.

The codes stay in the database, the API and the logs (they are stable and machine-readable); pages show these
labels through the `labels` template filters. A code without a label shows a general label, never the code.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

AUDIT_EVENT_LABELS: dict[str, Promise] = {
    "family.created": _("Perhe kirjattiin"),
    "child.created": _("Lapsi kirjattiin"),
    "guardian.created": _("Huoltaja kirjattiin"),
    "family.data_corrected": _("Perheen tietoja korjattiin"),
    "note.created": _("Asiakaskertomukseen kirjoitettiin"),
    "attachment.created": _("Liite tallennettiin"),
    "child.data_corrected": _("Lapsen tietoja korjattiin"),
    "guardian.data_corrected": _("Huoltajan tietoja korjattiin"),
    "referral.created": _("Ohjaus kirjattiin"),
    "consent.given": _("Suostumus kirjattiin"),
    "consent.withdrawn": _("Suostumus peruttiin"),
    "consent.corrected": _("Suostumuksen tietoja korjattiin"),
    "consent.voided": _("Virheellisesti kirjattu suostumus mitätöitiin"),
    "child.identity_code_corrected": _("Lapsen henkilötunnus korjattiin"),
    "guardian.identity_code_corrected": _("Huoltajan henkilötunnus korjattiin"),
    "enrollment.created": _("Perhe otettiin mukaan ohjelmaan"),
    "enrollment.backdating_approved": _("Takautuva mukaanotto hyväksyttiin"),
    "enrollment.exited": _("Osallistuminen päätettiin"),
    "enrollment.activated": _("Perhe siirtyi jonosta mukaan ohjelmaan"),
    "assignment.created": _("Vastuuhenkilö nimettiin"),
    "assignment.handed_over": _("Vastuu siirrettiin toiselle työntekijälle"),
    "assignment.ended": _("Varahenkilön tehtävä päättyi"),
    "assignment.ended_by_transfer": _("Vastuunjako päättyi kuntasiirrossa"),
    "referral.withdrawn_by_transfer": _("Ohjaus peruttiin kuntasiirrossa"),
    "transfer.requested": _("Siirtoa toiseen kuntaan pyydettiin"),
    "transfer.accepted": _("Kuntasiirto hyväksyttiin"),
    "transfer.declined": _("Kuntasiirtoa ei hyväksytty"),
    "transfer.cancelled": _("Kuntasiirtopyyntö peruttiin"),
    "assessment.created": _("Palvelutarpeen arvio kirjattiin"),
    "assessment.corrected": _("Palvelutarpeen arviota korjattiin"),
    "episode.created": _("Palvelujakso kirjattiin"),
    "episode.closed": _("Palvelujakso päättyi osallistumisen päättyessä"),
    "task.created": _("Tehtävä syntyi"),
    "task.resolved": _("Tehtävä ratkesi"),
    "task.done": _("Tehtävä merkittiin tehdyksi"),
    "visit.created": _("Tapaaminen kirjattiin"),
    "observation.created": _("Tulostieto kirjattiin"),
    "observations.imported": _("Tulostietoja tuotiin tiedostosta"),
    "observations.import_queued": _("Tulostietojen tuonti jonossa"),
    "observations.import_failed": _("Tulostietojen tuonti epäonnistui"),
    "observation.corrected": _("Tulostietoa korjattiin"),
    "observation.voided": _("Tulostieto mitätöitiin"),
    "unit_cost.recorded": _("Yksikkökustannus kirjattiin"),
    "unit_cost.corrected": _("Yksikkökustannusta korjattiin"),
    "programme.window_changed": _("Ilmoittautumisikkunaa muutettiin"),
    "eligibility_rule.created": _("Kelpoisuussääntö lisättiin"),
    "eligibility_rule.changed": _("Kelpoisuussääntöä muutettiin"),
    "backdating_request.created": _("Takautuvaa kirjausta pyydettiin"),
    "backdating_request.approved": _("Takautuva kirjaus hyväksyttiin"),
    "backdating_request.rejected": _("Takautuva kirjaus hylättiin"),
    "investor.created": _("Sijoittaja kirjattiin"),
    "investor_flow.commitment": _("Sijoitussitoumus kirjattiin"),
    "investor_flow.drawdown": _("Pääomakutsu kirjattiin"),
    "investor_flow.distribution": _("Tuotonjako kirjattiin"),
    "comparison_cost.recorded": _("Vertailuryhmän kustannus kirjattiin"),
    "payment_run.requested": _("Laskentaa pyydettiin"),
    "payment_run.request_merged": _("Laskentapyyntö yhdistettiin avoimeen ajoon"),
    "payment_run.requeued": _("Laskenta lähetettiin uudelleen työjonoon"),
    "payment_run.failed": _("Laskenta epäonnistui"),
    "payment_run.retried": _("Epäonnistunutta laskentaa yritettiin uudelleen"),
    "payment_terms.drafted": _("Maksuehtojen luonnos kirjattiin"),
    "payment_terms.in_force": _("Maksuehdot saatettiin voimaan"),
    "statement.recalculated": _("Tulospalkkiolaskelma laskettiin uudelleen"),
    "statement.sample_drawn": _("Tarkastusotos poimittiin"),
    "statement.sample_item_checked": _("Otoksen havainto tarkastettiin"),
    "statement.first_approval": _("Laskelma sai ensimmäisen hyväksynnän"),
    "statement.calculated": _("Tulospalkkiolaskelma laskettiin"),
    "statement.draft": _("Laskelma palautettiin luonnokseksi"),
    "statement.validated": _("Laskelma merkittiin tarkastetuksi"),
    "statement.approved": _("Laskelma hyväksyttiin maksettavaksi"),
    "statement.paid": _("Laskelma kirjattiin maksetuksi"),
    # Privacy lifecycle (families/retention.py, break_glass.py, privacy.py).
    "family.retention_set": _("Säilytysaika asetettiin"),
    "family.retention_due": _("Säilytysaika päättyi"),
    "erasure.proposed": _("Tietojen poistoa ehdotettiin"),
    "erasure.approved": _("Tietojen poisto hyväksyttiin ja toteutettiin"),
    "erasure.rejected": _("Tietojen poisto hylättiin"),
    "break_glass.opened": _("Poikkeuksellinen pääsy avattiin"),
    "break_glass.reviewed": _("Poikkeuksellinen pääsy tarkastettiin"),
    "subject_access.exported": _("Tarkastuspyynnön tuloste tehtiin"),
    "signin.password": _("Kirjautuminen: salasana hyväksyttiin"),
    "signin.second_factor": _("Kirjautuminen: vahvistuskoodi hyväksyttiin"),
    "signin.second_factor_failed": _("Kirjautuminen: väärä vahvistuskoodi"),
    "signin.second_factor_enrolled": _("Todennussovellus otettiin käyttöön"),
    "signin.single_sign_on": _("Kirjautuminen kertakirjautumisella"),
    "signin.signed_out": _("Uloskirjautuminen"),
    "api_token.created": _("API-tunniste luotiin"),
    "api_token.revoked": _("API-tunniste peruttiin"),
}

# The object part of an event type, for a type that has no label of its own yet.
AUDIT_OBJECT_LABELS: dict[str, Promise] = {
    "family": _("Perhe"),
    "child": _("Lapsi"),
    "guardian": _("Huoltaja"),
    "referral": _("Ohjaus"),
    "consent": _("Suostumus"),
    "enrollment": _("Ohjelmajakso"),
    "assignment": _("Vastuunjako"),
    "transfer": _("Kuntasiirto"),
    "task": _("Tehtävä"),
    "note": _("Asiakaskertomus"),
    "attachment": _("Liite"),
    "assessment": _("Palvelutarpeen arvio"),
    "episode": _("Palvelujakso"),
    "visit": _("Tapaaminen"),
    "observation": _("Tulostieto"),
    "programme": _("Ohjelma"),
    "statement": _("Tulospalkkiolaskelma"),
    "payment_terms": _("Maksuehdot"),
    "unit_cost": _("Yksikkökustannus"),
}

REFUSAL_LABELS: dict[str, Promise] = {
    "programme_other_municipality": _("Toisen kunnan ohjelma"),
    "date_in_future": _("Päivä tulevaisuudessa"),
    "enrollment_not_open": _("Ilmoittautuminen ei ollut vielä alkanut"),
    "enrollment_closed": _("Ohjelma ei ota uusia perheitä"),
    "backdating_requires_approval": _("Takautuva kirjaus vaatii koordinaattorin hyväksynnän"),
    "backdating_approver_not_coordinator": _("Hyväksyjä ei ole ohjelman koordinaattori"),
    "consent_missing": _("Suostumus puuttuu"),
    "already_enrolled": _("Perhe on jo mukana"),
    "no_children": _("Lapsia ei valittu"),
    "child_not_in_family": _("Lapsi ei kuulu perheeseen"),
    "referral_mismatch": _("Ohjaus koskee toista perhettä tai ohjelmaa"),
    "not_eligible": _("Ei täytä ohjelman ehtoja"),
    "eligibility_unknown": _("Kelpoisuutta ei voitu ratkaista"),
    "capacity_full": _("Ohjelma on täynnä"),
}


def audit_event_label(event_type: str) -> str:
    """The label of an audit event type, e.g. "consent.given" → "Suostumus kirjattiin"."""
    label = AUDIT_EVENT_LABELS.get(event_type)
    if label is not None:
        return str(label)
    subject = AUDIT_OBJECT_LABELS.get(event_type.split(".", 1)[0])
    return str(_("%(subject)s: muutos") % {"subject": subject}) if subject else str(_("Kirjaus"))


def refusal_label(code: str) -> str:
    """The label of an enrollment refusal code, e.g. "enrollment_closed" → "Ohjelma ei ota uusia perheitä"."""
    label = REFUSAL_LABELS.get(code)
    return str(label) if label is not None else str(_("Muu syy"))
