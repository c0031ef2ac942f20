"""The hub's repair issues: their ids, raising them and taking them back.

Each issue stands for one episode (a stick that stays away, a radio that stays quiet, a key
that keeps failing, a total that went down): raised once, withdrawn by itself when the episode
ends (see Home Assistant's developer docs, "Repairs"). The ids carry the entry (and the meter),
so two sticks never share an issue.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


def raise_wrong_key(
    hass: HomeAssistant, entry_id: str, identifier: str, meter_id: str, subentry_id: str
) -> None:
    """A configured meter's telegrams keep failing their check: offer to enter its key."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        wrong_key_issue_id(entry_id, identifier),
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="wrong_key",
        translation_placeholders={"meter_id": meter_id},
        data={"entry_id": entry_id, "subentry_id": subentry_id},
    )


def raise_stick_disconnected(hass: HomeAssistant, entry_id: str, port: str) -> None:
    """The stick stayed away longer than a reconnect takes."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        stick_issue_id(entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="stick_disconnected",
        translation_placeholders={"port": port},
    )


def raise_radio_quiet(
    hass: HomeAssistant,
    entry_id: str,
    port: str,
    model: str,
    minutes: int,
    *,
    translation_key: str = "radio_quiet",
) -> None:
    """The radio stayed quiet after being re-initialised (a network receiver: stayed quiet)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        quiet_radio_issue_id(entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=translation_key,
        translation_placeholders={"port": port, "model": model, "minutes": str(minutes)},
    )


def withdraw(hass: HomeAssistant, issue_id: str) -> None:
    """Take an issue back (nothing happens if it is not raised)."""
    ir.async_delete_issue(hass, DOMAIN, issue_id)


def quiet_radio_issue_id(entry_id: str) -> str:
    """Repair issue id of a radio that stays quiet after being re-initialised."""
    return f"radio_quiet_{entry_id}"


def stick_issue_id(entry_id: str) -> str:
    """Repair issue id of a stick that stays disconnected."""
    return f"stick_disconnected_{entry_id}"


def total_decreased_issue_id(entry_id: str, identifier: str, key: str) -> str:
    """Repair issue id of a meter total that went down (meter replaced or reset)."""
    return f"total_decreased_{entry_id}_{identifier}_{key}"


def wrong_key_issue_id(entry_id: str, identifier: str) -> str:
    """Repair issue id of a meter whose telegrams keep failing the payload CRC."""
    return f"wrong_key_{entry_id}_{identifier}"
