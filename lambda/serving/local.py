# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate serve``: the same app on a laptop, with uvicorn, from a bundle directory.

uvicorn is a development dependency, not a serving one: the Lambda zip does not ship it,
and the package builder refuses serving modules that statically import what the zip lacks.
So it is imported by name, at call time, and only here.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from modelgate.serving.app import create_app
from modelgate.serving.settings import ENV_BUNDLE_URI, Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def serve(bundle_dir: Path | str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve ``bundle_dir`` (or an ``s3://`` URI) until interrupted.

    The other ``MODELGATE_*`` settings come from the environment as on Lambda; a bundle
    that fails verification is reported by ``/health`` (and the log) rather than refused
    at start, exactly as on Lambda.
    """
    uvicorn = importlib.import_module("uvicorn")
    env = {**os.environ, ENV_BUNDLE_URI: str(bundle_dir)}
    app = create_app(Settings.from_env(env))
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
