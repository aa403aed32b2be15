"""Every command, given bad arguments, ends with one short message and a non-zero status, never a traceback.

The commands are read from the Typer app itself, so a new command gets the generic cases (unknown
option, missing or non-workspace folder, missing files, unknown engine/model/locale names) without
anyone writing them, and the test fails until it also gets cases of its own in ``SPECIFIC``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import canyu
from canyu import _demo
from canyu.cli import app
from canyu.workspace import open_workspace

runner = CliRunner()
COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]

#: Commands that create the folder they are given (a missing folder is not an error for them).
CREATES = {"init", "simulate", "demo"}

#: Values for required parameters other than the workspace, so a generic case fails on its own fault.
FILLERS: dict[str, list[str]] = {
    "files": ["{events}"],
    "graph": ["--graph", "{star}"],
    "seeds": ["--seeds", "0"],
    "file": ["--file", "{events}"],
    "column": ["--column", "action"],
    "output": ["--output", "{tmp}/scored.csv"],
    "total": ["--total", "100000"],
    "root": ["{tmp}"],
}

#: Options whose bad value is generic: the option, and a value that must be refused.
BAD_OPTION_VALUES = {
    "--engine": "nope",
    "--model": "nope",
    "--locale": "fr",
    "--graph": "{nofile}",
    "--paths": "{nofile}",
}

#: Bad arguments of each command: unknown names, bad numbers, conflicting options.
SPECIFIC: dict[str, list[list[str]]] = {
    "init": [
        ["{ws}"],  # already a workspace
        ["{tmp}/n1", "--engine", "nope"],
        ["{tmp}/n2", "--locale", "fr"],
        ["{tmp}/n3", "--timezone", "Mars/Olympus"],
    ],
    "status": [["{ws}", "--engine", "duckdbb"]],
    "import": [
        ["{ws}", "{nofile}"],
        ["{ws}", "{events}", "-m", "nope"],
        ["{ws}", "{events}", "--table", "event"],
        ["{ws}", "{events}", "-m", "generic_events", "--encoding", "no-such-codec"],
        ["{ws}", "{tmp}"],  # a folder, not a file
        ["{ws}", "{xlsx}", "-m", "xiaohongshu_notes", "--sheet", "nope"],
    ],
    "quarantine": [["{ws}", "--limit", "-1"], ["{ws}", "--limit", "many"]],
    "forget": [
        ["{ws}"],  # neither --person nor --user
        ["{ws}", "--user", "nobody"],
        ["{ws}", "--person", "a", "--user", "weibo:b"],
    ],
    "mappings": [
        ["surplus"],  # no such subcommand
        ["show"],  # no name
        ["show", "nope"],
        ["show", "{garbage}"],  # a file, but not a mapping TOML
        ["suggest"],  # no file
        ["suggest", "{nofile}"],
        ["suggest", "{tmp}"],  # a folder, not a file
    ],
    "simulate": [
        [],  # no folder
        ["{tmp}/s1", "--people", "5"],
        ["{tmp}/s2", "--days", "1"],
        ["{tmp}/s3", "--scenario", "nope"],
        ["{tmp}/s4", "--locale", "fr"],
        ["{tmp}/s5", "--people", "lots"],
        ["{tmp}/s6", "--continue"],  # no plan
        ["{tmp}/s7", "--continue", "--plan", "{nofile}"],
        ["{tmp}/s8", "--continue", "--plan", "{garbage}"],  # not a plan file
    ],
    "demo": [
        ["{tmp}/d1", "--people", "5"],
        ["{tmp}/d2", "--days", "0"],
        ["{tmp}/d3", "--locale", "fr"],
        ["{owned}"],  # a workspace with data of its own
    ],
    "attribute": [
        [],  # neither a workspace nor --paths
        ["{ws}", "--paths", "{paths}"],  # both
        ["--paths", "{paths}", "--model", "markvo"],
        ["--paths", "{paths}", "--order", "0"],
        ["--paths", "{paths}", "--order", "5"],
        ["--paths", "{garbage}"],
        ["{ws}", "--by", "nope"],
        ["{ws}", "--lookback-days", "0"],
    ],
    "spread": [
        ["--graph", "{star}", "--seeds", "9"],  # not a node
        ["--graph", "{star}", "--seeds", ","],  # no seed
        ["--graph", "{star}", "--seeds", "0", "--runs", "1"],
        ["--graph", "{star}", "--seeds", "0", "--model", "ic", "--p", "2"],
        ["--graph", "{garbage}", "--seeds", "0"],
    ],
    "seeds": [
        [],  # neither a workspace nor --graph
        ["{ws}", "--graph", "{star}"],  # both
        ["{ws}", "--budget", "1"],  # below the cheapest fee
        ["{ws}", "--budget", "-5"],
        ["{ws}", "--k", "0"],
        ["{ws}", "--k", "-3"],
        ["{ws}", "--epsilon", "0"],
        ["{ws}", "--epsilon", "1.5"],
        ["{ws}", "--channel", "douyin"],  # no follow edges there
        ["{ws}", "--base-cost", "-1"],
        ["{ws}", "--model", "ic", "--p", "-0.5"],
        ["--graph", "{star}", "--budget", "0.5"],
        ["--graph", "{star}", "--k", "0"],
        ["--graph", "{garbage}"],
    ],
    "cascades": [["{ws}", "--top", "0"], ["{ws}", "--top", "-1"]],
    "sentiment": [
        ["--file", "{nofile}", "--column", "text", "--output", "{tmp}/o.csv"],
        ["--file", "{events}", "--column", "no_such_column", "--output", "{tmp}/o.csv"],
        ["--file", "{events}", "--column", "action", "--output", "{tmp}/o.csv", "--threshold", "2"],
    ],
    "analyze": [
        [],  # neither a workspace nor --list
        ["{ws}"],  # no analysis named
        ["{ws}", "activty"],
        ["{ws}", "activity", "--period", "2026-13"],
        ["{ws}", "activity", "--period", "2026-10", "--since", "2026-10-01"],
        ["{ws}", "activity", "--since", "2026-10-05", "--until", "2026-10-01"],
        ["{ws}", "activity", "-o", "unit=fortnight"],
        ["{ws}", "activity", "-o", "unit"],
        ["{ws}", "activity", "-o", "bogus=1"],
        ["{ws}", "retention", "-o", "days=a,b"],
        ["{ws}", "activity", "--channels", "weibp"],
        ["{ws}", "seeds", "-o", "k=0"],
        ["{ws}", "funnels", "-o", "window_days=0"],
        ["{ws}", "attribution", "-o", "model=markvo"],
        ["{ws}", "agenda", "-o", "ic=hqic"],
        ["{ws}", "agenda", "-o", "max_lag=0"],
        ["{ws}", "topics", "-o", "min_hits=0"],
        ["{ws}", "sentiment", "-o", "threshold=2"],
    ],
    "mmm": [
        [],  # neither a workspace nor --file
        ["{ws}", "--file", "{events}"],  # both
        ["--file", "{nofile}", "--date", "ts", "--target", "value", "--channels", "weibo"],
        ["--file", "{events}", "--date", "ts"],  # no --target / --channels
        ["--file", "{events}", "--date", "ts", "--target", "value", "--channels", "weibo"],  # no such column
        ["--file", "{events}", "--date", "nope", "--target", "value", "--channels", "channel"],
        ["--file", "{events}", "--date", "ts", "--target", "action", "--channels", "channel"],  # not numbers
        ["--file", "{events}", "--date", "ts", "--target", "value", "--channels", "channel", "--draws", "2"],
        ["{ws}", "--target", "profit"],
        ["{ws}", "--channels", "weibo"],  # --channels goes with --file
        ["{ws}", "--holdout-weeks", "-1"],
        ["{ws}", "--saturation", "sigmoid"],  # the workspace fit takes the same forms as --file
        ["{ws}"],  # no spend: no fit, says why
    ],
    "budget": [
        ["{ws}", "--total", "0"],
        ["{ws}", "--total", "-5"],
        ["{ws}", "--total", "lots"],
        ["{ws}", "--total", "100000", "--objective", "nope"],
        ["{ws}", "--total", "100000", "--period", "all"],
        ["{ws}", "--total", "100000", "--period", "next-0d"],
        ["{ws}", "--total", "100000", "--margin", "0"],
        ["{ws}", "--total", "100000", "--risk-quantile", "1.5"],
    ],
    "plan": [
        ["{ws}", "--period", "next-0d"],
        ["{ws}", "--period", "all"],  # a plan needs dates
        ["{ws}", "--month", "2026-13"],
        ["{ws}", "--month", "2026-12", "--period", "next-30d"],  # both
        ["{ws}", "--budget", "-5"],
        ["{ws}", "--budget", "lots"],
        ["{ws}", "--objective", "likes"],
        ["{ws}", "--format", "pdf"],
        ["{ws}", "-o", "{plain}"],  # a folder, not a file
        ["{ws}", "{ws}"],  # a second folder without `track`
        ["{ws}", "--plan", "{events}"],  # --plan belongs to track
        ["track"],  # no folder
        ["track", "{ws}"],  # no plan saved yet
        ["track", "{ws}", "--plan", "{garbage}"],
        ["track", "{ws}", "--plan", "{nofile}"],
        ["track", "{nowhere}"],
    ],
    "report": [
        ["{ws}", "--sections", "nope"],
        ["{ws}", "--locale", "fr"],
        ["{ws}", "--start", "2026-13-01"],
        ["{ws}", "--start", "2026-10-05", "--end", "2026-10-01"],
        ["{ws}", "--out", "{plain}"],  # a folder, not a file
    ],
    "serve": [
        ["{nowhere}"],
        ["{events}"],  # a file, not a folder
        ["{tmp}", "--port", "0"],
        ["{tmp}", "--port", "70000"],
        ["{tmp}", "--port", "many"],
        ["{tmp}", "--certfile", "{nofile}", "--keyfile", "{nofile}"],
        ["{tmp}", "--certfile", "{events}"],  # no key file
    ],
    "users": [
        ["surplus"],
        ["add"],  # no user
        ["add", "bad name!", "--root", "{tmp}", "--password-stdin"],
        ["add", "carol", "--root", "{tmp}", "--password-stdin"],  # empty password from stdin
        ["add", "carol", "--root", "{nowhere}", "--password-stdin"],
        ["add", "carol", "--root", "{tmp}"],  # no terminal to ask on
        ["grant", "nobody", "ws", "viewer", "--root", "{tmp}"],
        ["grant", "nobody", "ws", "boss", "--root", "{tmp}"],
        ["remove", "nobody", "--root", "{tmp}"],
        ["list", "--root", "{nowhere}"],
    ],
    "keys": [
        ["surplus"],
        ["create", "{ws}"],  # no --kind
        ["create", "{nowhere}", "--kind", "ingest"],
        ["create", "{plain}", "--kind", "read"],
        ["create", "{ws}", "--kind", "write"],
        ["create", "{ws}", "--kind", "ingest", "--channel", "nope"],
        ["create", "{ws}", "--kind", "ingest", "--project", "9bad"],
    ],
}


@pytest.fixture
def places(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    """A small workspace with events and a follow graph, plus files good and bad to point at."""
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--locale", "en"]).exit_code == 0
    follows = tmp_path / "follows.csv"
    follows.write_text(
        "channel,follower_id,followee_id,ts\n"
        + "".join(f"weibo,{a},{b},2026-10-01 00:00:00\n" for a, b in [("a", "b"), ("c", "b"), ("d", "a")]),
        encoding="utf-8",
    )
    for args in (
        [str(data_dir / "events_basic.csv"), "-m", "generic_events"],
        [str(follows), "--table", "follows"],
    ):
        r = runner.invoke(app, ["import", str(ws), *args])
        assert r.exit_code == 0, r.output
    owned = tmp_path / "owned"
    runner.invoke(app, ["init", str(owned), "--locale", "en"])
    runner.invoke(app, ["import", str(owned), str(data_dir / "events_basic.csv"), "-m", "generic_events"])
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "notes.txt").write_text("not a workspace\n", encoding="utf-8")
    star = tmp_path / "star.txt"
    star.write_text("0 1\n0 2\n0 3\n", encoding="utf-8")
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("this is not\nan edge list or a path table at all\n", encoding="utf-8")
    return {
        "ws": str(ws),
        "owned": str(owned),
        "plain": str(plain),
        "nowhere": str(tmp_path / "nowhere"),
        "nofile": str(tmp_path / "no-such-file.csv"),
        "tmp": str(tmp_path),
        "events": str(data_dir / "events_basic.csv"),
        "paths": str(data_dir / "paths.csv"),
        "xlsx": str(data_dir / "xhs_notes.xlsx"),
        "star": str(star),
        "garbage": str(garbage),
    }


def _fill(args: list[str], places: dict[str, str]) -> list[str]:
    return [a.format(**places) for a in args]


def _fillers(name: str) -> list[str]:
    """Arguments that satisfy ``name``'s required parameters other than the workspace folder."""
    out: list[str] = []
    for p in COMMANDS[name].params:
        if p.required and p.name != "path":
            assert p.name in FILLERS, f"give tests/cli FILLERS a value for {name}'s required {p.name!r}"
            out += FILLERS[p.name]
    return out


def generic_cases(name: str) -> list[list[str]]:
    """Bad arguments every command of its shape must refuse, derived from its parameters."""
    params = COMMANDS[name].params
    cases = [["--no-such-option", *_fillers(name)]]
    takes_dir = any(p.name == "path" and p.param_type_name == "argument" for p in params)
    if takes_dir and name not in CREATES:
        cases += [["{nowhere}", *_fillers(name)], ["{plain}", *_fillers(name)]]
    for p in params:
        for opt in getattr(p, "opts", ()):
            if opt in BAD_OPTION_VALUES:
                base = ["{ws}"] if takes_dir and name not in CREATES else ["{tmp}/new-" + name]
                if not takes_dir:
                    base = []
                rest = [a for a in _fillers(name) if opt != "--graph" or a not in ("--graph", "{star}")]
                cases.append([*base, *rest, opt, BAD_OPTION_VALUES[opt]])
    return cases


def _check(name: str, args: list[str]) -> None:
    r = runner.invoke(app, [name, *args])
    where = f"canyu {name} {' '.join(args)}"
    assert r.exit_code == 2, f"{where}: exit {r.exit_code}\n{r.output}"
    assert "Traceback" not in r.output, where
    err = r.stderr.strip().splitlines()
    assert err, f"{where}: nothing on stderr"
    if err[0].startswith("canyu:"):
        assert len(err) == 1 and len(err[0]) < 600, f"{where}: {r.stderr}"  # one clear line
    else:
        assert len(err) <= 8 and "Usage" in r.stderr, f"{where}: {r.stderr}"  # Typer's usage message


def test_every_command_has_its_own_bad_argument_cases() -> None:
    assert set(SPECIFIC) == set(COMMANDS), "add bad-argument cases for new commands to SPECIFIC"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_bad_arguments_end_in_one_short_message(name: str, places: dict[str, str]) -> None:
    for args in generic_cases(name) + SPECIFIC.get(name, []):
        _check(name, _fill(args, places))
    # the refused workspace is left as it was
    with open_workspace(places["owned"]) as ws:
        assert ws.status().rows["events"] == 4


def test_canyu_errors_are_localized_one_line(places: dict[str, str]) -> None:
    runner.invoke(app, ["init", places["tmp"] + "/zh", "--locale", "zh-CN"])
    r = runner.invoke(app, ["seeds", places["tmp"] + "/zh", "--k", "3"])
    assert r.exit_code == 2 and r.stderr.startswith("canyu: ") and "没有 weibo 的用户关注关系" in r.stderr
    r = runner.invoke(app, ["seeds", places["ws"], "--budget", "1"])
    assert r.stderr.strip() == (
        "canyu: budget 1 is below the cheapest seed's cost 500: no seed is affordable"
    )


def _run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (which may register a command) and then the real ``canyu.cli.main``."""
    code = textwrap.dedent(script) + "\nfrom canyu.cli import main\nmain(sys.argv[1:])\n"
    return subprocess.run(
        [sys.executable, "-c", "import sys\n" + code, *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


BOOM = """
from canyu.cli import app

@app.command("boom")
def boom() -> None:
    raise KeyError("x")

@app.command("hang")
def hang() -> None:
    raise KeyboardInterrupt
"""


@pytest.fixture
def env(canyu_home: Path) -> dict[str, str]:
    import os

    return {**os.environ, "CANYU_HOME": str(canyu_home), "CANYU_LOCALE": "en"}


def test_unexpected_error_prints_one_line_and_writes_the_trace(env: dict[str, str], canyu_home: Path) -> None:
    out = _run(BOOM, "boom", env=env)
    assert out.returncode == 1 and "Traceback" not in out.stderr + out.stdout
    line = out.stderr.strip()
    m = re.fullmatch(r"canyu: unexpected error \(KeyError: 'x'\); full trace written to (\S+)", line)
    assert m, line
    trace = Path(m.group(1))
    assert trace.parent == canyu_home / "logs" and re.fullmatch(
        r"trace-\d{8}T\d{6}\.\d+Z-\d+\.txt", trace.name
    )
    text = trace.read_text(encoding="utf-8")
    assert text.startswith("canyu boom\n") and "Traceback (most recent call last)" in text
    assert text.rstrip().endswith("in boom\nKeyError: 'x'")


def test_unexpected_error_in_chinese_and_with_debug(env: dict[str, str]) -> None:
    out = _run(BOOM, "boom", env={**env, "CANYU_LOCALE": "zh-CN"})
    assert out.returncode == 1 and out.stderr.startswith(
        "canyu：意外错误（KeyError: 'x'）；完整跟踪信息已写入 "
    )
    out = _run(BOOM, "--debug", "boom", env=env)
    assert out.returncode == 1 and "Traceback (most recent call last)" in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("canyu: unexpected error (KeyError: 'x')")


def test_trace_falls_back_to_the_temp_folder(env: dict[str, str], tmp_path: Path) -> None:
    home = tmp_path / "home-is-a-file"
    home.write_text("", encoding="utf-8")
    out = _run(BOOM, "boom", env={**env, "CANYU_HOME": str(home), "TMPDIR": str(tmp_path / "t")})
    (tmp_path / "t").mkdir(exist_ok=True)
    assert out.returncode == 1
    written = Path(out.stderr.strip().rsplit(" ", 1)[-1])
    assert written.exists() and "KeyError: 'x'" in written.read_text(encoding="utf-8")
    assert home not in written.parents


def test_ctrl_c_is_one_line_and_status_130(env: dict[str, str]) -> None:
    out = _run(BOOM, "hang", env=env)
    assert out.returncode == 130 and out.stderr.strip() == "canyu: interrupted"
    assert "Traceback" not in out.stderr


def test_version() -> None:
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.strip() == f"canyu {canyu.__version__}"
    out = subprocess.run(
        [sys.executable, "-m", "canyu", "--version"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0 and out.stdout.strip() == f"canyu {canyu.__version__}"


def test_user_data_is_not_read_as_markup(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    r = runner.invoke(app, ["init", ws, "--brand", "[bold]Brand[/red]", "--locale", "en"])
    assert r.exit_code == 0 and "[bold]Brand[/red]" in r.stdout
    bad = tmp_path / "marked[bold].csv"
    bad.write_text(
        "event_id,ts,channel,action,user_id\nx1,[/bold],weibo,view,u1\nx2,2026-10-01 00:00:00,weibo,[red]v,u2\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["import", ws, str(bad), "-m", "generic_events"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["quarantine", ws])
    assert r.exit_code == 0, r.output
    assert "[/bold]" in r.stdout and "[red]v" in r.stdout and "marked[bold].csv" in r.stdout
    r = runner.invoke(app, ["status", ws])
    assert r.exit_code == 0 and "[bold]Brand[/red]" in r.stdout
    r = runner.invoke(app, ["import", ws, str(tmp_path / "[red]missing.csv")])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_demo_replaces_only_demo_workspaces(tmp_path: Path, data_dir: Path) -> None:
    demo = tmp_path / "demo"
    _demo.build(demo, locale="en", people=100, days=7).close()
    assert (demo / _demo.DEMO_MARKER).exists() and _demo.is_replaceable(demo)
    _demo.make_room(demo)  # what a second `canyu demo` does first
    assert not demo.exists()

    _demo.build(demo, locale="en", people=100, days=7).close()
    with canyu.open(demo) as ws:
        ws.import_files([data_dir / "events_basic.csv"], mapping="generic_events")
    assert not _demo.is_replaceable(demo)  # the user's own file is in it now
    r = runner.invoke(app, ["demo", str(demo), "--people", "100", "--days", "7"])
    assert r.exit_code == 2 and "--force" in r.stderr and "Traceback" not in r.output
    assert (demo / "canyu.toml").exists()
    _demo.make_room(demo, force=True)
    assert not demo.exists()

    mine = tmp_path / "mine"
    runner.invoke(app, ["init", str(mine)])
    assert _demo.is_replaceable(mine)  # an empty workspace holds nothing to lose
    runner.invoke(app, ["import", str(mine), str(data_dir / "events_basic.csv"), "-m", "generic_events"])
    assert not _demo.is_replaceable(mine)
    assert _demo.is_replaceable(tmp_path / "nowhere") and _demo.is_replaceable(data_dir)


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``canyu report --help | head -20``: the reader goes away mid-output; no "unexpected error"."""
    import os
    import shlex

    err = tmp_path / "err.txt"
    cmd = f"{shlex.quote(sys.executable)} -m canyu report --help 2>{shlex.quote(str(err))} | head -20 >/dev/null"
    for _ in range(3):
        subprocess.run(["bash", "-c", cmd], check=True, timeout=60, env={**os.environ, "COLUMNS": "80"})
        text = err.read_text()
        assert "unexpected error" not in text and "Traceback" not in text, text
