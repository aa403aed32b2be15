"""``python -m canyu.collect ROOT [--host H] [--port P]``: serve the collector (until ``canyu serve`` wires it)."""

from __future__ import annotations

import argparse

from canyu.collect import serve_collector


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m canyu.collect", description=__doc__)
    parser.add_argument("root", help="folder whose sub-folders are workspaces")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--load-interval", type=float, default=1.0, help="seconds between loader runs")
    parser.add_argument("--segment-bytes", type=int, default=16 * 1024 * 1024, help="spool segment size")
    parser.add_argument("--load-records", type=int, default=500_000, help="records per import call at most")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    serve_collector(
        args.root,
        args.host,
        args.port,
        load_interval=args.load_interval,
        segment_bytes=args.segment_bytes,
        load_records=args.load_records,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
