"""Media-mix and budget commands: ``canyu mmm`` (a prepared weekly file or a workspace) and ``canyu budget``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from canyu.cli._app import EngineOpt, JsonOpt, app, open_ws, state
from canyu.cli._present import print_json, say, table
from canyu.errors import CanyuError, InvalidArgumentError
from canyu.i18n import t

if TYPE_CHECKING:
    from rich.console import Console

    from canyu.analytics.mmm import MediaMixResult
    from canyu.plan.budget import WorkspaceBudget

__all__ = ["budget_cmd", "mmm_cmd"]


def _names(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _num(x: Any, pattern: str = "{:,.3g}") -> str:
    import math

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return pattern.format(x)


def _iv(row: Any, pattern: str = "{:,.3g}") -> str:
    """``mean [lo, hi]``."""
    return f"{_num(row['mean'], pattern)} [{_num(row['lo'], pattern)}, {_num(row['hi'], pattern)}]"


def print_fit(out: Console, fit: MediaMixResult, title: str, loc: str) -> None:
    """Per channel ROAS, marginal ROAS, contribution, carry-over and saturation with 90% intervals,
    then the diagnostics (a failed check flagged) and the holdout check."""
    say(out, title, bold=True)
    spend = fit.metric("spend")
    metrics = {
        m: fit.metric(m) for m in ("roas", "marginal_roas", "contribution", "alpha", "half_saturation")
    }
    if fit.saturation != "logistic":  # the Hill slope (over the Hill draws when averaged)
        metrics["shape"] = fit.metric("shape")
    if fit.adstock == "delayed":
        metrics["theta"] = fit.metric("theta")
    cols = [
        t("mmm.col.channel", loc),
        t("mmm.col.spend", loc),
        t("mmm.col.roas", loc),
        t("mmm.col.mroas", loc),
        t("mmm.col.contribution", loc, target=fit.target),
        t("mmm.col.alpha", loc),
        t("mmm.col.half", loc),
    ]
    if "shape" in metrics:
        cols.append(t("mmm.col.shape", loc))
    if "theta" in metrics:
        cols.append(t("mmm.col.theta", loc))
    rows = []
    for ch in fit.channels:
        row = [
            ch,
            _num(spend.loc[ch, "mean"], "{:,.0f}"),
            _iv(metrics["roas"].loc[ch]),
            _iv(metrics["marginal_roas"].loc[ch]),
            _iv(metrics["contribution"].loc[ch], "{:,.0f}"),
            _iv(metrics["alpha"].loc[ch], "{:.2f}"),
            _iv(metrics["half_saturation"].loc[ch], "{:,.0f}"),
        ]
        if "shape" in metrics:
            row.append(_iv(metrics["shape"].loc[ch], "{:.2f}"))
        if "theta" in metrics:
            row.append(_iv(metrics["theta"].loc[ch], "{:.2f}"))
        rows.append(row)
    tab = table(*cols, rows=rows)
    tab.caption = t("mmm.caption", loc, weeks=fit.weeks, start=fit.start, end=fit.end, target=fit.target)
    out.print(tab)
    d = fit.diagnostics
    if d.ok:
        say(
            out,
            t(
                "mmm.diag_ok",
                loc,
                rhat=_num(d.max_rhat, "{:.3f}"),
                ess=_num(d.min_ess, "{:,.0f}"),
                chains=d.chains,
                draws=d.draws,
                seconds=f"{d.seconds:.1f}",
            ),
        )
    else:
        say(out, t("mmm.diag_failed", loc, reasons="; ".join(d.reasons)), bold=True)
        say(
            out,
            t(
                "mmm.diag_values",
                loc,
                rhat=_num(d.max_rhat, "{:.3f}"),
                ess=_num(d.min_ess, "{:,.0f}"),
                div=d.divergences,
                n=d.chains * d.draws,
            ),
        )
    h = fit.holdout
    if h is None:
        say(out, t("mmm.no_holdout", loc))
    else:
        say(
            out,
            t(
                "mmm.holdout",
                loc,
                weeks=h.weeks,
                mape=f"{h.mape:.1%}",
                covered=round(h.coverage * h.weeks),
                r2=f"{h.r2:.2f}",
                train_mape=f"{h.train_mape:.1%}",
            ),
        )
    if len(fit.effects):
        rows = [
            [
                str(r.name),
                t(f"mmm.effects.{r.kind}", loc),
                _iv(r._asdict(), "{:,.0f}" if abs(float(r.mean)) >= 100 else "{:,.3g}"),
            ]
            for r in fit.effects.itertuples(index=False)
        ]
        out.print(
            table(
                t("mmm.effects.col.name", loc),
                t("mmm.effects.col.kind", loc),
                t("mmm.effects.col.value", loc),
                title=t("mmm.effects.title", loc, target=fit.target),
                rows=rows,
            )
        )
    for note in fit.notes:
        say(out, "· " + note)


@app.command("mmm")
def mmm_cmd(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="A workspace: weekly spend from its spend table, the outcome from events."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Instead of a workspace: a prepared wide weekly sheet (CSV or XLSX)."),
    ] = None,
    date: Annotated[str | None, typer.Option("--date", help="--file: the date (week) column.")] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="The outcome: a column of --file; in a workspace revenue, orders, new_followers or leads"
            " (default revenue).",
        ),
    ] = None,
    channels: Annotated[
        str | None, typer.Option("--channels", help="--file: spend columns, comma separated: C1,C2,...")
    ] = None,
    controls: Annotated[
        str | None,
        typer.Option(
            "--controls", help="--file: control columns (price index, promotions), comma separated."
        ),
    ] = None,
    saturation: Annotated[
        str, typer.Option(help="logistic, hill, or average (both forms fitted, draws pooled).")
    ] = "logistic",
    adstock: Annotated[str, typer.Option(help="geometric or delayed.")] = "geometric",
    holdout_weeks: Annotated[int, typer.Option(help="Last weeks held out to check the fit.")] = 8,
    chains: Annotated[int, typer.Option(help="NUTS chains (vectorised).")] = 4,
    warmup: Annotated[int, typer.Option(help="Warm-up draws per chain.")] = 300,
    draws: Annotated[int, typer.Option(help="Draws per chain.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Media-mix model: per channel ROAS, marginal ROAS, contribution, carry-over and saturation with 90% intervals, diagnostics and a holdout check."""
    from canyu.analytics.mmm import OUTCOMES, mmm_from_file

    st = state(ctx)
    if (path is None) == (file is None):
        raise CanyuError(
            "give a workspace DIR or --file WIDE.csv (one of them)",
            message_zh="请给出工作区目录或 --file 周数据文件（二选一）",
        )
    if holdout_weeks < 0:
        raise InvalidArgumentError("--holdout-weeks", holdout_weeks, ">= 0")
    if chains < 1:
        raise InvalidArgumentError("--chains", chains, ">= 1")
    for name, value in (("--warmup", warmup), ("--draws", draws)):
        if value < 10:
            raise InvalidArgumentError(name, value, ">= 10")
    opts = dict(
        saturation=saturation,
        adstock=adstock,
        holdout_weeks=holdout_weeks,
        chains=chains,
        warmup=warmup,
        draws=draws,
        seed=seed,
    )
    if file is not None:
        missing = [o for o, v in (("--date", date), ("--target", target), ("--channels", channels)) if not v]
        if missing:
            raise CanyuError(
                f"--file needs {', '.join(missing)}",
                message_zh=f"--file 还需要 {', '.join(missing)}",
            )
        assert date is not None and target is not None
        fit = mmm_from_file(
            file, date=date, target=target, channels=_names(channels), controls=_names(controls), **opts
        )
        if as_json:
            print_json({"file": str(file), **fit.to_dict()})
            return
        print_fit(st.out, fit, t("mmm.title_file", st.locale, file=file.name), st.locale)
        return
    assert path is not None
    if file is None and (date or channels or controls):
        raise CanyuError(
            "--date, --channels and --controls go with --file; a workspace takes its channels from the spend table",
            message_zh="--date、--channels、--controls 只用于 --file；工作区的渠道来自花费表",
        )
    tgt = target or "revenue"
    if tgt not in OUTCOMES:
        from canyu.errors import UnknownNameError

        raise UnknownNameError("workspace target", tgt, OUTCOMES)
    with open_ws(ctx, path, engine) as ws:
        res = ws.session().run(
            "mmm",
            target=tgt,
            holdout_weeks=holdout_weeks,
            chains=chains,
            warmup=warmup,
            draws=draws,
            seed=seed,
            saturation=saturation,
            adstock=adstock,
        )
    loc = state(ctx).locale
    if as_json:
        print_json(res.to_dict())
        return
    if res.fit is None:
        raise CanyuError(
            f"{path}: no media-mix fit: {res.reason}",
            message_zh=f"{path}：无法拟合媒体组合模型：{res.reason_zh}",
        )
    print_fit(st.out, res.fit, t("mmm.title_ws", loc, path=path, target=tgt), loc)
    for ch, why in res.excluded.items():
        say(st.out, t("mmm.excluded", loc, channel=ch, why=why))


def print_budget(out: Console, res: WorkspaceBudget, loc: str) -> None:
    say(
        out,
        t("budget.title", loc, total=f"{res.total:,.0f}", days=res.days, objective=res.objective),
        bold=True,
    )
    say(
        out,
        t(
            "budget.source." + res.source,
            loc,
            reason=res.reason if not loc.startswith("zh") else res.reason_zh,
        ),
    )
    per = t("budget.per_order", loc) if res.objective == "conversions" else t("budget.per_yuan", loc)
    marg = t("budget.col.marginal" if res.source == "mmm" else "budget.col.average", loc, per=per)
    rows = []
    for row in res.table.to_dict(orient="records"):
        m = _num(row["marginal_return"], "{:,.3g}")
        if res.source == "mmm":
            m += f" [{_num(row['marginal_lo'])}, {_num(row['marginal_hi'])}]"
        rows.append(
            [
                row["channel"],
                f"{row['current']:,.0f} ({row['current'] / res.total:.0%})",
                f"{row['allocation']:,.0f} ({row['allocation'] / res.total:.0%})",
                f"{row['change']:+,.0f}",
                m,
            ]
        )
    if not rows:
        say(out, t("budget.no_channels", loc))
        return
    out.print(
        table(
            t("mmm.col.channel", loc),
            t("budget.col.current", loc),
            t("budget.col.allocation", loc),
            t("budget.col.change", loc),
            marg,
            rows=rows,
        )
    )
    if res.plan is not None:
        e = res.plan.expected
        target = t(f"budget.target.{res.target}", loc)
        hint = t("budget.hint_expected", loc)
        if res.plan.kept:
            say(out, t("budget.kept", loc, target=target, days=res.days, **res.plan.caution_fields()))
            say(out, hint)
            return
        say(
            out,
            t(
                "budget.expected",
                loc,
                target=target,
                days=res.days,
                cur=f"{e['current']['mean']:,.0f}",
                opt=f"{e['optimal']['mean']:,.0f}",
                lo=f"{e['optimal']['lo']:,.0f}",
                hi=f"{e['optimal']['hi']:,.0f}",
                up=f"{e['uplift']['mean']:+,.0f}",
                ulo=f"{e['uplift']['lo']:+,.0f}",
                uhi=f"{e['uplift']['hi']:+,.0f}",
                p=f"{res.plan.prob_better:.0%}",
            ),
        )
        if res.plan.move < 1.0:
            say(out, t("budget.caution", loc, **res.plan.caution_fields()))
        if res.plan.shifted > 0:
            say(out, t("budget.shifted", loc, **res.plan.caution_fields()))
        if res.plan.move < 1.0 or res.plan.shifted > 0:
            say(out, hint)


@app.command("budget")
def budget_cmd(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The workspace folder.")],
    total: Annotated[float, typer.Option("--total", help="Budget for the period, in yuan.")],
    period: Annotated[
        str, typer.Option("--period", help="The period planned: next-30d (default), next-Nd, or its dates.")
    ] = "next-30d",
    objective: Annotated[
        str, typer.Option("--objective", help="conversions (orders), revenue or profit.")
    ] = "revenue",
    margin: Annotated[
        float,
        typer.Option(
            "--margin", help="profit: the share of revenue kept as gross profit (1 = revenue minus spend)."
        ),
    ] = 1.0,
    risk_quantile: Annotated[
        float | None,
        typer.Option(
            "--risk-quantile",
            help="Maximise this lower quantile of the outcome (e.g. 0.1) instead of its mean.",
        ),
    ] = None,
    expected_optimum: Annotated[
        bool,
        typer.Option(
            "--expected-optimum",
            help="Go all the way to the split with the best expected outcome; by default the plan stops "
            "where the bad case (5% quantile) of its gain over the current split stops rising, then "
            "adjusts the split where that raises the bad case further.",
        ),
    ] = False,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Split a budget across channels: on the media-mix curves when a fit passes its checks, else by measured ROAS."""
    from canyu.plan.budget import BUDGET_OBJECTIVES, CAUTION
    from canyu.session import Period

    if not total > 0:
        raise InvalidArgumentError("--total", total, "a positive amount of yuan")
    if objective not in BUDGET_OBJECTIVES:
        from canyu.errors import UnknownNameError

        raise UnknownNameError("objective", objective, BUDGET_OBJECTIVES)
    if not margin > 0:
        raise InvalidArgumentError("--margin", margin, "> 0")
    if risk_quantile is not None and not 0 < risk_quantile < 1:
        raise InvalidArgumentError("--risk-quantile", risk_quantile, "between 0 and 1")
    days = Period.parse(period).days
    if days is None:
        raise InvalidArgumentError(
            "--period", period, "a period with a length: next-30d, 2026-12, or two dates"
        )
    with open_ws(ctx, path, engine) as ws:
        res = ws.session().run(
            "budget",
            total=float(total),
            objective=objective,
            days=days,
            margin=margin,
            risk_quantile=risk_quantile,
            caution=None if expected_optimum else CAUTION,
        )
    st = state(ctx)
    if as_json:
        print_json({"period": period, **res.to_dict()})
        return
    print_budget(st.out, res, st.locale)
