"""Tokenising Chinese social-media text: jieba plus platform words, brands, hashtags, mentions.

One :class:`TextTokenizer` owns its own ``jieba.Tokenizer`` (never jieba's global one), so the
brand dictionary of one workspace cannot leak into another. Special tokens are cut out before
jieba sees the text:

- hashtags, Weibo style ``#新品发布#`` and Douyin/Xiaohongshu style ``#新品发布`` (ended by a
  space), both normalised to ``#新品发布#``;
- mentions ``@小米``;
- repost chains ``我也想要 //@小米:新品来了 //@雷军:发布会见``: the author's own text is
  tokenised, the quoted users become ``repost`` tokens (the quoted text is someone else's words;
  :func:`parse_repost` returns it);
- URLs, emoji (Unicode and Weibo's ``[哈哈]``), and brand names, also those with spaces or Latin
  letters that jieba would split (``Brand X``).

Throughput: :meth:`TextTokenizer.tokenize_many` cuts each distinct text and each distinct clause
once (memos), and spreads the new distinct texts over forked worker processes, shared-nothing:
each tokenises whole chunks with its own copy of the loaded tokenizer and sends back one flat
string per chunk.

References
----------
Sun, J. jieba: Chinese text segmentation, https://github.com/fxsjy/jieba (MIT). Prefix-dictionary
DAG with maximum-probability path, HMM (Viterbi) for out-of-vocabulary words.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from importlib import resources
from math import log
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "TOKEN_KINDS",
    "Repost",
    "TextTokenizer",
    "parse_repost",
    "platform_words",
    "stop_words",
    "tokens_frame",
    "tokens_table",
]

#: Kinds a token can have, in the ``kind`` column of :func:`tokens_table`.
TOKEN_KINDS = ("word", "brand", "hashtag", "mention", "repost", "emoji", "url")
_KIND_CODE = {k: chr(ord("a") + i) for i, k in enumerate(TOKEN_KINDS)}
_CODE_KIND = {v: k for k, v in _KIND_CODE.items()}

# Separators for shipping results between processes as two flat strings (cheap to pickle).
_TOK_SEP = "\x1f"
_TEXT_SEP = "\x1e"

_EMOJI = (
    "(?:[\U0001f1e6-\U0001f1ff]{2})|"  # a flag: two regional indicators
    "(?:[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u3030\u303d]"
    "[\ufe0f\U0001f3fb-\U0001f3ff]*"
    "(?:\u200d[\U0001f000-\U0001faff\u2600-\u27bf][\ufe0f\U0001f3fb-\U0001f3ff]*)*)"
)
_SPECIAL = (
    r"(?P<url>https?://[^\s\u4e00-\u9fff，。！？]+)"
    r"|(?P<hashtag2>[#＃](?P<h2>[^#＃\s]{1,60})[#＃])"
    r"|(?P<hashtag1>[#＃](?P<h1>[\w\u4e00-\u9fff·\-]{1,30}))"
    r"|(?P<mention>@(?P<m>[\w\u4e00-\u9fff·\-]{1,30}))"
    r"|(?P<wbemoji>\[[\u4e00-\u9fffA-Za-z0-9]{1,8}\])"
    f"|(?P<emoji>{_EMOJI})"
)
# A repost link: "//@user:" (Weibo), with a full- or half-width colon.
_REPOST = re.compile(r"//\s*@([^:：\s/]{1,30})\s*[:：]")
# Tokens jieba returns that are not words: whitespace, punctuation, symbols.
_NOT_WORD = re.compile(r"^[\s\W_]+$")
# The runs jieba segments (jieba.re_han_default); everything else it yields a character at a time.
_HAN = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+)")
_CACHE_MAX = 500_000


@dataclass(frozen=True)
class Repost:
    """A post split at its repost chain.

    Attributes
    ----------
    own_text:
        What the author wrote (before the first ``//@user:``).
    chain:
        ``(user, text)`` for each quoted post, nearest first (the user the author reposted, then
        whom that user reposted, ...).
    """

    own_text: str
    chain: tuple[tuple[str, str], ...]

    @property
    def users(self) -> tuple[str, ...]:
        """The quoted users, nearest first."""
        return tuple(u for u, _ in self.chain)


def parse_repost(text: str) -> Repost:
    """Split a Weibo-style repost ``own //@a: text a //@b: text b`` into own text and chain.

    Examples
    --------
    >>> r = parse_repost("我也想要[心] //@小米:新品来了 //@雷军：发布会见")
    >>> r.own_text, r.chain
    ('我也想要[心]', (('小米', '新品来了'), ('雷军', '发布会见')))
    """
    matches = list(_REPOST.finditer(text))
    if not matches:
        return Repost(own_text=text, chain=())
    own = text[: matches[0].start()].strip()
    chain = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        chain.append((m.group(1), text[m.end() : end].strip()))
    return Repost(own_text=own, chain=tuple(chain))


def _read_word_file(name: str) -> tuple[str, ...]:
    raw = resources.files("canyu.analytics.text").joinpath("data", name).read_text(encoding="utf-8")
    words = []
    for line in raw.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(line.split()[0])
    return tuple(dict.fromkeys(words))


@lru_cache(maxsize=1)
def platform_words() -> tuple[str, ...]:
    """The shipped dictionary of platform and marketing words (抖音, 种草, 私域, 直播间 …)."""
    return _read_word_file("platform_words.txt")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The shipped stop-word list (function words and fillers; negations are kept out of it)."""
    return frozenset(_read_word_file("stopwords.txt"))


def _quiet_jieba() -> None:
    # jieba logs "Building prefix dict..." at DEBUG on its own handler, and sets that level when it
    # is first imported: import it first, then quiet it.
    import jieba

    jieba.setLogLevel(logging.WARNING)


def _memo_jieba() -> Any:
    """A ``jieba.Tokenizer`` that cuts exactly like jieba's, with less Python per character.

    jieba's ``Tokenizer.__cut_DAG`` (MIT, https://github.com/fxsjy/jieba, v0.42.1) builds a DAG
    of the dictionary words starting at each character (``get_DAG``), finds the most probable
    route from right to left (``calc``: ``max((log(FREQ[w] or 1) - log(total) + route[x + 1][0], x))``)
    and hands the runs of unknown single characters to its HMM. The copy below does the same
    arithmetic in one pass with no DAG dict, no generator and no ``log`` call per candidate: the
    terms ``log(FREQ[w]) - log(total)`` are computed once per dictionary state (rebuilt after
    ``add_word``, which changes ``total``), so every score is the same float, and ties go to the
    longer word as in jieba's tuple ``max``. The HMM step (``finalseg.cut``) goes through a memo:
    Viterbi decoding is a pure function of the run, and short unknown runs repeat a lot. Tested
    token for token against plain jieba (tests/analytics/text/test_text_tokenize.py). Written by
    hand because jieba's loop is the hot path of tokenising and no library offers it faster with
    jieba's exact output.
    """
    import jieba
    from jieba import finalseg

    missing = object()

    class _MemoTokenizer(jieba.Tokenizer):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self._hmm_memo: dict[str, tuple[str, ...]] = {}
            self._hmm_memo_on = True
            self._logp: dict[str, float | None] | None = None
            self._logp_total = 0

        def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
            super().add_word(word, freq, tag)
            self._logp = None  # total and FREQ changed

        def _log_probs(self) -> dict[str, float | None]:
            # word -> log(freq) - log(total); a prefix that is no word (freq 0) -> None
            if self._logp is None or self._logp_total != self.total:
                self.check_initialized()
                logtotal = log(self.total)
                self._logp = {w: (log(f) - logtotal if f else None) for w, f in self.FREQ.items()}
                self._logp_total = self.total
            return self._logp

        def _hmm(self, buf: str) -> tuple[str, ...]:
            if not self._hmm_memo_on:
                return tuple(finalseg.cut(buf))
            words = self._hmm_memo.get(buf)
            if words is None:
                words = tuple(finalseg.cut(buf))
                if len(self._hmm_memo) >= _CACHE_MAX:
                    self._hmm_memo.clear()
                self._hmm_memo[buf] = words
            return words

        def _Tokenizer__cut_DAG(self, sentence: str) -> Iterator[str]:  # jieba's __cut_DAG
            logp = self._log_probs()
            N = len(sentence)
            unknown = -log(self.total)  # log(1) - log(total): a character that is no word
            score = [0.0] * (N + 1)
            end = list(range(N + 1))  # route[idx][1]: where the best word from idx ends
            for idx in range(N - 1, -1, -1):
                best = None
                i = idx + 1
                v = logp.get(sentence[idx], missing)
                while v is not missing:
                    if v is not None:
                        sc = v + score[i]  # type: ignore[operator]
                        if best is None or sc >= best:  # ties: the longer word, as jieba's max
                            best = sc
                            end[idx] = i - 1
                    if i >= N:
                        break
                    i += 1
                    v = logp.get(sentence[idx:i], missing)
                score[idx] = unknown + score[idx + 1] if best is None else best
            x = 0
            buf = ""
            while x < N:
                y = end[x] + 1
                l_word = sentence[x:y]
                if y - x == 1:
                    buf += l_word
                else:
                    if buf:
                        if len(buf) == 1:
                            yield buf
                            buf = ""
                        else:
                            if not self.FREQ.get(buf):
                                yield from self._hmm(buf)
                            else:
                                yield from buf
                            buf = ""
                    yield l_word
                x = y
            if buf:
                if len(buf) == 1:
                    yield buf
                elif not self.FREQ.get(buf):
                    yield from self._hmm(buf)
                else:
                    yield from buf

    return _MemoTokenizer()


class TextTokenizer:
    """A tokenizer for one workspace: jieba, the shipped platform words and the brand's words.

    Parameters
    ----------
    brand_words:
        The brand's own dictionary (names, products, slogans) from the workspace config; each
        comes out whole with kind ``brand``. Matched case-insensitively, also when it holds spaces.
    extra_words:
        More words to keep whole (kind ``word``), for example a topic taxonomy's seed words.
    stopwords:
        Words to drop; by default :func:`stop_words`. Pass ``()`` to keep everything.
    hmm:
        Use jieba's HMM for words not in the dictionary (jieba's default, ``True``).
    memo:
        Remember what was cut: each distinct text, each distinct run jieba cuts and each run of
        unknown characters its HMM decodes is cut once (``True``, the default). ``False`` cuts
        everything every time (the benchmark's "no cache" figure); the tokens are the same.

    Examples
    --------
    >>> tk = TextTokenizer(brand_words=["参与咖啡"])
    >>> tk.tokenize("#新品发布# @小米 参与咖啡的直播间种草了 //@雷军:来了")
    ['#新品发布#', '@小米', '参与咖啡', '直播间', '种草', '@雷军']
    """

    def __init__(
        self,
        *,
        brand_words: Iterable[str] = (),
        extra_words: Iterable[str] = (),
        stopwords: Iterable[str] | None = None,
        hmm: bool = True,
        memo: bool = True,
    ) -> None:
        _quiet_jieba()
        self.brand_words = tuple(dict.fromkeys(w.strip() for w in brand_words if w and w.strip()))
        self.extra_words = tuple(dict.fromkeys(w.strip() for w in extra_words if w and w.strip()))
        self.stopwords = frozenset(stop_words() if stopwords is None else stopwords)
        self.hmm = hmm
        self.memo = memo
        self._jieba = _memo_jieba()
        self._jieba._hmm_memo_on = memo
        self._jieba.initialize()
        for word in (*platform_words(), *self.extra_words, *self.brand_words):
            if " " not in word:
                self._jieba.add_word(word)
        self._brand_lower = {w.lower(): w for w in self.brand_words}
        spaced = sorted((w for w in self.brand_words if not _jieba_whole(w)), key=len, reverse=True)
        pattern = _SPECIAL
        if spaced:
            alt = "|".join(re.escape(w) for w in spaced)
            pattern = f"(?P<brand>{alt})|{_SPECIAL}"
        self._special = re.compile(pattern, re.IGNORECASE)
        # a run matches jieba's re_han whole, so jieba.cut(run) is __cut_DAG(run) (HMM) or
        # __cut_DAG_NO_HMM(run): call it without cut's per-call regex split and generator
        self._cut = self._jieba._Tokenizer__cut_DAG if hmm else partial(self._jieba.cut, HMM=False)
        # run -> (its tokens, their kind codes)
        self._cache: dict[str, tuple[tuple[str, ...], str]] = {}
        # text -> (tokens, kind codes), as tokenize_many_kinds returns them
        self._texts: dict[str, tuple[list[str], str]] = {}

    def add_words(self, words: Iterable[str]) -> None:
        """Keep ``words`` whole from now on (kind ``word``), in this tokenizer only."""
        new = list(
            dict.fromkeys(w.strip() for w in words if w and w.strip() and w.strip() not in self.extra_words)
        )
        if not new:
            return
        for word in new:
            if " " not in word:
                self._jieba.add_word(word)
        self._cache.clear()  # memoised runs may now cut differently
        self._texts.clear()
        self._jieba._hmm_memo.clear()
        self.extra_words = (*self.extra_words, *new)

    # -- one text ------------------------------------------------------------------------------
    def tokenize_kinds(self, text: str) -> list[tuple[str, str]]:
        """``(token, kind)`` for one text, in order; kinds are in :data:`TOKEN_KINDS`."""
        out: list[tuple[str, str]] = []
        for item in self._plan(text):
            if isinstance(item, str):
                out.extend(self._run_tokens(item))
            else:
                out.append(item)
        return out

    def tokenize(self, text: str) -> list[str]:
        """The tokens of one text (stop words, spaces and punctuation dropped)."""
        return [t for t, _ in self.tokenize_kinds(text)]

    def _plan(self, text: str) -> list[tuple[str, str] | str]:
        """The text's tokens in order, with each run jieba must cut left as a plain string."""
        if not text:
            return []
        out: list[tuple[str, str] | str] = []
        own = text
        users: tuple[str, ...] = ()
        if "//" in text:
            rp = parse_repost(text)
            own, users = rp.own_text, rp.users
        pos = 0
        for m in self._special.finditer(own):
            if m.start() > pos:
                self._runs(own[pos : m.start()], out)
            pos = m.end()
            kind = m.lastgroup
            # lastgroup names the outer group (it closes last)
            if kind == "hashtag2":
                out.append((f"#{m.group('h2')}#", "hashtag"))
            elif kind == "hashtag1":
                out.append((f"#{m.group('h1')}#", "hashtag"))
            elif kind == "mention":
                out.append((f"@{m.group('m')}", "mention"))
            elif kind == "brand":
                out.append((self._brand_lower.get(m.group(0).lower(), m.group(0)), "brand"))
            elif kind in ("wbemoji", "emoji"):
                out.append((m.group(0), "emoji"))
            else:
                out.append((m.group(0), "url"))
        if pos < len(own):
            self._runs(own[pos:], out)
        out.extend((f"@{u}", "repost") for u in users)
        return out

    def _runs(self, segment: str, out: list[tuple[str, str] | str]) -> None:
        # jieba cuts each run of _HAN independently (jieba.Tokenizer.cut splits on it first) and
        # yields every other character alone, so cutting run by run and memoising the runs gives
        # exactly jieba's tokens; posts repeat short clauses a lot ("好用", "转发微博", "哈哈哈").
        for i, piece in enumerate(_HAN.split(segment)):
            if not piece:
                continue
            if i % 2:  # a run jieba cuts
                out.append(piece)
            else:
                out.extend(
                    (ch, "word") for ch in piece if not _NOT_WORD.match(ch) and ch not in self.stopwords
                )

    def _run_tokens(self, run: str) -> tuple[tuple[str, str], ...]:
        tokens, kinds = self._run_encoded(run)
        return tuple((t, _CODE_KIND[k]) for t, k in zip(tokens, kinds, strict=True))

    def _run_encoded(self, run: str) -> tuple[tuple[str, ...], str]:
        if not self.memo:
            return self._cut_run_encoded(run)
        words = self._cache.get(run)
        if words is None:
            words = self._cut_run_encoded(run)
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[run] = words
        return words

    def _cut_run_encoded(self, run: str) -> tuple[tuple[str, ...], str]:
        words = self._cut_run(run)
        return tuple(t for t, _ in words), "".join(_KIND_CODE[k] for _, k in words)

    def _cut_run(self, run: str) -> tuple[tuple[str, str], ...]:
        stop = self.stopwords
        brands = self._brand_lower
        words = []
        for w in self._cut(run):
            if w in stop or _NOT_WORD.match(w):
                continue
            b = brands.get(w.lower()) if brands else None
            words.append((b, "brand") if b is not None else (w, "word"))
        return tuple(words)

    # -- many texts ----------------------------------------------------------------------------
    def _encoded(self, text: str) -> tuple[list[str], str]:
        """``(tokens, kind codes)`` of one text, through the run memo."""
        tokens: list[str] = []
        kinds = []
        for item in self._plan(text):
            if isinstance(item, str):
                run_tokens, run_kinds = self._run_encoded(item)
                tokens.extend(run_tokens)
                kinds.append(run_kinds)
            else:
                tokens.append(item[0])
                kinds.append(_KIND_CODE[item[1]])
        return tokens, "".join(kinds)

    def _encode_texts(self, texts: Sequence[str]) -> str:
        """The texts' tokens as one flat string (cheap to send between processes)."""
        parts = []
        for text in texts:
            tokens, kinds = self._encoded(text)
            parts.append(kinds + _TOK_SEP + _TOK_SEP.join(tokens))
        return _TEXT_SEP.join(parts)

    def tokenize_many_kinds(
        self, texts: Sequence[str], *, n_jobs: int | None = 1, chunk_size: int = 20_000
    ) -> list[tuple[list[str], str]]:
        """``(tokens, kind codes)`` per text; see :meth:`tokenize_many`.

        The kind codes are one letter per token, ``TOKEN_KINDS[ord(c) - ord('a')]``.
        """
        texts = ["" if t is None else str(t) for t in texts]
        if self.memo:
            known = self._texts
            new = [t for t in dict.fromkeys(texts) if t not in known]
        else:
            known, new = {}, texts
        jobs = _n_jobs(n_jobs, len(new), chunk_size)
        if jobs > 1:
            done: list[tuple[list[str], str]] = []
            for block in _pool_map(self, new, _chunk(len(new), jobs, chunk_size), jobs):
                for enc in block.split(_TEXT_SEP):
                    kinds, _, toks = enc.partition(_TOK_SEP)
                    done.append((toks.split(_TOK_SEP) if kinds else [], kinds))
        else:
            done = [self._encoded(t) for t in new]
        if not self.memo:
            return done
        fresh = dict(zip(new, done, strict=True))
        get = fresh.get
        out = [get(t) or known[t] for t in texts]  # a (tokens, kinds) pair is never falsy
        if len(known) + len(fresh) > _CACHE_MAX:
            known.clear()
        if len(fresh) <= _CACHE_MAX:
            known.update(fresh)
        return out

    def tokenize_many(
        self, texts: Sequence[str], *, n_jobs: int | None = 1, chunk_size: int = 20_000
    ) -> list[list[str]]:
        """Tokens of each text, fast: each distinct text and clause is cut once, over processes.

        The distinct texts not seen before are split into chunks that forked worker processes
        tokenise whole (special tokens, jieba, stop words), each with its own copy of this
        tokenizer and its memo (fork copies the loaded dictionary at no cost; nothing is shared
        while they run); they send back one flat string per chunk, which this process splits.

        Parameters
        ----------
        texts:
            The texts (``None`` counts as empty).
        n_jobs:
            Worker processes; ``None`` uses every CPU this process may run on. The default, 1,
            stays in this process. Fewer than 2,000 new texts (or two chunks) stay in this
            process.
        chunk_size:
            Most texts per task sent to a worker (each worker gets at least four tasks).
        """
        return [toks for toks, _ in self.tokenize_many_kinds(texts, n_jobs=n_jobs, chunk_size=chunk_size)]


def _jieba_whole(word: str) -> bool:
    # jieba cuts inside runs of this class only (jieba.re_han_default); others need the regex pass.
    return re.fullmatch(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+", word) is not None and "#" not in word


_MIN_CHUNK = 1_000


def _n_jobs(n_jobs: int | None, n: int, chunk_size: int) -> int:
    if n_jobs is None:
        try:
            n_jobs = len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - not Linux
            n_jobs = os.cpu_count() or 1
    if n < 2 * min(chunk_size, _MIN_CHUNK) or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, int(n_jobs))


def _chunk(n: int, jobs: int, chunk_size: int) -> int:
    # at least four chunks a worker, so that they finish together; at most chunk_size each
    return min(chunk_size, max(_MIN_CHUNK, -(-n // (4 * jobs))))


# What a forked worker reads: set in the parent just before the fork, so every worker starts with
# the parent's loaded dictionary (instead of building its own, about a second each) and the texts
# (instead of receiving them pickled); a task is just a (start, stop) range.
_WORKER: TextTokenizer | None = None
_WORKER_TEXTS: Sequence[str] = ()


def _work(bounds: tuple[int, int]) -> str:
    assert _WORKER is not None
    return _WORKER._encode_texts(_WORKER_TEXTS[bounds[0] : bounds[1]])


def _pool_map(tokenizer: TextTokenizer, texts: Sequence[str], chunk_size: int, jobs: int) -> list[str]:
    global _WORKER, _WORKER_TEXTS
    bounds = [(i, min(i + chunk_size, len(texts))) for i in range(0, len(texts), chunk_size)]
    _WORKER, _WORKER_TEXTS = tokenizer, texts
    tokenizer._jieba._log_probs()  # built once here, not once per worker
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(processes=min(jobs, len(bounds))) as pool:
            return pool.map(_work, bounds, chunksize=1)
    finally:
        _WORKER, _WORKER_TEXTS = None, ()


def tokens_table(
    texts: Sequence[str] | pd.Series,
    *,
    text_ids: Sequence[Any] | None = None,
    tokenizer: TextTokenizer | None = None,
    n_jobs: int | None = 1,
) -> pd.DataFrame:
    """The tidy tokens table: one row per token, ``text_id``, ``position``, ``token``, ``kind``.

    Parameters
    ----------
    texts:
        The texts; a Series' index is the default ``text_id``.
    text_ids:
        An id per text (default: the Series index, else 0..n-1).
    tokenizer:
        The workspace's :class:`TextTokenizer` (default: one without brand words).
    n_jobs:
        Worker processes, as in :meth:`TextTokenizer.tokenize_many`.

    Examples
    --------
    >>> tokens_table(["#新品# 好用😀"], text_ids=["p1"]).to_dict("list")["token"]
    ['#新品#', '好用', '😀']
    """
    if text_ids is None:
        text_ids = list(texts.index) if isinstance(texts, pd.Series) else list(range(len(texts)))
    if len(text_ids) != len(texts):
        from ._errors import TextInputError

        raise TextInputError(
            f"{len(text_ids)} text ids for {len(texts)} texts",
            message_zh=f"文本编号 {len(text_ids)} 个，文本 {len(texts)} 条，数量不一致",
        )
    tk = tokenizer or TextTokenizer()
    return tokens_frame(tk.tokenize_many_kinds(list(texts), n_jobs=n_jobs), text_ids)


def tokens_frame(pairs: Sequence[tuple[list[str], str]], text_ids: Sequence[Any]) -> pd.DataFrame:
    """The tidy tokens table of :func:`tokens_table` from already tokenised texts (tokens, kind codes)."""
    counts = np.fromiter((len(k) for _, k in pairs), dtype=np.int64, count=len(pairs))
    ids = np.repeat(np.asarray(text_ids, dtype=object), counts)
    position = np.concatenate([np.arange(c) for c in counts]) if len(counts) else np.zeros(0, np.int64)
    tokens = [t for toks, _ in pairs for t in toks]
    kind_codes = "".join(k for _, k in pairs)
    kinds = pd.Categorical.from_codes(
        np.frombuffer(kind_codes.encode("ascii"), dtype=np.uint8).astype(np.int16) - ord("a"),
        categories=list(TOKEN_KINDS),
    )
    return pd.DataFrame(
        {"text_id": ids, "position": position.astype(np.int32), "token": tokens, "kind": kinds}
    )
