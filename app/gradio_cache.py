"""Gradio's output cache, written so that two users with the same picture cannot read half a file.

Gradio saves every output image or sound to a file named by a hash of its content and sends the user a
link to it. Two users who get the same output at the same time (a class opening the Inspect tab on the
same sample) write the same file: Gradio 6 truncates it and writes it again, and a download that comes
in between receives 0 bytes or a cut file ("peer closed connection without sending complete message
body", seen with 30 simulated students). Here each save writes into a private folder first and then
renames the file into place (atomic on POSIX): a reader sees the old complete file or the new one.

    install()   # once, before the app serves requests (app/main.py does it)
"""

from __future__ import annotations

import functools
import inspect
import os
import shutil
import tempfile
from pathlib import Path

from gradio import processing_utils

SAVERS = ["save_pil_to_cache", "save_audio_to_cache", "save_bytes_to_cache"]


def atomic(save):
    """save(..., cache_dir=...) -> path, but the file appears in cache_dir complete, in one rename."""
    signature = inspect.signature(save)

    @functools.wraps(save)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        cache_dir = Path(bound.arguments["cache_dir"])
        cache_dir.mkdir(parents=True, exist_ok=True)
        private = Path(tempfile.mkdtemp(prefix=".partial-", dir=cache_dir))   # same file system: rename is atomic
        try:
            bound.arguments["cache_dir"] = str(private)
            written = Path(save(*bound.args, **bound.kwargs))
            final = cache_dir / written.relative_to(private.resolve())
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(written, final)
            return str(final.resolve())
        finally:
            shutil.rmtree(private, ignore_errors=True)

    wrapper.atomic = True
    return wrapper


def install() -> None:
    """Replace Gradio's cache writers by atomic ones (idempotent)."""
    for name in SAVERS:
        save = getattr(processing_utils, name)
        if not getattr(save, "atomic", False):
            setattr(processing_utils, name, atomic(save))
