"""ReCalc channel files: the shipped plans, replaced or added by the user's, kept current.

A user file ``<config>/wmbus/recalc/<profile>.yaml`` replaces the shipped plan of that meter type
or adds one for a type that has none. The folder is looked at every ``CHECK_INTERVAL`` in the
executor (a stat per file; a file is read and parsed only when its size or time changed), so an
edited file takes effect without a restart. A file that cannot be used is ignored, with one log
line and a repair issue that say why; the issue goes when the file is mended or removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
from pathlib import Path
import re
from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util.yaml import load_yaml

from ..const import DOMAIN
from .channel_plans import ChannelPlan, ChannelPlanError, channel_plan, load_shipped_plans

_LOGGER = logging.getLogger(__name__)

CHECK_INTERVAL: Final = timedelta(seconds=30)
USER_FOLDER: Final = ("wmbus", "recalc")
_PROFILE_NAME: Final = re.compile(r"[a-z0-9_]+")

type FolderSignature = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class UserFile:
    """One user channel file as read from disk: its parsed content, or why it has none."""

    path: str
    document: object = None
    error: str | None = None


def scan_folder(
    folder: Path, previous: FolderSignature | None
) -> tuple[FolderSignature, dict[str, UserFile]] | None:
    """Read the folder's channel files if anything changed since ``previous`` (blocking).

    Returns None when nothing changed.
    """
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix == ".yaml" and p.is_file())
    except FileNotFoundError:
        paths = []
    signature = tuple((p.name, st.st_mtime_ns, st.st_size) for p in paths for st in [p.stat()])
    if signature == previous:
        return None
    files: dict[str, UserFile] = {}
    for path in paths:
        if not _PROFILE_NAME.fullmatch(path.stem):
            files[path.stem] = UserFile(
                str(path), error="the file name must be a meter type: a-z, 0-9 and _"
            )
            continue
        try:
            files[path.stem] = UserFile(str(path), document=load_yaml(str(path)))
        except (HomeAssistantError, OSError, UnicodeDecodeError) as err:
            files[path.stem] = UserFile(str(path), error=f"not readable as YAML: {err}")
    return signature, files


class ChannelFiles:
    """The channel plans in effect for one stick entry's ReCalc bridge."""

    def __init__(self, hass: HomeAssistant, entry_id: str, on_change: Callable[[], None]) -> None:
        self.hass = hass
        self.entry_id = entry_id
        self.folder = Path(hass.config.path(*USER_FOLDER))
        self.plans: dict[str, ChannelPlan] = {}
        self._shipped: dict[str, ChannelPlan] = {}
        self._signature: FolderSignature | None = None
        self._bad: set[str] = set()
        self._on_change = on_change
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._stopped = False

    def user_path(self, profile: str) -> str:
        """Where the user's file for a meter type goes."""
        return str(self.folder / f"{profile}.yaml")

    async def async_start(self) -> None:
        """Load the shipped plans and the user's files; then look for changes regularly."""
        self._shipped = await self.hass.async_add_executor_job(load_shipped_plans)
        self.plans = dict(self._shipped)
        await self.async_check()
        self._unsub_timer = async_track_time_interval(
            self.hass, self._tick, CHECK_INTERVAL, cancel_on_shutdown=True
        )

    @callback
    def stop(self) -> None:
        """Stop looking at the folder and withdraw the issues (a new start raises them again)."""
        self._stopped = True
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        for profile in self._bad:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(profile))
        self._bad.clear()

    @callback
    def _tick(self, _now: datetime) -> None:
        self.hass.async_create_task(self.async_check(), eager_start=False)

    async def async_check(self) -> None:
        """Apply the user's files if the folder changed."""
        scanned = await self.hass.async_add_executor_job(scan_folder, self.folder, self._signature)
        if scanned is None or self._stopped:
            return  # unchanged, or stopped meanwhile
        self._signature, files = scanned
        plans = dict(self._shipped)
        bad: set[str] = set()
        for profile, user_file in files.items():
            try:
                if user_file.error is not None:
                    raise ChannelPlanError(user_file.error)
                plans[profile] = channel_plan(user_file.document, profile, user_file.path)
            except ChannelPlanError as err:
                bad.add(profile)
                self._report(profile, user_file.path, str(err))
        for profile in self._bad - bad:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(profile))
        self._bad = bad
        if plans != self.plans:
            changed = sorted(
                p for p in plans.keys() | self.plans.keys() if plans.get(p) != self.plans.get(p)
            )
            self.plans = plans
            _LOGGER.info("ReCalc channel plans changed for %s", ", ".join(changed))
            self._on_change()

    def _report(self, profile: str, path: str, reason: str) -> None:
        _LOGGER.warning("ReCalc channel file %s is ignored: %s", path, reason)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id(profile),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="recalc_channel_file",
            translation_placeholders={"path": path, "reason": reason},
        )

    def _issue_id(self, profile: str) -> str:
        return f"recalc_channel_file_{self.entry_id}_{profile}"
