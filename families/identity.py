"""Finnish personal identity codes (henkilötunnus), validated with python-stdnum.

The century sign is part of the identity since 2023 (`-` or Y X W V U for the 1900s, A or B C D E F for the
2000s): it is never normalised away. Temporary codes (individual numbers 900–999) are accepted; all
synthetic people in demo and test data use them.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fi import hetu

# The stored form: upper case, no spaces. Checksum characters never include G, I, O, Q or Z.
IDENTITY_CODE_REGEX = r"^[0-9]{6}[-+ABCDEFUVWXY][0-9]{3}[0-9ABCDEFHJKLMNPRSTUVWXY]$"


def normalize_identity_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_identity_code(value: str) -> str:
    """Return the code in stored form or raise a ValidationError that never repeats the code itself."""
    code = normalize_identity_code(value)
    try:
        return hetu.validate(code, allow_temporary=True)
    except InvalidChecksum:
        raise ValidationError(_("Henkilötunnuksen tarkistemerkki ei täsmää."), code="identity_code_checksum") from None
    except InvalidComponent:
        raise ValidationError(
            _("Henkilötunnuksen syntymäaika ei ole kelvollinen päivämäärä."), code="identity_code_date"
        ) from None
    except (InvalidFormat, InvalidLength):
        raise ValidationError(
            _("Henkilötunnuksen muoto on virheellinen (esim. 010516B923K)."), code="identity_code_format"
        ) from None
    except StdnumError:
        raise ValidationError(_("Henkilötunnus ei ole kelvollinen."), code="identity_code_invalid") from None


_CENTURY_BY_SIGN = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}


def birth_date_from_identity_code(code: str) -> datetime.date:
    """The birth date the (already validated) code encodes; the century sign gives the century."""
    code = hetu.compact(code)
    return datetime.date(_CENTURY_BY_SIGN[code[6]] + int(code[4:6]), int(code[2:4]), int(code[0:2]))


_CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def make_temporary_identity_code(birth: datetime.date, individual: int) -> str:
    """A synthetic code for demo and test people: individual number 900–999, old-style century sign."""
    if not 900 <= individual <= 999:
        raise ValueError("synthetic identity codes use individual numbers 900–999 only")
    sign = {1800: "+", 1900: "-", 2000: "A"}[birth.year // 100 * 100]
    digits = f"{birth:%d%m}{birth.year % 100:02d}"
    return f"{digits}{sign}{individual:03d}{_CHECK_CHARACTERS[int(digits + f'{individual:03d}') % 31]}"


def mask_identity_code(code: str) -> str:
    """Show the birth date part only: 010516B923Y → 010516*****."""
    return f"{code[:6]}*****" if code else ""
