"""What a tab of the app is: an id, a title, and a function that builds its UI inside `gr.Tab`.

The app (app/main.py) knows nothing about images, speech or music: it builds the tabs listed in
its TABS, in order, and wires the settings they keep in the URL. A new modality adds a folder
(app/<modality>/) with a `TAB = AppTab(...)` and one line to that list; no other tab changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from app.classroom import ServerSettings
from app.url_state import UrlField


@dataclass
class AppContext:
    """What every tab may use: the device for learned models, a cache of loaded resources shared
    between tabs (e.g. the image pipelines, used by both the Generate and Compare tabs), and the server's
    settings (default or classroom mode: which group of workers an event runs in, the sampling queue)."""

    device: torch.device
    cache: dict[str, Any] = field(default_factory=dict)
    server: ServerSettings = field(default_factory=ServerSettings)

    def shared(self, key: str, load: Callable[[], Any]) -> Any:
        """The resource `key`, loaded by `load()` the first time any tab asks for it."""
        if key not in self.cache:
            self.cache[key] = load()
        return self.cache[key]


@dataclass
class BuiltTab:
    """What a tab's build function hands back to the app."""

    url_fields: list[UrlField] = field(default_factory=list)   # settings kept in the URL
    # run after a shared link's settings were applied, e.g. to show the restored view: (fn, inputs, outputs)
    after_url_restore: tuple | None = None
    # run each time the user opens the tab (e.g. to draw its first view only when someone looks): (fn, inputs, outputs)
    on_open: tuple | None = None


@dataclass
class AppTab:
    id: str                                       # ?tab=<id> in the URL
    title: str                                    # the tab's label
    modality: str                                 # "image", "speech", "text", "music"
    build: Callable[[AppContext], BuiltTab]       # called inside `with gr.Tab(title, id=id)`
