"""Who a meter is in Home Assistant: its identifier, its bound address, its key, its maker's name.

Meters are known by their whole address (manufacturer, id, version, device type): a neighbour's
meter with the same 8 digits is another meter, and the user's key is never tried on it. A meter
added by its digits alone (typed, or by ReCalc) is bound to the address of its first telegram
that decodes with its key; the address is then kept in its subentry.

In Home Assistant a meter is its *identifier* (device, entity unique ids, fields Store, repair
issues): its 8 digits, as always, or, for a meter set up beside another one with the same
digits, digits and address (see ``identifier_for``).
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Final

from homeassistant.config_entries import ConfigSubentry

from .const import (
    CONF_AES_KEY,
    CONF_DEVICE_TYPE,
    CONF_MANUFACTURER,
    CONF_METER_ID,
    CONF_VERSION,
)
from .protocol.frame import MeterAddress

_LOGGER = logging.getLogger(__name__)

# Names of the FLAG codes (the M-field's three letters) of common meter makers; others are
# shown as their code. Proper names: not translated.
MANUFACTURER_NAMES: Final[Mapping[str, str]] = {
    "ABB": "ABB",
    "ACW": "Itron (Actaris)",
    "AMT": "Aquametro",
    "APA": "Apator",
    "AXI": "Axioma Metering",
    "BMT": "BMETERS",
    "DME": "Diehl Metering",
    "DWZ": "Lorenz",
    "EFE": "Engelmann",
    "ELR": "Elster",
    "ELS": "Elster",
    "ELV": "Elvaco",
    "EMH": "EMH metering",
    "GAV": "Carlo Gavazzi",
    "GWF": "GWF",
    "HYD": "Diehl Metering (Hydrometer)",
    "IST": "ista",
    "ITW": "Itron",
    "KAM": "Kamstrup",
    "LAS": "Lansen",
    "LSE": "Qundis (Landis+Gyr)",
    "LUG": "Landis+Gyr",
    "MAD": "Maddalena",
    "QDS": "Qundis",
    "SAP": "Diehl Metering (Sappel)",
    "SEN": "Sensus",
    "SON": "Sontex",
    "TCH": "Techem",
    "ZRI": "Zenner",
}


def normalize_key(text: str) -> bytes:
    """Turn user text into a 16-byte AES key: any case, spaces and dashes ignored.

    Raises ValueError with a message that never repeats the key.
    """
    cleaned = "".join(text.split()).replace("-", "").replace(":", "")
    if len(cleaned) != 32:
        raise ValueError(f"an AES-128 key has 32 hex digits, got {len(cleaned)}")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise ValueError("the key contains characters that are not hex digits") from None


def identifier_for(subentry: ConfigSubentry) -> str:
    """A meter subentry's identifier in Home Assistant: its unique id.

    That is the meter's 8 digits (so devices and entities of meters set up before meters were
    keyed by address keep their ids), or ``new_identifier``'s digits and address for a meter
    set up beside another one with the same digits.
    """
    return subentry.unique_id or str(subentry.data[CONF_METER_ID])


def new_identifier(address: MeterAddress, taken: set[str]) -> str:
    """The identifier (and subentry unique id) of a meter being set up.

    Its digits, unless a meter with them is set up already: then digits and address, e.g.
    ``32666857_zri_30_07``.
    """
    if address.meter_id not in taken:
        return address.meter_id
    return (
        f"{address.meter_id}_{address.manufacturer.lower()}"
        f"_{address.version:02x}_{address.device_type:02x}"
    )


def subentry_address(subentry: ConfigSubentry) -> MeterAddress | None:
    """The whole address a meter subentry is bound to; None until one of its telegrams decodes.

    Subentries from before meters were keyed by address have none and bind on their next good
    telegram; a damaged address is treated the same way.
    """
    data = subentry.data
    manufacturer = data.get(CONF_MANUFACTURER)
    if manufacturer is None:
        return None
    try:
        address = MeterAddress(
            str(manufacturer),
            str(data[CONF_METER_ID]),
            int(data[CONF_VERSION]),
            int(data[CONF_DEVICE_TYPE]),
        )
        _wire = address.wire  # raises ValueError for what no meter can send
    except (KeyError, TypeError, ValueError):
        _LOGGER.warning("Meter %s: ignoring a damaged stored address", data.get(CONF_METER_ID))
        return None
    return address


def address_data(address: MeterAddress) -> dict[str, str | int]:
    """The subentry data that binds a meter to ``address`` (its id is stored already)."""
    return {
        CONF_MANUFACTURER: address.manufacturer,
        CONF_VERSION: address.version,
        CONF_DEVICE_TYPE: address.device_type,
    }


def subentry_key(subentry: ConfigSubentry) -> bytes | None:
    """A meter subentry's AES key; None for a meter added without one (it sends in clear)."""
    text = subentry.data.get(CONF_AES_KEY) or ""
    return bytes.fromhex(text) if text else None


def manufacturer_name(code: str) -> str:
    """The maker's name for a FLAG code, or the code itself."""
    return MANUFACTURER_NAMES.get(code, code)
