"""ReCalc channel plans: which values of a meter type go to which ReCalc channel.

No Home Assistant import. A plan is data (a shipped ``channels/<profile>.json``, or the user's
``<config>/wmbus/recalc/<profile>.yaml`` read by ``channel_files.py``); this module checks one
and loads the shipped ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import Final

# --- channels (ReMoni ReCalc MQTT API v2: config and data topics) ------------------------
#
# What a meter type sends to ReCalc is data: a channel plan per meter profile, shipped in
# channels/<profile>.json and replaced or added by the user with
# <config>/wmbus/recalc/<profile>.yaml (same keys; JSON is YAML too). A plan names, per channel,
# its number, ReCalc DataType, ChannelName and the reading field it carries.

SHIPPED_PLANS_DIR: Final = Path(__file__).parent / "channels"
DEFAULT_PROFILE: Final = "omnipower"
"""The meter type of a ReCalc meter nothing else tells about (the original gateway's only one)."""
MAX_CHANNELS: Final = 64
_PLAN_KEYS: Final = frozenset({"about", "recalc_device_keys", "channels"})
_CHANNEL_KEYS: Final = frozenset({"number", "data_type", "name", "field"})


@dataclass(frozen=True, slots=True)
class Channel:
    """One ReCalc channel and the reading field it carries."""

    number: int
    data_type: str
    name: str
    field_key: str
    """The reading's value (or field) key the channel carries, "field" in a channel file."""


class ChannelPlanError(ValueError):
    """A channel file that cannot be used; the message says why (never the file's content)."""


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    """The ReCalc channels of one meter type and the config payload they make."""

    profile: str
    channels: tuple[Channel, ...]
    device_keys: tuple[str, ...] = ()
    """Prefixes of ReCalc's manufacturerDeviceKey that name this meter type (any case)."""
    source: str = ""
    config_payload: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        payload = json.dumps(
            {
                "Channels": [
                    {"ChannelNumber": c.number, "DataType": c.data_type, "ChannelName": c.name}
                    for c in self.channels
                ]
            }
        )
        object.__setattr__(self, "config_payload", payload)

    def names_device(self, device_key: str) -> bool:
        """Whether ReCalc's manufacturerDeviceKey says a meter is of this type."""
        folded = device_key.casefold()
        return any(folded.startswith(prefix.casefold()) for prefix in self.device_keys)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ChannelPlanError(f"{what} must be a non-empty text")
    return value


def channel_plan(document: object, profile: str, source: str = "") -> ChannelPlan:
    """Validate a parsed channel file as a whole; raises ChannelPlanError with the reason."""
    if not isinstance(document, Mapping):
        raise ChannelPlanError("the file must be a mapping with a 'channels' list")
    unknown = sorted(str(k) for k in document if k not in _PLAN_KEYS)
    if unknown:
        raise ChannelPlanError(f"unknown key {unknown[0]!r} (known: channels, recalc_device_keys)")
    items = document.get("channels")
    if not isinstance(items, list) or not items:
        raise ChannelPlanError("'channels' must be a non-empty list")
    if len(items) > MAX_CHANNELS:
        raise ChannelPlanError(f"more than {MAX_CHANNELS} channels")
    channels: list[Channel] = []
    for index, item in enumerate(items, start=1):
        where = f"channel {index}"
        if not isinstance(item, Mapping):
            raise ChannelPlanError(f"{where} must be a mapping")
        missing = sorted(_CHANNEL_KEYS - item.keys())
        if missing:
            raise ChannelPlanError(f"{where} lacks {missing[0]!r}")
        extra = sorted(str(k) for k in item if k not in _CHANNEL_KEYS)
        if extra:
            raise ChannelPlanError(f"{where} has an unknown key {extra[0]!r}")
        number = item["number"]
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 255:
            raise ChannelPlanError(f"{where}: number must be a whole number from 1 to 255")
        if any(c.number == number for c in channels):
            raise ChannelPlanError(f"{where}: channel number {number} is used twice")
        channels.append(
            Channel(
                number,
                _text(item["data_type"], f"{where}: data_type"),
                _text(item["name"], f"{where}: name"),
                _text(item["field"], f"{where}: field"),
            )
        )
    device_keys = document.get("recalc_device_keys", [])
    if not isinstance(device_keys, list):
        raise ChannelPlanError("'recalc_device_keys' must be a list of texts")
    return ChannelPlan(
        profile,
        tuple(channels),
        tuple(_text(key, "a recalc_device_keys entry") for key in device_keys),
        source,
    )


def load_shipped_plans(directory: Path = SHIPPED_PLANS_DIR) -> dict[str, ChannelPlan]:
    """The channel plans shipped with the integration, by profile (blocking file I/O).

    A broken shipped file is a bug of the integration: it raises.
    """
    plans: dict[str, ChannelPlan] = {}
    for path in sorted(directory.glob("*.json")):
        plans[path.stem] = channel_plan(
            json.loads(path.read_text(encoding="utf-8")), path.stem, str(path)
        )
    return plans
