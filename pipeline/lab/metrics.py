"""The per-paper metrics a version is summarised by: a registry, so a new kind of check (the
faithfulness flags, a reference-overlap score) shows up in every report by registering one
function, without touching the aggregation, the comparison or the HTML.

A metric maps a :class:`PaperOutcome` to a number, or ``None`` when it does not apply (no
sections to measure on a failed paper); ``sum`` metrics add up, ``mean`` metrics average over
the papers where they apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from pipeline.stages.validate import SECTION_TITLES

from .outcomes import PaperOutcome

MetricFn = Callable[[PaperOutcome], float | None]


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    fn: MetricFn
    aggregate: Literal["sum", "mean"]
    digits: int = 2
    """Decimals shown in the HTML report (the JSON keeps full precision)."""


METRICS: dict[str, Metric] = {}


def register(
    name: str, label: str, aggregate: Literal["sum", "mean"] = "mean", digits: int = 2
) -> Callable[[MetricFn], MetricFn]:
    """Decorator: add ``fn`` to the registry under ``name`` (re-registering replaces it)."""

    def add(fn: MetricFn) -> MetricFn:
        METRICS[name] = Metric(name, label, fn, aggregate, digits)
        return fn

    return add


def aggregate(outcomes: Iterable[PaperOutcome]) -> dict[str, float]:
    """Every registered metric over these outcomes; a mean with no applicable paper is 0."""
    items = list(outcomes)
    result: dict[str, float] = {}
    for metric in METRICS.values():
        values = [v for v in (metric.fn(o) for o in items) if v is not None]
        if metric.aggregate == "sum":
            result[metric.name] = float(sum(values))
        else:
            result[metric.name] = sum(values) / len(values) if values else 0.0
    return result


def flags_with_prefix(outcome: PaperOutcome, prefix: str) -> int:
    return sum(flag.code.startswith(prefix) for flag in outcome.flags)


@register("reasks_mean", "re-asks per paper")
def _reasks(outcome: PaperOutcome) -> float:
    return outcome.reasks


@register("hangul_share_mean", "Hangul share")
def _hangul(outcome: PaperOutcome) -> float | None:
    return outcome.hangul_share


@register("chars_mean", "characters per summary", digits=0)
def _chars(outcome: PaperOutcome) -> float | None:
    return sum(outcome.section_chars.values()) if outcome.sections else None


@register("form_flags", "form flags", "sum", digits=0)
def _form(outcome: PaperOutcome) -> float:
    return flags_with_prefix(outcome, "form")


@register("faithfulness_flags", "faithfulness flags", "sum", digits=0)
def _faithfulness(outcome: PaperOutcome) -> float:
    return flags_with_prefix(outcome, "faithfulness_")


def _section_chars(field: str) -> MetricFn:
    def chars(outcome: PaperOutcome) -> float | None:
        return outcome.section_chars.get(field) if outcome.sections else None

    return chars


for _field, _title in SECTION_TITLES.items():
    register(f"chars_{_field}", f"characters: {_title}", digits=0)(_section_chars(_field))
