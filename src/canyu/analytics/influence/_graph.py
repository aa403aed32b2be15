"""The compact graph that influence analytics run on, and how edges get their probabilities.

A :class:`InfluenceGraph` is a directed graph in compressed sparse row (CSR) form, held twice:
by source (out-edges, for forward cascades) and by target (in-edges, for reverse-reachable
sets). Node ids are dense ``int32`` indices; the original labels are kept in ``labels``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from canyu.errors import IngestError, InvalidArgumentError, UnknownNameError

__all__ = [
    "InfluenceGraph",
    "graph_from_edges",
    "lt_weights",
    "read_edge_list",
    "uniform_probabilities",
    "weighted_cascade_probabilities",
]

_SPLIT = re.compile(r"[,\s]+")


@dataclass(frozen=True, eq=False)
class InfluenceGraph:
    """A directed graph with one spread probability (IC) or weight (LT) per edge.

    Attributes
    ----------
    labels : numpy.ndarray
        Original node label of each dense node index.
    indptr, indices, prob : numpy.ndarray
        Out-edge CSR: the edges leaving node ``u`` are ``indptr[u]:indptr[u+1]``, their targets
        ``indices`` (int32) and probabilities ``prob`` (float64). Edge ids are positions here.
    rev_indptr, rev_indices, rev_prob, rev_edge : numpy.ndarray
        In-edge CSR of the same edges: sources ``rev_indices``, probabilities ``rev_prob`` and the
        out-edge id ``rev_edge`` of each in-edge.
    has_weights : bool
        Whether the probabilities came from the input (a third column) rather than a rule.
    """

    labels: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    prob: np.ndarray
    rev_indptr: np.ndarray
    rev_indices: np.ndarray
    rev_prob: np.ndarray
    rev_edge: np.ndarray
    has_weights: bool = False
    _index: dict[Any, int] = field(default_factory=dict, repr=False, compare=False)
    _common: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.indptr.size - 1)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.indices.size)

    @property
    def sources(self) -> np.ndarray:
        """Source node of each out-edge id (int32)."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr))

    def out_degree(self) -> np.ndarray:
        """Out-degree of every node."""
        return np.diff(self.indptr)

    def in_degree(self) -> np.ndarray:
        """In-degree of every node."""
        return np.diff(self.rev_indptr)

    def with_probabilities(self, prob: np.ndarray | float) -> InfluenceGraph:
        """The same graph with new edge probabilities (one per out-edge id, or one for all)."""
        p = np.broadcast_to(np.asarray(prob, dtype=np.float64), (self.n_edges,)).copy()
        if p.size and (not np.all(np.isfinite(p)) or p.min() < 0.0 or p.max() > 1.0):
            raise InvalidArgumentError(
                "prob",
                "…",
                "probabilities in [0, 1]",
                reason="edge probabilities must lie in [0, 1]",
                reason_zh="边的概率必须在 [0, 1] 之间",
            )
        return InfluenceGraph(
            labels=self.labels,
            indptr=self.indptr,
            indices=self.indices,
            prob=p,
            rev_indptr=self.rev_indptr,
            rev_indices=self.rev_indices,
            rev_prob=p[self.rev_edge],
            rev_edge=self.rev_edge,
            has_weights=False,
            _index=self._index,
        )

    def common_out(self) -> np.ndarray:
        """Per node, the probability shared by all its out-edges, or -1 where they differ.

        Lets the kernels jump straight to the next live edge (geometric skipping) instead of
        flipping a coin per edge.
        """
        if "out" not in self._common:
            self._common["out"] = _common(self.indptr, self.prob)
        return self._common["out"]

    def common_in(self) -> np.ndarray:
        """Per node, the probability (weight) shared by all its in-edges, or -1 where they differ."""
        if "in" not in self._common:
            self._common["in"] = _common(self.rev_indptr, self.rev_prob)
        return self._common["in"]

    def node_index(self, nodes: Iterable[Any]) -> np.ndarray:
        """Dense indices of node labels; a label may also be given as its string form.

        Raises
        ------
        UnknownNameError
            For a label not in the graph (the error lists the closest labels).
        """
        if not self._index:
            self._index.update({lab: i for i, lab in enumerate(self.labels.tolist())})
            self._index.update({str(lab): i for i, lab in enumerate(self.labels.tolist())})
        out = []
        for node in nodes:
            idx = self._index.get(node)
            if idx is None:
                idx = self._index.get(str(node))
            if idx is None:
                text = [str(x) for x in self.labels.tolist()]
                close = difflib.get_close_matches(str(node), text, n=5) or text[:5]
                raise UnknownNameError("node", str(node), close)
            out.append(idx)
        return np.asarray(out, dtype=np.int32)

    def edge_table(self) -> pd.DataFrame:
        """Edges as a tidy table: source, target (labels) and probability."""
        return pd.DataFrame(
            {
                "source": self.labels[self.sources],
                "target": self.labels[self.indices],
                "probability": self.prob,
            }
        )


def _common(indptr: np.ndarray, prob: np.ndarray) -> np.ndarray:
    n = indptr.size - 1
    out = np.full(n, -1.0)
    has = np.diff(indptr) > 0
    if prob.size:
        starts = indptr[:-1][has]
        low = np.minimum.reduceat(prob, starts)
        high = np.maximum.reduceat(prob, starts)
        out[has] = np.where(low == high, low, -1.0)
    return out


def _build(
    src: np.ndarray, dst: np.ndarray, prob: np.ndarray | None, labels: np.ndarray, *, undirected: bool
) -> InfluenceGraph:
    n = int(labels.size)
    has_weights = prob is not None
    p = np.zeros(src.size) if prob is None else np.asarray(prob, dtype=np.float64)
    if undirected:
        src, dst, p = np.concatenate([src, dst]), np.concatenate([dst, src]), np.concatenate([p, p])
    keep = src != dst  # a self-loop cannot activate anyone new
    src, dst, p = src[keep].astype(np.int64), dst[keep].astype(np.int64), p[keep]
    # Duplicate arcs merge into one; the first one listed keeps its probability.
    _, first = np.unique(src * max(n, 1) + dst, return_index=True)
    src, dst, p = src[first], dst[first], p[first]  # np.unique sorts by (src, dst)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    rev_edge = np.lexsort((src, dst)).astype(np.int64)
    rev_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(dst, minlength=n), out=rev_indptr[1:])
    return InfluenceGraph(
        labels=labels,
        indptr=indptr,
        indices=dst.astype(np.int32),
        prob=p,
        rev_indptr=rev_indptr,
        rev_indices=src[rev_edge].astype(np.int32),
        rev_prob=p[rev_edge],
        rev_edge=rev_edge,
        has_weights=has_weights,
    )


def read_edge_list(path: str | Path, *, undirected: bool = False) -> InfluenceGraph:
    """Read an edge-list file into an :class:`InfluenceGraph`.

    One edge per line: ``source target [probability]``, separated by whitespace or commas;
    blank lines and lines starting with ``#`` are skipped. Edges are directed unless
    ``undirected`` is true (then each line gives both directions). Self-loops are dropped and
    duplicate arcs merged (the first keeps its probability).

    Parameters
    ----------
    path : str or Path
        The edge-list file (SNAP format works as is).
    undirected : bool, default False
        Add the reverse of every edge.

    Raises
    ------
    IngestError
        When the file cannot be read, or a line has the wrong number of fields or a
        probability that is not a number in [0, 1]; the error names the file, row, field and
        value.

    Examples
    --------
    >>> g = read_edge_list("../shared/data/graphs/email-Eu-core.txt")  # doctest: +SKIP
    >>> g.n_nodes, g.n_edges  # doctest: +SKIP
    (1005, 24929)
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"cannot read edge list: {exc}", file=name) from exc
    src: list[str] = []
    dst: list[str] = []
    prob: list[float] = []
    width = 0
    for row, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = _SPLIT.split(line)
        if len(parts) not in (2, 3):
            raise IngestError(
                f"expected 'source target' or 'source target probability', got {len(parts)} fields in {line!r}",
                file=name,
                row=row,
                field="line",
                value=line,
            )
        if width == 0:
            width = len(parts)
        elif len(parts) != width:
            raise IngestError(
                f"line has {len(parts)} fields but earlier lines have {width}: {line!r}",
                file=name,
                row=row,
                field="line",
                value=line,
            )
        src.append(parts[0])
        dst.append(parts[1])
        if width == 3:
            prob.append(_parse_probability(parts[2], file=name, row=row))
    if not src:
        raise IngestError("edge list has no edges", file=name)
    codes, labels = pd.factorize(np.asarray(src + dst, dtype=object))
    m = len(src)
    return _build(
        codes[:m],
        codes[m:],
        np.asarray(prob) if width == 3 else None,
        np.asarray(labels, dtype=object),
        undirected=undirected,
    )


def _parse_probability(token: str, *, file: str, row: int) -> float:
    try:
        value = float(token)
    except ValueError:
        value = math.nan
    if not (0.0 <= value <= 1.0):
        raise IngestError(
            f"probability must be a number in [0, 1], got {token!r}",
            file=file,
            row=row,
            field="probability",
            value=token,
        )
    return value


def graph_from_edges(
    edges: Any,
    *,
    source: str = "source",
    target: str = "target",
    probability: str | None = None,
    undirected: bool = False,
    nodes: Sequence[Any] | None = None,
) -> InfluenceGraph:
    """Build an :class:`InfluenceGraph` from an edge table (pandas DataFrame or Arrow table).

    Parameters
    ----------
    edges : pandas.DataFrame or pyarrow.Table
        One row per edge.
    source, target : str
        Column names of the edge ends (any hashable labels).
    probability : str, optional
        Column with the edge probability (or LT weight), each in [0, 1].
    undirected : bool, default False
        Add the reverse of every edge.
    nodes : sequence, optional
        All node labels, in the order to index them (people without edges still count, e.g.
        for weighted spread); every edge end must be among them.
    """
    frame = edges if isinstance(edges, pd.DataFrame) else edges.to_pandas()
    for col in (source, target, probability):
        if col is not None and col not in frame.columns:
            raise UnknownNameError("column", col, [str(c) for c in frame.columns])
    if frame[[source, target]].isna().to_numpy().any():
        raise InvalidArgumentError(
            "edges",
            "…",
            "a source and a target id on every edge",
            reason="edge table has missing source or target ids",
            reason_zh="边表中有缺失的起点或终点",
        )
    values = np.concatenate([frame[source].to_numpy(dtype=object), frame[target].to_numpy(dtype=object)])
    if nodes is None:
        codes, labels = pd.factorize(values)
    else:
        labels = pd.Index(list(nodes))
        if not labels.is_unique:
            raise InvalidArgumentError("nodes", "…", "unique ids", reason="nodes must be unique")
        codes = labels.get_indexer(values)
        if (codes < 0).any():
            raise UnknownNameError("node", str(values[np.argmax(codes < 0)]), [str(x) for x in labels])
    m = len(frame)
    prob = None
    if probability is not None:
        prob = frame[probability].to_numpy(dtype=np.float64)
        if prob.size and (not np.all(np.isfinite(prob)) or prob.min() < 0 or prob.max() > 1):
            raise InvalidArgumentError(
                probability,
                "…",
                "probabilities in [0, 1]",
                reason=f"column {probability!r} must hold probabilities in [0, 1]",
                reason_zh=f"列 {probability!r} 必须是 [0, 1] 之间的概率",
            )
    return _build(codes[:m], codes[m:], prob, np.asarray(labels, dtype=object), undirected=undirected)


def uniform_probabilities(graph: InfluenceGraph, *, p: float) -> InfluenceGraph:
    """Every edge gets probability ``p`` (Kempe, Kleinberg, Tardos 2003, the IC setting)."""
    if not 0.0 <= p <= 1.0:
        raise InvalidArgumentError("p", p, "in [0, 1]")
    return graph.with_probabilities(p)


def weighted_cascade_probabilities(graph: InfluenceGraph) -> InfluenceGraph:
    """Edge ``(u, v)`` gets ``1 / in_degree(v)``: the weighted cascade of Kempe et al. 2003.

    The same numbers are the canonical linear-threshold weights (each node's in-weights sum to 1).
    """
    indeg = graph.in_degree().astype(np.float64)
    return graph.with_probabilities(1.0 / indeg[graph.indices])


def lt_weights(graph: InfluenceGraph) -> InfluenceGraph:
    """Scale down the in-weights of any node whose in-weights sum above 1 (the LT requirement)."""
    totals = np.bincount(graph.indices, weights=graph.prob, minlength=graph.n_nodes)
    scale = np.where(totals > 1.0, 1.0 / np.maximum(totals, 1e-300), 1.0)
    if np.all(scale == 1.0):
        return graph
    return graph.with_probabilities(np.minimum(graph.prob * scale[graph.indices], 1.0))


def _given(graph: InfluenceGraph, p: float | None) -> InfluenceGraph:
    if p is not None:
        return uniform_probabilities(graph, p=p)
    if not graph.has_weights:
        raise InvalidArgumentError(
            "p",
            p,
            "a probability in [0, 1] (the graph has no probability column)",
            reason="this graph has no probability column; pass p",
            reason_zh="该图没有概率列；请给出 p",
        )
    return graph
