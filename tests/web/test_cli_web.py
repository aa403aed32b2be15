"""``canyu users`` and ``canyu keys``: the accounts and keys the console and the collector accept."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

import canyu
from canyu.cli import app as cli
from canyu.web import create_app

from .conftest import PASSWORD, sign_in

runner = CliRunner()


def test_users_keys_and_their_use(tmp_path: Path) -> None:
    root = tmp_path / "clients"
    canyu.create(root / "acme", brand="Acme", locale="en").close()
    r = runner.invoke(
        cli, ["users", "add", "dana", "--root", str(root), "--password-stdin"], input=PASSWORD + "\n"
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        cli, ["users", "add", "dana", "--root", str(root), "--password-stdin"], input=PASSWORD + "\n"
    )
    assert r.exit_code == 2 and "dana" in r.stderr  # already there
    r = runner.invoke(cli, ["users", "grant", "dana", "nope", "viewer", "--root", str(root)])
    assert r.exit_code == 2 and "acme" in r.stderr  # lists the workspaces
    assert (
        runner.invoke(cli, ["users", "grant", "dana", "acme", "analyst", "--root", str(root)]).exit_code == 0
    )
    listed = json.loads(runner.invoke(cli, ["users", "list", "--root", str(root), "--json"]).stdout)
    assert listed == [{"user": "dana", "grants": {"acme": "analyst"}}]

    r = runner.invoke(cli, ["keys", "create", str(root / "acme"), "--kind", "read", "--json"])
    assert r.exit_code == 0, r.output
    read_key = json.loads(r.stdout)["key"]
    r = runner.invoke(cli, ["keys", "create", str(root / "acme"), "--kind", "ingest", "--json"])
    ingest_key = json.loads(r.stdout)["key"]
    assert read_key.startswith("cyrk_") and ingest_key.startswith("cyik_")

    app = create_app(root, collector=True)
    c = TestClient(app)
    sign_in(c, "dana")
    assert c.get("/w/acme/settings").status_code == 200
    api = c.get("/api/w/acme/findings", headers={"authorization": f"Bearer {read_key}"})
    assert api.status_code == 200 and "findings" in api.json()
    # the ingest key sends only: it opens no read route
    assert c.get("/api/w/acme/findings", headers={"authorization": f"Bearer {ingest_key}"}).status_code == 401
    # the collector, served on the same app, knows the ingest key (and refuses an unknown one)
    body = {"api_key": "cyik_" + "0" * 32, "batch": [{"event": "$pageview", "distinct_id": "d1"}]}
    assert c.post("/batch/", json=body).status_code == 401

    assert runner.invoke(cli, ["users", "remove", "dana", "--root", str(root)]).exit_code == 0
    assert c.get("/w/acme/settings", follow_redirects=False).status_code == 401  # sessions went with the user
    audit = [json.loads(x) for x in (root / ".canyu" / "audit.jsonl").read_text().splitlines()]
    assert [e["detail"]["kind"] for e in audit if e["event"] == "key_create"] == ["read", "ingest"]
    assert all(read_key not in json.dumps(e) for e in audit)
