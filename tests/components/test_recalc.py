"""The ReCalc protocol core without Home Assistant or a broker: commands, set diff, bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import json
import re
from typing import Any

import pytest

from custom_components.wmbus.recalc import (
    MAX_COMMAND_BYTES,
    MAX_COMMAND_METERS,
    MAX_IN_FLIGHT,
    ChannelPlanError,
    Outbox,
    RecalcMeter,
    Topics,
    ack_message,
    channel_plan,
    config_message,
    data_messages,
    diff_meter_set,
    load_shipped_plans,
    parse_command,
    publish_batch,
)

KEY = "9A25139E3244CC2E391A8EF6B915B697"
TOPICS = Topics("v2", "706462169")
# The shipped channel file of OmniPower (recalc_channels/omnipower.json).
OMNIPOWER = load_shipped_plans()["omnipower"]


def item(device_id: object = "32666857", **overrides: Any) -> dict[str, Any]:
    base = {
        "deviceId": device_id,
        "manufacturerKey": "kam",
        "encryptionKey": KEY,
        "manufacturerDeviceKey": "OmniPower1",
    }
    base.update(overrides)
    return base


def payload(items: Any) -> bytes:
    return json.dumps(items).encode()


def test_camel_and_pascal_case_both_accepted_and_key_normalised() -> None:
    pascal = {
        "DeviceId": "11111111",
        "ManufacturerKey": "kam",
        "EncryptionKey": KEY.lower(),
        "ManufacturerDeviceKey": "A",
    }
    shouting = {"DEVICEID": "22222222", "manufacturerkey": "kam", "EncryptionKEY": KEY}
    shouting["MANUFACTURERDEVICEKEY"] = "B"
    command = parse_command(payload([item(), pascal, shouting]))
    assert command.valid
    assert [m.device_id for m in command.meters] == ["32666857", "11111111", "22222222"]
    assert all(m.encryption_key == KEY for m in command.meters)


def test_unknown_extra_keys_are_tolerated() -> None:
    command = parse_command(payload([item(location="basement", Extra={"x": 1})]))
    assert command.valid
    assert command.meters == (RecalcMeter("32666857", "kam", KEY, "OmniPower1"),)


def test_empty_list_is_a_valid_command_that_removes_every_recalc_meter() -> None:
    command = parse_command(b"[]")
    assert command.valid
    change = diff_meter_set(command.meters, {"1": RecalcMeter("1", "kam", KEY, "")}, {})
    assert change.remove == ("1",)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"not json", "not_json"),
        (b"\xff\xfe[", "not_json"),
        (b"", "not_json"),
        (b'{"deviceId": "32666857"}', "not_a_list"),
        (b'"32666857"', "not_a_list"),
        (b"null", "not_a_list"),
        (b" " * (MAX_COMMAND_BYTES + 1), "too_large"),
        (payload([item(f"{i:08d}") for i in range(MAX_COMMAND_METERS + 1)]), "too_many_meters"),
    ],
    ids=["text", "not_utf8", "empty", "object", "string", "null", "oversized", "too_many"],
)
def test_message_level_faults_reject_everything(raw: bytes, error: str) -> None:
    command = parse_command(raw)
    assert not command.valid
    assert command.error == error
    assert command.meters == ()
    topic, ack = ack_message(TOPICS, command)
    assert topic == "v2/706462169/sensors/ack"
    assert json.loads(ack) == {"status": "rejected", "error": error, "rejected": []}


@pytest.mark.parametrize(
    ("bad", "reason", "echo"),
    [
        ("not a dict", "not_an_object", None),
        (["32666857"], "not_an_object", None),
        ({"manufacturerKey": "kam", "encryptionKey": KEY}, "missing_device_id", None),
        (item("3266685"), "bad_device_id", "3266685"),
        (item("326668570"), "bad_device_id", "326668570"),
        (item("3266685a"), "bad_device_id", "3266685a"),
        (item(32666857), "bad_device_id", None),
        (item(manufacturerKey=""), "bad_manufacturer_key", "32666857"),
        (item(manufacturerKey="k/m"), "bad_manufacturer_key", "32666857"),
        (item(manufacturerKey="#"), "bad_manufacturer_key", "32666857"),
        (item(manufacturerKey=7), "bad_manufacturer_key", "32666857"),
        (item(manufacturerKey="k" * 17), "bad_manufacturer_key", "32666857"),
        (item(encryptionKey=KEY[:-1]), "bad_encryption_key", "32666857"),
        (item(encryptionKey=KEY + "0"), "bad_encryption_key", "32666857"),
        (item(encryptionKey="Z" * 32), "bad_encryption_key", "32666857"),
        (item(encryptionKey=None), "bad_encryption_key", "32666857"),
        (item(manufacturerDeviceKey=5), "bad_manufacturer_device_key", "32666857"),
        (
            {k: v for k, v in item().items() if k != "encryptionKey"},
            "missing_encryption_key",
            "32666857",
        ),
        (
            {k: v for k, v in item().items() if k != "manufacturerKey"},
            "missing_manufacturer_key",
            "32666857",
        ),
        (
            {k: v for k, v in item().items() if k != "manufacturerDeviceKey"},
            "missing_manufacturer_device_key",
            "32666857",
        ),
    ],
)
def test_one_bad_item_rejects_the_whole_message(bad: Any, reason: str, echo: str | None) -> None:
    command = parse_command(payload([item("11111111"), bad, item("22222222")]))
    assert not command.valid
    assert command.meters == ()
    assert command.error == "invalid_items"
    _, ack = ack_message(TOPICS, command)
    assert json.loads(ack) == {
        "status": "rejected",
        "error": "invalid_items",
        "rejected": [{"index": 1, "deviceId": echo, "reason": reason}],
    }


def test_duplicate_ids_reject_every_repeat() -> None:
    command = parse_command(payload([item(), item("11111111"), item(), item()]))
    assert not command.valid
    assert [(r.index, r.device_id, r.reason) for r in command.rejected] == [
        (2, "32666857", "duplicate_device_id"),
        (3, "32666857", "duplicate_device_id"),
    ]


def test_every_fault_of_a_message_is_reported_at_once() -> None:
    command = parse_command(payload([item("1"), item(encryptionKey="x"), 3]))
    assert [r.reason for r in command.rejected] == [
        "bad_device_id",
        "bad_encryption_key",
        "not_an_object",
    ]


# --- set semantics ------------------------------------------------------------------------


def meter(device_id: str, key: str = KEY, mkey: str = "kam", dkey: str = "Op") -> RecalcMeter:
    return RecalcMeter(device_id, mkey, key, dkey)


def test_set_semantics_add_change_remove_and_user_meters_kept() -> None:
    current = {
        "11111111": meter("11111111"),
        "22222222": meter("22222222"),
        "33333333": meter("33333333"),
    }
    user = {"44444444": KEY, "55555555": KEY}
    other_key = "00" * 16
    wanted = [
        meter("11111111"),  # unchanged
        meter("22222222", key=other_key),  # key changed
        meter("66666666"),  # new
        meter("44444444", key=other_key, mkey="kam", dkey="Mine"),  # the user's, other key
    ]
    change = diff_meter_set(wanted, current, user)
    assert [m.device_id for m in change.add] == ["66666666"]
    assert [m.device_id for m in change.update] == ["22222222"]
    assert change.remove == ("33333333",)
    assert [m.device_id for m in change.claim_user] == ["44444444"]
    assert [(n.index, n.device_id, n.reason) for n in change.notes] == [
        (3, "44444444", "user_meter_key_kept")
    ]
    # 55555555 is the user's and not listed: never removed.
    assert "55555555" not in change.remove


def test_name_change_alone_is_an_update() -> None:
    change = diff_meter_set([meter("11111111", dkey="New")], {"11111111": meter("11111111")}, {})
    assert [m.device_key for m in change.update] == ["New"]


def test_user_meter_with_the_same_key_is_claimed_silently() -> None:
    change = diff_meter_set([meter("44444444")], {}, {"44444444": KEY.lower()})
    assert change.notes == ()
    assert change.add == ()


def test_meter_of_another_stick_is_left_there() -> None:
    change = diff_meter_set([meter("77777777")], {}, {}, elsewhere={"77777777"})
    assert change.add == ()
    assert [n.reason for n in change.notes] == ["configured_on_another_stick"]


def test_accepted_ack_lists_what_changed() -> None:
    command = parse_command(payload([item(), item("11111111")]))
    change = diff_meter_set(
        command.meters, {"22222222": meter("22222222")}, {"11111111": "00" * 16}
    )
    _, ack = ack_message(TOPICS, command, change)
    assert ack == (
        '{"status": "accepted", "meters": 2, "added": ["32666857"], "updated": [], '
        '"removed": ["22222222"], "notes": [{"index": 1, "deviceId": "11111111", '
        '"reason": "user_meter_key_kept"}]}'
    )


# --- byte-exact messages ----------------------------------------------------------------------

EXPECTED_CONFIG = (
    '{"Channels": [{"ChannelNumber": 1, "DataType": "accumulated-power", '
    '"ChannelName": "A+ / Active positive energy"}, {"ChannelNumber": 2, '
    '"DataType": "accumulated-power", "ChannelName": "A- / Active negative energy"}, '
    '{"ChannelNumber": 3, "DataType": "power", "ChannelName": "P+ / Active positive power"}, '
    '{"ChannelNumber": 4, "DataType": "power", "ChannelName": "P- / Active negative power"}]}'
)


def test_config_message_is_byte_exact() -> None:
    assert config_message(TOPICS, "kam", "32666857", plan=OMNIPOWER) == (
        "v2/706462169/kam-32666857/config",
        EXPECTED_CONFIG,
    )


def test_data_messages_are_byte_exact() -> None:
    values = {
        "total_energy_consumption_kwh": 2.06,
        "total_energy_production_kwh": 0.0,
        "current_power_consumption_w": 3,
        "current_power_production_w": 0,
    }
    received = datetime(2020, 10, 25, 11, 8, 0, 750_000, tzinfo=timezone(timedelta(hours=1)))
    messages = data_messages(TOPICS, "kam", "32666857", values, received, plan=OMNIPOWER)
    topic = "v2/706462169/kam-32666857/data"
    assert messages == [
        (
            topic,
            '{"channelNumber": 1, "aggregateType": "Raw", "dataType": "accumulated-power", '
            '"value": 2.06, "timestamp": "2020-10-25T10:08:00Z"}',
        ),
        (
            topic,
            '{"channelNumber": 2, "aggregateType": "Raw", "dataType": "accumulated-power", '
            '"value": 0.0, "timestamp": "2020-10-25T10:08:00Z"}',
        ),
        (
            topic,
            '{"channelNumber": 3, "aggregateType": "Raw", "dataType": "power", '
            '"value": 3, "timestamp": "2020-10-25T10:08:00Z"}',
        ),
        (
            topic,
            '{"channelNumber": 4, "aggregateType": "Raw", "dataType": "power", '
            '"value": 0, "timestamp": "2020-10-25T10:08:00Z"}',
        ),
    ]


def test_a_value_not_carried_is_not_published() -> None:
    received = datetime(2020, 10, 25, 10, 8, tzinfo=UTC)
    messages = data_messages(
        TOPICS, "kam", "32666857", {"current_power_consumption_w": 7}, received, plan=OMNIPOWER
    )
    assert [json.loads(p)["channelNumber"] for _, p in messages] == [3]


# --- outbox ----------------------------------------------------------------------------------


def test_outbox_drops_the_oldest_and_counts_them() -> None:
    outbox = Outbox(limit=3)
    outbox.extend([("t", str(i)) for i in range(5)])
    assert [p for _, p in outbox.snapshot()] == ["2", "3", "4"]
    assert outbox.dropped == 2


def test_outbox_snapshot_is_immutable_and_cached() -> None:
    outbox = Outbox()
    outbox.extend([("t", "a")])
    first = outbox.snapshot()
    assert outbox.snapshot() is first
    outbox.extend([("t", "b")])
    assert first == (("t", "a"),)
    assert outbox.snapshot() == (("t", "a"), ("t", "b"))


def test_outbox_restore_puts_persisted_messages_first() -> None:
    outbox = Outbox()
    outbox.extend([("t", "new")])
    outbox.restore([["t", "old1"], ["t", "old2"]], dropped=4)
    assert [p for _, p in outbox.snapshot()] == ["old1", "old2", "new"]
    assert outbox.dropped == 4


async def test_unconfirmed_publish_keeps_it_and_everything_after_in_order() -> None:
    outbox = Outbox()
    outbox.extend([("t", str(i)) for i in range(MAX_IN_FLIGHT + 4)])
    sent: list[str] = []

    async def publish(topic: str, body: str, qos: int) -> None:
        assert qos == 1
        sent.append(body)
        if body == "5":
            raise RuntimeError("not connected")

    assert not await publish_batch(outbox, publish)
    assert sent == [str(i) for i in range(MAX_IN_FLIGHT)]
    assert [p for _, p in outbox.snapshot()][:2] == ["5", "6"]
    assert len(outbox) == MAX_IN_FLIGHT + 4 - 5

    async def working(topic: str, body: str, qos: int) -> None:
        return None

    while len(outbox):
        assert await publish_batch(outbox, working)
    assert outbox.published == MAX_IN_FLIGHT + 4


async def test_message_dropped_while_in_flight_is_not_confirmed_twice() -> None:
    outbox = Outbox(limit=2)
    outbox.extend([("t", "a"), ("t", "b")])

    async def publish(topic: str, body: str, qos: int) -> None:
        outbox.extend([("t", "c")])  # overflow drops "a" while it is in flight

    await publish_batch(outbox, publish)
    assert len(outbox) >= 1
    assert outbox.snapshot()[-1] == ("t", "c")


# --- channel plans ---------------------------------------------------------------------------


def test_the_shipped_omnipower_plan_is_recalc_md_section_2() -> None:
    assert [(c.number, c.data_type, c.name, c.field_key) for c in OMNIPOWER.channels] == [
        (1, "accumulated-power", "A+ / Active positive energy", "total_energy_consumption_kwh"),
        (2, "accumulated-power", "A- / Active negative energy", "total_energy_production_kwh"),
        (3, "power", "P+ / Active positive power", "current_power_consumption_w"),
        (4, "power", "P- / Active negative power", "current_power_production_w"),
    ]
    assert OMNIPOWER.config_payload == EXPECTED_CONFIG
    assert OMNIPOWER.names_device("OmniPower1")
    assert not OMNIPOWER.names_device("Multical21")


def _channel(number: object = 1, **overrides: object) -> dict[str, object]:
    channel = {"number": number, "data_type": "accumulated-volume", "name": "V", "field": "v_m3"}
    return channel | overrides


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "must be a mapping"),
        ({}, "'channels' must be a non-empty list"),
        ({"channels": []}, "'channels' must be a non-empty list"),
        ({"chanels": [_channel()]}, "unknown key 'chanels'"),
        ({"channels": ["x"]}, "channel 1 must be a mapping"),
        ({"channels": [{"number": 1, "name": "V", "field": "v"}]}, "lacks 'data_type'"),
        ({"channels": [_channel(unit="m3")]}, "unknown key 'unit'"),
        ({"channels": [_channel(0)]}, "number must be a whole number from 1 to 255"),
        ({"channels": [_channel(True)]}, "number must be a whole number"),
        ({"channels": [_channel("1")]}, "number must be a whole number"),
        ({"channels": [_channel(1), _channel(1)]}, "channel 2: channel number 1 is used twice"),
        ({"channels": [_channel(name=" ")]}, "channel 1: name must be a non-empty text"),
        ({"channels": [_channel()], "recalc_device_keys": "x"}, "must be a list of texts"),
        ({"channels": [_channel(n) for n in range(1, 66)]}, "more than 64 channels"),
    ],
)
def test_a_bad_channel_file_is_refused_with_its_reason(document: object, reason: str) -> None:
    with pytest.raises(ChannelPlanError, match=re.escape(reason)):
        channel_plan(document, "generic")


def test_data_messages_follow_the_declared_channels_in_their_order() -> None:
    plan = channel_plan(
        {"channels": [_channel(7, field="b"), _channel(2, field="a"), _channel(3, field="c")]},
        "generic",
    )
    received = datetime(2020, 10, 25, 10, 8, tzinfo=UTC)
    messages = data_messages(TOPICS, "sen", "12345699", {"a": 1.5, "b": 2}, received, plan=plan)
    assert [json.loads(p)["channelNumber"] for _, p in messages] == [7, 2]
    assert {t for t, _ in messages} == {"v2/706462169/sen-12345699/data"}
