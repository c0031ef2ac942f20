"""Constants shared by the Home Assistant side of the integration."""

from typing import Final

DOMAIN: Final = "wmbus"

# Config entry data (one entry per stick).
CONF_PORT: Final = "port"
# The USB adapter's serial number, when known: lets a re-enumerated stick be found again.
CONF_USB_SERIAL: Final = "usb_serial_number"
# Which kind of radio the entry is (a registry name); entries from before there was a second
# radio have none and are iM871A sticks.
CONF_RADIO: Final = "radio"
DEFAULT_RADIO: Final = "im871a"
# Options.
CONF_LINK_MODE: Final = "link_mode"
# A radio that used to hear telegrams and hears none this long is re-initialised (0: never).
CONF_QUIET_AFTER_MIN: Final = "quiet_after_min"
DEFAULT_QUIET_AFTER_MIN: Final = 30
CONF_UNAVAILABLE_AFTER_MIN: Final = "unavailable_after_min"
DEFAULT_LINK_MODE: Final = "c1a"
DEFAULT_UNAVAILABLE_AFTER_MIN: Final = 15

# Meter subentries.
SUBENTRY_METER: Final = "meter"
# Further receivers of a home (the entry's own radio stays in its data): ``radio`` and ``port``
# as an entry's, the port being the receiver's address (serial port, host:port, topic filter).
SUBENTRY_RECEIVER: Final = "receiver"
# Not a kind of subentry that is ever stored: the stick's "Import keys" entry point, a subentry
# flow that adds and updates meter subentries from a Kamstrup KEM file.
SUBENTRY_KEM_IMPORT: Final = "kem_import"
CONF_METER_ID: Final = "meter_id"
CONF_AES_KEY: Final = "aes_key"
CONF_NAME: Final = "name"
# The rest of a meter's whole address beside its id (stored once known: from the heard list,
# or learnt from its first telegram that decodes); two meters sharing the 8 digits differ here.
CONF_MANUFACTURER: Final = "manufacturer"
CONF_VERSION: Final = "version"
CONF_DEVICE_TYPE: Final = "device_type"
CONF_ORIGIN: Final = "origin"
# Fields of the KEM forms (never stored: the file is read once, the password forgotten).
CONF_KEM_FILE: Final = "kem_file"
CONF_KEM_PASSWORD: Final = "kem_password"
CONF_KEM_METERS: Final = "meters"
CONF_KEM_ALL: Final = "all_meters"
ORIGIN_USER: Final = "user"
ORIGIN_RECALC: Final = "recalc"
# ReCalc's own names for a meter it manages (kept so its set can be diffed and mirrored back).
CONF_RECALC_MANUFACTURER_KEY: Final = "recalc_manufacturer_key"
CONF_RECALC_DEVICE_KEY: Final = "recalc_device_key"
CONF_RECALC_MIRRORED: Final = "recalc_mirrored"
# The meter type (profile name) a ReCalc command meant, until the meter's telegrams say.
CONF_RECALC_PROFILE: Final = "recalc_profile"

# ReCalc bridge options.
CONF_RECALC_ENABLED: Final = "recalc_enabled"
CONF_RECALC_GATEWAY_ID: Final = "recalc_gateway_id"
CONF_RECALC_PREFIX: Final = "recalc_prefix"
CONF_RECALC_MIRROR_USER_METERS: Final = "recalc_mirror_user_meters"
DEFAULT_RECALC_PREFIX: Final = "v2"

# Meters heard but not configured are kept for the "add meter" flow; bounded so a busy
# neighbourhood (or a flood of garbage ids) cannot grow memory without limit.
HEARD_METERS_LIMIT: Final = 1000
# Consecutive payload CRC failures of a configured meter before a wrong key is assumed.
WRONG_KEY_THRESHOLD: Final = 3
# A stick disconnected this long gets a repair issue (short drops are normal on USB resets).
STICK_ISSUE_DELAY_S: Final = 300.0
