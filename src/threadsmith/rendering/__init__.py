"""Tokenizers, chat templates, rendering and loss masks (issue 5); heavy libraries load late.

::

    from threadsmith.rendering import load_tokenizer
    tok = load_tokenizer("tokenizer.json.gz", template="chatml")
    rendered = tok.render(conversation)          # text, input_ids, assistant_mask, spans
    counts = tok.count(conversations)            # tokens per message and per conversation
"""

from threadsmith.rendering.chat_template import NAMED, ChatTemplate, NamedTemplate, RenderError, named_template
from threadsmith.rendering.chat_tokenizer import (
    ChatTokenizer,
    MessageSpan,
    Rendered,
    TokenCounts,
    TrainOn,
    template_message,
)
from threadsmith.rendering.loader import byte_tokenizer, load_tokenizer

__all__ = [
    "NAMED",
    "ChatTemplate",
    "ChatTokenizer",
    "MessageSpan",
    "NamedTemplate",
    "RenderError",
    "Rendered",
    "TokenCounts",
    "TrainOn",
    "byte_tokenizer",
    "load_tokenizer",
    "named_template",
    "template_message",
]
