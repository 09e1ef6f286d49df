"""Settings in the page URL, so a teacher can share a link that opens the same view, e.g.

    http://127.0.0.1:7860/?tab=generate&pipeline=vq&class=7&seed=3
    http://127.0.0.1:7860/?tab=inspect&extractor=dct_lowpass&sample=5

The browser writes the URL (SYNC_URL_JS, on every change); the server reads it once per page load
(`parse_query`). Unknown or malformed values are dropped with a message; the rest still apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from regen_lite.data import CLASS_SLUGS, FASHION_CLASSES

TABS = ("inspect", "generate", "compare")
MAX_SEED = 2**31 - 1


@dataclass
class UrlSettings:
    tab: str | None = None
    extractor: str | None = None
    sample: int | None = None
    pipeline: str | None = None
    class_index: int | None = None
    seed: int | None = None
    problems: list[str] = field(default_factory=list)   # what was ignored, in words


def _int_in(text: str, lo: int, hi: int) -> int | None:
    try:
        value = int(text)
    except (TypeError, ValueError):
        return None
    return value if lo <= value <= hi else None


def parse_query(query: dict[str, str], extractors: list[str], pipelines: list[str], n_samples: int) -> UrlSettings:
    """Validate the URL's query parameters against what this app offers."""
    s = UrlSettings()

    def bad(key, allowed):
        s.problems.append(f"{key}={query[key]!r} in the link was ignored ({allowed}).")

    if "tab" in query:
        s.tab = query["tab"] if query["tab"] in TABS else None
        if s.tab is None:
            bad("tab", "use " + " or ".join(TABS))
    if "extractor" in query:
        s.extractor = query["extractor"] if query["extractor"] in extractors else None
        if s.extractor is None:
            bad("extractor", "available: " + ", ".join(extractors))
    if "sample" in query:
        s.sample = _int_in(query["sample"], 0, n_samples - 1)
        if s.sample is None:
            bad("sample", f"a number 0..{n_samples - 1}")
    if "pipeline" in query:
        s.pipeline = query["pipeline"] if query["pipeline"] in pipelines else None
        if s.pipeline is None:
            bad("pipeline", "available: " + ", ".join(pipelines))
    if "class" in query:   # a number or a name: class=7, class=sneaker
        text = query["class"].strip().lower()
        s.class_index = CLASS_SLUGS.index(text) if text in CLASS_SLUGS else _int_in(text, 0, len(FASHION_CLASSES) - 1)
        if s.class_index is None:
            bad("class", f"0..{len(FASHION_CLASSES) - 1} or one of {', '.join(CLASS_SLUGS)}")
    if "seed" in query:
        s.seed = _int_in(query["seed"], 0, MAX_SEED)
        if s.seed is None:
            bad("seed", f"a whole number 0..{MAX_SEED}")
    return s


# Runs in the browser after any of (extractor, sample, pipeline, class, seed) changes: keep the URL in step.
SYNC_URL_JS = """
(extractor, sample, pipeline, cls, seed) => {
  const u = new URL(window.location.href);
  const put = (k, v) => (v === null || v === undefined || v === '') ? u.searchParams.delete(k) : u.searchParams.set(k, v);
  put('extractor', extractor); put('sample', sample); put('pipeline', pipeline); put('class', cls); put('seed', seed);
  window.history.replaceState(null, '', u);
}
"""


def tab_js(tab: str) -> str:
    """Browser code run when a tab is selected: remember it in the URL."""
    return ("() => { const u = new URL(window.location.href); u.searchParams.set('tab', '" + tab + "');"
            " window.history.replaceState(null, '', u); }")


# Runs in the browser once the page has loaded: open the tab named in the URL (?tab=generate).
OPEN_TAB_JS = """
() => {
  const label = {inspect: 'Inspect', generate: 'Generate', compare: 'Compare'}[window.regenLiteTab];
  if (!label) return;
  const open = (tries) => {
    const b = [...document.querySelectorAll('button[role="tab"]')].find(x => x.innerText.trim().startsWith(label));
    if (b) b.click(); else if (tries > 0) setTimeout(() => open(tries - 1), 100);
  };
  open(50);
}
"""

# In the page <head>, before the app starts: remember the tab of the link that was opened (the first tab's
# select event rewrites ?tab= as the app mounts, before OPEN_TAB_JS runs).
HEAD = "<script>window.regenLiteTab = new URLSearchParams(window.location.search).get('tab');</script>"
