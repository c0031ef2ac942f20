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
from .frame import LINK_HEADER_SIZE, LinkHeader, MeterAddress, link_header_from_prefix
from .records import record_json
from .tpl import status_flags

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


def _address_facts(address: MeterAddress) -> dict[str, Any]:
    return {
        "id": address.meter_id,
        "manufacturer": address.manufacturer,
        "version": address.version,
        "device_type": address.device_type,
    }


def _header_facts(header: LinkHeader) -> dict[str, Any]:
    """The meter's address; the radio module's too when it is another device."""
    facts = _address_facts(header.address)
    if header.meter_address is not None:
        facts["link_address"] = _address_facts(header.link_address)
    return facts


def _reading_json(reading: Reading) -> dict[str, Any]:
    line = _address_facts(reading.address)
    if reading.link_address is not None:
        line["link_address"] = _address_facts(reading.link_address)
    line |= {
        "profile": reading.profile,
        "access_number": reading.access_number,
        "frame": reading.frame,
    }
    if reading.status is not None:
        line["status"] = status_flags(reading.status)
    line |= {
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
                # encrypted ones fail with no_key ("encrypted and no key"). A meter behind
                # a radio module is its long transport header's id; a key given for the
                # module's id is taken for it too (as wmbusmeters matches either id).
                header = link_header_from_prefix(telegram)
                meter_id = header.address.meter_id
                if meter_id not in configured:
                    configured.add(meter_id)
                    key = keys.key_for(meter_id)
                    if meter_id not in keys.per_meter and header.meter_id in keys.per_meter:
                        key = keys.key_for(header.meter_id)
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
    from .radios import RadioFrame  # noqa: PLC0415

    try:
        keys = _parse_keys(args.key)
    except InvalidHex as error:
        _emit(_error_json(error))
        return 1
    try:
        ports, sdr_options = _listen_ports(args)
    except ValueError as error:
        _emit({"error": "radio", "message": str(error)})
        return 1
    sources = Sources(ports=ports, tcp=args.tcp, udp=args.udp, mqtt=args.mqtt, topics=args.topic)
    if not sources.count() and args.iq is None:
        _emit(
            {
                "error": "radio",
                "message": "nothing to listen to: give --port, --tcp, --udp, --mqtt with "
                "--topic, --rtl-tcp, --rtl-sdr or --iq",
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

    rtlwmbus = args.format == "rtlwmbus"
    # In rtl_wmbus format stdout carries only its lines (a pipe into wmbusmeters); the JSON
    # about the radios and the counts go to stderr.
    emit_info = _emit_stderr if rtlwmbus else emit
    if args.iq is not None:
        return _listen_iq(args, describe, outcomes, emit_info)

    def print_line(frame: RadioFrame, link_mode: str) -> None:
        print(_rtl_wmbus_line(_rtl_wmbus_mode(link_mode), frame.telegram, frame.rssi_dbm))
        sys.stdout.flush()

    listener = Listener(
        sources,
        describe=describe,
        outcomes=lambda: dict(outcomes),
        emit=emit_info,
        radio_name=args.radio,
        link_mode=args.link_mode,
        window_s=args.window,
        sdr_options=sdr_options,
        print_line=print_line if rtlwmbus else None,
    )

    async def listen() -> int:
        # SIGTERM (systemd, docker stop, kill) ends it as cleanly as Ctrl-C.
        main_task = asyncio.current_task()
        assert main_task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
        return await run(listener, args.seconds, emit_info)

    # A process started in the background by a non-interactive shell inherits SIGINT ignored;
    # Ctrl-C (or a supervisor's SIGINT) must still end it cleanly with the counts.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return asyncio.run(listen())
    except KeyboardInterrupt:  # the coroutine already closed the radios and printed the counts
        return 0


def _emit_stderr(record: dict[str, Any]) -> None:
    print(json.dumps(record, separators=(",", ":")), file=sys.stderr, flush=True)


def _rtl_wmbus_mode(link_mode: str) -> str:
    """The MODE field for a radio's frames: it does not say which mode it heard each in.

    A radio listening in T only prints ``T1``; any other prints ``C1`` (wmbusmeters takes
    both; the field only labels the line).
    """
    from .radios.link_modes import LinkMode  # noqa: PLC0415

    mode = LinkMode(link_mode)
    return "T1" if mode.hears_t and not mode.hears_c else "C1"


def _rtl_wmbus_line(mode: str, telegram: bytes, rssi: float | None, when: Any = None) -> str:
    """A radio frame as rtl_wmbus prints one (``MODE;CRC_OK;3OUTOF6OK;TIME;RSSI;RSSI;ID;0xHEX``).

    A radio delivers only frames whose block CRCs held, so CRC_OK and 3OUTOF6OK are 1; the
    RSSI fields carry the radio's figure rounded (dBm for a stick, dBFS for an SDR).
    """
    from datetime import datetime  # noqa: PLC0415

    when = datetime.now() if when is None else when  # rtl_wmbus prints local time
    ident = f"{int.from_bytes(telegram[4:8], 'little'):08X}" if len(telegram) >= 8 else "00000000"
    level = "0" if rssi is None else str(round(rssi))
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")
    return f"{mode};1;1;{stamp};{level};{level};{ident};0x{telegram.hex()}"


def _listen_ports(args: argparse.Namespace) -> tuple[list[str], dict[str, Any]]:
    """The ports ``listen`` opens (SDR addresses included) and the SDR options it was given."""
    from .radios.registry import radio_for_address  # noqa: PLC0415 - names only, no driver
    from .radios.sdr import rtl_tcp  # noqa: PLC0415 - pure codec, no numpy

    options: dict[str, Any] = {}
    for name, key in (
        ("sample_rate", "sample_rate"),
        ("center", "center_hz"),
        ("gain", "gain_db"),
        ("ppm", "ppm"),
    ):
        if getattr(args, name) is not None:
            options[key] = getattr(args, name)
    ports = list(args.port or [])
    if args.rtl_tcp is not None:
        ports.append(f"{rtl_tcp.SCHEME}://{args.rtl_tcp}")
    if args.rtl_sdr is not None:
        ports.append(f"rtlsdr://{args.rtl_sdr}")
    sdr = args.iq is not None or any(radio_for_address(port) for port in ports)
    if options and not sdr:
        raise ValueError("--sample-rate, --center, --gain and --ppm are for an SDR only")
    return ports, options


def _listen_iq(
    args: argparse.Namespace,
    describe: Callable[[bytes], dict[str, Any]],
    outcomes: Any,
    emit_info: Callable[[dict[str, Any]], None],
) -> int:
    """Demodulate a cu8 file (or stdin) as fast as it reads; print what a radio would."""
    from datetime import datetime  # noqa: PLC0415

    from .radios.sdr.demod import CHANNEL_HZ, Demodulator  # noqa: PLC0415 - numpy

    try:
        demod = Demodulator(
            1.6e6 if args.sample_rate is None else args.sample_rate,
            CHANNEL_HZ if args.center is None else args.center,
        )
        stream = sys.stdin.buffer if args.iq == "-" else open(args.iq, "rb")  # noqa: SIM115
    except (OSError, ValueError) as error:
        emit_info({"error": "iq", "message": str(error)})
        return 1
    dropped_crc = 0
    with stream:
        while True:
            block = stream.read(1 << 20)
            frames = demod.feed(block) if block else demod.flush()
            for frame in frames:
                if args.format == "rtlwmbus":
                    print(frame.rtl_wmbus_line(datetime.now()))  # local time, as rtl_wmbus
                elif frame.crc_ok and frame.telegram is not None:
                    record = describe(frame.telegram)
                    record["rssi_dbm"] = round(frame.level_dbfs, 1)
                    record["sdr"] = {
                        "mode": frame.mode,
                        "snr_db": round(frame.snr_db, 1),
                        "offset_hz": round(frame.offset_hz),
                        "time_s": round(frame.time_s, 6),
                    }
                    _emit(record)
                if not frame.crc_ok:
                    dropped_crc += 1
            sys.stdout.flush()
            if not block:
                break
    emit_info({"counts": dict(outcomes), "radio": {"dropped_crc": dropped_crc}})
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
        help="serial port or URL (socket://host:port, rtl_tcp://host:port) (repeatable)",
    )
    parser.add_argument("--iq", metavar="FILE", help="a cu8 file as rtl_sdr writes it ('-': stdin)")
    parser.add_argument("--rtl-tcp", metavar="HOST:PORT", help="an RTL-SDR shared by rtl_tcp")
    parser.add_argument(
        "--rtl-sdr", nargs="?", const="0", metavar="INDEX", help="an RTL-SDR on this machine"
    )
    sdr = parser.add_argument_group("SDR (--iq, --rtl-tcp, --rtl-sdr)")
    sdr.add_argument("--sample-rate", type=float, help="samples per second (default 1.6e6)")
    sdr.add_argument("--center", type=float, help="tuned frequency in Hz (default 868.95e6)")
    sdr.add_argument("--gain", type=float, help="tuner gain in dB (default: automatic)")
    sdr.add_argument("--ppm", type=int, help="the dongle's frequency correction in ppm")
    parser.add_argument(
        "--format",
        choices=("json", "rtlwmbus"),
        default="json",
        help="rtlwmbus: one line per frame as rtl_wmbus prints it (its JSON then on stderr)",
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
        "--radio",
        choices=[name for name in RADIO_PACKAGES if name != "sdr"],
        help="the stick at the ports (default: detect it; an rtl_tcp:// address names its own)",
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
