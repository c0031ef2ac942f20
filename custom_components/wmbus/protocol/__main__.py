"""Command line for debugging without Home Assistant; one JSON object per line (pipe to jq).

    python -m custom_components.wmbus.protocol decode [--key [ID:]HEX] [--plaintext] HEX...
    python -m custom_components.wmbus.protocol frames HEX
    python -m custom_components.wmbus.protocol listen --port /dev/ttyUSB0 --udp 9011
    python -m custom_components.wmbus.protocol listen --mqtt localhost:1883 --topic T --tcp 9022

Each subcommand is one ``_cmd_*`` function plus one ``_add_*`` parser function, both
listed in ``_SUBCOMMANDS``; a new subcommand (e.g. ``listen``) adds one of each there.
Exit status 1 if any telegram or frame failed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
import json
import sys
from typing import Any, Final

from .decoder import Decoder, Reading
from .errors import InvalidHex, UnknownMeter, UnsupportedEncryption, WmbusError
from .frame import LINK_HEADER_SIZE, LinkHeader, link_header_from_prefix
from .records import record_json

AES_KEY_DIGITS: Final = 32
DES_KEY_DIGITS: Final = 16
ANY_METER: Final = ""
"""Key of :attr:`KeyOptions.des_meters` for a DES key given without an id."""


def _emit(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record) + "\n")


def _parse_hex(text: str) -> bytes:
    cleaned = text.strip().replace(" ", "").replace(":", "")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise InvalidHex(f"not hexadecimal: {text[:40]!r}") from None


def _header_facts(header: LinkHeader) -> dict[str, Any]:
    return {
        "id": header.meter_id,
        "manufacturer": header.manufacturer,
        "version": header.version,
        "device_type": header.device_type,
    }


def _reading_json(reading: Reading) -> dict[str, Any]:
    line = {
        "id": reading.meter_id,
        "manufacturer": reading.manufacturer,
        "version": reading.version,
        "device_type": reading.device_type,
        "profile": reading.profile,
        "access_number": reading.access_number,
        "frame": reading.frame,
        "values": dict(reading.values),
        "records": [record_json(record) for record in reading.records],
    }
    if reading.problems:
        line["problems"] = list(reading.problems)
    return line


def _error_json(error: WmbusError) -> dict[str, Any]:
    record: dict[str, Any] = {"error": error.kind, "message": str(error)}
    header = error.header
    if header is not None:
        record.update(_header_facts(header))
    return record


@dataclass(slots=True)
class KeyOptions:
    """The ``--key`` options: a key for every meter, per-id keys, and DES keys given.

    A DES key (16 hex digits, security modes 2/3) cannot be used here; it is remembered
    so that meter's telegrams get an error saying so, while every other telegram still
    decodes.
    """

    any_meter: bytes | None = None
    per_meter: dict[str, bytes] = field(default_factory=dict)
    des_meters: set[str] = field(default_factory=set)

    def key_for(self, meter_id: str) -> bytes | None:
        """The AES key for ``meter_id`` (None: its telegrams must come in clear)."""
        key = self.per_meter.get(meter_id)
        if key is None and not self.des_meters & {meter_id, ANY_METER}:
            key = self.any_meter
        return key

    def explain(self, error: WmbusError) -> dict[str, Any]:
        """The error line, saying so when the meter's key was a DES key."""
        line = _error_json(error)
        header = error.header
        if (
            isinstance(error, UnknownMeter | UnsupportedEncryption)
            and header is not None
            and (header.meter_id in self.des_meters or ANY_METER in self.des_meters)
            and header.meter_id not in self.per_meter
        ):
            line["message"] += (
                "; the key given for it is a DES key (16 hex digits): DES (security modes 2 "
                "and 3) is not supported, only AES-128 keys (32 hex digits)"
            )
        return line


def _parse_keys(options: Sequence[str]) -> KeyOptions:
    """Split ``--key`` options into a key for every meter, per-id keys and DES keys."""
    keys = KeyOptions()
    for option in options:
        meter_id, _, key_hex = option.rpartition(":")
        meter_id = meter_id.lower()
        key = _parse_hex(key_hex)
        if len(key) * 2 == DES_KEY_DIGITS:
            keys.des_meters.add(meter_id)
            continue
        if len(key) * 2 != AES_KEY_DIGITS:
            raise InvalidHex(f"a key must be {AES_KEY_DIGITS} hex digits, got {len(key_hex)}")
        if meter_id:
            keys.per_meter[meter_id] = key
        else:
            keys.any_meter = key
    return keys


def _cmd_decode(args: argparse.Namespace) -> int:
    try:
        keys = _parse_keys(args.key)
    except InvalidHex as error:
        _emit(_error_json(error))
        return 1
    decoder = Decoder(duplicate_guard=not args.allow_duplicates)
    configured: set[str] = set()
    failed = False
    for text in args.telegrams:
        try:
            telegram = _parse_hex(text)
            if len(telegram) >= LINK_HEADER_SIZE:
                # The CLI has no id -> key map: configure each id the first time it is seen.
                # A meter without a key is configured too: telegrams sent in clear decode,
                # encrypted ones fail with no_key ("encrypted and no key").
                meter_id = telegram[7:3:-1].hex()
                if meter_id not in configured:
                    configured.add(meter_id)
                    key = keys.key_for(meter_id)
                    decoder.set_key(meter_id, key, payload_is_plaintext=args.plaintext)
            _emit(_reading_json(decoder.decode(telegram)))
        except WmbusError as error:
            failed = True
            _emit(keys.explain(error))
    return 1 if failed else 0


def _add_decode(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("decode", help="decode telegrams (L-field first, hex)")
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="[ID:]HEX",
        help="AES-128 key (32 hex digits); without ID it applies to every meter (repeatable); "
        "a DES key (16 digits) is refused per telegram",
    )
    parser.add_argument(
        "--plaintext",
        action="store_true",
        help="payloads are already decrypted although ENC says AES (wmbusmeters test data)",
    )
    parser.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="decode a telegram again even if its access and session number were seen",
    )
    parser.add_argument("telegrams", nargs="+", metavar="HEX")
    parser.set_defaults(handler=_cmd_decode)


def _cmd_frames(args: argparse.Namespace) -> int:
    from .radios import radio_kind  # noqa: PLC0415 - only this subcommand needs the registry

    try:
        stream = b"".join(_parse_hex(text) for text in args.stream)
    except InvalidHex as error:
        _emit(_error_json(error))
        return 1
    failed = False
    for record in radio_kind(args.radio).describe_stream(stream):
        if record.get("crc_ok") is False or "error" in record:
            failed = True
        telegram_hex = record.get("telegram_hex")
        if isinstance(telegram_hex, str):
            telegram = bytes.fromhex(telegram_hex)
            if len(telegram) >= LINK_HEADER_SIZE:
                record.update(_header_facts(link_header_from_prefix(telegram)))
        _emit(record)
    return 1 if failed else 0


def _add_frames(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .radios.registry import RADIO_PACKAGES  # noqa: PLC0415 - names only, no driver

    parser = subparsers.add_parser("frames", help="split a radio's serial bytes into frames")
    parser.add_argument(
        "--radio", choices=RADIO_PACKAGES, default="im871a", help="whose byte stream it is"
    )
    parser.add_argument("stream", nargs="+", metavar="HEX", help="serial bytes (concatenated)")
    parser.set_defaults(handler=_cmd_frames)


def _cmd_listen(args: argparse.Namespace) -> int:
    """Print one JSON line per telegram heard by the sources until --seconds or Ctrl-C."""
    import asyncio  # noqa: PLC0415 - only this subcommand needs the event loop and the radios
    from collections import Counter  # noqa: PLC0415
    import signal  # noqa: PLC0415

    from .listen import Listener, Sources, run  # noqa: PLC0415

    try:
        keys = _parse_keys(args.key)
    except InvalidHex as error:
        _emit(_error_json(error))
        return 1
    sources = Sources(
        ports=args.port, tcp=args.tcp, udp=args.udp, mqtt=args.mqtt, topics=args.topic
    )
    if not sources.count():
        _emit(
            {
                "error": "radio",
                "message": "nothing to listen to: give --port, --tcp, --udp or --mqtt with --topic",
            }
        )
        return 1
    decoder = Decoder()
    configured: set[str] = set()
    outcomes: Counter[str] = Counter()

    def describe(telegram: bytes) -> dict[str, Any]:
        if len(telegram) >= LINK_HEADER_SIZE:
            meter_id = telegram[7:3:-1].hex()
            if meter_id not in configured:
                configured.add(meter_id)
                key = keys.key_for(meter_id)
                if key is not None:
                    decoder.set_key(meter_id, key)
        try:
            record = _reading_json(decoder.decode(telegram))
        except WmbusError as error:
            record = keys.explain(error)
        outcomes[record.get("error", "decoded")] += 1
        return record

    def emit(record: dict[str, Any]) -> None:
        _emit(record)
        sys.stdout.flush()

    listener = Listener(
        sources,
        describe=describe,
        outcomes=lambda: dict(outcomes),
        emit=emit,
        radio_name=args.radio,
        link_mode=args.link_mode,
        window_s=args.window,
    )

    async def listen() -> int:
        # SIGTERM (systemd, docker stop, kill) ends it as cleanly as Ctrl-C.
        main_task = asyncio.current_task()
        assert main_task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
        return await run(listener, args.seconds, emit)

    # A process started in the background by a non-interactive shell inherits SIGINT ignored;
    # Ctrl-C (or a supervisor's SIGINT) must still end it cleanly with the counts.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return asyncio.run(listen())
    except KeyboardInterrupt:  # the coroutine already closed the radios and printed the counts
        return 0


def _add_listen(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .duplicates import DUPLICATE_WINDOW_S  # noqa: PLC0415
    from .radios.link_modes import LinkMode  # noqa: PLC0415 - keeps decode free of the drivers
    from .radios.registry import RADIO_PACKAGES  # noqa: PLC0415

    parser = subparsers.add_parser(
        "listen",
        help="open radios and network feeds and decode what they hear, each telegram once",
    )
    parser.add_argument(
        "--port",
        action="append",
        default=[],
        help="serial port or URL (socket://host:port) of a stick (repeatable)",
    )
    parser.add_argument(
        "--tcp",
        action="append",
        default=[],
        metavar="[HOST:]PORT",
        help="listen on a TCP port for hex or rtl_wmbus lines (repeatable)",
    )
    parser.add_argument(
        "--udp",
        action="append",
        default=[],
        metavar="[HOST:]PORT",
        help="listen on a UDP port for hex or rtl_wmbus lines (repeatable)",
    )
    parser.add_argument(
        "--mqtt", metavar="HOST:PORT", help="MQTT broker to read --topic from (needs paho-mqtt)"
    )
    parser.add_argument(
        "--topic",
        action="append",
        default=[],
        help="MQTT topic filter: hex, rtl_wmbus lines or rtl_433 JSON (repeatable)",
    )
    parser.add_argument(
        "--radio", choices=RADIO_PACKAGES, help="the radio at the ports (default: detect it)"
    )
    parser.add_argument(
        "--link-mode",
        choices=[str(mode) for mode in LinkMode],
        help="default: the radio's own (C1a on an iM871A, C1+T1 on the others)",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=DUPLICATE_WINDOW_S,
        help="seconds within which the same telegram from several receivers is printed once "
        f"(default {DUPLICATE_WINDOW_S:g})",
    )
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="[ID:]HEX",
        help="AES-128 key (32 hex digits); without ID it applies to every meter (repeatable); "
        "a DES key (16 digits) is refused per telegram",
    )
    parser.add_argument("--seconds", type=float, help="stop after this long (default: Ctrl-C)")
    parser.set_defaults(handler=_cmd_listen)


# One entry per subcommand; a new one (e.g. "listen") adds its _add_* function here.
_SUBCOMMANDS: tuple[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None], ...] = (
    _add_decode,
    _add_frames,
    _add_listen,
)


def build_parser() -> argparse.ArgumentParser:
    """Argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m custom_components.wmbus.protocol",
        description="Wireless M-Bus debugging tools (JSON lines on stdout).",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
