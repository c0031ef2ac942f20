"""Fix flows: a wrong AES key (enter the right one), a total that went down (accept it).

A meter whose telegrams keep failing the payload CRC needs its key; a meter total that went
down is accepted as the meter's new total (the meter was replaced or reset).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType

from .const import CONF_AES_KEY, CONF_METER_ID, DOMAIN
from .ha_compat import RepairsFlowResult, vol
from .meter_identity import normalize_key, subentry_address
from .signals import signal_accept_total

# The key field shows dots, never the key being typed.
KEY_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


class WrongKeyRepairFlow(RepairsFlow):
    """Ask for the meter's key, try it on the meter's latest telegram, store it."""

    def __init__(self, entry_id: str, subentry_id: str) -> None:
        self._entry_id = entry_id
        self._subentry_id = subentry_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Start at the key form."""
        return await self.async_step_key()

    async def async_step_key(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Validate and save the new key; the issue clears with the next good telegram."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or self._subentry_id not in entry.subentries:
            return self.async_abort(reason="meter_removed")
        subentry = entry.subentries[self._subentry_id]
        meter_id = subentry.data[CONF_METER_ID]
        # A bound meter's key is checked on its own telegrams, never on a same-digit neighbour's.
        meter = subentry_address(subentry) or meter_id
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                key = normalize_key(user_input[CONF_AES_KEY])
            except ValueError:
                errors[CONF_AES_KEY] = "invalid_key_format"
            else:
                runtime = getattr(entry, "runtime_data", None)
                heard = runtime.hub.heard if runtime is not None else None
                if heard is not None and heard.check_key(meter, key) is False:
                    errors[CONF_AES_KEY] = "invalid_key"
                else:
                    self.hass.config_entries.async_update_subentry(
                        entry,
                        subentry,
                        data={**subentry.data, CONF_AES_KEY: key.hex().upper()},
                    )
                    if heard is not None and heard.check_key(meter, key):
                        ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
                    return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="key",
            data_schema=vol.Schema({vol.Required(CONF_AES_KEY): KEY_SELECTOR}),
            errors=errors,
            description_placeholders={"meter_id": meter_id, "meter_name": subentry.title},
        )


class TotalDecreasedRepairFlow(RepairsFlow):
    """Confirm that the lower total is right; the sensor takes it and follows the meter again."""

    def __init__(self, entry_id: str, identifier: str, key: str) -> None:
        self._entry_id = entry_id
        self._identifier = identifier
        self._key = key

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Start at the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Accept the meter's latest total (the sensor withdraws the issue when it takes it)."""
        if user_input is not None:
            async_dispatcher_send(
                self.hass, signal_accept_total(self._entry_id, self._identifier, self._key)
            )
            return self.async_create_entry(data={})
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        placeholders = dict(issue.translation_placeholders or {}) if issue else {}
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            description_placeholders=placeholders,
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Home Assistant asks for the flow of a fixable issue raised by the gateway."""
    assert data is not None
    if data.get("flow") == "total_decreased":
        return TotalDecreasedRepairFlow(
            str(data["entry_id"]), str(data["meter_id"]), str(data["key"])
        )
    return WrongKeyRepairFlow(str(data["entry_id"]), str(data["subentry_id"]))
