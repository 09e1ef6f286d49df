"""Latency of the running app, measured from outside through its HTTP API (gradio_client), like a user.

Starts `python -m app.main` on a free port (or uses --url), then prints medians:
    cold start      process start -> the page answers (shipped weights, CPU)
    inspect         one round trip per image extractor (target <= 150 ms on CPU)
    compare all     every extractor on one image (target <= 1 s)
    generate 16     16 samples per pipeline at its default settings (target <= 2 s for latent and code pipelines)
    speech          one clip (3 s of audio) along each path, and all four paths at once
    text            one sentence through each text extractor (dictionary words; a made-up word)
    music           a held-out chorale -> template -> rendered and direct melodies; an 8-bar generation
Each row also gives the ratio to the identity extractor's round trip measured in the same run (the cost
of Gradio itself), since these machines are noisy. Writes benchmarks/results/app_latency.md.

    python benchmarks/app_latency.py              # --repeats 7
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

from gradio_client import Client  # noqa: E402

from regen_lite.image.pipelines import PIPELINES  # noqa: E402
from regen_lite.registry import list_extractors  # noqa: E402
from report import write_results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"inspect": 0.150, "compare all": 1.0, "generate 16": 2.0, "speech": 2.0, "text": 2.0, "music": 2.0}
SPEECH_CLIP = "us_00"
SENTENCES = {"known words": "The cat sat on the mat.", "made-up word": "Our grumbleberry smoothie tastes zorptastic."}
CHORALE = "bwv10.7"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(timeout: float = 120.0, args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str, float]:
    """Start `python -m app.main` (with `args`) on a free port: (process, url, seconds until the page answered)."""
    port = free_port()
    env = dict(os.environ, REGEN_LITE_DEVICE="cpu")
    t0 = time.perf_counter()
    log = tempfile.TemporaryFile()   # not a pipe: a busy app's warnings would fill it and block the app
    proc = subprocess.Popen([sys.executable, "-m", "app.main", "--port", str(port), *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the app exited: {log.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return proc, url, time.perf_counter() - t0
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the app did not answer within {timeout:.0f} s")


def choices(parameter: dict, fallback: list[str]) -> list[str]:
    """The dropdown's choices as the API describes them (a dropdown that accepts custom values may not list them)."""
    t = parameter.get("type", {})
    return t.get("enum") or [v for o in t.get("anyOf", []) for v in o.get("enum", [])] or fallback


def median_seconds(fn, repeats: int) -> float:
    fn()   # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--url", help="measure an app that is already running (no cold start)")
    args = p.parse_args(argv)

    proc, cold = None, None
    if args.url:
        url = args.url
    else:
        proc, url, cold = start_app()
    try:
        client = Client(url, verbose=False)
        api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        extractors = choices(api["/inspect"]["parameters"][2], list_extractors("image"))
        pipelines = choices(api["/generate"]["parameters"][0], list(PIPELINES))
        for name in extractors:   # warm-up: a just-started app answers slower (identity once 320 ms, later 179 ms)
            client.predict(None, 3, name, api_name="/inspect")
        rows = []
        for name in extractors:
            s = median_seconds(lambda: client.predict(None, 3, name, api_name="/inspect"), args.repeats)
            rows.append(("inspect", name, s))
        # the ratios' base is the identity row itself, so the header's figure is the row's (they once differed)
        base = next((s for _, what, s in rows if what == "identity"), None) or median_seconds(
            lambda: client.predict(None, 3, "identity", api_name="/inspect"), args.repeats)
        rows.append(("compare all", f"{len(extractors)} extractors",
                     median_seconds(lambda: client.predict(None, 3, api_name="/compare_all"), args.repeats)))
        for name in pipelines:
            s = median_seconds(lambda: client.predict(name, "7", 25, 1.0, 0, 16, api_name="/generate"),
                               max(3, args.repeats // 2))
            rows.append(("generate 16", name, s))
        for path in choices(api["/speech_inspect"]["parameters"][2], []):
            rows.append(("speech", f"inspect {path}", median_seconds(
                lambda: client.predict(None, SPEECH_CLIP, path, api_name="/speech_inspect"), args.repeats)))
        rows.append(("speech", "compare all paths", median_seconds(
            lambda: client.predict(None, SPEECH_CLIP, api_name="/speech_compare_all"), max(3, args.repeats // 2))))
        for extractor in ("g2p", "g2p_neural"):
            for what, text in SENTENCES.items():
                rows.append(("text", f"{extractor}, {what}", median_seconds(
                    lambda: client.predict(text, extractor, api_name="/text_regenerate"), args.repeats)))
        rows.append(("music", f"inspect {CHORALE}", median_seconds(
            lambda: client.predict(CHORALE, None, 0, 1.0, True, api_name="/music_inspect"), args.repeats)))
        rows.append(("music", "generate G major, 8 bars", median_seconds(
            lambda: client.predict("G major", 8, 0, 1.0, True, api_name="/music_generate"), args.repeats)))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    lines = [f"App latency through gradio_client on CPU ({os.cpu_count()} cores), medians of {args.repeats} calls "
             f"after one warm-up; ratio = time / the identity inspect round trip ({base * 1000:.0f} ms).", "",
             "| action | what | median ms | ratio to identity inspect | target ms |", "|---|---|---|---|---|"]
    if cold is not None:
        lines.append(f"| cold start | process start -> page answers | {cold * 1000:.0f} | | 15000 |")
    for action, what, s in rows:
        lines.append(f"| {action} | {what} | {s * 1000:.0f} | {s / base:.1f} | {TARGETS[action] * 1000:.0f} |")
    text = "\n".join(lines)
    print(text)
    write_results("app_latency", text)


if __name__ == "__main__":
    main()
