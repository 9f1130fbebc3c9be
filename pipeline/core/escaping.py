"""Making outside text safe to publish in Markdown, which passes raw HTML through. Pure functions.

Only what would act is escaped, so the raw file reads as written ("Art & Sports", "90% > 85%"):
``<`` where it could open a tag, comment or autolink, ``&`` where it would form an entity, and
Markdown punctuation only where CommonMark could read it as syntax (an emphasis or code span
needs two delimiters, a link needs ``](``). Titles keep their brackets escaped, as the digest's
format always had them (the title is a link's text). URLs are published only when they are https.

Text in names and sections that would turn into a link by itself (GitHub's extended autolinks:
``www.``, ``https://``, e-mail addresses; markdown-it's linkify also any ``name.tld``) has its
trigger broken: one backslash before a ``:``, ``/`` or ``.``, which renders as the same character
but splits the text where both renderers look for a link, and an empty HTML comment before an
address's ``@`` (GitHub finds addresses with escapes already undone). Titles need neither: they
are a link's text, where no renderer makes another link.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# A tag, closing tag, comment, declaration, processing instruction or autolink starts so.
_OPENS_HTML = re.compile(r"<(?=[A-Za-z/!?])")
# Named, decimal and hexadecimal character references, as CommonMark recognises them.
_ENTITY = re.compile(r"&(?=[A-Za-z][A-Za-z0-9]{0,31};|#[0-9]{1,7};|#[xX][0-9A-Fa-f]{1,6};)")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# Runs of emphasis / strikethrough delimiters and of backticks.
_DELIMITER_RUN = re.compile(r"\*+|_+|~+|`+")
# The URL characters kept as they are: RFC 3986's reserved and unreserved characters, and "%" so
# an already-encoded URL is not encoded twice; minus the quotes and parentheses that would end a
# Markdown link or an HTML attribute.
_URL_SAFE = "/:?#[]@$&+,;=%~-._!*"
# A host ending in something a top-level domain could be: linkify-it links ``name.tld`` with a
# two-letter or known tld; any longer ASCII word is treated alike, as full tld lists would.
# A host's labels are letters, digits and "-" ("_" is punctuation to linkify-it: "train.py_").
_LABEL = r"(?:[^\W_]|-)+"
# Not after "@", ".", ":", "/" or a label: linkify-it links no host there (a URL's host is kept
# from linking by its scheme's escape, an address's domain by the split at its "@", below).
_TLD_HOST = re.compile(
    rf"(?<![@.:/\w-]){_LABEL}(?:\.{_LABEL})*\.(?:[A-Za-z]{{2,}}|xn--{_LABEL}|рф)(?![^\W_]|-)",
    re.IGNORECASE,
)
# GitHub links ``www.`` followed by any domain.
_WWW = re.compile(r"(?<![A-Za-z0-9])www(\.)[\w-]", re.IGNORECASE)
# GitHub links a local part ``@`` any domain with a period, looking at the paragraph's text with
# escapes and entities already undone: only a node that is not text keeps the two apart. An
# empty HTML comment is one that renders nothing (the raw file shows ``a<!---->@b.org``).
# The local part's last character as GitHub or linkify-it (which also takes ;:&=$," there) reads it.
_EMAIL_AT = re.compile(r"(?<=[\w.+\-;:&=$,\"])@(?=[\w-]+\.[\w-])")
_SPLIT = "<!---->"
# ``scheme://``, ``mailto:`` and ``xmpp:`` links, and protocol-relative ``//host`` (linkify-it).
_SCHEME_COLON = re.compile(r":(?=//)|(?<![A-Za-z0-9])(?:mailto|xmpp)(:)", re.IGNORECASE)
_BARE_SLASHES = re.compile(r"(?<![:/])/(?=/[\w\[])")


def escape_html(text: str) -> str:
    """Every ``&``, ``<`` and ``>`` as an entity: for HTML attributes, not for Markdown."""
    return "".join(_HTML.get(char, char) for char in text)


def escape_text(text: str) -> str:
    """A title as the literal text of a Markdown link: no HTML, no link, no emphasis."""
    return _escape_inline(text, brackets=True)


def escape_inline(text: str) -> str:
    """A line of names or a section as literal Markdown text, changed only where it would act."""
    return _escape_inline(text, brackets=False)


def _escape_inline(text: str, *, brackets: bool) -> str:
    # A title is a link's text, where no renderer makes another link: only the rest needs it.
    acting = _acting_delimiters(text) | (set() if brackets else _autolink_triggers(text))
    split = set() if brackets else {m.start() for m in _EMAIL_AT.finditer(text)}
    out: list[str] = []
    for i, char in enumerate(text):
        following = text[i + 1] if i + 1 < len(text) else ""
        if i in split:
            out.append(_SPLIT)
        if char == "\\" and (following in _ASCII_PUNCTUATION or not following):
            out.append("\\\\")  # before punctuation (or the link's "]") it would escape it
        elif char == "<" and _OPENS_HTML.match(text, i):
            out.append("&lt;")
        elif char == "&" and _ENTITY.match(text, i):
            out.append("&amp;")
        elif i in acting or (char in "[]" and (brackets or (char == "]" and following == "("))):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _acting_delimiters(text: str) -> set[int]:
    """Positions of ``*``, ``_``, ``~`` and backticks that could pair into emphasis or code.

    A run surrounded by whitespace can neither open nor close, nor can ``_`` inside a word
    (snake_case); anything else might, so it is escaped when another run of the same character
    could be its partner. Erring towards a backslash only costs one character of noise.
    """
    runs: dict[str, list[range]] = {}
    for match in _DELIMITER_RUN.finditer(text):
        before = text[match.start() - 1] if match.start() else " "
        after = text[match.end()] if match.end() < len(text) else " "
        kind = match.group(0)[0]
        if kind != "`" and before.isspace() and after.isspace():
            continue
        if kind == "_" and before.isalnum() and after.isalnum():
            continue
        runs.setdefault(kind, []).append(range(match.start(), match.end()))
    return {i for found in runs.values() if len(found) > 1 for run in found for i in run}


def _autolink_triggers(text: str) -> set[int]:
    """Positions whose escape keeps a bare URL, host or address from becoming a link.

    GitHub finds ``www.`` and ``scheme://`` in the unescaped source, and markdown-it's linkify
    looks inside one run of unescaped text and refuses a link that starts right after an escape.
    So: the ``:`` of a scheme (where GitHub starts), the first ``.`` of a host (what is left on
    each side is no host), the first ``/`` of ``//host``.
    """
    found = {m.start(m.lastindex or 0) for m in _SCHEME_COLON.finditer(text)}
    found |= {m.start() for m in _BARE_SLASHES.finditer(text)}
    found |= {m.start(1) for m in _WWW.finditer(text)}
    found |= {m.start() + m.group(0).index(".") for m in _TLD_HOST.finditer(text)}
    return found


def safe_url(url: str | None) -> str | None:
    """``url`` fit for a Markdown link and an HTML attribute, or None if it is not https.

    Only https is published: ``javascript:``, ``data:`` and plain http are refused. What could
    end the link or the attribute early (quotes, parentheses, spaces, angle brackets) is
    percent-encoded, so the URL stays one URL.
    """
    if not url:
        return None
    stripped = url.strip()
    try:
        parts = urlsplit(stripped)
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not parts.netloc:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in stripped):
        return None
    return quote(stripped, safe=_URL_SAFE)
