"""The eval report as one self-contained HTML file: inline CSS, no script, font or image from
anywhere, so it opens from disk, from a mail attachment or a CI artifact alike.

Clicking a paper opens its detail through the URL fragment (``#paper-3`` and CSS ``:target``),
which needs no JavaScript. Every value from the run (titles, summaries, model names, flags) is
escaped; the Content-Security-Policy forbids loading anything, so a mistake would show as a
broken page rather than a request.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable

from pipeline.review.diff import Segment, diff_text
from pipeline.stages.validate import SECTION_TITLES

from . import metrics
from .outcomes import EvalReport, JudgeSummary, PaperOutcome, PaperRef, VersionSummary

REWRITTEN = 0.6
"""Above this changed share a diff is noise (English against Korean, say): the new text is
shown whole instead."""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

# Keys for going through the papers: j/k next and previous (in the matrix's order), Esc back to
# the matrix. Everything else works without it.
_JS = """
(function () {
  var links = Array.prototype.slice.call(document.querySelectorAll('.matrix a.paper'));
  var hrefs = links.map(function (a) { return a.getAttribute('href'); });
  document.addEventListener('keydown', function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var at = hrefs.indexOf(location.hash), last = hrefs.length - 1;
    if (event.key === 'Escape' && at >= 0) location.hash = '#matrix';
    else if (event.key === 'j' && last >= 0) location.hash = hrefs[Math.min(at + 1, last)];
    else if (event.key === 'k' && at > 0) location.hash = hrefs[at - 1];
  });
})();
"""

# (key, label, decimals, unit) of the summary table rows taken from VersionSummary fields.
_SUMMARY_ROWS: tuple[tuple[str, str, int, str], ...] = (
    ("papers", "papers", 0, ""),
    ("passed", "passed", 0, ""),
    ("needs_review", "needs review", 0, ""),
    ("failed", "failed", 0, ""),
    ("flagged", "flagged", 0, ""),
    ("pass_rate", "pass rate", 2, ""),
    ("reasks", "re-asks", 0, ""),
    ("form_reasks", "re-asks: form", 0, ""),
    ("faithfulness_reasks", "re-asks: faithfulness", 0, ""),
    ("prompt_tokens", "prompt tokens", 0, ""),
    ("completion_tokens", "completion tokens", 0, ""),
    ("cost_usd", "cost", 4, "$"),
    ("latency_p50_s", "latency p50", 2, "s"),
    ("latency_p95_s", "latency p95", 2, "s"),
    ("llm_calls", "LLM calls this run", 0, ""),
)

_STATUS_TEXT = {"passed": "passed", "needs_review": "needs review", "failed": "failed"}
_PAIR_TEXT = {"win": "▲ win", "loss": "▼ loss", "tie": "= tie"}

_CSS = """
:root { --fg:#1d1d1f; --muted:#5f6368; --line:#d9dce1; --bg:#f6f7f9; --card:#fff;
  --ok:#1e7b34; --ok-bg:#e3f4e7; --warn:#8a5a00; --warn-bg:#fff3d6; --bad:#b3261e;
  --bad-bg:#fde7e5; --ins:#d6f5dc; --del:#fbdada; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.55 system-ui, -apple-system, "Segoe UI", "Noto Sans KR",
  "Noto Sans CJK KR", sans-serif; color:var(--fg); background:var(--bg); }
main { max-width:1200px; margin:0 auto; padding:24px 20px 60px; }
h1 { font-size:24px; margin:0 0 4px; } h2 { font-size:18px; margin:28px 0 10px; }
.sub { color:var(--muted); margin:0 0 16px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px;
  padding:14px 16px; margin:0 0 12px; }
table { border-collapse:collapse; background:var(--card); width:100%; }
th, td { border:1px solid var(--line); padding:6px 10px; text-align:left; vertical-align:top; }
th { background:#eef0f3; font-weight:600; }
.demo-banner { margin:0; padding:.6rem 1rem; background:#fff4c2; color:#3d2e00;
  border-bottom:2px solid #9a6700; font-size:.95rem; line-height:1.5; text-align:center; }
.demo-banner strong { margin-right:.4rem; letter-spacing:.02em; }
table.summary { width:auto; min-width:50%; } table.summary td { min-width:9rem; }
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:13px;
  font-weight:600; white-space:nowrap; }
.better, .passed, .win { color:var(--ok); background:var(--ok-bg); }
.worse, .failed, .loss { color:var(--bad); background:var(--bad-bg); }
.nsd, .needs_review { color:var(--warn); background:var(--warn-bg); }
.tie { color:var(--muted); background:#eceff1; }
.verdict-line { font-size:17px; margin:0 0 6px; }
.small { font-size:13px; color:var(--muted); }
.matrix td a { color:inherit; font-weight:600; text-decoration:none; }
.matrix td a:hover { text-decoration:underline; }
.matrix tr.regressed td:first-child { box-shadow: inset 4px 0 0 var(--bad); }
.detail { display:none; }
.detail:target { display:block; position:fixed; inset:16px; overflow:auto; z-index:10;
  background:var(--card); border:1px solid var(--line); border-radius:10px;
  box-shadow:0 10px 40px rgba(0,0,0,.25); padding:18px 22px; }
.detail .close { float:right; font-size:14px; }
.cols { display:grid; gap:12px; grid-template-columns:repeat(var(--n), minmax(260px, 1fr)); }
.col { border:1px solid var(--line); border-radius:8px; padding:10px 12px; background:#fcfcfd; }
.col h3 { font-size:15px; margin:0 0 6px; }
.section-name { font-weight:600; font-size:13px; color:var(--muted); margin:10px 0 2px; }
.text { white-space:pre-wrap; word-break:keep-all; overflow-wrap:anywhere; }
ins { background:var(--ins); text-decoration:none; }
del { background:var(--del); }
ul.flags { margin:4px 0 0; padding-left:18px; font-size:13px; }
.flag-code { font-family:ui-monospace, monospace; font-size:12px; }
dl.manifest { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:0;
  font-size:13px; } dl.manifest dt { color:var(--muted); }
dl.manifest dd { margin:0; font-family:ui-monospace, monospace; overflow-wrap:anywhere; }
dl.manifest { grid-template-columns:max-content minmax(0, 1fr); }
.scroll { overflow-x:auto; max-width:100%; }
/* A phone: the versions of a paper stacked instead of side by side, nothing wider than the
   screen (wide tables scroll inside their box, the page itself never sideways). */
@media (max-width: 700px) {
  main { padding:16px 10px 40px; }
  .cols { grid-template-columns:minmax(0, 1fr); }
  .detail:target { inset:0; border-radius:0; padding:14px 12px; }
  table.summary { min-width:0; } table.summary td { min-width:0; }
  dl.manifest { grid-template-columns:minmax(0, 1fr); } dl.manifest dd { margin-bottom:6px; }
}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def number(value: float, decimals: int, unit: str = "") -> str:
    """How the report shows a number: fixed decimals, ``$`` before and ``s`` after."""
    text = f"{value:,.{decimals}f}"
    return f"${text}" if unit == "$" else f"{text}{unit}"


def _num_cell(version: str, key: str, value: float, decimals: int, unit: str = "") -> str:
    return (
        f'<td class="num" data-version="{_e(version)}" data-key="{_e(key)}" '
        f'data-value="{_e(value)}">{_e(number(value, decimals, unit))}</td>'
    )


def render_html(report: EvalReport) -> str:
    """The whole report page."""
    order = _papers_regressions_first(report)
    body = "\n".join(
        [
            _header(report),
            _verdicts(report),
            _summary_table(report),
            _judge(report.judge),
            _matrix(report, order),
            _manifest(report),
            *(_detail(report, ref, index) for index, ref in order),
        ]
    )
    return (
        '<!doctype html>\n<html lang="ko"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(f'Prompt lab: {report.evalset} ({report.run_id})')}</title>"
        f'<style>{_CSS}</style></head>\n<body><main id="top">\n{body}\n</main>'
        f"<script>{_JS}</script></body></html>\n"
    )


def _header(report: EvalReport) -> str:
    m = report.manifest
    ran = m.params.get("faithfulness")
    policy = f" · judged as the night, faithfulness policy <b>{_e(ran)}</b>" if ran else ""
    return (
        f"<h1>Prompt lab: {_e(report.evalset)}</h1>"
        f'<p class="sub">run {_e(report.run_id)} · {_e(m.created_at.strftime("%Y-%m-%d %H:%M"))}'
        f" UTC · {report.papers} papers · baseline <b>{_e(report.baseline)}</b>{policy}</p>"
    )


def _verdict_class(verdict: str) -> str:
    return {"better": "better", "worse": "worse"}.get(verdict, "nsd")


def _verdicts(report: EvalReport) -> str:
    if not report.comparisons:
        return "<h2>Verdicts</h2><p>Only one version: nothing to compare.</p>"
    cards = []
    for c in report.comparisons:
        hard = ""
        if c.hard_regressions:
            hard = (
                f'<p class="small"><b>{len(c.hard_regressions)} paper(s) the baseline passes and'
                f" this version does not:</b> {_e(', '.join(c.hard_regressions))}</p>"
            )
        cards.append(
            f'<div class="card verdict" data-candidate="{_e(c.candidate)}">'
            f'<p class="verdict-line"><b>{_e(c.candidate)}</b> vs {_e(c.baseline)}: '
            f'<span class="badge {_verdict_class(c.verdict)}">{_e(c.verdict)}</span></p>'
            f'<p>wins <b data-key="wins">{c.wins}</b> · losses <b data-key="losses">'
            f'{c.losses}</b> · ties <b data-key="ties">{c.ties}</b> · exact sign test '
            f'p = <b data-key="p_value" data-value="{_e(c.p_value)}">{c.p_value:.4g}</b></p>'
            f'{hard}<p class="small">{_e(c.detectable)}</p></div>'
        )
    rule = (
        '<p class="small">A candidate wins a paper when its summary passes and the baseline\'s '
        "does not, or both end the same and it has fewer flags; it loses in the reverse case; "
        "anything else is a tie. Ties are left out of the sign test.</p>"
    )
    return "<h2>Verdicts</h2>" + "".join(cards) + rule


def _summary_table(report: EvalReport) -> str:
    versions = list(report.versions.values())
    head = "".join(
        f"<th>{_e(v.version)}"
        + ("" if v.model in v.version else f'<br><span class="small">{_e(v.model)}</span>')
        + "</th>"
        for v in versions
    )
    rows = [
        f"<tr><th>{_e(label)}</th>"
        + "".join(_num_cell(v.version, key, getattr(v, key), dec, unit) for v in versions)
        + "</tr>"
        for key, label, dec, unit in _SUMMARY_ROWS
    ]
    rows.extend(_metric_rows(versions))
    codes = sorted({code for v in versions for code in v.flag_codes})
    if codes:
        rows.append(
            "<tr><th>flags by code</th>"
            + "".join(f"<td>{_flag_code_list(v.flag_codes)}</td>" for v in versions)
            + "</tr>"
        )
    note = ""
    if any(not v.cost_known for v in versions):
        note = '<p class="small">Cost counts only priced models (see DIGEST_PRICE_FILE).</p>'
    return (
        f'<h2>Versions</h2><div class="scroll" tabindex="0" role="region" aria-label="versions">'
        '<table class="summary"><tr>'
        f'<th scope="col">measure</th>{head}</tr>' + "".join(rows) + f"</table></div>{note}"
    )


def _metric_rows(versions: list[VersionSummary]) -> Iterable[str]:
    names = list(dict.fromkeys(name for v in versions for name in v.metrics))
    for name in names:
        known = metrics.METRICS.get(name)
        label, digits = (known.label, known.digits) if known else (name, 2)
        cells = "".join(
            _num_cell(v.version, f"metrics.{name}", v.metrics.get(name, 0.0), digits)
            for v in versions
        )
        yield f"<tr><th>{_e(label)}</th>{cells}</tr>"


def _flag_code_list(codes: dict[str, int]) -> str:
    if not codes:
        return "-"
    return "<br>".join(
        f'<span class="flag-code">{_e(code)}</span> {count}' for code, count in codes.items()
    )


def _judge(summaries: list[JudgeSummary]) -> str:
    if not summaries:
        return ""
    rows = []
    for j in summaries:
        rate = "-" if j.win_rate is None else f"{j.win_rate:.0%}"
        if not j.votes:  # nothing to judge: not "0 ties, 0 inconsistent"
            rows.append(
                f'<tr data-candidate="{_e(j.candidate)}"><td>{_e(j.candidate)} vs '
                f'{_e(j.baseline)}</td><td class=num data-key="pairs">0</td><td colspan=6>no '
                "pair judged: no paper where both versions wrote a summary</td></tr>"
            )
            continue
        rows.append(
            f'<tr data-candidate="{_e(j.candidate)}"><td>{_e(j.candidate)} vs {_e(j.baseline)}'
            f'</td><td class=num data-key="pairs">{len(j.votes)}</td>'
            f"<td class=num>{j.candidate_wins}</td><td class=num>{j.baseline_wins}</td>"
            f"<td class=num>{j.ties}</td><td class=num>{j.inconsistent}</td>"
            f'<td class=num data-value="{_e(j.win_rate)}">{_e(rate)}</td>'
            f"<td class=num>{j.ci_low:.0%} – {j.ci_high:.0%}</td></tr>"
        )
    first = summaries[0]
    return (
        f"<h2>Pairwise judge</h2><p class=small>{_e(first.judge_model)} with prompt "
        f"{_e(first.judge_prompt)}, asked once in each order; a preference counts only when "
        "both orders agree.</p><div class=scroll tabindex=0 role=region aria-label=judge>"
        "<table class=judge><tr><th>comparison</th>"
        "<th>pairs judged</th>"
        "<th>candidate "
        "preferred</th><th>baseline preferred</th><th>tie</th><th>inconsistent</th>"
        "<th>candidate win rate</th><th>Wilson 95%</th></tr>" + "".join(rows) + "</table></div>"
    )


def _regression_score(report: EvalReport, arxiv_id: str) -> tuple[int, int]:
    hard = sum(arxiv_id in c.hard_regressions for c in report.comparisons)
    losses = sum(c.per_paper.get(arxiv_id) == "loss" for c in report.comparisons)
    return hard, losses


def _papers_regressions_first(report: EvalReport) -> list[tuple[int, PaperRef]]:
    """Papers with a hard regression first, then with a loss, then the rest in set order;
    numbered by their place in the set so links stay stable."""
    indexed = list(enumerate(report.paper_list, start=1))
    return sorted(
        indexed,
        key=lambda item: tuple(-n for n in _regression_score(report, item[1].arxiv_id)),
    )


def _status_badge(outcome: PaperOutcome | None) -> str:
    if outcome is None:
        return '<span class="badge tie">not run</span>'
    return f'<span class="badge {outcome.status}">{_STATUS_TEXT[outcome.status]}</span>'


def _matrix(report: EvalReport, order: list[tuple[int, PaperRef]]) -> str:
    versions = list(report.versions)
    head = "".join(f"<th>{_e(v)}</th>" for v in versions)
    pair = {c.candidate: c.per_paper for c in report.comparisons}
    rows = []
    for index, ref in order:
        cells = []
        for version in versions:
            outcome = report.outcome(ref.arxiv_id, version)
            flags = len(outcome.flags) if outcome else 0
            result = pair.get(version, {}).get(ref.arxiv_id)
            extra = f' <span class="badge {result}">{_PAIR_TEXT[result]}</span>' if result else ""
            flag_text = f' <span class="small">{flags} flag(s)</span>' if flags else ""
            cells.append(f"<td>{_status_badge(outcome)}{flag_text}{extra}</td>")
        regressed = " class=regressed" if any(_regression_score(report, ref.arxiv_id)) else ""
        rows.append(
            f'<tr{regressed}><td><a class="paper" href="#paper-{index}">{_e(ref.title)}</a><br>'
            f'<span class="small">{_e(ref.arxiv_id)}</span></td>{"".join(cells)}</tr>'
        )
    return (
        '<h2 id="matrix">Papers × versions</h2><p class="small">Regressions first; click a paper'
        " to compare its summaries (then j / k for the next or previous one, Esc to close).</p>"
        '<div class="scroll" tabindex="0" role="region" aria-label="papers">'
        f'<table class="matrix"><tr><th>paper</th>{head}</tr>'
        f"{''.join(rows)}</table></div>"
    )


def _manifest(report: EvalReport) -> str:
    m = report.manifest
    items: list[tuple[str, str]] = [
        ("eval set", m.evalset),
        ("set hash", m.set_hash),
        ("run id", m.run_id),
        ("date", m.created_at.isoformat()),
        ("git commit", m.git_commit or "unknown"),
        ("models", ", ".join(m.models)),
        *((f"prompt {spec}", digest) for spec, digest in m.prompts.items()),
        *((f"param {k}", _plain(v)) for k, v in sorted(m.params.items())),
    ]
    if m.judge_model:
        items.append(("judge", f"{m.judge_model} with {m.judge_prompt} ({m.judge_prompt_hash})"))
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return f'<h2>Run manifest</h2><div class="card"><dl class="manifest">{rows}</dl></div>'


def _plain(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def changed_share(segments: list[Segment]) -> float:
    """Characters inserted or deleted / characters in both texts: 0 identical, 1 disjoint."""
    changed = sum(len(s.text) for s in segments if s.op != "equal")
    total = sum(len(s.text) * (2 if s.op == "equal" else 1) for s in segments)
    return changed / total if total else 0.0


def _diff_html(old: str, new: str) -> str:
    """``new`` marked against ``old`` (by 어절, refined by character, as the review app does)."""
    segments = diff_text(old, new)
    share = changed_share(segments)
    if share > REWRITTEN:
        return f'<span class="small">rewritten ({share:.0%} changed):</span> {_e(new)}'
    parts = []
    for segment in segments:
        tag = {"insert": "ins", "delete": "del"}.get(segment.op)
        parts.append(f"<{tag}>{_e(segment.text)}</{tag}>" if tag else _e(segment.text))
    return "".join(parts)


def _version_column(
    version: str, outcome: PaperOutcome | None, base: PaperOutcome | None, result: str | None
) -> str:
    if outcome is None:
        return f'<div class="col"><h3>{_e(version)}</h3>{_status_badge(None)}</div>'
    badge = f' <span class="badge {result}">{_PAIR_TEXT[result]}</span>' if result else ""
    parts = [f"<h3>{_e(version)}</h3><p>{_status_badge(outcome)}{badge}"]
    parts.append(
        f' <span class="small">{outcome.reasks} re-ask(s) · {outcome.latency_s:.2f}s · '
        f"{outcome.prompt_tokens}+{outcome.completion_tokens} tokens</span></p>"
    )
    if outcome.reason and not outcome.flags:
        parts.append(f'<p class="small">{_e(outcome.reason)}</p>')
    if outcome.flags:
        parts.append(
            '<ul class="flags">'
            + "".join(
                f'<li><span class="flag-code">{_e(f.code)}</span> {_e(f.detail)}'
                f"{_e(f' ({SECTION_TITLES[f.section]})') if f.section in SECTION_TITLES else ''}"
                "</li>"
                for f in outcome.flags
            )
            + "</ul>"
        )
    for field, title in SECTION_TITLES.items():
        text = outcome.sections.get(field)
        if text is None:
            continue
        old = base.sections.get(field) if base is not None and base is not outcome else None
        shown = _e(text) if old is None else _diff_html(old, text)
        parts.append(f'<div class="section-name">{_e(title)}</div><div class="text">{shown}</div>')
    return f'<div class="col">{"".join(parts)}</div>'


def _detail(report: EvalReport, ref: PaperRef, index: int) -> str:
    versions = list(report.versions)
    base = report.outcome(ref.arxiv_id, report.baseline)
    pair = {c.candidate: c.per_paper.get(ref.arxiv_id) for c in report.comparisons}
    rank = {"loss": 0, "tie": 1, "win": 2, None: 3}
    # Baseline first, then the candidates that lost this paper.
    candidates = sorted(
        (v for v in versions if v != report.baseline), key=lambda v: rank[pair.get(v)]
    )
    ordered = [report.baseline, *candidates]
    cols = "".join(
        _version_column(v, report.outcome(ref.arxiv_id, v), base, pair.get(v)) for v in ordered
    )
    input_flags = ""
    if ref.input_flags:
        input_flags = (
            '<ul class="flags">'
            + "".join(
                f'<li><span class="flag-code">{_e(f.code)}</span> {_e(f.detail)}</li>'
                for f in ref.input_flags
            )
            + "</ul>"
        )
    return (
        f'<section class="detail" id="paper-{index}"><a class="close" href="#matrix">close ✕'
        f"</a><h2>{_e(ref.title)}</h2><p class=small>{_e(ref.arxiv_id)} · input: "
        f"{_e(ref.input_source)} · changes shown against {_e(report.baseline)}: "
        f"<ins>added</ins> <del>removed</del></p>{input_flags}"
        f'<div class="cols" style="--n:{len(ordered)}">{cols}</div></section>'
    )
