"""Running the ``hazardloop`` command line (CLI) as an operator would, in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HAZARDLOOP = str(Path(sys.executable).with_name("hazardloop"))


def run_cli(*args: str, env: dict[str, str], input: str | None = None,
            timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HAZARDLOOP, *args], env={**os.environ, **env}, input=input,
                          capture_output=True, text=True, timeout=timeout)
