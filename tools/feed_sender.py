"""Send telegrams as a network gateway would: hex lines, rtl_wmbus lines or rtl_433 JSON.

    python -m tools.feed_sender --udp 127.0.0.1:9011                     # simulated meters
    python -m tools.feed_sender --tcp 127.0.0.1:9022 --format hex --per-frame
    python -m tools.feed_sender --mqtt 127.0.0.1:1883 --topic rtl_433/pi/events --format rtl_433
    python -m tools.feed_sender --udp 127.0.0.1:9011 --replay FILE --interval 1 --once

What it sends: by default the meters of ``tools/simulated_meters.py`` (the OmniPower 32666857,
a water and a heat meter), each at its own interval; ``--replay FILE`` plays a telegram file
(``tools/emulators/telegrams.py``: the vectors, the wmbusmeters corpus or hex lines) every
``--interval`` seconds. Each telegram goes out in one form (``--format``):

- ``hex``: the telegram from its L-field, no block CRCs (ESPHome ``as_hex()``);
- ``rtl_wmbus``: rtl_wmbus' line, ``MODE;1;1;UTC time .000;level;level;ID;0x...``, the level a
  magnitude (not dBm), as rtl_wmbus prints it;
- ``esphome``: ESPHome's ``as_rtlwmbus()`` line, ``MODE;1;1;time.00Z;dBm;;;0x...``;
- ``rtl_433``: an rtl_433 ``Wireless-MBus`` JSON event; C-mode telegrams as frame format B by
  default, whose L-field still counts the removed CRC bytes, as rtl_433 prints it.

Over TCP a connection per frame (``--per-frame``, as ESPHome's socket_transmitter) or one for
all; over UDP a datagram per frame; over MQTT (paho-mqtt, imported only for it) one message
per frame, QoS 0. The encoders are written from the formats' descriptions (rtl_wmbus README,
SzczepanLeon/esphome-components ``packet.cpp``, merbanan/rtl_433 ``m_bus.c`` outputs), not from
the integration's parser, so the tests check one against the other.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable, Sequence
import contextlib
from datetime import UTC, datetime
import json
import socket
import sys
from typing import Any, Final, Literal

from tools.emulators.telegrams import TelegramFileError, load_telegrams
from tools.simulated_meters import (
    HeatMeter,
    OmniPower,
    SimulatedMeter,
    WaterMeter,
    crc16_en13757,
)

type FeedFormat = Literal["hex", "rtl_wmbus", "esphome", "rtl_433"]
FEED_FORMATS: Final[tuple[FeedFormat, ...]] = ("hex", "rtl_wmbus", "esphome", "rtl_433")
type Mode = Literal["c", "t"]
FORMAT_B_BLOCK2_END: Final = 126  # EN 13757-4 frame format B: block 2 ends at byte 126
DEFAULT_RSSI_DBM: Final = -70.0


def _meter_id(telegram: bytes) -> str:
    return telegram[7:3:-1].hex()


def _manufacturer(telegram: bytes) -> str:
    value = int.from_bytes(telegram[2:4], "little")
    return "".join(chr(((value >> shift) & 0x1F) + 64) for shift in (10, 5, 0))


def _rtl_433_data(telegram: bytes, mode: Mode, frame_b: bool) -> bytes:
    """``data`` as rtl_433 prints it: for frame B the L-field counts the removed CRCs."""
    if mode != "c" or not frame_b:
        return telegram
    on_air = len(telegram) + 2
    crcs = 1 if on_air <= FORMAT_B_BLOCK2_END else 2
    return bytes((len(telegram) - 1 + 2 * crcs,)) + telegram[1:]


def encode(
    telegram: bytes,
    feed_format: FeedFormat,
    *,
    mode: Mode = "c",
    rssi_dbm: float = DEFAULT_RSSI_DBM,
    at: datetime | None = None,
    frame_b: bool = True,
) -> str:
    """``telegram`` (L-field first, no block CRCs) as one line of ``feed_format``, no LF."""
    at = at or datetime.now(UTC)
    mode_name = "C1" if mode == "c" else "T1"
    if feed_format == "hex":
        return telegram.hex()
    if feed_format == "rtl_wmbus":
        # rtl_wmbus prints a positive magnitude; make one that grows with the signal.
        level = max(0, round(rssi_dbm + 190))
        stamp = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") + ".000"
        ident = _meter_id(telegram).upper()
        return f"{mode_name};1;1;{stamp};{level};{level};{ident};0x{telegram.hex()}"
    if feed_format == "esphome":
        stamp = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") + ".00Z"
        return f"{mode_name};1;1;{stamp};{round(rssi_dbm)};;;0x{telegram.hex()}"
    if feed_format == "rtl_433":
        digits = _meter_id(telegram)
        event: dict[str, Any] = {
            "time": at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "model": "Wireless-MBus",
            "mode": mode.upper(),
            "M": _manufacturer(telegram),
            "id": int(digits) if digits.isdigit() else digits,
            "version": telegram[8],
            "type": telegram[9],
            "C": telegram[1],
            "data": _rtl_433_data(telegram, mode, frame_b).hex(),
            "mic": "CRC",
        }
        return json.dumps(event, separators=(", ", " : "))
    raise ValueError(f"unknown feed format {feed_format!r}")


def block_crc_hex(telegram: bytes) -> str:
    """The telegram with its frame-format-A block CRCs, as hex (a gateway that keeps them)."""
    out = bytearray()
    position, size = 0, 10
    while position < len(telegram):
        block = telegram[position : position + size]
        out += block + crc16_en13757(block).to_bytes(2, "big")
        position += size
        size = 16
    return out.hex()


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


class TcpSender:
    """Lines to a TCP listener: a connection per frame (ESPHome) or one kept open."""

    def __init__(self, host: str, port: int, *, per_frame: bool = True) -> None:
        self.host = host
        self.port = port
        self.per_frame = per_frame
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, line: str, *, newline: bool = True) -> None:
        """Send one line (with LF unless ``newline`` is False, as a per-frame sender may)."""
        data = (line + ("\n" if newline else "")).encode()
        if self.per_frame:
            _, writer = await asyncio.open_connection(self.host, self.port)
            writer.write(data)
            await writer.drain()
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        if self._writer is None:
            _, self._writer = await asyncio.open_connection(self.host, self.port)
        self._writer.write(data)
        await self._writer.drain()

    async def close(self) -> None:
        """Close a kept connection."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class UdpSender:
    """One datagram per frame (or several lines in one)."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    async def send(self, line: str, *, newline: bool = True) -> None:
        """Send one datagram."""
        self._socket.sendto((line + ("\n" if newline else "")).encode(), self.address)

    async def close(self) -> None:
        """Close the socket."""
        self._socket.close()


class MqttSender:
    """One MQTT message per frame, through paho-mqtt (imported only here)."""

    def __init__(self, host: str, port: int, topic: str) -> None:
        import paho.mqtt.client as mqtt  # only this sender needs it
        from paho.mqtt.enums import CallbackAPIVersion

        self.topic = topic
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self._client.connect(host, port)
        self._client.loop_start()

    async def send(self, line: str, *, newline: bool = False) -> None:
        """Publish one payload and wait until it left."""
        info = self._client.publish(self.topic, line + ("\n" if newline else ""), qos=1)
        await asyncio.to_thread(info.wait_for_publish, 5.0)

    async def close(self) -> None:
        """Disconnect."""
        self._client.loop_stop()
        self._client.disconnect()


type Sender = TcpSender | UdpSender | MqttSender


async def send_telegrams(
    sender: Sender,
    telegrams: Iterable[bytes],
    feed_format: FeedFormat,
    *,
    mode: Mode = "c",
    rssi_dbm: float = DEFAULT_RSSI_DBM,
    interval_s: float = 0.0,
) -> int:
    """Send each telegram as one line; returns how many were sent."""
    sent = 0
    for telegram in telegrams:
        await sender.send(encode(telegram, feed_format, mode=mode, rssi_dbm=rssi_dbm))
        sent += 1
        if interval_s:
            await asyncio.sleep(interval_s)
    return sent


async def simulate(
    sender: Sender,
    meters: Sequence[SimulatedMeter],
    feed_format: FeedFormat,
    *,
    rssi_dbm: float = DEFAULT_RSSI_DBM,
    interval_s: float | None = None,
    count: int | None = None,
) -> int:
    """Send the meters' telegrams, each at its interval (or ``interval_s``), ``count`` in all."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    # Not in step: each meter starts a little after the one before.
    next_at = {meter.meter_id: started + index * 0.01 for index, meter in enumerate(meters)}
    last_at = dict.fromkeys(next_at, started)
    sent = 0
    while count is None or sent < count:
        meter = min(meters, key=lambda m: next_at[m.meter_id])
        await asyncio.sleep(max(0.0, next_at[meter.meter_id] - loop.time()))
        now = loop.time()
        telegram = meter.telegram(now - last_at[meter.meter_id])
        last_at[meter.meter_id] = now
        next_at[meter.meter_id] = now + (interval_s or meter.interval_s)
        await sender.send(encode(telegram, feed_format, mode=meter.radio_mode, rssi_dbm=rssi_dbm))
        sent += 1
    return sent


def build_parser() -> argparse.ArgumentParser:
    """The command line's options."""
    parser = argparse.ArgumentParser(prog="python -m tools.feed_sender", description=__doc__)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--tcp", metavar="HOST:PORT")
    target.add_argument("--udp", metavar="HOST:PORT")
    target.add_argument("--mqtt", metavar="HOST:PORT")
    parser.add_argument("--topic", default="wmbus/telegram", help="MQTT topic")
    parser.add_argument("--format", choices=FEED_FORMATS, default="rtl_wmbus")
    parser.add_argument("--per-frame", action="store_true", help="TCP: a connection per frame")
    parser.add_argument("--replay", metavar="FILE", help="telegram file instead of the meters")
    parser.add_argument("--mode", choices=("c", "t"), default="c", help="mode of replayed ones")
    parser.add_argument("--once", action="store_true", help="replay the file once")
    parser.add_argument("--interval", type=float, help="seconds between telegrams")
    parser.add_argument("--count", type=int, help="stop after this many telegrams")
    parser.add_argument("--rssi", type=float, default=DEFAULT_RSSI_DBM, help="dBm")
    return parser


async def _run(args: argparse.Namespace) -> int:
    sender: Sender
    if args.tcp:
        sender = TcpSender(*_address(args.tcp), per_frame=args.per_frame)
    elif args.udp:
        sender = UdpSender(*_address(args.udp))
    else:
        sender = MqttSender(*_address(args.mqtt), args.topic)
    try:
        if args.replay:
            telegrams = load_telegrams(args.replay)
            sent = 0
            while True:
                batch = telegrams if args.count is None else telegrams[: args.count - sent]
                sent += await send_telegrams(
                    sender,
                    batch,
                    args.format,
                    mode=args.mode,
                    rssi_dbm=args.rssi,
                    interval_s=args.interval or 0.0,
                )
                if args.once or (args.count is not None and sent >= args.count):
                    break
        else:
            meters: list[SimulatedMeter] = [OmniPower(), WaterMeter(), HeatMeter()]
            sent = await simulate(
                sender,
                meters,
                args.format,
                rssi_dbm=args.rssi,
                interval_s=args.interval,
                count=args.count,
            )
    finally:
        await sender.close()
    sys.stdout.write(json.dumps({"sent": sent}) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sender; exit status 2 for a bad telegram file."""
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except TelegramFileError as err:
        sys.stderr.write(f"{err}\n")
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
