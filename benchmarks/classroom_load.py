"""A class of N students on one app server, simulated through its HTTP API, loopback only.

Starts the app twice, in the default mode and in the classroom mode (`--classroom`), and in each runs the
same load: N students start at once, each running one short session, one action after the other:

    inspect (vae), inspect (vqvae), compare all extractors, generate 16 latent samples, text (g2p), speech

Prints, per mode: p50 / p95 seconds per action (request sent -> answer received, so queueing included),
errors, generation throughput (images the students received / the run's wall time; and in a burst after the
run, when every student presses Generate at once), the server's CPU time during the run, its start-up
time (process start -> the page answers) and memory (resident at rest, after the run, and its peak). Each
server then gets one request on every other tab, so that its peak memory is "every tab used".
Bounded: at most 64 students, each request times out after --timeout seconds.

The simulated students run on the same machine as the server and share its cores (their decoding of
answers is CPU work too); a real class would only add network time.

    python benchmarks/classroom_load.py                    # 30 students, both modes (about 5 minutes on the Xeon)
    python benchmarks/classroom_load.py --students 4 --modes classroom
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import httpx  # noqa: E402
from app_latency import start_app  # noqa: E402
from gradio_client import Client  # noqa: E402
from report import RESULTS, write_results  # noqa: E402

MAX_STUDENTS = 64
ACTIONS = ["inspect", "compare all", "generate 16", "text", "speech"]
MODES = {"default": (), "classroom": ("--classroom",)}
GENERATED = 16


def call(http: httpx.Client, url: str, api_name: str, inputs) -> list:
    """One request through Gradio's documented HTTP API (POST /gradio_api/call/NAME, then read the answer's
    event stream): what gradio_client does, at a fraction of its CPU cost (measured here: 60 inspects cost
    the server 2.4 s of CPU and 30 gradio_client students 9.7 s, on the same two cores)."""
    r = http.post(f"{url}gradio_api/call/{api_name}", json={"data": list(inputs)})
    r.raise_for_status()
    event = None
    with http.stream("GET", f"{url}gradio_api/call/{api_name}/{r.json()['event_id']}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = json.loads(line.removeprefix("data:"))
                if event == "error":
                    raise RuntimeError(f"the app answered with an error: {data}")
                return data
    raise RuntimeError("the answer's stream ended without a result")


def session(http: httpx.Client, url: str, student: int) -> list[tuple[str, float, float, str | None]]:
    """One student's session: (action, start time, seconds, error or None) per request."""
    steps = [
        ("inspect", (None, student % 8, "vae"), "inspect"),
        ("inspect", (None, student % 8, "vqvae"), "inspect"),
        ("compare all", (None, student % 8), "compare_all"),
        ("generate 16", ("latent", str(student % 10), 25, 1.0, student, GENERATED, "cpu"), "generate"),
        ("text", ("The cat sat on the mat.", "g2p"), "text_regenerate"),
        ("speech", (None, "us_00", "mel+inverse+gl"), "speech_inspect"),
    ]
    out = []
    for action, inputs, api_name in steps:
        t0 = time.perf_counter()
        try:
            call(http, url, api_name, inputs)
            error = None
        except Exception as e:  # noqa: BLE001 - every failure is counted and its message reported
            error = f"{type(e).__name__}: {str(e)[:120]}"
        out.append((action, t0, time.perf_counter() - t0, error))
    return out


def every_other_tab(client: Client) -> None:
    """One request on each tab the session does not use (for the 'every tab used' memory)."""
    client.predict("direct", "7", 25, 1.0, 0, 36, api_name="/generate")
    client.predict("direct", "latent", "0", 0, 6, api_name="/side_by_side")
    client.predict(None, "us_00", api_name="/speech_compare_all")
    client.predict("the cat sat", "kal16", 1.0, 90.0, api_name="/tts_synthesize")
    client.predict(None, client.view_api(print_info=False, return_format="dict")["named_endpoints"][
        "/asr_recognize"]["parameters"][1]["parameter_default"], api_name="/asr_recognize")
    client.predict("bwv10.7", None, 0, 1.0, True, api_name="/music_inspect")
    client.predict("G major", 8, 0, 1.0, True, api_name="/music_generate")
    client.predict("Nun dan-ket al-le Gott.", "G major", 0, 1.0, "bwv10.7", api_name="/lyrics_to_melody")
    params = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/talking_head"]["parameters"]
    client.predict(None, params[1]["parameter_default"], 0, api_name="/talking_head")


def generation_burst(https: list[httpx.Client], url: str) -> dict:
    """Every student presses Generate (16 latent samples) at the same moment: the sampler's capacity alone.
    Returns the seconds until the last answer, images per second and the answers' p50 / p95."""
    start = threading.Barrier(len(https))

    def press(i):
        start.wait()
        t0 = time.perf_counter()
        call(https[i], url, "generate", ("latent", str(i % 10), 25, 1.0, 1000 + i, GENERATED, "cpu"))
        return t0, time.perf_counter()

    with ThreadPoolExecutor(len(https)) as pool:
        times = list(pool.map(press, range(len(https))))
    seconds = max(end for _, end in times) - min(t0 for t0, _ in times)
    waits = [end - t0 for t0, end in times]
    return {"seconds": seconds, "images_per_s": GENERATED * len(https) / seconds, "p50": pct(waits, 50),
            "p95": pct(waits, 95)}


def memory_mb(pid: int) -> dict:
    """Resident memory now and its peak, from /proc (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def run_mode(mode: str, students: int, timeout: float, all_tabs: bool, extra: tuple[str, ...] = ()) -> dict:
    proc, url, startup = start_app(args=MODES[mode] + extra)
    try:
        rest = memory_mb(proc.pid)
        https = [httpx.Client(timeout=timeout) for _ in range(students)]
        for http in https:   # one warm-up request each (not timed)
            call(http, url, "inspect", (None, 0, "identity"))
        start = threading.Barrier(students)

        def student(i):
            start.wait(timeout)
            return session(https[i], url, i)

        cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
        with ThreadPoolExecutor(students) as pool:
            results = [r for rs in pool.map(student, range(students)) for r in rs]
        wall, server_cpu = time.perf_counter() - t0, cpu_seconds(proc.pid) - cpu0
        burst = generation_burst(https, url)
        after = memory_mb(proc.pid)
        if all_tabs:
            every_other_tab(Client(url, verbose=False))
        peak = memory_mb(proc.pid)["VmHWM"]
    finally:
        proc.terminate()
        proc.wait(10)
    generated = sum(1 for a, _, _, e in results if a == "generate 16" and e is None)
    return {"mode": " ".join((mode,) + extra), "results": results, "wall": wall, "server_cpu": server_cpu,
            "startup": startup, "rest": rest["VmRSS"],
            "after": after["VmRSS"], "peak": peak, "images_per_s": GENERATED * generated / wall, "burst": burst,
            "all_tabs": all_tabs}


def report(runs: list[dict], students: int) -> str:
    lines = [f"{students} simulated students at once on one app server, {os.cpu_count()} cores (the students' "
             "clients share them). Seconds from request to answer, queueing included.", "",
             "| action | " + " | ".join(f"{r['mode']} p50 | {r['mode']} p95 | {r['mode']} errors" for r in runs) + " |",
             "|---|" + "---|---|---|" * len(runs)]
    for action in ACTIONS:
        cells = []
        for r in runs:
            times = [s for a, _, s, e in r["results"] if a == action and e is None]
            errors = sum(1 for a, _, _, e in r["results"] if a == action and e is not None)
            cells += [f"{pct(times, 50):.2f}" if times else "-", f"{pct(times, 95):.2f}" if times else "-",
                      str(errors)]
        lines.append(f"| {action} | " + " | ".join(cells) + " |")
    base, burst_base = runs[0]["images_per_s"], runs[0]["burst"]["images_per_s"]
    lines += ["", f"Generation throughput: images received per second over the whole mixed run (wall), and in a burst "
              f"after it, when all {students} students press Generate (16 latent samples) at the same moment "
              "(seconds until the last answer; the answers' p50 / p95).", "",
              "| mode | wall s | images/s over the wall | ratio | burst s | burst images/s | ratio | burst p50 / p95 s "
              "| server CPU s | start-up s | memory at rest MB | after the run MB | peak MB |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        b = r["burst"]
        peak = f"{r['peak']:.0f}" + (" (then every tab used)" if r["all_tabs"] else "")
        lines.append(f"| {r['mode']} | {r['wall']:.1f} | {r['images_per_s']:.1f} | {r['images_per_s'] / base:.2f} | "
                     f"{b['seconds']:.1f} | {b['images_per_s']:.1f} | {b['images_per_s'] / burst_base:.2f} | "
                     f"{b['p50']:.1f} / {b['p95']:.1f} | {r['server_cpu']:.1f} | {r['startup']:.1f} | "
                     f"{r['rest']:.0f} | {r['after']:.0f} | {peak} |")
    errors = sorted({e for r in runs for *_, e in r["results"] if e is not None})
    if errors:
        lines += ["", "Errors seen:"] + [f"- {e}" for e in errors[:10]]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    p.add_argument("--timeout", type=float, default=300.0, help="seconds before a request counts as failed")
    p.add_argument("--threads", type=int, default=None, help="the classroom server's PyTorch threads (default: the cores)")
    p.add_argument("--no-all-tabs", action="store_true", help="skip the 'every tab used' requests")
    p.add_argument("--name", default="classroom_load", help="write benchmarks/results/NAME.md")
    p.add_argument("--out", type=Path, default=RESULTS, help="folder for NAME.md (default benchmarks/results)")
    args = p.parse_args(argv)
    if not 1 <= args.students <= MAX_STUDENTS:
        p.error(f"--students must be 1..{MAX_STUDENTS}")
    threads = ("--threads", str(args.threads)) if args.threads else ()
    runs = [run_mode(m, args.students, args.timeout, all_tabs=not args.no_all_tabs,
                     extra=threads if m == "classroom" else ()) for m in args.modes]
    text = report(runs, args.students)
    print(text)
    write_results(args.name, text, out_dir=args.out)


if __name__ == "__main__":
    main()
