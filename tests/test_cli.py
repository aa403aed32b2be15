"""The real CLI: commands, JSON output, errors in one line in the workspace's language, docs in sync."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from canyu.cli import app

runner = CliRunner()


def _canyu(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([sys.executable, "-m", "canyu", *args], capture_output=True, text=True, check=False)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def test_init_import_status_quarantine_json(tmp_path: Path, data_dir: Path) -> None:
    ws = str(tmp_path / "ws")
    r = runner.invoke(app, ["init", ws, "--brand", "品牌X", "--locale", "en"])
    assert r.exit_code == 0, r.output
    assert "Created workspace" in r.output and "owner-only" in r.output
    r = runner.invoke(
        app,
        [
            "import",
            ws,
            str(data_dir / "events_broken.csv"),
            str(data_dir / "events_basic.csv"),
            "-m",
            "generic_events",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    results = json.loads(r.output)
    assert [(x["rows_in"], x["rows_loaded"], x["rows_quarantined"]) for x in results] == [
        (10, 2, 8),
        (4, 4, 0),
    ]
    r = runner.invoke(app, ["status", ws, "--json"])
    st = json.loads(r.output)
    assert st["rows"]["events"] == 6 and st["brand"] == "品牌X" and len(st["imports"]) == 2
    assert {c["channel"] for c in st["channels"]} == {"weibo", "wechat_oa", "ecommerce"}
    r = runner.invoke(app, ["quarantine", ws, "--json"])
    rows = json.loads(r.output)
    assert len(rows) == 8 and {"source", "row_number", "field", "value", "reason"} <= rows[0].keys()
    r = runner.invoke(app, ["quarantine", ws, "--export", str(tmp_path / "fix")])
    assert r.exit_code == 0 and (tmp_path / "fix" / "events_broken.events.rejected.csv").exists()


def test_status_table_output_in_chinese(tmp_path: Path, data_dir: Path) -> None:
    ws = str(tmp_path / "ws")
    runner.invoke(app, ["init", ws, "--locale", "zh-CN"])
    r = runner.invoke(app, ["import", ws, str(data_dir / "events_gb18030.csv"), "-m", "generic_events"])
    assert "读取 5 行，载入 5" in r.output
    r = runner.invoke(app, ["status", ws])
    assert r.exit_code == 0 and "行数" in r.output and "wechat_oa" in r.output


def test_errors_are_one_line_localized_and_non_zero(tmp_path: Path, data_dir: Path) -> None:
    out = _canyu("status", str(tmp_path / "nowhere"), check=False)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "is not a canyu workspace" in out.stderr
    assert "Traceback" not in out.stderr
    _canyu("init", str(tmp_path / "zh"), "--locale", "zh-CN")
    out = _canyu(
        "import", str(tmp_path / "zh"), str(data_dir / "events_basic.csv"), "--table", "event", check=False
    )
    assert out.returncode == 2 and "未知的table 'event'" in out.stderr and "events" in out.stderr
    out = _canyu(
        "--debug",
        "import",
        str(tmp_path / "zh"),
        str(data_dir / "events_basic.csv"),
        "--table",
        "event",
        check=False,
    )
    assert "Traceback" in out.stderr


def test_forget_by_user(tmp_path: Path, data_dir: Path) -> None:
    ws = str(tmp_path / "ws")
    runner.invoke(app, ["init", ws, "--locale", "en"])
    runner.invoke(app, ["import", ws, str(data_dir / "events_basic.csv"), "-m", "generic_events"])
    r = runner.invoke(app, ["forget", ws, "--user", "wechat_oa:u1", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["rows_deleted"]["events"] == 2


@pytest.mark.slow
def test_demo_simulates_imports_and_analyses(tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["demo", str(tmp_path / "demo"), "--locale", "en", "--people", "3000", "--days", "30"]
    )
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "Simulated" in out and "events.csv: read" in out and "quarantined 0" in out
    assert "Who earns the orders" in out
    assert (tmp_path / "demo" / "simulated" / "truth.json").exists()


def test_simulate_command(tmp_path: Path) -> None:
    r = runner.invoke(app, ["simulate", "--list-scenarios", "--json"])
    assert set(json.loads(r.output)) >= {"default", "wrong-roles", "viral-launch", "weak-agenda"}
    r = runner.invoke(
        app, ["simulate", str(tmp_path / "f"), "--people", "800", "--days", "10", "--files-only", "--json"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["events"] > 0 and (tmp_path / "f" / "events.csv").exists()
    r = runner.invoke(
        app,
        [
            "simulate",
            str(tmp_path / "ws"),
            "--people",
            "800",
            "--days",
            "10",
            "--scenario",
            "wrong-roles",
            "--dirty",
            "--json",
            "--locale",
            "en",
        ],
    )
    assert r.exit_code == 0, r.output
    imports = json.loads(r.output)["imports"]
    assert sum(i["rows_quarantined"] for i in imports) == 8
    r = runner.invoke(app, ["simulate", str(tmp_path / "x"), "--scenario", "nope"])
    assert r.exit_code != 0


def test_cli_docs_are_generated_from_help(tmp_path: Path) -> None:
    out = tmp_path / "cli.md"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "typer"),
            "canyu.cli",
            "utils",
            "docs",
            "--name",
            "canyu",
            "--title",
            "canyu command line",
            "--output",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    committed = Path(__file__).parents[1] / "docs" / "cli.md"
    assert committed.read_text(encoding="utf-8") == out.read_text(encoding="utf-8"), "run: make docs"


def test_attribute_on_a_path_file_and_in_a_workspace(tmp_path: Path, data_dir: Path) -> None:
    r = runner.invoke(app, ["attribute", "--paths", str(data_dir / "paths.csv"), "--model", "all", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["total_conversions"] == 20
    for name, model in out["models"].items():
        assert sum(c["conversions"] for c in model["channels"].values()) == pytest.approx(20), name
    assert "removal_effect" in out["models"]["markov"]["channels"]["weibo"]
    ws = str(tmp_path / "ws")
    runner.invoke(app, ["init", ws, "--locale", "en"])
    runner.invoke(app, ["import", ws, str(data_dir / "events_basic.csv"), "-m", "generic_events"])
    r = runner.invoke(app, ["attribute", ws, "--model", "last_touch", "--json"])
    # wechat_oa:u1 and ecommerce:u1 are two people until a link joins them: no journey converts
    assert r.exit_code == 2 and r.stdout == ""
    assert "no converting journeys (1 conversions, none with a touch" in r.stderr
    runner.invoke(app, ["import", ws, str(data_dir / "identity_links.csv"), "--table", "identity_links"])
    r = runner.invoke(app, ["attribute", ws, "--model", "last_touch", "--json"])
    assert r.exit_code == 0, r.output
    # u1 viewed on wechat_oa, then bought: the one order goes to wechat_oa
    assert json.loads(r.output)["models"]["last_touch"]["channels"]["wechat_oa"]["conversions"] == 1
    r = runner.invoke(app, ["attribute", "--paths", str(data_dir / "paths.csv"), "--model", "markvo"])
    assert r.exit_code != 0


def test_spread_and_seeds_on_a_graph_file(tmp_path: Path) -> None:
    star = tmp_path / "star.txt"
    star.write_text("# a star: hub 0 reaches 1..4\n0 1\n0 2\n0,3\n0 4\n", encoding="utf-8")
    r = runner.invoke(
        app,
        [
            "spread",
            "--graph",
            str(star),
            "--model",
            "ic",
            "--p",
            "1.0",
            "--seeds",
            "0",
            "--runs",
            "50",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["mean"] == 5  # p = 1: the hub reaches everyone; spread counts the seed
    r = runner.invoke(
        app, ["seeds", "--graph", str(star), "--model", "ic", "--p", "0.5", "--k", "1", "--json"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["seeds"] == ["0"]
    r = runner.invoke(app, ["spread", "--graph", str(star), "--seeds", "9", "--runs", "10"])
    assert r.exit_code != 0


def test_cascades_and_seeds_in_a_simulated_workspace(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    r = runner.invoke(app, ["simulate", ws, "--people", "3000", "--days", "20", "--locale", "en", "--json"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["cascades", ws, "--json", "--top", "5"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["cascades"] > 0 and 0 <= out["inferred_share"] <= 1
    assert all(c["size"] >= 1 and c["structural_virality"] >= 0 for c in out["largest"])
    r = runner.invoke(app, ["seeds", ws, "--k", "5", "--budget", "20000", "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert res["seeds"] and res["cost"] <= 20000
