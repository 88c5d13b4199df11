"""The second factor in tests: a real confirmed TOTP device per user and the current code computed from its key."""

from __future__ import annotations

import time

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_totp_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)
    return device


def current_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now (or `offset_steps` steps away), as django-otp computes it."""
    t0 = device.t0 + offset_steps * device.step
    return f"{totp(device.bin_key, device.step, t0, device.digits, device.drift):0{device.digits}d}"


def fresh_code(device: TOTPDevice) -> str:
    """A code that this device has not accepted yet (django-otp refuses a code used once): waits for the next step
    if the current one was already spent."""
    device.refresh_from_db()
    while device.last_t >= int((time.time() - device.t0) // device.step):
        time.sleep(0.5)
    return current_code(device)
