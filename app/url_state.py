"""Settings in the page URL, so a teacher can share a link that opens the same view, e.g.

    http://127.0.0.1:7860/?tab=generate&pipeline=vq&class=7&seed=3
    http://127.0.0.1:7860/?tab=inspect&extractor=dct_lowpass&sample=5

Each tab declares the settings it keeps in the URL as `UrlField`s (a query key, the component it
sets, and a parser that returns None for a bad value). The browser writes the URL on every change
(`sync_url_js`); the server reads it once per page load (`parse_query`). Unknown or malformed values
are dropped with a message; the rest still apply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from regen_lite.image.data import CLASS_SLUGS, FASHION_CLASSES

MAX_SEED = 2**31 - 1


@dataclass
class UrlField:
    """One setting kept in the URL: ?key=value sets `component` to parse(value)."""

    key: str
    component: Any                        # a Gradio component (Any: this module does not import gradio)
    parse: Callable[[str], Any]           # text -> value, or None when the text is not allowed
    allowed: str                          # what is allowed, in words, for the message about a bad value


@dataclass
class UrlSettings:
    tab: str | None = None
    values: dict[str, Any] = field(default_factory=dict)    # key -> parsed value, for the valid keys only
    problems: list[str] = field(default_factory=list)       # what was ignored, in words


# ---------------------------------------------------------------------------------------
# Parsers for the kinds of setting the tabs use
# ---------------------------------------------------------------------------------------

def int_in(lo: int, hi: int) -> Callable[[str], int | None]:
    """A parser for a whole number in lo..hi."""
    def parse(text: str) -> int | None:
        try:
            value = int(text)
        except (TypeError, ValueError):
            return None
        return value if lo <= value <= hi else None
    return parse


def one_of(names: list[str]) -> Callable[[str], str | None]:
    """A parser for a name from a list (an extractor, a pipeline)."""
    return lambda text: text if text in names else None


def fashion_class(text: str) -> int | None:
    """A Fashion-MNIST class as a number or a name: class=7, class=sneaker."""
    text = text.strip().lower()
    return CLASS_SLUGS.index(text) if text in CLASS_SLUGS else int_in(0, len(FASHION_CLASSES) - 1)(text)


CLASS_ALLOWED = f"0..{len(FASHION_CLASSES) - 1} or one of {', '.join(CLASS_SLUGS)}"
SEED_ALLOWED = f"a whole number 0..{MAX_SEED}"


def parse_query(query: dict[str, str], tabs: list[str], fields: list[UrlField]) -> UrlSettings:
    """Validate the URL's query parameters against the app's tabs and the fields they declare."""
    s = UrlSettings()

    def bad(key: str, allowed: str):
        s.problems.append(f"{key}={query[key]!r} in the link was ignored ({allowed}).")

    if "tab" in query:
        s.tab = query["tab"] if query["tab"] in tabs else None
        if s.tab is None:
            bad("tab", "use " + " or ".join(tabs))
    for f in fields:
        if f.key in query:
            value = f.parse(query[f.key])
            if value is None:
                bad(f.key, f.allowed)
            else:
                s.values[f.key] = value
    return s


# ---------------------------------------------------------------------------------------
# The browser's side
# ---------------------------------------------------------------------------------------

def sync_url_js(keys: list[str]) -> str:
    """Browser code run after any of the fields changes, given their values in order: keep the URL in step."""
    return ("(...values) => { const keys = " + json.dumps(keys) + ";"
            " const u = new URL(window.location.href);"
            " keys.forEach((k, i) => { const v = values[i];"
            "   (v === null || v === undefined || v === '') ? u.searchParams.delete(k) : u.searchParams.set(k, v); });"
            " window.history.replaceState(null, '', u); }")


def tab_js(tab: str) -> str:
    """Browser code run when a tab is selected: remember it in the URL."""
    return ("() => { const u = new URL(window.location.href); u.searchParams.set('tab', " + json.dumps(tab) + ");"
            " window.history.replaceState(null, '', u); }")


def open_tab_js(titles: dict[str, str]) -> str:
    """Browser code run once the page has loaded: open the tab named in the URL (?tab=generate), also one in
    the tab bar's "More tabs" menu. `titles` maps each tab id to the start of its button's label."""
    return """
() => {
  const label = """ + json.dumps(titles) + """[window.regenLiteTab];
  if (!label) return;
  const open = (tries) => {
    // the tab bar's buttons, then those of its "More tabs" menu (tabs that do not fit in one row)
    const all = [...document.querySelectorAll('button[role="tab"], #tabs .overflow-dropdown button')];
    const b = all.find(x => x.textContent.trim().startsWith(label));
    if (b) b.click(); else if (tries > 0) setTimeout(() => open(tries - 1), 100);
  };
  open(50);
}
"""


# In the page <head>, before the app starts: remember the tab of the link that was opened (the first tab's
# select event rewrites ?tab= as the app mounts, before open_tab_js runs).
HEAD = "<script>window.regenLiteTab = new URLSearchParams(window.location.search).get('tab');</script>"
