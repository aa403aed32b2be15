"""What the platforms call a simulated person: channel-scoped ids and phone numbers.

Both are kept as integers and turned into strings (``wb10023817``,
``13912345678``) only for the rows being written, with Arrow's casts: a
numpy unicode array of every person's id on every channel costs 4 bytes a
character, several hundred megabytes for a million people, and building it
with ``np.char`` is a Python loop per element.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from canyu.simulate._world import CHANNELS

__all__ = ["PREFIX", "ChannelIds", "draw_phones", "phone_strings"]

PREFIX: dict[str, str] = {
    "weibo": "wb",
    "qzone": "qq",
    "douyin": "dy",
    "xiaohongshu": "xhs",
    "wechat_oa": "o",
    "wecom": "wm",
    "forum": "fm",
    "mini_program": "mp",
    "ecommerce": "tb_",
}
_PREFIXES = pa.array([PREFIX[c] for c in CHANNELS], pa.string())


@dataclass(frozen=True)
class ChannelIds:
    """The number of each person on each channel: ``numbers[channel code, person]``.

    A shuffled number per channel, so ids reveal nothing; the id is the channel's prefix and the number.
    """

    numbers: np.ndarray  # (len(CHANNELS), people) int32

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> ChannelIds:
        numbers = np.empty((len(CHANNELS), n), dtype=np.int32)
        for i in range(len(CHANNELS)):
            numbers[i] = rng.permutation(n) + 10_000_000 * (1 + i)
        return cls(numbers)

    def of(self, channel: str, people: np.ndarray) -> pa.Array:
        """The ids on ``channel`` of ``people`` (person indices)."""
        nums = self.numbers[CHANNELS.index(channel)][people]
        return pc.binary_join_element_wise(PREFIX[channel], pc.cast(pa.array(nums), pa.string()), "")

    def all(self, channel: str) -> pa.Array:
        """Everyone's id on ``channel``: for many rows in person order, a take from it is cheaper than ``of``."""
        return self.of(channel, np.arange(self.numbers.shape[1]))

    def on(self, channels: np.ndarray, people: np.ndarray, *, valid: np.ndarray | None = None) -> pa.Array:
        """The id of each ``people[i]`` on ``channels[i]`` (channel codes); null where ``valid`` is False."""
        if valid is not None:
            people = np.where(valid, people, 0)
        nums = pa.array(self.numbers[channels, people], mask=None if valid is None else ~valid)
        return pc.binary_join_element_wise(_PREFIXES.take(pa.array(channels)), pc.cast(nums, pa.string()), "")

    def one(self, channel: str, person: int) -> str:
        return f"{PREFIX[channel]}{self.numbers[CHANNELS.index(channel), person]}"


def draw_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mainland mobile numbers as integers: 1, a digit from 3 to 9, then nine random digits."""
    second = rng.choice(np.arange(3, 10), n)
    return 10**10 + second * 10**9 + rng.integers(0, 10**9, n)


def phone_strings(phones: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(phones), pa.string())
