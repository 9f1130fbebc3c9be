"""The per-paper metrics a version is summarised by: a registry, so a new kind of check (the
faithfulness flags, a reference-overlap score) shows up in every report by registering one
function, without touching the aggregation, the comparison or the HTML.

A metric maps a :class:`PaperOutcome` to a number, a list of numbers (one per section) or
``None`` when it does not apply (no sections to measure on a failed paper); ``sum`` metrics add
up, ``mean`` metrics average over the values where they apply, ``p10``/``p50``/``p90`` take that
percentile of all the values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from pipeline.stages import style
from pipeline.stages.checked import FORM
from pipeline.stages.style import BAND
from pipeline.stages.validate import SECTION_TITLES

from .outcomes import PaperOutcome
from .stats import percentile

MetricFn = Callable[[PaperOutcome], float | list[float] | None]
Aggregate = Literal["sum", "mean", "p10", "p50", "p90"]


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    fn: MetricFn
    aggregate: Aggregate
    digits: int = 2
    """Decimals shown in the HTML report (the JSON keeps full precision)."""


METRICS: dict[str, Metric] = {}


def register(
    name: str, label: str, aggregate: Aggregate = "mean", digits: int = 2
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
        values = _values(metric.fn(o) for o in items)
        if metric.aggregate == "sum":
            result[metric.name] = float(sum(values))
        elif metric.aggregate == "mean":
            result[metric.name] = sum(values) / len(values) if values else 0.0
        else:
            result[metric.name] = percentile(values, float(metric.aggregate[1:]))
    return result


def _values(results: Iterable[float | list[float] | None]) -> list[float]:
    values: list[float] = []
    for value in results:
        if isinstance(value, list):
            values.extend(value)
        elif value is not None:
            values.append(value)
    return values


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
    return sum(flag.code == FORM for flag in outcome.flags)


@register("faithfulness_flags", "faithfulness flags", "sum", digits=0)
def _faithfulness(outcome: PaperOutcome) -> float:
    return flags_with_prefix(outcome, "faithfulness_")


def _section_chars(field: str) -> MetricFn:
    def chars(outcome: PaperOutcome) -> float | None:
        return outcome.section_chars.get(field) if outcome.sections else None

    return chars


for _field, _title in SECTION_TITLES.items():
    register(f"chars_{_field}", f"characters: {_title}", digits=0)(_section_chars(_field))


# ---- Korean style (pipeline.stages.style): what the prompt asks and no form check enforces ----


@register("style_register_share", "share of sections not in 합니다체")
def _register(outcome: PaperOutcome) -> list[float] | None:
    if not outcome.sections:
        return None
    off = {flag.section for flag in outcome.flags if flag.code == style.REGISTER}
    return [float(name in off) for name in outcome.sections]


@register("style_transliteration_share", "share of the paper's English terms in Hangul")
def _transliteration(outcome: PaperOutcome) -> list[float] | None:
    return [1.0] * outcome.terms_transliterated + [0.0] * outcome.terms_kept or None


@register("style_out_of_band_share", f"share of sections outside {BAND[0]}-{BAND[1]} chars")
def _out_of_band(outcome: PaperOutcome) -> list[float] | None:
    chars = outcome.section_chars.values()
    return [float(not BAND[0] <= n <= BAND[1]) for n in chars] or None


def _all_section_chars(outcome: PaperOutcome) -> list[float] | None:
    return [float(n) for n in outcome.section_chars.values()] or None


_PERCENTILES: tuple[Aggregate, ...] = ("p10", "p50", "p90")
for _p in _PERCENTILES:
    register(f"chars_section_{_p}", f"characters per section, {_p}", _p, digits=0)(
        _all_section_chars
    )
