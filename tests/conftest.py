"""Shared fixtures: the shipped test images, a fixed seed, and the app under test.

The app tests (tests/test_app_*.py) share ONE real app server per test session, launched in this
process on a free port the first time a test asks for `app_server`, `app_url` or `client`: its cold
start (building every tab, loading the shipped models) is paid once, not once per file. Under
pytest-xdist each worker is its own session, so it starts its own server: each on a port it found
free (retrying if another process takes it first), each with its own Gradio temp folder.

The browser tests drive that server in a real headless Chromium (/usr/bin/chromium; `playwright
install` is never run). Without it they are skipped, unless REGEN_LITE_REQUIRE_BROWSER=1 (as in CI),
where they fail instead.
"""
import atexit
import os
import shutil
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Gradio (server and client) keeps its uploaded and downloaded files here; gradio_client reads it when
# imported, so it is set before any test module imports it. One folder per process (per xdist worker).
_GRADIO_TMP = tempfile.mkdtemp(prefix=f"regen-lite-gradio-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
os.environ["GRADIO_TEMP_DIR"] = _GRADIO_TMP
atexit.register(shutil.rmtree, _GRADIO_TMP, ignore_errors=True)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the app/ package lives at the repo root

from regen_lite.image.data import load_fashion_mnist, to_float  # noqa: E402


@pytest.fixture(scope="session")
def test_images():
    """The shipped 1,000 real Fashion-MNIST test images as float (N, 1, 28, 28) and labels."""
    x, y = load_fashion_mnist("test", "sample")
    return to_float(x), y


@pytest.fixture(scope="session")
def small_batch(test_images):
    return test_images[0][:64], test_images[1][:64]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


# ------------------------------------------------------------------ the app, one server per session

@dataclass(frozen=True)
class AppServer:
    url: str                      # http://127.0.0.1:<port>/
    weights: frozenset[str]       # checkpoints whose .safetensors existed when the app was built


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_app(tries: int = 5, server=None):
    """Build the whole app (every tab) on CPU and serve it on a free port: (demo, AppServer). server: the
    default ServerSettings, or ServerSettings.for_classroom(...) for the classroom mode.

    A port found free can be taken by another process (another xdist worker) before Gradio binds it;
    Gradio then raises OSError and the next free port is tried."""
    from app.main import build_demo, launch_options
    from regen_lite.paths import weights_dir

    weights = frozenset(p.stem for p in weights_dir().glob("*.safetensors"))   # before the app loads them
    demo = build_demo(device="cpu", server=server)
    extra = server.launch_options() if server is not None else {}
    for attempt in range(tries):
        port = free_port()
        try:
            demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                        **launch_options(), **extra)
        except OSError:
            if attempt == tries - 1:
                raise
            continue
        return demo, AppServer(f"http://127.0.0.1:{port}/", weights)


def app_client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, download_files=_GRADIO_TMP)


@pytest.fixture(scope="session")
def app_server():
    """The real app, launched once for the whole session (per xdist worker)."""
    demo, server = launch_app()
    try:
        yield server
    finally:
        demo.close()


@pytest.fixture(scope="session")
def app_url(app_server) -> str:
    return app_server.url


@pytest.fixture(scope="session")
def client(app_server):
    """A gradio_client Client of the session's app."""
    pytest.importorskip("gradio_client")
    return app_client(app_server.url)


@pytest.fixture(scope="module")
def classroom_app():
    """A second app in the classroom mode (batches of up to 8 generation requests, 8 may wait):
    (url, its ServerSettings)."""
    from app.classroom import ServerSettings

    settings = ServerSettings.for_classroom(max_batch=8, max_waiting=8)
    demo, server = launch_app(server=settings)
    try:
        yield server.url, settings
    finally:
        demo.close()


@pytest.fixture
def start_app():
    """start_app() -> (client, AppServer): one more app, built now (so under the test's environment, e.g. a
    monkeypatched REGEN_LITE_WEIGHTS), closed after the test."""
    demos = []

    def start():
        demo, server = launch_app()
        demos.append(demo)
        return app_client(server.url), server

    yield start
    for demo in demos:
        demo.close()


# ------------------------------------------------------------------ a real headless Chromium

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 30_000   # the CPU may be shared with a training job


def require_browser():
    """Skip (or fail, when the environment insists on a browser) if Chromium or playwright is missing."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} not found (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright Python package is not installed"
    if problem:
        if os.environ.get("REGEN_LITE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"REGEN_LITE_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test file. (The app server is shared by the session; a browser is cheap to start,
    and closing it between files keeps Playwright's event loop away from the other files' tests.)"""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def timeout_ms() -> int:
    """How long a browser test waits for the app by default."""
    return TIMEOUT_MS


@pytest.fixture
def new_page(browser):
    """new_page(width=1400, height=1000, slow=1) -> a fresh tab of the file's Chromium that waits up to
    slow x TIMEOUT_MS; width=None keeps Playwright's default viewport. Closed after the test."""
    pages = []

    def open_page(width: int | None = 1400, height: int = 1000, slow: int = 1):
        page = browser.new_page(viewport={"width": width, "height": height}) if width else browser.new_page()
        page.set_default_timeout(TIMEOUT_MS * slow)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.close()


@pytest.fixture
def launch_chromium(browser):
    """launch_chromium(*extra_args) -> a second Chromium with more command-line flags (e.g. a fake
    microphone), closed after the test."""
    launched = []

    def launch(*extra_args: str):
        b = browser.browser_type.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + list(extra_args))
        launched.append(b)
        return b

    yield launch
    for b in launched:
        b.close()
