"""The short runs of the proof scripts in scripts/ (soak_kill.py, fuzz_payloads.py): the
same code as the full runs, at a size the suite can afford."""

from __future__ import annotations

import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
