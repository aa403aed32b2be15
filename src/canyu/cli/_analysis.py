"""Analysis commands: attribute, cascades, seeds, spread."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from canyu.cli._app import DirArg, EngineOpt, JsonOpt, app, open_ws, state
from canyu.cli._present import attribution_tables, cascade_tables, print_json, seeds_table, spread_table
from canyu.errors import CanyuError, InvalidArgumentError
from canyu.i18n import t

__all__ = ["attribute_cmd", "cascades_cmd", "seeds_cmd", "spread_cmd"]

_PATH_ELEMENTS = ("channel", "campaign", "content")


@app.command("attribute")
def attribute_cmd(
    ctx: typer.Context,
    path: Annotated[
        Path | None, typer.Argument(help="A workspace (journeys from its events, else its paths table).")
    ] = None,
    paths: Annotated[
        Path | None,
        typer.Option(
            "--paths",
            exists=True,
            dir_okay=False,
            help="Instead of a workspace: a path table CSV in ChannelAttribution's format (path with touches joined"
            " by ' > ', total_conversions, total_conversion_value, total_null; ',' or ';' separated).",
        ),
    ] = None,
    model: Annotated[
        str,
        typer.Option(
            help="'all' or one of first_touch, last_touch, linear, time_decay, position_based, markov, shapley."
        ),
    ] = "all",
    order: Annotated[int, typer.Option(min=1, max=4, help="Order of the Markov chain (1-4).")] = 1,
    by: Annotated[
        str, typer.Option(help="Path element in a workspace: channel, campaign or content.")
    ] = "channel",
    lookback_days: Annotated[
        int, typer.Option(help="Touches this many days before a conversion count.")
    ] = 30,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Attribute conversions to channels (heuristics, exact Markov, Shapley), in a workspace or on a path file."""
    from canyu.analytics.attribution import attribute_path_file

    if (path is None) == (paths is None):
        raise CanyuError(
            "give a workspace DIR or --paths FILE (one of them)",
            message_zh="请给出工作区目录或 --paths 文件（二选一）",
        )
    if paths is not None:
        result = attribute_path_file(paths, model=model, order=order)
        title = paths.name
    else:
        assert path is not None
        if by not in _PATH_ELEMENTS:
            raise InvalidArgumentError("--by", by, _PATH_ELEMENTS)
        if lookback_days < 1:
            raise InvalidArgumentError("--lookback-days", lookback_days, ">= 1")
        with open_ws(ctx, path, engine) as ws:
            attr = ws.session().run(
                "attribution", model=model, order=order, by=by, lookback_days=lookback_days
            )
        if attr.result is None:
            raise CanyuError(
                f"{path}: no converting journeys ({attr.orders:,} conversions, none with a touch in the "
                f"{lookback_days} days before it) and no imported paths",
                message_zh=f"{path}：没有转化路径（{attr.orders:,} 笔转化在此前 {lookback_days} 天内都没有触点），也没有导入的路径",
            )
        result = attr.result
        title = t(
            "cli.attribute.workspace",
            state(ctx).locale,
            path=path,
            attributed=f"{attr.attributed:,.0f}",
            orders=f"{attr.orders:,}",
        )
    if as_json:
        typer.echo(result.to_json())
        return
    st = state(ctx)
    for part in attribution_tables(result, title, st.locale):
        st.out.print(part)


GraphOpt = Annotated[
    Path,
    typer.Option(
        "--graph",
        exists=True,
        dir_okay=False,
        help="Edge list, one 'source target' or 'source target probability' per line; whitespace or commas;"
        " '#' starts a comment line.",
    ),
]
ModelHelp = (
    "Diffusion model: ic (independent cascade), wc (ic with p = 1/in-degree) or lt (linear threshold)."
)
PHelp = (
    "Edge probability (ic) or weight (lt). Default: the file's third column if it has one, "
    "else 0.01 (ic) or 1/in-degree (lt). Ignored by wc."
)
UndirectedOpt = Annotated[bool, typer.Option("--undirected", help="Each line is a two-way link.")]


@app.command("spread")
def spread_cmd(
    ctx: typer.Context,
    graph: GraphOpt,
    seeds: Annotated[str, typer.Option(help="Seed nodes as written in the file, comma separated: a,b.")],
    model: Annotated[str, typer.Option(help=ModelHelp)] = "ic",
    p: Annotated[float | None, typer.Option("--p", help=PHelp)] = None,
    runs: Annotated[int, typer.Option(min=2, help="Monte Carlo runs.")] = 10_000,
    undirected: UndirectedOpt = False,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Expected word-of-mouth reach of a seed set on a graph (Monte Carlo, seeds included)."""
    from canyu.analytics.influence import spread_from_file

    nodes = [s.strip() for s in seeds.split(",") if s.strip()]
    result = spread_from_file(
        graph, model=model, p=p, seeds=nodes, runs=runs, undirected=undirected, seed=seed
    )
    if as_json:
        print_json(result.to_dict())
        return
    st = state(ctx)
    for part in spread_table(result, graph.name, st.locale):
        st.out.print(part)


@app.command("seeds")
def seeds_cmd(
    ctx: typer.Context,
    path: Annotated[
        Path | None, typer.Argument(help="A workspace: seed over its follow graph on --channel.")
    ] = None,
    graph: Annotated[
        Path | None,
        typer.Option(
            "--graph",
            exists=True,
            dir_okay=False,
            help="Instead of a workspace: an edge list, one 'source target [probability]' per line; whitespace or"
            " commas; '#' starts a comment line.",
        ),
    ] = None,
    channel: Annotated[
        str, typer.Option(help="Workspace mode: the platform whose follow graph carries the spread.")
    ] = "weibo",
    base_cost: Annotated[
        float, typer.Option(help="Workspace mode: fee of a seed with no followers (yuan).")
    ] = 500.0,
    cost_per_follower: Annotated[
        float, typer.Option(help="Workspace mode: fee per follower (yuan); KOLs cost more.")
    ] = 5.0,
    model: Annotated[str, typer.Option(help=ModelHelp)] = "wc",
    k: Annotated[int, typer.Option("--k", min=1, help="Number of seeds (without --budget).")] = 10,
    p: Annotated[float | None, typer.Option("--p", help=PHelp)] = None,
    epsilon: Annotated[
        float, typer.Option(help="IMM accuracy: the seed set is (1 - 1/e - epsilon)-optimal.")
    ] = 0.1,
    budget: Annotated[
        float | None,
        typer.Option(
            help="Seeding budget. In a workspace, yuan (fees from --base-cost and --cost-per-follower); on a graph"
            " file a node costs 1 + out-degree / mean out-degree (KOLs cost more)."
        ),
    ] = None,
    undirected: UndirectedOpt = False,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Whom to seed for the widest word of mouth (IMM influence maximization), in a workspace or on a graph file.

    In a workspace the graph is the follow graph of --channel (a share reaches the sharer's followers)
    and a seed's fee is --base-cost + --cost-per-follower x followers, so --budget is in yuan.
    """
    from canyu.analytics.influence import seeds_from_file

    if (path is None) == (graph is None):
        raise CanyuError(
            "give a workspace DIR or --graph FILE (one of them)",
            message_zh="请给出工作区目录或 --graph 文件（二选一）",
        )
    if graph is not None:
        result = seeds_from_file(
            graph, model=model, k=k, p=p, epsilon=epsilon, budget=budget, undirected=undirected, seed=seed
        )
        title = graph.name
    else:
        assert path is not None
        with open_ws(ctx, path) as ws:
            result = ws.session().run(
                "seeds",
                channel=channel,
                model=model,
                k=k,
                p=p,
                epsilon=epsilon,
                budget=budget,
                base_cost=base_cost,
                cost_per_follower=cost_per_follower,
                seed=seed,
            )
        title = f"{path} ({channel})"
    if as_json:
        print_json(result.to_dict())
        return
    st = state(ctx)
    for part in seeds_table(result, title, st.locale):
        st.out.print(part)


@app.command("cascades")
def cascades_cmd(
    ctx: typer.Context,
    path: DirArg,
    top: Annotated[int, typer.Option(min=1, help="Rows to show per table.")] = 10,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Observed word of mouth: share cascades, their shape and value, KOL/KOC ranking, K-factor per campaign."""
    with open_ws(ctx, path, engine) as ws:
        wom = ws.session().run("cascades", top=top)
    if as_json:
        print_json(wom.to_dict())
        return
    st = state(ctx)
    for part in cascade_tables(
        wom.cascades, wom.people, wom.k_factor, inferred_share=wom.inferred_share, top=top, loc=st.locale
    ):
        st.out.print(part)
