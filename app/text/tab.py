"""The "Text" tab: a typed English text Y -> ARPAbet phonemes Y' -> a spelling render(Y'), for the `g2p`
and `g2p_neural` extractors. Logic in app/text/views.py; models in regen_lite/text/ (extractors.py, pipelines.py)."""

from __future__ import annotations

import threading

import gradio as gr

from app.base import AppContext, AppTab, BuiltTab
from app.classroom import CHEAP
from app.text import views as tv
from app.url_state import UrlField, one_of

EXPLANATION = """
**What you are looking at.** Y is the English text you type. The extractor turns each word into its
pronunciation Y', a list of ARPAbet phonemes (39 sounds: `K AE T` is *cat*), the representation a speech
recogniser would predict from audio. `g2p` looks each word up in the CMU Pronouncing Dictionary
(<span style="background:#bfdbfe">blue</span>) and lets a small learned letters → phonemes model guess
the words the dictionary does not hold, like made-up ones (<span style="background:#fed7aa">orange</span>);
`g2p_neural` uses the learned model for every word. render(Y') spells each sound again: the dictionary's
spellings of that sound, ranked by a learned phonemes → letters model (P2G), or P2G alone.
**Rendering is one-to-many:** `R AY T` is *right*, *write*, *rite* and *wright*. A
<span style="background:#fde68a">yellow</span> word is a homophone, a different real spelling of the same
sound: wrong by the word error rate, but *valid* as regeneration, since nothing in Y' says which one was
meant (a recogniser needs a language model for that). <span style="background:#fca5a5">Red</span> words
are not a spelling of their sound at all. LER is letter edits / letters, WER the fraction of words not
spelled exactly. *Learn more* (`make lab`): `notebooks/09_text_phonemes.ipynb`.
"""

_loading = threading.Lock()   # two first requests at once must not both load the models


def build(ctx: AppContext) -> BuiltTab:
    sentences = tv.load_sentences()
    default_text = sentences[1] if len(sentences) > 1 else (sentences or ["The cat sat on the mat."])[0]

    def extractors() -> dict:
        """The two extractors, loaded on the first request (about a second and a half) and then kept."""
        with _loading:
            return ctx.shared("text_extractors", lambda: tv.load_text_extractors(ctx.device))

    def run_text(text: str | None, extractor: str | None):
        """Y -> Y' -> render(Y') for the typed text, with the chosen extractor."""
        if extractor not in tv.EXTRACTORS:
            raise gr.Error(f"Extractor {extractor!r} is not a text extractor; choose one of: "
                           f"{', '.join(tv.EXTRACTORS)}.", title="Unknown extractor", print_exception=False)
        try:
            view = tv.regenerate_view(text, extractors()[extractor])
        except tv.TextError as e:
            message = str(e)
            raise gr.Error(message[:1].upper() + message[1:] + ".", title="Cannot read this text",
                           print_exception=False) from e
        return view.phonemes, view.spelling, view.words, view.numbers, view.notes

    def use_sentence(evt: gr.SelectData):
        """A shipped sentence picked from the list becomes the text."""
        return evt.value

    gr.Markdown(EXPLANATION)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            text = gr.Textbox(value=default_text, lines=3, max_lines=8, label="Y: English text",
                              placeholder="Type English words, e.g. 'the knight rode through the night'",
                              elem_id="text_input")
            sample = gr.Dropdown(sentences, value=None, label="… or pick a shipped sentence",
                                 elem_id="text_sample")
            choice = gr.Radio(list(tv.EXTRACTORS), value="g2p", label="Extractor (Y → Y')",
                              info="g2p: dictionary + learned fallback; g2p_neural: learned models alone",
                              elem_id="text_extractor")
            button = gr.Button("Y → Y' → render(Y')", variant="primary", elem_id="text_run")
            notes = gr.Markdown(elem_id="text_notes")
        with gr.Column(scale=3):
            y_prime = gr.HighlightedText(label="Y' = extract(Y): phonemes, one group per word",
                                         color_map=tv.PHONEME_COLOURS, show_legend=True,
                                         show_inline_category=False, elem_id="text_y_prime")
            y_hat = gr.HighlightedText(label="render(Y'): the phonemes spelled again",
                                       color_map=tv.SPELLING_COLOURS, show_legend=True,
                                       show_inline_category=False, elem_id="text_y_hat")
            numbers = gr.Dataframe(headers=tv.NUMBER_HEADERS, interactive=False, label="Numbers",
                                   column_widths=["45%", "55%"], elem_id="text_numbers")
    words = gr.Dataframe(headers=tv.WORD_HEADERS, interactive=False, wrap=True, label="Word by word",
                         column_widths=tv.WORD_COLUMN_WIDTHS, elem_id="text_words")

    inputs, outputs = [text, choice], [y_prime, y_hat, words, numbers, notes]
    button.click(run_text, inputs, outputs, api_name="text_regenerate", **ctx.server.events(CHEAP))
    text.submit(run_text, inputs, outputs, api_visibility="private")
    choice.change(run_text, inputs, outputs, api_visibility="private")
    sample.select(use_sentence, None, text, api_visibility="private").then(
        run_text, inputs, outputs, api_visibility="private")

    return BuiltTab(
        url_fields=[UrlField("text_extractor", choice, one_of(list(tv.EXTRACTORS)), "g2p or g2p_neural"),
                    UrlField("text", text, tv.valid_url_text,
                             f"English words, at most {tv.MAX_URL_TEXT} characters")],
        after_url_restore=(run_text, inputs, outputs))


TAB = AppTab("text", "Text", "text", build)
