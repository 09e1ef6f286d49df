"""The app's tabs, in the order they appear. A new modality adds its module and one line here."""

from app.tabs.base import AppContext, AppTab, BuiltTab  # noqa: F401
from app.tabs.image_compare import TAB as IMAGE_COMPARE
from app.tabs.image_generate import TAB as IMAGE_GENERATE
from app.tabs.image_inspect import TAB as IMAGE_INSPECT
from app.tabs.music import TAB as MUSIC
from app.tabs.speech import TAB as SPEECH
from app.tabs.text import TAB as TEXT

TABS: list[AppTab] = [
    IMAGE_INSPECT,
    IMAGE_GENERATE,
    IMAGE_COMPARE,
    SPEECH,
    TEXT,
    MUSIC,
]
