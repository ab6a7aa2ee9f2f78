"""Reference-free scorers, one module per behavior family; pure functions over replies.

Per-reply scorers take ``(reply, context, **args)`` and return an
:class:`~threadsmith.probe.scores.outcome.Outcome`; sequence scorers (emotional drift) take the
list of a probe's replies. :mod:`threadsmith.probe.scoring` maps check types to them.
"""
