"""The classroom mode against a real server (a second app, built with ServerSettings.for_classroom()):
concurrent generation requests are sampled together and each still gets the images of its own seed; a
full queue answers "busy, try again in N s" and the server keeps working; the cheap views run in their
own group. The pieces (RowGenerators, SamplingQueue, the atomic Gradio cache) are tested alone below."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from PIL import Image

from app.batching import Busy, SamplingQueue
from app.classroom import CHEAP, SAMPLING, ServerSettings
from regen_lite.nn.noise import RowGenerators, multinomial, randn

pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


# ------------------------------------------------------------------ one generator per request's rows

def test_row_generators_give_each_block_the_numbers_of_its_own_seed():
    g = RowGenerators([torch.Generator().manual_seed(0), torch.Generator().manual_seed(5)], sizes=[3, 2])
    x = randn((5, 4, 7, 7), g)
    assert torch.equal(x[:3], torch.randn((3, 4, 7, 7), generator=torch.Generator().manual_seed(0)))
    assert torch.equal(x[3:], torch.randn((2, 4, 7, 7), generator=torch.Generator().manual_seed(5)))
    probs = torch.softmax(torch.randn(5, 10, generator=torch.Generator().manual_seed(1)), -1)
    g = RowGenerators([torch.Generator().manual_seed(0), torch.Generator().manual_seed(5)], sizes=[3, 2])
    draws = multinomial(probs, g)
    assert torch.equal(draws[3:], torch.multinomial(probs[3:], 1, generator=torch.Generator().manual_seed(5))[:, 0])


def test_a_plain_generator_draws_exactly_as_torch_and_wrong_sizes_are_refused():
    assert torch.equal(randn((2, 3), torch.Generator().manual_seed(4)),
                       torch.randn((2, 3), generator=torch.Generator().manual_seed(4)))
    with pytest.raises(ValueError, match="covers|cover"):
        randn((4, 3), RowGenerators([torch.Generator()], sizes=[3]))
    with pytest.raises(ValueError, match="one generator per block"):
        RowGenerators([torch.Generator()], sizes=[1, 2])


# ------------------------------------------------------------------ the sampling queue

def test_waiting_requests_share_one_loop_and_each_gets_its_own_result():
    queue, loops, gate = SamplingQueue(max_batch=8, max_waiting=16), [], threading.Event()

    def run_batch(requests):
        loops.append(list(requests))
        gate.wait(5)                      # the first loop holds the sampler while the others queue
        return [r * 10 for r in requests]

    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(queue.submit, "latent", 0, run_batch)
        time.sleep(0.2)
        rest = [pool.submit(queue.submit, "latent", i, run_batch) for i in range(1, 6)]
        time.sleep(0.2)
        gate.set()
        assert first.result() == 0 and [f.result() for f in rest] == [10, 20, 30, 40, 50]
    assert loops[0] == [0] and sorted(loops[1]) == [1, 2, 3, 4, 5] and queue.served == 6


def test_requests_that_cannot_share_a_loop_are_not_mixed_and_errors_stay_in_their_batch():
    queue = SamplingQueue(max_batch=2, max_waiting=16)
    queue.running = True                  # hold the sampler while four requests queue up
    seen = []

    def run_batch(requests):
        seen.append(requests)
        if "bad" in requests:
            raise RuntimeError("out of memory")
        return requests

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(queue.submit, key, value, run_batch)
                   for key, value in [("a", "a1"), ("b", "bad"), ("a", "a2"), ("a", "a3")]]
        time.sleep(0.3)
        with queue.lock:
            queue.running = False
            queue.lock.notify_all()
        assert futures[0].result() == "a1" and futures[2].result() == "a2" and futures[3].result() == "a3"
        with pytest.raises(RuntimeError, match="out of memory"):
            futures[1].result()
    assert all(len({v[0] for v in batch}) == 1 for batch in seen)        # one key a loop
    assert max(len(batch) for batch in seen) <= 2                        # max_batch


def test_a_full_queue_says_busy_with_a_time_at_once():
    queue = SamplingQueue(max_batch=1, max_waiting=2, images_per_second=10)
    queue.running = True
    with ThreadPoolExecutor(2) as pool:
        waiting = [pool.submit(queue.submit, "k", i, lambda rs: rs, 30) for i in range(2)]
        time.sleep(0.2)
        t0 = time.perf_counter()
        with pytest.raises(Busy, match=r"busy: 2 generation requests are waiting\. Try again in about 6 s"):
            queue.submit("k", 9, lambda rs: rs, 30)
        assert time.perf_counter() - t0 < 1.0
        with queue.lock:
            queue.running = False
            queue.lock.notify_all()
        assert [f.result() for f in waiting] == [0, 1]


def test_settings_mark_events_only_in_classroom_mode():
    assert ServerSettings().events(CHEAP) == {} and ServerSettings().launch_options() == {}
    s = ServerSettings.for_classroom(cores=2, max_batch=4)
    assert s.events(CHEAP)["concurrency_id"] == CHEAP and s.events(SAMPLING)["concurrency_id"] == SAMPLING
    assert s.torch_threads == 2 and s.sampling.max_batch == 4 and s.cheap_workers == 8
    with pytest.raises(ValueError, match="kind must be"):
        s.events("slow")
    with pytest.raises(TypeError, match="no setting 'max_batches'"):
        ServerSettings.for_classroom(max_batches=4)


# ------------------------------------------------------------------ Gradio's cache, written atomically

def test_identical_outputs_saved_at_once_are_never_read_half_written(tmp_path):
    from gradio import processing_utils

    from app import gradio_cache

    gradio_cache.install()
    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (280, 280, 3), dtype=np.uint8))
    path = processing_utils.save_pil_to_cache(img, str(tmp_path), format="png")
    full = len(open(path, "rb").read())
    short, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            n = len(open(path, "rb").read())
            if n != full:
                short.append(n)

    reader = threading.Thread(target=read)
    reader.start()
    with ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda _: processing_utils.save_pil_to_cache(img, str(tmp_path), format="png"),
                              range(40)))
    stop.set()
    reader.join()
    assert set(paths) == {path} and not short
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".partial-")]


# ------------------------------------------------------------------ a real classroom server

def test_batched_requests_give_each_the_images_of_its_own_seed(classroom_app, client):
    """Eight users at once: the classroom server samples them together (fewer loops than requests), and
    each gets exactly the images the default server gives the same request alone."""
    from gradio_client import Client

    url, server = classroom_app
    requests = [dict(pipeline=("latent" if i % 4 else "vq"), cls=str(i % 10), seed=200 + i, n=1 + i % 3)
                for i in range(8)]

    def call(kw):
        out = Client(url, verbose=False).predict(kw["pipeline"], kw["cls"], 10, 1.0, kw["seed"], kw["n"],
                                                 api_name="/generate")
        return np.asarray(Image.open(out[1])), out[2]

    loops_before = server.sampling.loops
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(call, requests))
    assert server.sampling.loops - loops_before < len(requests), "no two requests shared a loop"
    assert any("in one loop with" in summary for _, summary in results)
    for kw, (img, _) in zip(requests, results):
        alone = client.predict(kw["pipeline"], kw["cls"], 10, 1.0, kw["seed"], kw["n"], api_name="/generate")
        assert np.array_equal(img, np.asarray(Image.open(alone[1]))), f"batched request {kw} differs from alone"


def test_a_full_queue_answers_busy_and_the_server_keeps_working(classroom_app):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    url, server = classroom_app
    client = Client(url, verbose=False)
    with server.sampling.lock:
        server.sampling.running = True             # the sampler is busy with someone's loop ...
    try:
        waiting = [client.submit("latent", "1", 5, 1.0, i, 1, api_name="/generate") for i in range(8)]
        deadline = time.time() + 30
        while len(server.sampling.waiting) < 8 and time.time() < deadline:
            time.sleep(0.1)
        with pytest.raises(AppError, match=r"busy.*Try again in about \d+ s"):   # ... and 8 wait: full
            client.predict("latent", "1", 5, 1.0, 99, 1, api_name="/generate")
        assert client.predict(None, 0, "vae", api_name="/inspect")[3]   # cheap views are not held up
    finally:
        with server.sampling.lock:
            server.sampling.running = False
            server.sampling.lock.notify_all()
    assert all(job.result(timeout=120)[2] for job in waiting)
    assert client.predict("latent", "1", 5, 1.0, 99, 1, api_name="/generate")[2]
