"""``run.py extract paper.pdf``: what extraction makes of a PDF (sections, context, flags)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..core import cliopts as o


def extract(
    ctx: typer.Context,
    pdf: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A PDF file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    text: Annotated[bool, typer.Option("--text", help="Print the LLM context itself.")] = False,
    budget: o.Budget = None,
    model: o.TokenizerModel = None,
    verbose: o.Verbose = False,
) -> None:
    """Show what extraction makes of a PDF: sections, kept/dropped context, flags."""
    from .extractor import extract_pdf
    from .report import extraction_report, format_report

    with o.reported(ctx, verbose):
        settings = o.settings_for(ctx, budget=budget, model=model)
        extraction = extract_pdf(
            pdf, budget_tokens=settings.token_budget, model=settings.model, label=pdf.name
        )
    if as_json:
        typer.echo(json.dumps(extraction_report(extraction), ensure_ascii=False, indent=2))
    elif text:
        typer.echo(extraction.context)
    else:
        typer.echo(format_report(extraction))


def register(app: typer.Typer) -> None:
    app.command()(extract)
