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


def test_an_import_loads_neither_ibis_nor_scipy_and_a_read_still_works(tmp_path: Path) -> None:
    """The import command's path leaves Ibis and scipy unloaded; a read loads Ibis on first use."""
    rows = "event_id,ts,channel,action,user_id\n" + "".join(
        f"e{i},2026-10-01 09:00:00,weibo,view,u{i % 3}\n" for i in range(5)
    )
    (tmp_path / "ev.csv").write_text(rows, encoding="utf-8")
    code = f"""
import sys
from canyu.workspace import create_workspace
ws = create_workspace({str(tmp_path / "ws")!r}, locale="en")
result = ws.import_files([{str(tmp_path / "ev.csv")!r}], table="events")
assert result[0].rows_loaded == 5, result
loaded = [m for m in ("ibis", "scipy") if m in sys.modules]
assert not loaded, f"an import loaded {{loaded}}"
print(ws.to_arrow("events").num_rows, "ibis" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "5 True"
