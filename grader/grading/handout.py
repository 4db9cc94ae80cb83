"""What a hand-out's manifest holds: the chosen chapters only, and at most K hints each.

A student release (``kata release``) and an nbgrader assignment both carry ``curriculum.toml``,
so everything in it is readable by students. These functions rewrite the manifest's *text*
(comments and layout kept): :func:`manifest_subset` keeps some ``[[chapter]]`` blocks and drops
``requires`` entries that point outside them (the kept manifest must load on its own);
:func:`cap_hints` shortens every hint ladder to its first K rungs (``--max-hints K``).
"""

from __future__ import annotations

import json
import re

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CHAPTER_START = re.compile(r"(?m)^(?=\[\[chapter\]\]\s*$)")
REQUIRES = re.compile(r'(?m)^(requires\s*=\s*)\[([^\]\n]*)\]')
EXERCISE_ID = re.compile(r'(?m)^id\s*=\s*"(\d\d(?:\.\d+)?)"')
HINTS = re.compile(r"(?m)^hints\s*=\s*\[")


def manifest_subset(text: str, keep: set[str]) -> str:
    """The manifest text with only the ``[[chapter]]`` blocks whose id is in ``keep``; a
    ``requires`` entry naming an exercise of another chapter is dropped."""
    head, *blocks = CHAPTER_START.split(text)
    kept = []
    for block in blocks:
        found = re.search(r'(?m)^id\s*=\s*"(\d\d)"', block)
        if found and found.group(1) in keep:
            kept.append(block)
    body = "".join(kept)
    ids = {i for i in EXERCISE_ID.findall(body) if "." in i}

    def prune(match: re.Match) -> str:
        wanted = [r for r in re.findall(r'"([^"]+)"', match.group(2)) if r in ids]
        return match.group(1) + "[" + ", ".join(f'"{r}"' for r in wanted) + "]"

    return head + REQUIRES.sub(prune, body)


def _array_end(text: str, start: int) -> int:
    """Index just past the ``]`` closing the TOML array that opens at ``text[start] == "["``."""
    depth, i, quote = 0, start, None
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\" and quote == '"':
                i += 1
            elif text.startswith(quote, i):
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            i = text.index("\n", i) if "\n" in text[i:] else len(text)
            continue
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("a hints array is never closed")


def cap_hints(text: str, max_hints: int) -> str:
    """Every ``hints = [...]`` array cut to its first ``max_hints`` entries (at least one)."""
    if max_hints < 1:
        raise ValueError("--max-hints must be at least 1: a ladder needs a first rung")
    out, pos = [], 0
    for match in HINTS.finditer(text):
        if match.start() < pos:
            continue
        open_at = match.end() - 1
        end = _array_end(text, open_at)
        hints = tomllib.loads("h = " + text[open_at:end])["h"][:max_hints]
        rungs = "".join(f"    {json.dumps(h, ensure_ascii=False)},\n" for h in hints)
        out += [text[pos:open_at], "[\n", rungs, "]"]
        pos = end
    out.append(text[pos:])
    return "".join(out)
