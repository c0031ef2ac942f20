"""An rtl_433 feed over a real mosquitto through Home Assistant's real MQTT integration.

The home has its stick and an MQTT receiver (a ``receiver`` subentry with a topic filter);
rtl_433's JSON events (``-F mqtt``, its ``events`` topic) reach the meter's sensors, and a
telegram heard by the stick and by rtl_433 is delivered once: one reading, one set of ReCalc
data messages.
"""

from __future__ import annotations

import asyncio
from types import MappingProxyType

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wmbus.const import (
    CONF_PORT,
    CONF_RADIO,
    DOMAIN,
    SUBENTRY_RECEIVER,
)
from custom_components.wmbus.gateway import Gateway
from custom_components.wmbus.runtime import bridge_of
from custom_components.wmbus.signals import MeterReading
from tests.components.conftest import STICK_SERIAL, meter_subentry, state
from tests.conftest import omnipower_captures
from tests.e2e.conftest import GATEWAY_ID, HOST, Broker, Subscriber, recalc_options
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator
from tools.feed_sender import encode

CAPTURES = [bytes.fromhex(v["telegram_hex"]) for v in omnipower_captures()]
ENERGY_IMPORTED = "sensor.house_meter_energy_imported"
TOPIC_FILTER = "rtl_433/+/events"
# HA's MQTT client sends subscriptions after a cooldown (0.5 s at most).
SUBSCRIBE_SETTLE_S = 1.0


def _data_messages(subscriber: Subscriber) -> list[tuple[str, str]]:
    return [message for message in subscriber.messages if message[0].endswith("/data")]


async def test_an_rtl_433_feed_over_mqtt_reaches_the_meter_once(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    subscriber: Subscriber,
    emulator: Im871aEmulator,
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        unique_id=STICK_SERIAL,
        options=recalc_options(),
        subentries_data=[
            meter_subentry(),
            ConfigSubentryData(
                data=MappingProxyType({CONF_RADIO: "mqtt", CONF_PORT: TOPIC_FILTER}),
                subentry_type=SUBENTRY_RECEIVER,
                title="rtl_433",
                unique_id=f"mqtt:{TOPIC_FILTER}",
            ),
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    gateway: Gateway = entry.runtime_data.hub
    await wait_until(lambda: bridge_of(entry).state == "connected", timeout_s=10, hass=hass)
    await asyncio.sleep(SUBSCRIBE_SETTLE_S)
    await hass.async_block_till_done()
    (receiver_id,) = gateway.receiver_subentries()
    assert gateway.receiver_connected(receiver_id)
    readings: list[MeterReading] = []
    entry.async_on_unload(gateway.add_reading_listener(readings.append))

    # Heard by rtl_433 only: its JSON event is the meter's reading.
    await broker.publish("rtl_433/cellar-pi/events", encode(CAPTURES[0], "rtl_433"))
    await wait_until(lambda: state(hass, ENERGY_IMPORTED) == "2.06", timeout_s=10, hass=hass)
    assert len(readings) == 1

    # Heard by both: one reading, one set of ReCalc data messages (4 channels).
    emulator.send_telegram(CAPTURES[1])
    await broker.publish("rtl_433/cellar-pi/events", encode(CAPTURES[1], "rtl_433"))
    await wait_until(lambda: gateway.outcomes["duplicate"] == 1, timeout_s=10, hass=hass)
    await wait_until(lambda: len(_data_messages(subscriber)) >= 8, timeout_s=10, hass=hass)
    await asyncio.sleep(0.5)  # a second set would have arrived by now
    assert len(readings) == 2
    assert len(_data_messages(subscriber)) == 8
    topics = {topic for topic, _body in _data_messages(subscriber)}
    assert topics == {f"v2/{GATEWAY_ID}/kam-32666857/data"}
    receivers = gateway.meters["32666857"].rssi_by_receiver
    assert set(receivers) == {str(emulator.link), "mqtt:rtl_433/cellar-pi/events"}


async def test_an_mqtt_receiver_waits_for_mqtt_and_the_rest_of_the_home_runs(
    hass: HomeAssistant, emulator: Im871aEmulator
) -> None:
    """Without MQTT set up, the MQTT receiver is retried later; the stick reads on."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        unique_id=STICK_SERIAL,
        subentries_data=[
            meter_subentry(),
            ConfigSubentryData(
                data=MappingProxyType({CONF_RADIO: "mqtt", CONF_PORT: TOPIC_FILTER}),
                subentry_type=SUBENTRY_RECEIVER,
                title="rtl_433",
                unique_id=f"mqtt:{TOPIC_FILTER}",
            ),
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    gateway: Gateway = entry.runtime_data.hub
    (receiver_id,) = gateway.receiver_subentries()
    assert not gateway.receiver_connected(receiver_id)
    assert gateway.receivers[receiver_id].retry is not None
    emulator.send_telegram(CAPTURES[0])
    await wait_until(lambda: state(hass, ENERGY_IMPORTED) == "2.06", hass=hass)


async def test_an_mqtt_receiver_follows_the_mqtt_entry(
    hass: HomeAssistant, broker: Broker, emulator: Im871aEmulator, mock_hass_config: None
) -> None:
    """Set up before MQTT: it subscribes once MQTT loads, closes while MQTT is unloaded and
    subscribes once again (one subscription, one reading per message) when it is back."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        unique_id=STICK_SERIAL,
        subentries_data=[
            meter_subentry(),
            ConfigSubentryData(
                data=MappingProxyType({CONF_RADIO: "mqtt", CONF_PORT: TOPIC_FILTER}),
                subentry_type=SUBENTRY_RECEIVER,
                title="rtl_433",
                unique_id=f"mqtt:{TOPIC_FILTER}",
            ),
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    gateway: Gateway = entry.runtime_data.hub
    (receiver_id,) = gateway.receiver_subentries()
    assert not gateway.receiver_connected(receiver_id)

    mqtt_config = MockConfigEntry(
        domain="mqtt",
        data={"broker": HOST, "port": broker.port},
        options={"birth_message": {}, "will_message": {}},
        version=1,
        minor_version=2,
    )
    mqtt_config.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mqtt_config.entry_id)
    await wait_until(lambda: mqtt.is_connected(hass), timeout_s=10, hass=hass)
    await wait_until(lambda: gateway.receiver_connected(receiver_id), hass=hass)
    assert gateway.receivers[receiver_id].retry is None

    assert await hass.config_entries.async_unload(mqtt_config.entry_id)
    await wait_until(lambda: not gateway.receiver_connected(receiver_id), hass=hass)
    assert await hass.config_entries.async_setup(mqtt_config.entry_id)
    await wait_until(lambda: mqtt.is_connected(hass), timeout_s=10, hass=hass)
    await wait_until(lambda: gateway.receiver_connected(receiver_id), hass=hass)
    await asyncio.sleep(SUBSCRIBE_SETTLE_S)
    await hass.async_block_till_done()
    readings: list[MeterReading] = []
    entry.async_on_unload(gateway.add_reading_listener(readings.append))
    await broker.publish("rtl_433/cellar-pi/events", encode(CAPTURES[0], "rtl_433"))
    await wait_until(lambda: len(readings) == 1, timeout_s=10, hass=hass)
    await asyncio.sleep(0.5)
    await hass.async_block_till_done()
    counters = gateway.receivers[receiver_id].radio.counters
    assert counters["frames_received"] == 1  # one subscription: the message came once
    assert len(readings) == 1
