"""Dataset statistics: what a dataset looks like, computed in one streaming pass.

``dataset_stats(paths)`` is the library call behind ``threadsmith stats`` (on a large input the
assistant turns' 3-grams are counted in a second process, see :mod:`threadsmith.stats.background`;
the output is the same). Memory stays bounded
whatever the size of the input: histograms have fixed buckets, the ranked counters keep a capped
number of keys (their counts are then lower bounds, flagged ``approximate``), distinct counts
turn into estimates past a few thousand values, and the dataset kind is detected from the first
2,000 conversations.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from threadsmith.audit import ProgressCallback, expand_paths
from threadsmith.config import Config
from threadsmith.stats.background import beside, ngram_pass, read_items
from threadsmith.stats.collector import StatsCollector
from threadsmith.stats.result import MARKUP_STYLES, DatasetStats, Ranking, SystemPrompts, Voice
from threadsmith.stats.sketches import Distribution

if TYPE_CHECKING:
    from threadsmith.rendering import ChatTokenizer

__all__ = [
    "MARKUP_STYLES",
    "DatasetStats",
    "Distribution",
    "Ranking",
    "StatsCollector",
    "SystemPrompts",
    "Voice",
    "dataset_stats",
]


def dataset_stats(
    paths: Sequence[str | os.PathLike[str]],
    *,
    config: Config | None = None,
    top: int = 20,
    progress: ProgressCallback | None = None,
    tokenizer: ChatTokenizer | None = None,
) -> DatasetStats:
    """Statistics of dataset files (folders expand to the dataset files inside them); with a
    ``tokenizer``, also exact tokens per conversation and per assistant turn as its chat
    template renders them."""
    config = config or Config()
    files = expand_paths(paths)
    # On a large input the 3-grams (about half the work) are counted in a process of their own.
    size = sum(os.path.getsize(f) for f in files) if tokenizer is None else 0
    with beside(ngram_pass, (files, config, top), size) as ngrams:
        collector = StatsCollector(top=top, kind=None if config.kind == "auto" else config.kind, tokenizer=tokenizer,
                                   ngrams=not ngrams.forked)
        for item in read_items(files, config, progress):
            collector.add(item)
        if ngrams.forked:
            collector.ngrams = ngrams.result()
    return collector.result(files)
