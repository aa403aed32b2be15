"""`import canyu` does not load the simulator; `canyu.simulate(...)` runs before and after it is loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_simulator_loads_on_first_use_and_stays_callable(tmp_path: Path) -> None:
    code = f"""
import sys
import canyu
import canyu.cli
assert "canyu.simulate" not in sys.modules, "import canyu loaded the simulator"
a = canyu.simulate({str(tmp_path / "a")!r}, people=150, days=7, seed=3)
from canyu.simulate import SCENARIOS  # canyu.simulate is the package now
assert "default" in SCENARIOS
b = canyu.simulate({str(tmp_path / "b")!r}, people=150, days=7, seed=3)
assert a.truth["seed"] == b.truth["seed"] == 3 and a.files.keys() == b.files.keys()
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
