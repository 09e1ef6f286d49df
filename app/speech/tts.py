"""The "Text → Speech" tab: text-to-speech as regeneration. X = typed text (+ a voice, speed and pitch) -> phonemes
-> predicted durations -> log-mel Y' -> wave Y, beside the direct X -> wave. Logic in app/speech/tts_views.py;
models in regen_lite/speech/ (synthesis.py, pipelines.py)."""

from __future__ import annotations

import threading

import gradio as gr

from app.base import AppContext, AppTab, BuiltTab
from app.speech import tts_views as tv
from app.url_state import UrlField, one_of

EXPLANATION = """
**What you are looking at.** X is your text, a voice and a speaking speed. The kit's G2P turns the words into
phonemes (the dictionary, else its learned fallback); a duration predictor says how many 8 ms frames each phoneme
lasts, and the *length regulator* repeats each phoneme's vector that many times. Then the two pipelines part:
the **two-stage** model writes a log-mel spectrogram (Y′, 80 numbers per frame) and the kit's mel renderer and
Griffin-Lim turn it into a wave; the **direct** model has the same encoder, durations and regulator but writes
the 128 samples of every frame itself. Both were trained for about the same CPU time on the same 4,475 clips of
single words said by three flite voices, so long sentences, unusual words and the pitch setting are a stretch for
both. Listen to the two players and compare the pictures. *Learn more:* `benchmarks/speech_synthesis.py` for the
measured comparison.
"""

_loading = threading.Lock()
SETTINGS = {"stretch": (0.85, 1.2), "f0": (75.0, 110.0)}      # the ranges the training clips cover


def build(ctx: AppContext) -> BuiltTab:
    def pipes() -> dict:
        with _loading:
            return ctx.shared("tts_pipelines", lambda: tv.load_pipelines(ctx.device))

    def run(text: str | None, voice: str | None, stretch: float, f0: float):
        """X -> both pipelines, for the typed text."""
        if voice not in tv.VOICES:
            raise gr.Error(f"Voice {voice!r} is not one of the model's voices: {', '.join(tv.VOICES)}.",
                           title="Unknown voice", print_exception=False)
        try:
            loaded = pipes()
        except tv.CheckpointError as e:
            raise gr.Error(str(e), title="Text-to-speech weights missing", print_exception=False) from e
        try:
            view = tv.synthesize_view(text, voice, float(stretch), float(f0), loaded)
        except tv.TextError as e:
            message = str(e)
            raise gr.Error(message[:1].upper() + message[1:] + ".", title="Cannot read this text",
                           print_exception=False) from e
        return view.two_stage, view.direct, view.picture, view.table, view.notes

    gr.Markdown(EXPLANATION)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            text = gr.Textbox(value="the quick brown fox", label="Text (X)", lines=2, max_lines=4, elem_id="tts_text")
            voice = gr.Radio(list(tv.VOICES), value="kal16", label="Voice", elem_id="tts_voice")
            stretch = gr.Slider(*SETTINGS["stretch"], value=1.0, step=0.05, label="Duration stretch (slower →)",
                                elem_id="tts_stretch")
            f0 = gr.Slider(*SETTINGS["f0"], value=90.0, step=5.0, label="Pitch target, Hz (kal16 only)",
                           elem_id="tts_f0")
            button = gr.Button("Say it", variant="primary", elem_id="tts_run")
            notes = gr.Markdown("Type some words and press Say it.", elem_id="tts_notes")
        with gr.Column(scale=3):
            with gr.Row():
                two_stage = gr.Audio(label="two-stage: X → log-mel → wave", interactive=False, elem_id="tts_two_stage")
                direct = gr.Audio(label="direct: X → wave", interactive=False, elem_id="tts_direct")
            picture = gr.Image(label="Y′ and the durations", show_label=False, format="png", interactive=False,
                               elem_id="tts_picture")
            table = gr.Dataframe(headers=tv.TABLE_HEADERS, interactive=False, wrap=True, label="Both pipelines",
                                 elem_id="tts_table")

    inputs, outputs = [text, voice, stretch, f0], [two_stage, direct, picture, table, notes]
    button.click(run, inputs, outputs, api_name="tts_synthesize")
    text.submit(run, inputs, outputs, api_visibility="private")

    return BuiltTab(url_fields=[UrlField("tts_voice", voice, one_of(list(tv.VOICES)), "kal16, awb or rms")])


TAB = AppTab("tts", "Text → Speech", "speech", build)
