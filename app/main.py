"""The regen-lite Gradio app. Run from the repository root:

    python -m app.main                 # http://127.0.0.1:7860
    python app/main.py --port 8000 --device cpu
    regen-lite app
    regen-lite app --classroom --host 0.0.0.0   # one server for a class (app/classroom.py)

The UI is the list TABS below; each tab group is a folder (app/image/, app/speech/, app/text/,
app/music/, app/face/) holding its tabs (layout) and their UI-free views (formatting); all models live in
regen_lite. The "Inspect Y'" view is also an API endpoint, callable with gradio_client:

    from gradio_client import Client, handle_file
    Client("http://127.0.0.1:7860/").predict(handle_file("shoe.png"), 0, "dct_lowpass", api_name="/inspect")
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no usage reporting

if __package__ in (None, ""):  # run as a script (`python app/main.py`): make `app` and `regen_lite` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gradio as gr  # noqa: E402

from app import gradio_cache, url_state  # noqa: E402
from app.base import AppContext, AppTab  # noqa: E402
from app.classroom import ServerSettings  # noqa: E402
from app.face.talking import TAB as FACE  # noqa: E402
from app.image import inspect_views  # noqa: E402
from app.image.compare import TAB as IMAGE_COMPARE  # noqa: E402
from app.image.generate import TAB as IMAGE_GENERATE  # noqa: E402
from app.image.inspect import TAB as IMAGE_INSPECT  # noqa: E402
from app.music.lyrics_tab import TAB as LYRICS  # noqa: E402
from app.music.tab import TAB as MUSIC  # noqa: E402
from app.speech.tab import TAB as SPEECH  # noqa: E402
from app.speech.tts import TAB as TTS  # noqa: E402
from app.text.asr import TAB as ASR  # noqa: E402
from app.text.tab import TAB as TEXT  # noqa: E402
from regen_lite.device import get_device  # noqa: E402

# The app's tabs, in the order they appear. A new modality adds its folder with a `TAB = AppTab(...)`
# and one line here; no other tab changes.
TABS: list[AppTab] = [
    IMAGE_INSPECT,
    IMAGE_GENERATE,
    IMAGE_COMPARE,
    SPEECH,
    TEXT,
    ASR,
    TTS,
    MUSIC,
    LYRICS,
    FACE,
]


def build_demo(device: str | None = None, tabs=TABS, server: ServerSettings | None = None) -> gr.Blocks:
    """Build the app (not launched) from its tabs. device: None/"auto", "cpu", "cuda", ... for learned models;
    server: the default settings, or ServerSettings.for_classroom() for one server shared by a class.

    Each tab builds its own UI and events; here they are put side by side, and the settings they
    keep in the URL are read when a page opens (a shared link) and written back on every change.
    """
    gradio_cache.install()   # two users with the same output picture must not download half a file
    ctx = AppContext(get_device(device), server=server or ServerSettings())
    with gr.Blocks(title="regen-lite", analytics_enabled=False) as demo:
        gr.Markdown("# regen-lite: Y → Y' → Y")
        url_note = gr.Markdown(elem_id="url_note")
        built, tab_rows = [], []
        with gr.Tabs(selected=tabs[0].id, elem_id="tabs"):
            for tab in tabs:
                with gr.Tab(tab.title, id=tab.id) as row:
                    built.append(tab.build(ctx))
                tab_rows.append(row)
        fields = [f for b in built for f in b.url_fields]
        components = [f.component for f in fields]

        def restore_from_url(request: gr.Request):
            """Apply the settings in the page URL (a shared link); anything invalid is ignored with a note.
            (The tab itself is opened in the browser by url_state.open_tab_js.)"""
            query = dict(request.query_params) if request is not None else {}
            s = url_state.parse_query(query, [t.id for t in tabs], fields)
            values = [s.values.get(f.key, gr.update()) for f in fields]   # gr.update(): leave as it is
            return *values, "\n".join(f"- {p}" for p in s.problems)

        restored = demo.load(restore_from_url, None, components + [url_note], api_visibility="private")
        # A tab's first views (after a link's settings, on opening it) share one queue slot, so they run in the
        # order they were asked for: a link opens its tab in the browser, possibly before its settings arrive.
        for tab, b in zip(tabs, built):
            if b.after_url_restore is not None:
                restored.then(*b.after_url_restore, api_visibility="private", concurrency_id=f"{tab.id}_first_view")
        sync = url_state.sync_url_js([f.key for f in fields])
        for component in components:
            component.change(None, components, None, js=sync, api_visibility="private")
        demo.load(None, None, None, js=url_state.open_tab_js({t.id: t.title for t in tabs}), api_visibility="private")
        for tab, row, b in zip(tabs, tab_rows, built):
            row.select(None, None, None, js=url_state.tab_js(tab.id), api_visibility="private")
            if b.on_open is not None:
                row.select(*b.on_open, api_visibility="private", concurrency_id=f"{tab.id}_first_view")
    return demo


def launch_options() -> dict:
    """Keyword arguments for `demo.launch` shared by main() and the tests."""
    return {"share": False, "theme": gr.themes.Soft(), "max_file_size": f"{inspect_views.MAX_UPLOAD_MB}mb",
            "head": url_state.HEAD}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="regen-lite Gradio app")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 exposes it to the network)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--device", default=None, help="auto (default), cpu, cuda, mps; or set REGEN_LITE_DEVICE")
    p.add_argument("--classroom", action="store_true",
                   help="one server for a class: cheap views in their own workers, batched and bounded generation")
    p.add_argument("--threads", type=int, default=None, help="PyTorch threads (classroom default: the cores)")
    p.add_argument("--max-batch", type=int, default=None, help="generation requests sampled together (classroom: 8)")
    p.add_argument("--max-waiting", type=int, default=None,
                   help="generation requests that may wait before new ones are told 'busy' (classroom: 48)")
    return p.parse_args(argv)


def server_settings(args: argparse.Namespace) -> ServerSettings:
    if not args.classroom:
        if args.max_batch is not None or args.max_waiting is not None:
            raise SystemExit("--max-batch and --max-waiting apply only with --classroom")
        return ServerSettings(torch_threads=args.threads)
    return ServerSettings.for_classroom(torch_threads=args.threads, max_batch=args.max_batch,
                                        max_waiting=args.max_waiting)


def main(argv=None) -> None:
    args = parse_args(argv)
    server = server_settings(args)
    server.apply()
    demo = build_demo(args.device, server=server)
    print(server.describe(), flush=True)
    demo.launch(server_name=args.host, server_port=args.port, **launch_options(), **server.launch_options())


if __name__ == "__main__":
    main()
