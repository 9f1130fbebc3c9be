"""HTML pages of the site, rendered by Jinja2 with autoescape on. Pure functions."""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from ..core.wording import clip
from .model import Card, Edition, card, clean_text, day_page

SITE_TITLE = "Korean Daily Papers"
TOP_TITLES = 3
"""Titles shown per day on the index; the rest is counted."""
DESCRIPTION_CHARS = 160
"""About what a search result shows of a page's description."""
INDEX_DESCRIPTION = "Hugging Face Daily Papers의 논문을 매일 한국어로 요약합니다."
ROBOTS = "User-agent: *\nAllow: /\n"
"""Every page is public and meant to be found."""


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.site", "templates"),
        autoescape=True,  # every template here is HTML, .css included (it has no variables)
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **values: Any) -> str:
    return environment().get_template(name).render(site_title=SITE_TITLE, **values)


def _link(edition: Edition | None) -> dict[str, str] | None:
    if edition is None:
        return None
    return {"date": edition.date.isoformat(), "page": day_page(edition.date)}


def cards(edition: Edition, media_base: str) -> list[Card]:
    return [card(e, media_base) for e in edition.digest.papers]


def day_description(edition: Edition) -> str:
    """The day's page in one search-result line: its date, paper count and first titles."""
    titles = ", ".join(clean_text(e.title) for e in edition.digest.papers[:TOP_TITLES])
    count = len(edition.digest.papers)
    return clip(
        f"{edition.date.isoformat()} Hugging Face Daily Papers {count}편 한국어 요약: {titles}",
        DESCRIPTION_CHARS,
    )


def render_day(
    edition: Edition, media_base: str, newer: Edition | None, older: Edition | None
) -> str:
    return render(
        "day.html",
        description=day_description(edition),
        date=edition.date.isoformat(),
        edited=edition.edited,
        papers=cards(edition, media_base),
        newer=_link(newer),
        older=_link(older),
    )


def render_index(editions: list[Edition], media_base: str) -> str:
    """Days newest first, each with its paper count and its top titles."""
    days = [
        {
            "date": e.date.isoformat(),
            "page": day_page(e.date),
            "count": len(e.digest.papers),
            "edited": e.edited,
            "top": cards(e, media_base)[:TOP_TITLES],
        }
        for e in newest_first(editions)
    ]
    return render("index.html", days=days, description=INDEX_DESCRIPTION)


def render_entry_html(c: Card) -> str:
    """One paper's card as an HTML fragment (the feed's entry content)."""
    return render("entry.html", p=c)


def stylesheet() -> str:
    return render("style.css")


def favicon() -> bytes:
    """The site's icon, a file of the site itself (browsers ask for one; a 404 otherwise)."""
    return resources.files("pipeline.site").joinpath("templates/favicon.svg").read_bytes()


def newest_first(editions: list[Edition]) -> list[Edition]:
    return sorted(editions, key=lambda e: e.date, reverse=True)


def midnight(date: dt.date) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(), dt.UTC)
