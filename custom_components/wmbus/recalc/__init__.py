"""ReCalc (ReMoni API v2) over MQTT: the protocol, the Home Assistant bridge, the channel plans.

``protocol.py`` (commands, meter-set diff, messages), ``channel_plans.py`` (a meter type's
channels, as data) and ``outbox.py`` (ordered delivery) have no Home Assistant import and are
what this package exports. ``bridge.py`` and ``channel_files.py`` are the Home Assistant side:
MQTT through Home Assistant's integration, the Store, meter subentries, the user's channel files.
``channels/`` holds the shipped plans, one JSON file per meter type.
"""

from __future__ import annotations

from .channel_plans import (
    DEFAULT_PROFILE,
    MAX_CHANNELS,
    SHIPPED_PLANS_DIR,
    Channel,
    ChannelPlan,
    ChannelPlanError,
    channel_plan,
    load_shipped_plans,
)
from .outbox import (
    DEFAULT_OUTBOX_LIMIT,
    MAX_IN_FLIGHT,
    QOS_AT_LEAST_ONCE,
    RETRY_DELAY_S,
    MessageHandler,
    Outbox,
    PublishFn,
    RecalcLink,
    SubscribeFn,
    publish_batch,
)
from .protocol import (
    MAX_COMMAND_BYTES,
    MAX_COMMAND_METERS,
    MAX_DEVICE_KEY_CHARS,
    MAX_MANUFACTURER_KEY_CHARS,
    Command,
    Message,
    MeterSetChange,
    RecalcMeter,
    Rejection,
    Topics,
    ack_message,
    config_message,
    data_messages,
    diff_meter_set,
    format_timestamp,
    parse_command,
)

__all__ = [
    "DEFAULT_OUTBOX_LIMIT",
    "DEFAULT_PROFILE",
    "MAX_CHANNELS",
    "MAX_COMMAND_BYTES",
    "MAX_COMMAND_METERS",
    "MAX_DEVICE_KEY_CHARS",
    "MAX_IN_FLIGHT",
    "MAX_MANUFACTURER_KEY_CHARS",
    "QOS_AT_LEAST_ONCE",
    "RETRY_DELAY_S",
    "SHIPPED_PLANS_DIR",
    "Channel",
    "ChannelPlan",
    "ChannelPlanError",
    "Command",
    "Message",
    "MessageHandler",
    "MeterSetChange",
    "Outbox",
    "PublishFn",
    "RecalcLink",
    "RecalcMeter",
    "Rejection",
    "SubscribeFn",
    "Topics",
    "ack_message",
    "channel_plan",
    "config_message",
    "data_messages",
    "diff_meter_set",
    "format_timestamp",
    "load_shipped_plans",
    "parse_command",
    "publish_batch",
]
