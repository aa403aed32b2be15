"""Console commands: ``canyu serve``, ``canyu users add|list|remove|grant``, ``canyu keys create``.

Accounts live in ``ROOT/.canyu`` (:class:`canyu.web.AccountStore`); ``--root`` (or ``CANYU_ROOT``)
names the folder whose sub-folders are the client workspaces.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from canyu.cli._app import JsonOpt, app, state
from canyu.cli._present import print_json, say, table
from canyu.errors import CanyuError, InvalidArgumentError, UnknownNameError, WorkspaceError

__all__ = ["keys_app", "serve", "users_app"]

RootOpt = Annotated[
    Path,
    typer.Option(
        "--root", envvar="CANYU_ROOT", help="The folder holding the client workspaces (default: .)."
    ),
]


def _root(path: Path) -> Path:
    if not path.is_dir():
        raise WorkspaceError(
            f"{path} is not a folder (the root holds one workspace folder per client)",
            message_zh=f"{path} 不是目录（根目录下每个客户一个工作区目录）",
            path=str(path),
        )
    return path


def _store(root: Path):  # type: ignore[no-untyped-def]
    from canyu.web import AccountStore

    return AccountStore(_root(root))


@app.command("serve")
def serve(
    ctx: typer.Context,
    root: Annotated[Path, typer.Argument(help="The folder holding one workspace folder per client.")],
    host: Annotated[
        str, typer.Option(help="Address to listen on (keep 127.0.0.1 behind a TLS proxy).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (1-65535).")] = 8000,
    certfile: Annotated[
        Path | None, typer.Option(help="TLS certificate (PEM); cookies become Secure.")
    ] = None,
    keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    no_collector: Annotated[
        bool, typer.Option("--no-collector", help="Do not serve the collector endpoints.")
    ] = False,
) -> None:
    """Serve the agency console (and the live collector) for every workspace under ROOT."""
    from canyu.web import serve as run

    _root(root)
    if not 1 <= port <= 65535:
        raise InvalidArgumentError("--port", port, "1 to 65535")
    if (certfile is None) != (keyfile is None):
        raise InvalidArgumentError("--certfile/--keyfile", "one of them", "both or neither")
    for f in (certfile, keyfile):
        if f is not None and not f.is_file():
            raise InvalidArgumentError("--certfile/--keyfile", str(f), "an existing PEM file")
    st = state(ctx)
    say(
        st.err, f"canyu console on http{'s' if certfile else ''}://{host}:{port}/ (root {root}); Ctrl-C stops"
    )
    tls = {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)} if certfile else {}
    run(root, host=host, port=port, collector=not no_collector, **tls)


users_app = typer.Typer(no_args_is_help=True, help="Console accounts: add, list, remove, grant roles.")
app.add_typer(users_app, name="users")


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CanyuError(
            "no terminal to ask the password on: pipe it with --password-stdin",
            message_zh="没有终端可输入密码：请用 --password-stdin 从标准输入传入",
        )
    first: str = typer.prompt("Password", hide_input=True)
    second: str = typer.prompt("Repeat", hide_input=True)
    if first != second:
        raise CanyuError("the two passwords differ", message_zh="两次输入的密码不一致")
    return first


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="The new user's name.")],
    root: RootOpt = Path("."),
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Add a user (the password is asked for, never given on the command line)."""
    from canyu.web._accounts import check_user_name

    store = _store(root)
    check_user_name(user)
    store.add_user(user, _password(password_stdin), now=time.time())
    say(
        state(ctx).out,
        f"added {user}; give a role with: canyu users grant {user} WORKSPACE viewer|analyst|owner",
    )


@users_app.command("list")
def users_list(ctx: typer.Context, root: RootOpt = Path("."), as_json: JsonOpt = False) -> None:
    """List the users and their roles per workspace."""
    users = _store(root).users()
    if as_json:
        print_json([{"user": u.name, "grants": u.grants} for u in users])
        return
    rows = [(u.name, ", ".join(f"{w}={r}" for w, r in u.grants.items()) or "—") for u in users]
    state(ctx).out.print(table("user", "roles", rows=rows))


@users_app.command("remove")
def users_remove(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="The user to remove.")],
    root: RootOpt = Path("."),
) -> None:
    """Remove a user, their roles and their sessions."""
    _store(root).remove_user(user)
    say(state(ctx).out, f"removed {user}")


@users_app.command("grant")
def users_grant(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="The user.")],
    workspace: Annotated[str, typer.Argument(help="A workspace folder name under the root, or * for all.")],
    role: Annotated[str, typer.Argument(help="viewer, analyst, owner (or none to take the role away).")],
    root: RootOpt = Path("."),
) -> None:
    """Give USER ROLE on WORKSPACE (viewer reads; analyst imports and edits settings; owner also keys and forget)."""
    from canyu.config import CONFIG_FILE
    from canyu.web import ROLES

    store = _store(root)
    if role not in (*ROLES, "none"):
        raise UnknownNameError("role", role, (*ROLES, "none"))
    if workspace != "*":
        names = sorted(p.name for p in root.iterdir() if (p / CONFIG_FILE).is_file())
        if workspace not in names:
            raise UnknownNameError("workspace", workspace, names)
    store.grant(user, workspace, role)
    say(state(ctx).out, f"{user}: {role} on {workspace}")


keys_app = typer.Typer(
    no_args_is_help=True, help="Workspace keys: ingest (public, send-only) and read (secret, JSON API)."
)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    workspace: Annotated[Path, typer.Argument(help="The workspace folder (under the console's root).")],
    kind: Annotated[
        str, typer.Option("--kind", help="ingest (public, for SDKs) or read (secret, for the API).")
    ],
    label: Annotated[str, typer.Option(help="What the key is for.")] = "",
    channel: Annotated[str, typer.Option(help="ingest keys: the channel the events happen on.")] = "web",
    project: Annotated[
        str | None, typer.Option(help="ingest keys: a Sensors Data project name to answer to.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a key and print it once (only its hash is kept)."""
    from canyu.config import CONFIG_FILE

    if kind not in ("ingest", "read"):
        raise UnknownNameError("key kind", kind, ("ingest", "read"))
    if not (workspace / CONFIG_FILE).is_file():
        raise WorkspaceError(
            f"{workspace} is not a canyu workspace (no {CONFIG_FILE})",
            message_zh=f"{workspace} 不是 canyu 工作区（缺少 {CONFIG_FILE}）",
            path=str(workspace),
        )
    ws = workspace.resolve()
    if kind == "ingest":
        from canyu.collect import create_ingest_key

        key = create_ingest_key(ws, label or "ingest", channel=channel, project=project)
    else:
        key = _store(ws.parent).create_read_key(ws.name, label or "read", now=time.time())
    from canyu.web import AuditLog

    AuditLog(ws.parent).record(
        "key_create", user=None, workspace=ws.name, kind=kind, prefix=key[:9], via="cli"
    )
    if as_json:
        print_json({"workspace": ws.name, "kind": kind, "key": key})
        return
    say(state(ctx).out, key)
    say(state(ctx).err, f"{kind} key for {ws.name}: shown once, keep it{' secret' if kind == 'read' else ''}")
