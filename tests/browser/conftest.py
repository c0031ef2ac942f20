"""The browser test runs in the development environment only (``scripts/test``'s browser step).

The pinned test environments have no Playwright: there the folder is not collected at all,
and ``scripts/test`` says so and runs it once in ``.venv-dev``.
"""

from __future__ import annotations

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("playwright") else ["test_*.py"]
