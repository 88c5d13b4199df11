import datetime

import pytest
from django.core.exceptions import ValidationError

from families.identity import birth_date_from_identity_code, mask_identity_code, validate_identity_code


@pytest.mark.parametrize("code", ["010594Y923P", "010516B923K", "131052-9085", "010101A990M"])
def test_valid_temporary_codes_are_accepted(code):
    assert validate_identity_code(code) == code


def test_code_is_normalised_to_upper_case():
    assert validate_identity_code(" 010594y923p ") == "010594Y923P"


def test_bad_checksum_is_rejected_with_its_own_code():
    with pytest.raises(ValidationError) as exc:
        validate_identity_code("010594Y923A")
    assert exc.value.code == "identity_code_checksum"


def test_impossible_birth_date_is_rejected():
    with pytest.raises(ValidationError) as exc:
        validate_identity_code("310294-923A")
    assert exc.value.code == "identity_code_date"


@pytest.mark.parametrize("code", ["", "0105949923P", "010594Z923P", "010594-92"])
def test_malformed_codes_are_rejected(code):
    with pytest.raises(ValidationError) as exc:
        validate_identity_code(code)
    assert exc.value.code == "identity_code_format"


def test_error_message_does_not_repeat_the_code():
    with pytest.raises(ValidationError) as exc:
        validate_identity_code("010594Y923A")
    assert "010594" not in " ".join(exc.value.messages)


@pytest.mark.parametrize(
    ("code", "birth"),
    [
        ("010594Y923P", datetime.date(1994, 5, 1)),  # 2023 sign for the 1900s
        ("010594-923P", datetime.date(1994, 5, 1)),
        ("010516B923K", datetime.date(2016, 5, 1)),  # 2023 sign for the 2000s
        ("010516A923K", datetime.date(2016, 5, 1)),
    ],
)
def test_birth_date_follows_the_century_sign(code, birth):
    assert birth_date_from_identity_code(code) == birth


def test_old_and_new_century_signs_are_different_people():
    # Same digits, different sign: both valid, never normalised into one.
    assert validate_identity_code("010594-923P") != validate_identity_code("010594Y923P")


def test_mask_keeps_only_the_birth_date_part():
    assert mask_identity_code("010516B923K") == "010516*****"
