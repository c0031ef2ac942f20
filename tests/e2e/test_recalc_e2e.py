"""ReCalc over a real mosquitto and Home Assistant's real MQTT integration, nothing lost."""

from __future__ import annotations

import asyncio
from datetime import UTC
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

from homeassistant import loader
from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)

from custom_components.wmbus.const import (
    CONF_AES_KEY,
    CONF_DEVICE_TYPE,
    CONF_MANUFACTURER,
    CONF_METER_ID,
    CONF_ORIGIN,
    CONF_PORT,
    DOMAIN,
    ORIGIN_RECALC,
)
from custom_components.wmbus.gateway import Gateway
from custom_components.wmbus.protocol.decoder import Decoder
from custom_components.wmbus.protocol.frame import MeterAddress
from custom_components.wmbus.recalc import (
    MAX_IN_FLIGHT,
    Message,
    Topics,
    config_message,
    data_messages,
    format_timestamp,
    load_shipped_plans,
)
from custom_components.wmbus.recalc.channel_files import CHECK_INTERVAL
from custom_components.wmbus.recalc.state_store import SAVE_DELAY_S
from custom_components.wmbus.runtime import bridge_of
from custom_components.wmbus.signals import MeterReading
from tests.components.conftest import (
    METER_ID,
    METER_KEY,
    STICK_SERIAL,
    entity_state,
    meter_subentry,
)
from tests.conftest import corpus_vectors, omnipower_captures
from tests.e2e.conftest import (
    GATEWAY_ID,
    HOST,
    Broker,
    Subscriber,
    recalc_options,
    through_home_assistant_mqtt,
)
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator

TOPICS = Topics("v2", GATEWAY_ID)
OMNIPOWER = load_shipped_plans()["omnipower"]
OMNIPOWER_CONFIG = config_message(TOPICS, "kam", METER_ID, plan=OMNIPOWER)
CAPTURES = [bytes.fromhex(v["telegram_hex"]) for v in omnipower_captures()]
EXPECTED_CONFIG = (
    '{"Channels": [{"ChannelNumber": 1, "DataType": "accumulated-power", '
    '"ChannelName": "A+ / Active positive energy"}, {"ChannelNumber": 2, '
    '"DataType": "accumulated-power", "ChannelName": "A- / Active negative energy"}, '
    '{"ChannelNumber": 3, "DataType": "power", "ChannelName": "P+ / Active positive power"}, '
    '{"ChannelNumber": 4, "DataType": "power", "ChannelName": "P- / Active negative power"}]}'
)
# Generous: Home Assistant's MQTT client retries the broker every 10 s.
RECONNECT_TIMEOUT_S = 40.0


def command(*meters: dict[str, str]) -> str:
    return json.dumps(list(meters))


def omnipower(device_id: str = METER_ID, key: str = METER_KEY) -> dict[str, str]:
    return {
        "deviceId": device_id,
        "manufacturerKey": "kam",
        "encryptionKey": key.lower(),
        "manufacturerDeviceKey": "OmniPower1",
    }


async def setup_stick(hass: HomeAssistant, entry: MockConfigEntry, broker: Broker) -> Gateway:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    gateway: Gateway = entry.runtime_data.hub
    await wait_until(lambda: bridge_of(gateway.entry).state == "connected", timeout_s=10, hass=hass)
    # HA's MQTT client sends subscriptions after a cooldown (0.5 s at most on both pins); a
    # command published before that would not be routed to us.
    await through_home_assistant_mqtt(hass, broker)
    return gateway


def record_readings(gateway: Gateway) -> list[MeterReading]:
    readings: list[MeterReading] = []
    gateway.add_reading_listener(readings.append)
    return readings


def expected_data(readings: list[MeterReading]) -> list[Message]:
    return [
        message
        for r in readings
        for message in data_messages(
            TOPICS, "kam", r.reading.meter_id, r.reading.values, r.received_at, plan=OMNIPOWER
        )
    ]


def match_in_order(received: list[Message], expected: list[Message]) -> int:
    """Everything expected arrived, in order; extras are only re-deliveries of messages that
    were at most MAX_IN_FLIGHT messages back (QoS 1 in flight when the broker went away).

    Returns the number of duplicates.
    """
    position = 0
    duplicates = 0
    for message in received:
        if position < len(expected) and message == expected[position]:
            position += 1
            continue
        window = expected[max(0, position - 2 * MAX_IN_FLIGHT) : position]
        assert message in window, f"unexpected or out-of-order message {message}"
        duplicates += 1
    assert position == len(expected), f"missing {len(expected) - position} messages"
    return duplicates


async def send_captures(
    hass: HomeAssistant,
    emulator: Im871aEmulator,
    readings: list[MeterReading],
    telegrams: list[bytes],
) -> None:
    for telegram in telegrams:
        count = len(readings)
        emulator.send_telegram(telegram)
        await wait_until(lambda count=count: len(readings) > count, hass=hass)


async def test_command_creates_meter_and_messages_arrive_byte_for_byte(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    stick_entry: MockConfigEntry,
    emulator: Im871aEmulator,
) -> None:
    gateway = await setup_stick(hass, stick_entry, broker)
    await broker.publish(f"v2/{GATEWAY_ID}/sensors/set", command(omnipower()))
    await wait_until(lambda: len(subscriber.messages) >= 2, timeout_s=10, hass=hass)

    (subentry,) = stick_entry.subentries.values()
    assert subentry.title == f"ReCalc OmniPower1 {METER_ID}"
    assert dict(subentry.data) == {
        CONF_METER_ID: METER_ID,
        CONF_AES_KEY: METER_KEY,
        CONF_ORIGIN: ORIGIN_RECALC,
        "recalc_manufacturer_key": "kam",
        "recalc_device_key": "OmniPower1",
        "recalc_profile": "omnipower",  # the meter type the command means
    }
    assert METER_ID in gateway.meters  # applied live by the update listener
    assert subscriber.messages == [
        (f"v2/{GATEWAY_ID}/kam-{METER_ID}/config", EXPECTED_CONFIG),
        (
            f"v2/{GATEWAY_ID}/sensors/ack",
            '{"status": "accepted", "meters": 1, "added": ["32666857"], "updated": [], '
            '"removed": [], "notes": []}',
        ),
    ]

    readings = record_readings(gateway)
    await send_captures(hass, emulator, readings, CAPTURES[:1])
    await wait_until(lambda: len(subscriber.messages) >= 6, timeout_s=10, hass=hass)
    stamp = readings[0].received_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    data_topic = f"v2/{GATEWAY_ID}/kam-{METER_ID}/data"
    assert subscriber.messages[2:] == [
        (
            data_topic,
            '{"channelNumber": 1, "aggregateType": "Raw", "dataType": "accumulated-power", '
            f'"value": 2.06, "timestamp": "{stamp}"}}',
        ),
        (
            data_topic,
            '{"channelNumber": 2, "aggregateType": "Raw", "dataType": "accumulated-power", '
            f'"value": 0.0, "timestamp": "{stamp}"}}',
        ),
        (
            data_topic,
            '{"channelNumber": 3, "aggregateType": "Raw", "dataType": "power", '
            f'"value": 3, "timestamp": "{stamp}"}}',
        ),
        (
            data_topic,
            '{"channelNumber": 4, "aggregateType": "Raw", "dataType": "power", '
            f'"value": 0, "timestamp": "{stamp}"}}',
        ),
    ]

    # An empty set removes ReCalc's meter (and its entities) again.
    await broker.publish(f"v2/{GATEWAY_ID}/sensors/set", "[]")
    await wait_until(lambda: not stick_entry.subentries, timeout_s=10, hass=hass)
    await wait_until(lambda: METER_ID not in gateway.meters, hass=hass)


async def test_invalid_command_changes_nothing_and_is_acknowledged(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    stick_entry: MockConfigEntry,
) -> None:
    await setup_stick(hass, stick_entry, broker)
    bad = command(omnipower(), omnipower("1234567"))
    await broker.publish(f"v2/{GATEWAY_ID}/sensors/set", bad)
    await wait_until(lambda: len(subscriber.messages) >= 1, timeout_s=10, hass=hass)
    assert not stick_entry.subentries
    assert subscriber.messages == [
        (
            f"v2/{GATEWAY_ID}/sensors/ack",
            '{"status": "rejected", "error": "invalid_items", "rejected": '
            '[{"index": 1, "deviceId": "1234567", "reason": "bad_device_id"}]}',
        )
    ]


async def test_stop_pauses_and_the_switch_resumes(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    stick_entry: MockConfigEntry,
    emulator: Im871aEmulator,
) -> None:
    gateway = await setup_stick(hass, stick_entry, broker)
    switch = "switch.im871a_recalc_mirroring"
    assert entity_state(hass, switch).state == "on"

    await broker.publish("STOP", "")
    await wait_until(lambda: entity_state(hass, switch).state == "off", timeout_s=10, hass=hass)
    await broker.publish(f"v2/{GATEWAY_ID}/sensors/set", command(omnipower()))
    await through_home_assistant_mqtt(hass, broker)  # the command arrived, and was ignored
    assert hass.is_running  # STOP never stops Home Assistant
    assert not stick_entry.subentries  # commands are ignored while paused

    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    assert entity_state(hass, switch).state == "on"
    await broker.publish(f"v2/{GATEWAY_ID}/sensors/set", command(omnipower()))
    await wait_until(lambda: bool(stick_entry.subentries), timeout_s=10, hass=hass)
    assert bridge_of(gateway.entry).state == "connected"


async def _outage(
    hass: HomeAssistant,
    broker: Broker,
    emulator: Im871aEmulator,
    gateway: Gateway,
    readings: list[MeterReading],
    telegrams: list[bytes],
) -> None:
    """Stop the broker, let readings continue until they are queued."""
    await broker.stop()
    await wait_until(lambda: not mqtt.is_connected(hass), timeout_s=10, hass=hass)
    await send_captures(hass, emulator, readings, telegrams)
    await wait_until(lambda: len(bridge_of(gateway.entry).outbox) >= 4 * len(telegrams), hass=hass)
    assert entity_state(hass, "sensor.im871a_recalc_messages_waiting").state == str(
        len(bridge_of(gateway.entry).outbox)
    )


def meter_subentry_object() -> ConfigSubentry:
    """The user's meter as a subentry to add to a running entry."""
    data = meter_subentry()
    return ConfigSubentry(
        data=MappingProxyType(data["data"]),
        subentry_type=data["subentry_type"],
        title=data["title"],
        unique_id=data["unique_id"],
    )


def user_meter_entry(
    emulator: Im871aEmulator, options: dict[str, object] | None = None, **kwargs: Any
) -> MockConfigEntry:
    """A stick with the user's meter, mirrored to ReCalc (the option's default)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        options=options or recalc_options(),
        unique_id=STICK_SERIAL,
        subentries_data=[meter_subentry()],
        **kwargs,
    )


async def test_broker_outage_loses_nothing_and_keeps_order(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    emulator: Im871aEmulator,
    record_property: Any,
) -> None:
    gateway = await setup_stick(hass, user_meter_entry(emulator), broker)
    readings = record_readings(gateway)
    await send_captures(hass, emulator, readings, CAPTURES[:3])
    await _outage(hass, broker, emulator, gateway, readings, CAPTURES[3:10])
    await broker.start()
    expected = [OMNIPOWER_CONFIG, *expected_data(readings)]
    await wait_until(
        lambda: len(subscriber.messages) >= len(expected), timeout_s=RECONNECT_TIMEOUT_S, hass=hass
    )
    await wait_until(lambda: len(bridge_of(gateway.entry).outbox) == 0, hass=hass)
    duplicates = match_in_order(subscriber.messages, expected)
    record_property("duplicates", duplicates)
    print(f"outage: {len(expected)} messages expected, all arrived in order, {duplicates} dup")


async def test_unload_and_reload_keeps_the_outbox(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    emulator: Im871aEmulator,
    hass_storage: dict[str, Any],
) -> None:
    entry = user_meter_entry(emulator)
    gateway = await setup_stick(hass, entry, broker)
    readings = record_readings(gateway)
    await send_captures(hass, emulator, readings, CAPTURES[:2])
    await _outage(hass, broker, emulator, gateway, readings, CAPTURES[2:8])
    queued = len(bridge_of(gateway.entry).outbox)

    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[f"{DOMAIN}.recalc.{entry.entry_id}"]["data"]
    assert len(stored["outbox"]) == queued
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    gateway = entry.runtime_data.hub
    readings_after = record_readings(gateway)
    await wait_until(lambda: len(bridge_of(gateway.entry).outbox) >= queued, hass=hass)
    # Readings go on after the reload, still without a broker.
    await send_captures(hass, emulator, readings_after, CAPTURES[8:10])

    await broker.start()
    expected = [
        OMNIPOWER_CONFIG,
        *expected_data(readings),
        config_message(
            TOPICS, "kam", METER_ID, plan=OMNIPOWER
        ),  # the reloaded bridge announces its meters
        *expected_data(readings_after),
    ]
    await wait_until(
        lambda: len(subscriber.messages) >= len(expected), timeout_s=RECONNECT_TIMEOUT_S, hass=hass
    )
    await wait_until(lambda: len(bridge_of(gateway.entry).outbox) == 0, hass=hass)
    duplicates = match_in_order(subscriber.messages, expected)
    print(f"reload: {len(expected)} messages expected, all arrived in order, {duplicates} dup")


async def test_home_assistant_restart_keeps_the_outbox(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    emulator: Im871aEmulator,
    hass_storage: dict[str, Any],
) -> None:
    """Stop one Home Assistant with messages queued; a new one on the same storage sends them."""
    entry_id = "stick-entry"
    readings: list[MeterReading] = []
    async with async_test_home_assistant(config_dir=hass.config.config_dir) as first:
        first.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        first_mqtt = MockConfigEntry(
            domain="mqtt",
            data={"broker": HOST, "port": broker.port},
            options={"birth_message": {}, "will_message": {}},
            version=1,
            minor_version=2,
        )
        first_mqtt.add_to_hass(first)
        assert await first.config_entries.async_setup(first_mqtt.entry_id)
        gateway = await setup_stick(first, user_meter_entry(emulator, entry_id=entry_id), broker)
        gateway.add_reading_listener(readings.append)
        await send_captures(first, emulator, readings, CAPTURES[:2])
        await wait_until(
            lambda: len(bridge_of(gateway.entry).outbox) == 0, timeout_s=10, hass=first
        )
        await broker.stop()
        await wait_until(lambda: not mqtt.is_connected(first), timeout_s=10, hass=first)
        await send_captures(first, emulator, readings, CAPTURES[2:9])
        queued = len(bridge_of(gateway.entry).outbox)
        assert queued == 4 * 7
        await first.async_stop()
        # Written at FINAL_WRITE, without an unload.
        stored = hass_storage[f"{DOMAIN}.recalc.{entry_id}"]["data"]
        assert len(stored["outbox"]) == queued
        await gateway.async_stop()  # the old process is gone: release the port

    second = user_meter_entry(emulator, entry_id=entry_id)
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    assert second.state is ConfigEntryState.LOADED
    assert len(bridge_of(second).outbox) >= queued
    await broker.start()
    expected = [
        OMNIPOWER_CONFIG,
        *expected_data(readings),
        config_message(
            TOPICS, "kam", METER_ID, plan=OMNIPOWER
        ),  # announced again by the new instance
    ]
    await wait_until(
        lambda: len(subscriber.messages) >= len(expected), timeout_s=RECONNECT_TIMEOUT_S, hass=hass
    )
    await wait_until(lambda: len(bridge_of(second).outbox) == 0, hass=hass)
    duplicates = match_in_order(subscriber.messages, expected)
    print(f"restart: {len(expected)} messages expected, all arrived in order, {duplicates} dup")


async def test_user_meter_listed_by_recalc_stays_the_users(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    emulator: Im871aEmulator,
) -> None:
    entry = user_meter_entry(emulator, options=recalc_options(recalc_mirror_user_meters=False))
    gateway = await setup_stick(hass, entry, broker)
    other_key = "00112233445566778899AABBCCDDEEFF"
    await broker.publish(f"v2/{GATEWAY_ID}/sensors/set", command(omnipower(key=other_key)))
    await wait_until(lambda: len(subscriber.messages) >= 2, timeout_s=10, hass=hass)
    (subentry,) = entry.subentries.values()
    assert subentry.data[CONF_ORIGIN] == "user"
    assert subentry.data[CONF_AES_KEY] == METER_KEY
    assert subentry.title == "House meter"
    ack = json.loads(subscriber.messages[-1][1])
    assert ack["notes"] == [{"index": 0, "deviceId": METER_ID, "reason": "user_meter_key_kept"}]
    # Listed by ReCalc, so mirrored although the option for user meters is off.
    readings = record_readings(gateway)
    await send_captures(hass, emulator, readings, CAPTURES[:1])
    await wait_until(lambda: len(subscriber.messages) >= 6, timeout_s=10, hass=hass)
    assert subscriber.messages[2:] == expected_data(readings)


async def test_bridge_waits_for_mqtt_with_a_repair_issue_and_starts_by_itself(
    hass: HomeAssistant,
    broker: Broker,
    mock_hass_config: None,
    stick_entry: MockConfigEntry,
) -> None:
    from homeassistant.helpers import issue_registry as ir

    stick_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(stick_entry.entry_id)
    await hass.async_block_till_done()
    bridge = bridge_of(stick_entry)
    issue_id = f"recalc_no_mqtt_{stick_entry.entry_id}"
    assert bridge.state == "no_mqtt"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    mqtt_config = MockConfigEntry(
        domain="mqtt",
        data={"broker": HOST, "port": broker.port},
        options={"birth_message": {}, "will_message": {}},
        version=1,
        minor_version=2,
    )
    mqtt_config.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mqtt_config.entry_id)
    await wait_until(lambda: bridge.state == "connected", timeout_s=10, hass=hass)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    assert await hass.config_entries.async_unload(mqtt_config.entry_id)
    await wait_until(lambda: bridge.state == "no_mqtt", hass=hass)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None


async def test_mqtt_reload_keeps_one_subscription_and_one_ack(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    stick_entry: MockConfigEntry,
) -> None:
    gateway = await setup_stick(hass, stick_entry, broker)
    assert await hass.config_entries.async_reload(mqtt_entry.entry_id)
    await wait_until(lambda: mqtt.is_connected(hass), timeout_s=10, hass=hass)
    await wait_until(lambda: bridge_of(gateway.entry).state == "connected", timeout_s=10, hass=hass)
    await through_home_assistant_mqtt(hass, broker)
    await broker.publish(f"v2/{GATEWAY_ID}/sensors/set", command(omnipower()))
    await wait_until(lambda: len(subscriber.messages) >= 2, timeout_s=10, hass=hass)
    # Every handler of the command has run; a message Home Assistant publishes after that
    # reaches the subscriber after any second acknowledgement would have.
    await through_home_assistant_mqtt(hass, broker)
    await mqtt.async_publish(hass, f"v2/{GATEWAY_ID}/e2e-probe", "after", qos=1)
    await wait_until(lambda: subscriber.messages[-1][0].endswith("/e2e-probe"), hass=hass)
    acks = [m for m in subscriber.messages if m[0].endswith("/sensors/ack")]
    assert len(acks) == 1, subscriber.messages


async def test_mqtt_change_during_unload_leaves_no_subscription_behind(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    stick_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """MQTT's state changes while the stick entry unloads: the stopped bridge stays stopped."""
    from homeassistant.config_entries import SIGNAL_CONFIG_ENTRY_CHANGED, ConfigEntryChange
    from homeassistant.helpers.dispatcher import async_dispatcher_send

    await setup_stick(hass, stick_entry, broker)
    async_dispatcher_send(hass, SIGNAL_CONFIG_ENTRY_CHANGED, ConfigEntryChange.UPDATED, mqtt_entry)
    assert await hass.config_entries.async_unload(stick_entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[f"{DOMAIN}.recalc.{stick_entry.entry_id}"]["data"]
    # A command for the unloaded entry reaches nobody: no meter, nothing queued or saved.
    await broker.publish(f"v2/{GATEWAY_ID}/sensors/set", command(omnipower()))
    await through_home_assistant_mqtt(hass, broker)
    assert not stick_entry.subentries
    assert hass_storage[f"{DOMAIN}.recalc.{stick_entry.entry_id}"]["data"] == stored


async def test_a_user_meter_added_again_is_announced_again(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    emulator: Im871aEmulator,
) -> None:
    entry = user_meter_entry(emulator)
    await setup_stick(hass, entry, broker)
    config_topic = f"v2/{GATEWAY_ID}/kam-{METER_ID}/config"
    await wait_until(lambda: [t for t, _ in subscriber.messages] == [config_topic], hass=hass)
    (subentry_id,) = entry.subentries
    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    hass.config_entries.async_add_subentry(entry, meter_subentry_object())
    await hass.async_block_till_done()
    await wait_until(
        lambda: [t for t, _ in subscriber.messages] == [config_topic, config_topic], hass=hass
    )


async def test_stop_with_a_save_pending_writes_the_outbox_without_a_core_error(
    hass: HomeAssistant,
    broker: Broker,
    mock_hass_config: None,
    emulator: Im871aEmulator,
    hass_storage: dict[str, Any],
    caplog: Any,
) -> None:
    """A reading while Home Assistant stops leaves a save pending in the Store at FINAL_WRITE.

    The bridge used to write on FINAL_WRITE itself: its write withdrew the Store's own
    FINAL_WRITE listener while the bus was already calling it, and core logged "Unable to remove
    unknown job listener". The Store's own final write must carry the latest outbox alone.
    """
    entry_id = "stick-entry"
    readings: list[MeterReading] = []
    async with async_test_home_assistant(config_dir=hass.config.config_dir) as first:
        first.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        first_mqtt = MockConfigEntry(
            domain="mqtt",
            data={"broker": HOST, "port": broker.port},
            options={"birth_message": {}, "will_message": {}},
            version=1,
            minor_version=2,
        )
        first_mqtt.add_to_hass(first)
        assert await first.config_entries.async_setup(first_mqtt.entry_id)
        gateway = await setup_stick(first, user_meter_entry(emulator, entry_id=entry_id), broker)
        gateway.add_reading_listener(readings.append)
        await broker.stop()
        await wait_until(lambda: not mqtt.is_connected(first), timeout_s=10, hass=first)
        await send_captures(first, emulator, readings, CAPTURES[:1])

        async def telegram_while_stopping(_event: Any) -> None:
            count = len(readings)
            emulator.send_telegram(CAPTURES[1])
            await wait_until(lambda: len(readings) > count)
            # Past the bridge's save batching, so any save it makes happens while stopping.
            await asyncio.sleep(SAVE_DELAY_S + 0.5)

        first.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, telegram_while_stopping)
        await first.async_stop()
        stored = hass_storage[f"{DOMAIN}.recalc.{entry_id}"]["data"]
        assert len(readings) == 2
        assert len(stored["outbox"]) == len(bridge_of(gateway.entry).outbox) == 2 * 4
        await gateway.async_stop()
    assert "Unable to remove unknown job listener" not in caplog.text


async def test_without_mqtt_nothing_is_queued_and_mirroring_starts_with_it(
    hass: HomeAssistant,
    broker: Broker,
    subscriber: Subscriber,
    mock_hass_config: None,
    emulator: Im871aEmulator,
) -> None:
    """Idle means idle: readings heard while no MQTT entry is loaded are not queued."""
    entry = user_meter_entry(emulator)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    gateway: Gateway = entry.runtime_data.hub
    bridge = bridge_of(gateway.entry)
    readings = record_readings(gateway)
    await send_captures(hass, emulator, readings, CAPTURES[:3])
    assert bridge.state == "no_mqtt"
    assert len(bridge.outbox) == 0

    mqtt_config = MockConfigEntry(
        domain="mqtt",
        data={"broker": HOST, "port": broker.port},
        options={"birth_message": {}, "will_message": {}},
        version=1,
        minor_version=2,
    )
    mqtt_config.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mqtt_config.entry_id)
    await wait_until(lambda: bridge.state == "connected", timeout_s=10, hass=hass)
    await send_captures(hass, emulator, readings, CAPTURES[3:4])
    expected = [
        OMNIPOWER_CONFIG,
        *expected_data(readings[3:]),
    ]
    await wait_until(lambda: len(subscriber.messages) >= len(expected), timeout_s=10, hass=hass)
    assert subscriber.messages == expected


WATER_ID = "12345699"  # wmbusmeters' iPERL test telegram: a Sensus water meter sending in clear
WATER_TELEGRAM = bytes.fromhex(
    next(v for v in corpus_vectors() if v["id"] == "iperl-01")["telegram_hex"]
)


def water_meter_type() -> tuple[str, str]:
    """The profile the protocol package gives the iPERL telegram, and its volume's value key.

    Channel files are named after the profile and name the value; both are the protocol
    package's to choose (a generic meter, or a profile of its own).
    """
    decoder = Decoder()
    decoder.set_key(WATER_ID, None)
    reading = decoder.decode(WATER_TELEGRAM)
    (volume_key,) = (key for key, value in reading.values.items() if value == 7.704)
    return reading.profile, volume_key


WATER_PROFILE, WATER_VOLUME = water_meter_type()
WATER_CHANNELS = f"""\
# ReCalc channels of the iPERL water meter
recalc_device_keys: [iPERL]
channels:
  - number: 1
    data_type: accumulated-volume
    name: Volume
    field: {WATER_VOLUME}
"""


def water_channel_file(hass: HomeAssistant, text: str) -> Path:
    folder = Path(hass.config.path("wmbus", "recalc"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{WATER_PROFILE}.yaml"
    path.write_text(text)
    return path


def of_meter(subscriber: Subscriber, prefix: str) -> list[Message]:
    """What was published under one meter's topics, in order."""
    return [message for message in subscriber.messages if message[0].startswith(prefix)]


async def check_channel_files(hass: HomeAssistant) -> None:
    """Let the bridge's regular look at the channel folder happen now."""
    async_fire_time_changed(hass, dt_util.utcnow() + CHECK_INTERVAL)
    await hass.async_block_till_done()


async def test_water_meter_with_a_user_channel_file_changed_while_running(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    emulator: Im871aEmulator,
    tmp_path: Path,
) -> None:
    hass.config.config_dir = str(tmp_path / "config")
    water_channel_file(hass, WATER_CHANNELS)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        options=recalc_options(),
        unique_id=STICK_SERIAL,
        subentries_data=[meter_subentry(meter_id=WATER_ID, key="", title="Water")],
    )
    gateway = await setup_stick(hass, entry, broker)
    readings = record_readings(gateway)
    await send_captures(hass, emulator, readings, [WATER_TELEGRAM])
    water = f"v2/{GATEWAY_ID}/sen-{WATER_ID}"
    await wait_until(
        lambda: len([m for m in subscriber.messages if m[0].startswith(water)]) >= 2, hass=hass
    )
    timestamp = format_timestamp(readings[0].received_at)
    assert of_meter(subscriber, water) == [
        (
            f"{water}/config",
            '{"Channels": [{"ChannelNumber": 1, "DataType": "accumulated-volume", '
            '"ChannelName": "Volume"}]}',
        ),
        (
            f"{water}/data",
            '{"channelNumber": 1, "aggregateType": "Raw", "dataType": "accumulated-volume", '
            f'"value": 7.704, "timestamp": "{timestamp}"}}',
        ),
    ]

    # The user edits the file while Home Assistant runs: a second channel, a new name.
    water_channel_file(
        hass,
        WATER_CHANNELS.replace("name: Volume", "name: Cold water")
        + "  - number: 2\n    data_type: volume-flow\n    name: Flow\n    field: volume_flow_m3h\n"
        + "  - number: 3\n    data_type: accumulated-volume\n    name: Total\n"
        + f"    field: {WATER_VOLUME}\n",
    )
    await check_channel_files(hass)
    await wait_until(
        lambda: len([m for m in subscriber.messages if m[0].startswith(water)]) >= 3, hass=hass
    )
    assert [m for m in subscriber.messages if m[0].startswith(water)][2] == (
        f"{water}/config",
        '{"Channels": [{"ChannelNumber": 1, "DataType": "accumulated-volume", '
        '"ChannelName": "Cold water"}, {"ChannelNumber": 2, "DataType": "volume-flow", '
        '"ChannelName": "Flow"}, {"ChannelNumber": 3, "DataType": "accumulated-volume", '
        '"ChannelName": "Total"}]}',
    )
    # Data per declared channel: 1 and 3 (the telegram has no volume flow value: 2 sends nothing).
    # The same telegram again, as a new one: the meter's state is its address's, once bound.
    gateway.decoder.set_key(gateway.meters[WATER_ID].address or WATER_ID, None)
    # Within the receivers' duplicate filter window (2 s) the same bytes are a copy: forgotten.
    gateway.duplicates.clear()
    await send_captures(hass, emulator, readings, [WATER_TELEGRAM])
    await wait_until(
        lambda: len([m for m in subscriber.messages if m[0].startswith(water)]) >= 5, hass=hass
    )
    data = [json.loads(p) for t, p in subscriber.messages if t == f"{water}/data"][1:]
    assert [(d["channelNumber"], d["value"]) for d in data] == [(1, 7.704), (3, 7.704)]


async def test_a_command_for_another_meter_type_creates_that_kind_of_meter(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    stick_entry: MockConfigEntry,
    tmp_path: Path,
) -> None:
    hass.config.config_dir = str(tmp_path / "config")
    water_channel_file(hass, WATER_CHANNELS)
    await setup_stick(hass, stick_entry, broker)
    item = {
        "deviceId": WATER_ID,
        "manufacturerKey": "sen",
        "encryptionKey": "00112233445566778899AABBCCDDEEFF",
        "manufacturerDeviceKey": "iPERL kitchen",
    }
    await broker.publish(f"v2/{GATEWAY_ID}/sensors/set", command(item))
    await wait_until(lambda: len(subscriber.messages) >= 2, timeout_s=10, hass=hass)
    (subentry,) = stick_entry.subentries.values()
    assert subentry.data["recalc_profile"] == WATER_PROFILE
    assert subscriber.messages[0] == (
        f"v2/{GATEWAY_ID}/sen-{WATER_ID}/config",
        '{"Channels": [{"ChannelNumber": 1, "DataType": "accumulated-volume", '
        '"ChannelName": "Volume"}]}',
    )


async def test_a_recalc_meter_is_bound_to_its_address_and_a_same_digit_neighbour_is_not_mirrored(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    stick_entry: MockConfigEntry,
    emulator: Im871aEmulator,
) -> None:
    gateway = await setup_stick(hass, stick_entry, broker)
    # The stick has heard the meter (not configured yet) before ReCalc sends the set.
    emulator.send_telegram(CAPTURES[0])
    await wait_until(lambda: sum(gateway.outcomes.values()) == 1, hass=hass)
    await broker.publish(f"v2/{GATEWAY_ID}/sensors/set", command(omnipower()))
    await wait_until(lambda: len(subscriber.messages) >= 2, timeout_s=10, hass=hass)
    (subentry,) = stick_entry.subentries.values()
    assert CONF_MANUFACTURER not in subentry.data  # ReCalc names the digits only

    # A Zenner water meter with the same digits: the key fails on it, nothing is mirrored,
    # and it is not taken for the meter ReCalc means (no wrong-key repair either).
    neighbour = MeterAddress("ZRI", METER_ID, 0x30, 0x07)
    for telegram in CAPTURES[1:5]:
        emulator.send_telegram(telegram[:2] + neighbour.wire + telegram[10:])
    await wait_until(lambda: sum(gateway.outcomes.values()) == 5, hass=hass)
    assert gateway.heard[neighbour].telegrams == 4
    assert gateway.meters[METER_ID].address is None
    assert not gateway.meters[METER_ID].wrong_key_reported
    assert len(subscriber.messages) == 2

    readings = record_readings(gateway)
    await send_captures(hass, emulator, readings, CAPTURES[5:6])
    await wait_until(lambda: len(subscriber.messages) >= 6, timeout_s=10, hass=hass)
    assert {topic for topic, _payload in subscriber.messages[2:]} == {
        f"v2/{GATEWAY_ID}/kam-{METER_ID}/data"
    }
    bound = stick_entry.subentries[subentry.subentry_id]
    assert (bound.data[CONF_MANUFACTURER], bound.data[CONF_DEVICE_TYPE]) == ("KAM", 0x02)

    # ReCalc renames the meter, same key: it stays bound to the address it was heard from.
    await broker.publish(
        f"v2/{GATEWAY_ID}/sensors/set",
        command({**omnipower(), "manufacturerDeviceKey": "OmniPower2"}),
    )
    await wait_until(
        lambda: (
            stick_entry.subentries[subentry.subentry_id].data["recalc_device_key"] == "OmniPower2"
        ),
        timeout_s=10,
        hass=hass,
    )
    renamed = stick_entry.subentries[subentry.subentry_id]
    assert renamed.data[CONF_MANUFACTURER] == "KAM"
    assert gateway.meters[METER_ID].address == MeterAddress("KAM", METER_ID, 0x30, 0x02)
