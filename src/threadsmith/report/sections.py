"""The statistics sections of the report: shape, voice and style, composition."""

from __future__ import annotations

from threadsmith.report.charts import ROLE_COLOURS, bar_table, esc, histogram, number, percent, stacked_bar
from threadsmith.stats import MARKUP_STYLES, DatasetStats, Distribution, Ranking

_MARKUP_LABELS = {"asterisk": "*asterisks*", "parenthesis": "(parentheses)", "bracket": "[brackets]",
                  "none": "no action markup"}


def _figure(title: str, dist: Distribution, chart: str, what: str) -> str:
    if dist.count:
        numbers = (f"median {number(round(dist.quantile(0.5)))} · p90 {number(round(dist.quantile(0.9)))} · "
                   f"max {number(dist.maximum)} {esc(dist.unit)} · {number(dist.count)} {esc(what)}")
    else:
        numbers = "no data"
    return f'<figure><figcaption>{esc(title)}<span>{numbers}</span></figcaption>{chart}</figure>'


def shape_section(stats: DatasetStats) -> str:
    """Histograms: words per message for each role, turns and estimated tokens per conversation."""
    figures = []
    for role, dist in stats.words.items():
        chart = histogram(dist, x_label="words per message", y_label="messages",
                          colour=ROLE_COLOURS.get(role, "#8a93a3"))
        figures.append(_figure(f"Words per {role} message", dist, chart, f"{role} messages"))
    turns = histogram(stats.turns, x_label="turns per conversation (system prompt not counted)",
                      y_label="conversations")
    figures.append(_figure("Turns per conversation", stats.turns, turns, "conversations"))
    tokens = histogram(stats.tokens, x_label="estimated tokens per conversation (characters / 4)",
                       y_label="conversations")
    figures.append(_figure("Conversation length in tokens (estimate)", stats.tokens, tokens, "conversations"))
    figures += _token_figures(stats)
    roles = ", ".join(f"{esc(role)} {number(n)}" for role, n in stats.estimated_tokens().items())
    return (f'<h2 id="shape">Shape</h2><p class="sub">How long turns and conversations are. Estimated tokens '
            f'by role: {roles or "none"}.</p><div class="grid2">{"".join(figures)}</div>')


def _token_figures(stats: DatasetStats) -> list[str]:
    """With a tokenizer: exact tokens per conversation and per assistant turn, as the template renders them."""
    if stats.exact_tokens is None:
        return []
    by = stats.tokenizer or "the tokenizer"
    conversations = histogram(stats.exact_tokens, x_label=f"tokens per conversation ({by})", y_label="conversations")
    out = [_figure("Conversation length in tokens", stats.exact_tokens, conversations, "conversations")]
    if stats.exact_reply_tokens is not None:
        replies = histogram(stats.exact_reply_tokens, x_label=f"tokens per assistant turn, with its header and "
                                                              f"end of turn ({by})", y_label="assistant turns")
        out.append(_figure("Assistant turn length in tokens", stats.exact_reply_tokens, replies, "assistant turns"))
    return out


def _ranking_rows(ranking: Ranking, limit: int, *, least: int = 1) -> list[tuple[str, int, float]]:
    return [(value, count, ranking.share(count)) for value, count in ranking.items[:limit] if count >= least]


def style_section(stats: DatasetStats) -> str:
    """Openers, overused phrases, dialogue versus narration, and action-markup styles."""
    openers, grams, voice = stats.openers, stats.ngrams, stats.voice
    note = " Counts are lower bounds (the counter is capped)." if openers.approximate or grams.approximate else ""
    distinct = (f" {number(openers.distinct)} distinct openers across {number(openers.total)} assistant turns."
                if openers.distinct is not None else "")
    shares = voice.shares()
    balance = stacked_bar([("dialogue (in quotes)", shares["dialogue"], "#3b5b92"),
                           ("*action*", shares["action"], "#a08a5c"),
                           ("narration and plain text", shares["narration"], "#c9d1de")])
    turns = max(voice.turns, 1)
    markup_rows = [(_MARKUP_LABELS[s], stats.markup.get(s, 0), stats.markup.get(s, 0) / turns) for s in MARKUP_STYLES]
    return (
        '<h2 id="style">Voice and style</h2>'
        '<div class="grid2"><div><h3>Top assistant openers</h3>'
        f'<p class="sub">The first three words of assistant turns; a few openers on many turns teach a tic.{distinct}</p>'
        + bar_table(_ranking_rows(openers, 12, least=2), head=("opener", "turns", "share"), mono=True,
                    empty="No opener starts more than one turn.")
        + ('<p class="sub">Openers used once are not listed.</p>' if len(_ranking_rows(openers, 12, least=2)) < 12
           and openers.items else "")
        + '</div><div><h3>Most repeated phrases</h3>'
        f'<p class="sub">Word 3-grams of assistant text, counted once per turn (share of assistant turns '
        f'using each).{note}</p>'
        + bar_table(_ranking_rows(grams, 12, least=2), head=("phrase", "turns", "share"), mono=True,
                    empty="No phrase appears in more than one turn.")
        + '</div></div><div class="grid2"><div><h3>Dialogue and narration</h3>'
        '<p class="sub">Characters of assistant text inside quotes ("…" or “…”), inside *action* markup, '
        'and everything else.</p>' + balance
        + f'<p class="sub">{percent(voice.turns_with_dialogue / turns)} of assistant turns quote speech; '
        f'{percent(voice.turns_with_action / turns)} use *action* markup.</p></div>'
        '<div><h3>Action-markup style</h3><p class="sub">Assistant turns using each style; mixing styles '
        'teaches the model an inconsistent format. A turn may use several.</p>'
        + bar_table(markup_rows, head=("style", "turns", "share")) + "</div></div>"
    )


def composition_section(stats: DatasetStats) -> str:
    """System-prompt concentration, tag balance and character balance."""
    system = stats.system_prompts
    if system.with_system:
        distinct = f"{number(system.distinct)} distinct"
        summary = (f"{number(system.with_system)} of {number(system.conversations)} conversations "
                   f"({percent(system.with_system / max(system.conversations, 1))}) have a system prompt; "
                   f"{distinct}; the most common one is in {percent(system.top_share)} of them.")
    else:
        summary = "No conversation has a system prompt."
    prompts = bar_table(_ranking_rows(system.top, 5), head=("system prompt (start)", "conversations", "share"),
                        empty="no system prompts")
    tags, names = stats.tags, stats.characters
    tag_note = (f"{number(tags.distinct or 0)} distinct tags; share of conversations carrying each."
                if tags.items else "No tags in the data.")
    name_note = (f"{number(names.distinct or 0)} speaker names; share of all messages spoken by each."
                 if names.items else "No message carries a speaker name.")
    return (
        '<h2 id="composition">Composition</h2><h3>System prompts</h3>'
        f'<p class="sub">One prompt everywhere teaches the model to need it; many near-copies dilute it. {summary}</p>'
        + prompts + '<div class="grid2"><div><h3>Tags</h3>'
        f'<p class="sub">{tag_note}</p>' + bar_table(_ranking_rows(tags, 10), head=("tag", "conversations", "share"))
        + f'</div><div><h3>Characters</h3><p class="sub">{name_note}</p>'
        + bar_table(_ranking_rows(names, 10), head=("name", "messages", "share")) + "</div></div>"
        + _tool_calls(stats)
    )


def _tool_calls(stats: DatasetStats) -> str:
    """The functions the data calls (only for data with tool calls)."""
    if not stats.calling:
        return ""
    note = (f"{number(stats.functions.total)} calls in {number(stats.calling)} conversations "
            f"({percent(stats.calling / max(stats.conversations, 1))}); share of all calls made to each function. "
            "A model learns which tools to reach for from this mix.")
    return ('<h3>Tool calls</h3>' f'<p class="sub">{note}</p>'
            + bar_table(_ranking_rows(stats.functions, 10), head=("function", "calls", "share")))
