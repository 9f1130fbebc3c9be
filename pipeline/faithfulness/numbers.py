"""Numbers: find each quantity in a Korean section, normalise it to a value, and look the value
up among the numbers of the paper in any of their forms.

One value has many spellings: 236B = 236 billion = 2,360억 = 236,000,000,000; 6.2 million =
620만; 52.3% = 52.30%; 14x = 14× = 14 times = 14배. Both sides are reduced to plain floats, so a
summary's "2,360억" is found through the paper's "236B", while a unit slip ("236억", ten times
too small) is not. Numbers that are part of a name (GPT-4o, CIFAR-10) never reach this module:
the caller masks names first.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass

_KOREAN_BIG = {"만": 1e4, "억": 1e8, "조": 1e12}
_KOREAN_SMALL = {"십": 10.0, "백": 100.0, "천": 1000.0}
_ENGLISH_LETTER = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
_ENGLISH_WORD = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}

_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# Korean units sit right after the digits; 조 and 만 also start ordinary words (조건, 만큼).
_BIG = r"(?:억|조(?![건합정사각작절직])|만(?!큼|들|약|족|나|난))"
_SMALL = r"[십백천]"
_KO_UNIT = rf"(?:{_SMALL}|{_BIG})"
# Digits with a Korean unit right after them, then more such parts: "2,360억", "6천억", "5천",
# "8조 1천억", "2천360억", "1억 2천만", "1만 2000".
_KOREAN = rf"(?:{_DIGITS}){_KO_UNIT}(?:\s?(?:{_DIGITS})?{_KO_UNIT})*(?:\s(?:{_DIGITS})(?![\d.,]))?"
_KO_PART = re.compile(rf"({_DIGITS})?\s?({_KO_UNIT})?")

_MENTION = re.compile(
    rf"(?<![A-Za-z0-9_.,])(?P<num>{_KOREAN}|{_DIGITS})"
    r"(?:\s?(?P<eng>[kKMBT](?![A-Za-z0-9])|(?:thousand|million|billion|trillion)\b))?"
    r"\s?(?P<unit>%\s?p(?![A-Za-z])|%\s?포인트|퍼센트\s?포인트|%|퍼센트|배(?![치포경])"
    r"|[x×](?![A-Za-z0-9])|times\b|-?fold\b|포인트)?"
)
_RANGE_LINK = re.compile(r"^\s*(?:~|∼|-|–|—|에서|부터|to|and|,)\s*$")

# A number in the paper's (English) text, with its scale.
_SOURCE_NUMBER = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)"
    r"(?:\s?([kKMBT])(?![a-z])|\s(thousand|million|billion|trillion)\b)?"
)


@dataclass(frozen=True)
class Mention:
    """A number as the summary writes it, with every value it may mean."""

    span: str
    start: int
    end: int
    values: tuple[float, ...]
    unit: str  # "", "%", "%p" or "x"
    decimals: int
    scaled: bool


def _float(digits: str) -> float:
    return float(digits.replace(",", ""))


def _decimals(digits: str) -> int:
    return len(digits.split(".", 1)[1]) if "." in digits else 0


def _korean_value(text: str) -> tuple[float, bool, bool]:
    """Value of Korean numerals with digits ("8조 1천억", "2천360억"); whether it carried a unit;
    whether 만 ends it (the particle 만, "only", reads the same: "32만으로도" may mean "only
    32"). As Korean counts: 천/백/십 multiply within a group of four digits, 만/억/조 close
    the group."""
    total = group = 0.0
    scaled = False
    for match in _KO_PART.finditer(text):
        digits, unit = match.groups()
        if not digits and not unit:
            continue
        number = _float(digits) if digits else None
        if unit in _KOREAN_SMALL:
            group += (1.0 if number is None else number) * _KOREAN_SMALL[unit]
        elif unit:  # 만, 억, 조
            group += number or 0.0
            total += (group or 1.0) * _KOREAN_BIG[unit[0]]
            group = 0.0
        else:
            group += number or 0.0
        scaled = scaled or bool(unit)
    return total + group, scaled, text.rstrip().endswith("만")


def _unit(raw: str | None) -> str:
    if not raw:
        return ""
    raw = raw.replace(" ", "")
    if raw in ("%p", "%포인트", "퍼센트포인트", "포인트"):
        return "%p"
    if raw in ("%", "퍼센트"):
        return "%"
    return "x"


def find_numbers(text: str) -> list[Mention]:
    """Every quantity in ``text`` (a Korean section, names already masked out)."""
    mentions: list[Mention] = []
    for match in _MENTION.finditer(text):
        num, eng = match.group("num"), match.group("eng")
        if not re.search(r"\d", num):
            continue
        mentions.append(_mention(match, num, eng, text))
    return _spread_range_scales(mentions, text)


def _mention(match: re.Match[str], num: str, eng: str | None, text: str) -> Mention:
    value, scaled, ends_in_man = _korean_value(num)
    values = [value]
    if ends_in_man and re.match(r"\s?(?:으로|이|을|도|큼|에|의|보다)", text[match.end("num") :]):
        values.append(_korean_value(num.rstrip()[:-1])[0])
    if eng:
        factor = _ENGLISH_LETTER.get(eng) or _ENGLISH_WORD[eng.lower()]
        values = [v * factor for v in values]
        scaled = True
    parts = re.findall(_DIGITS, num)
    decimals = _decimals(parts[0]) if len(parts) == 1 else 0
    span = match.group(0).rstrip()
    return Mention(
        span=span,
        start=match.start(),
        end=match.start() + len(span),
        values=tuple(values),
        unit=_unit(match.group("unit")),
        decimals=decimals,
        scaled=scaled,
    )


def _spread_range_scales(mentions: list[Mention], text: str) -> list[Mention]:
    """ "16~128K" and "1에서 3B": the scale written once applies to both ends."""
    out = list(mentions)
    for i in range(len(out) - 1):
        low, high = out[i], out[i + 1]
        if low.scaled or not high.scaled or not _RANGE_LINK.match(text[low.end : high.start]):
            continue
        factor = high.values[0] / _float_of_span(high)
        if factor > 1:
            out[i] = Mention(
                low.span,
                low.start,
                low.end,
                (*low.values, low.values[0] * factor),
                low.unit or high.unit,
                low.decimals,
                False,
            )
    return out


def _float_of_span(mention: Mention) -> float:
    digits = re.search(_DIGITS, mention.span)
    return _float(digits.group(0)) if digits else 1.0


_ONE_TO_TWENTY = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
_NUMBER_WORDS = {word: float(value) for value, word in enumerate(_ONE_TO_TWENTY.split())} | {
    "thirty": 30.0,
    "forty": 40.0,
    "fifty": 50.0,
    "hundred": 100.0,
    "twice": 2.0,
    "double": 2.0,
}
# Run on lowercased text; the lookahead on first letters spares trying every word everywhere.
_WORD_NUMBER = re.compile(
    rf"(?<![a-z])(?=[{''.join(sorted({w[0] for w in _NUMBER_WORDS}))}])"
    rf"({'|'.join(_NUMBER_WORDS)})(?![a-z])"
)
_RANGE_GAP = re.compile(r"\s?[-~]\s?")


class NumberPool:
    """Every value the paper states, with where it states it, sorted for tolerant lookup."""

    def __init__(self, ascii_text: str) -> None:
        where: dict[float, list[int]] = defaultdict(list)
        for match in _WORD_NUMBER.finditer(ascii_text.lower()):
            where[_NUMBER_WORDS[match.group(1)]].append(match.start())
        previous: re.Match[str] | None = None
        for match in _SOURCE_NUMBER.finditer(ascii_text):
            digits, letter, word = match.groups()
            value, at = _float(digits), match.start()
            where[value].append(at)
            if "," in digits:  # "100,200" may be a list, not a number
                for part in filter(None, digits.split(",")):
                    where[_float(part)].append(at)
            if letter or word:
                factor = _ENGLISH_LETTER[letter] if letter else _ENGLISH_WORD[word]
                where[value * factor].append(at)
                # "1-20 k actions", "8K-1M": a scale written once after a range.
                if previous and _RANGE_GAP.fullmatch(ascii_text, previous.end(), at):
                    where[_float(previous.group(1)) * factor].append(previous.start())
            previous = match
        self._where = dict(where)
        self._values = sorted(where)
        # 0.523 in a table is 52.3% in a summary.
        self._fractions = {v * 100: v for v in self._values if 0 < v <= 1}
        self._fraction_values = sorted(self._fractions)

    def supports(self, mention: Mention) -> bool:
        return bool(self.positions(mention))

    def positions(self, mention: Mention) -> list[int]:
        """Where the paper states the mention's value, in any spelling; [] when it never does."""
        loose = mention.decimals > 0 or (mention.unit in ("%", "%p", "x") and not mention.scaled)
        found: list[int] = []
        for value in mention.values:
            window = _window(value, mention, loose)
            for hit in _near(self._values, window):
                found += self._where[hit]
            if mention.unit in ("%", "%p"):
                for hit in _near(self._fraction_values, window):
                    found += self._where[self._fractions[hit]]
        return found


def _window(value: float, mention: Mention, loose: bool) -> tuple[float, float]:
    """The paper's values this mention may stand for. A summary may round or cut digits the
    paper gives (52.34 -> 52.3, 52.36 -> 52.4 or 52.3), never add or change them: 53% is not
    the paper's 52.34%."""
    if not loose:
        return value - abs(value) * 1e-9, value + abs(value) * 1e-9
    step = 10.0**-mention.decimals
    written = _float_of_span(mention)
    if mention.scaled and written:  # 1.5B from 1.54B: the step is in the written unit
        step *= value / written
    return value - step / 2, value + step * 0.999


def _near(values: list[float], window: tuple[float, float]) -> list[float]:
    low = bisect.bisect_left(values, window[0])
    high = bisect.bisect_right(values, window[1])
    return values[low:high]
