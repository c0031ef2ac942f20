"""BMeters RFM-AMB: room sensor sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/rfmamb.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="rfmamb",
    model="BMeters RFM-AMB",
    media="room sensor",
    detect=(mvt("BMT", 0x10, 0x1B),),
    fields=(
        FieldSpec("current_temperature_c", "external_temperature", "C"),
        FieldSpec("average_temperature_1h_c", "external_temperature", "C", storage=1),
        FieldSpec("average_temperature_24h_c", "external_temperature", "C", storage=2),
        FieldSpec(
            "maximum_temperature_1h_c", "external_temperature", "C", function=Function.MAXIMUM
        ),
        FieldSpec(
            "maximum_temperature_24h_c",
            "external_temperature",
            "C",
            storage=1,
            function=Function.MAXIMUM,
        ),
        FieldSpec(
            "minimum_temperature_1h_c", "external_temperature", "C", function=Function.MINIMUM
        ),
        FieldSpec(
            "minimum_temperature_24h_c",
            "external_temperature",
            "C",
            storage=1,
            function=Function.MINIMUM,
        ),
        FieldSpec("current_relative_humidity_rh", "humidity", "%RH"),
        FieldSpec("average_relative_humidity_1h_rh", "humidity", "%RH", storage=1),
        FieldSpec("average_relative_humidity_24h_rh", "humidity", "%RH", storage=2),
        FieldSpec("maximum_relative_humidity_1h_rh", "humidity", "%RH", function=Function.MAXIMUM),
        FieldSpec(
            "maximum_relative_humidity_24h_rh",
            "humidity",
            "%RH",
            storage=1,
            function=Function.MAXIMUM,
        ),
        FieldSpec("minimum_relative_humidity_1h_rh", "humidity", "%RH", function=Function.MINIMUM),
        FieldSpec(
            "minimum_relative_humidity_24h_rh",
            "humidity",
            "%RH",
            storage=1,
            function=Function.MINIMUM,
        ),
        TPL_STATUS_ERRORS,
    ),
)
