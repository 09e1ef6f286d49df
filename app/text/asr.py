"""The "Speech → Text" tab: speech recognition as regeneration. X = a spoken word (a corpus clip, an upload or
the microphone) -> phonemes Y' -> spelling Y, beside the direct X -> letters. Logic in app/text/asr_views.py;
models in regen_lite/text/ (priors.py, recognition.py)."""

from __future__ import annotations

import threading

import gradio as gr

from app.base import AppContext, AppTab, BuiltTab
from app.speech.tab import audio_error, say_adjusted
from app.text import asr_views as av
from app.url_state import UrlField, one_of

EXPLANATION = """
**What you are looking at.** X is one spoken word. Two recognisers read its log-mel spectrogram: the *same*
small network (two strided convolutions and three attention blocks), trained for the same steps on the same
9,000 clips, once to write **phonemes** (Y', 39 ARPAbet sounds) and once to write **letters** (Y, the direct
baseline). Each writes one symbol or a *blank* (·) every 32 ms; CTC reads a word off that path by merging
repeats and dropping blanks (the strips under the spectrogram). The two-stage pipeline then spells the phonemes:
the dictionary's spelling when they are a known pronunciation (ranked by P2G when several words sound alike),
else P2G, a phonemes → letters model that learned from ~106k dictionary words, *text alone*: no audio. Try a
word marked *never heard*: neither recogniser heard it, and P2G never saw it either. A *homophone* (write for
right) is a real spelling of the same sound: wrong by WER, and no recogniser can tell from the sound alone.
Here the dictionary is all of CMUdict, as a user would want; `benchmarks/speech_recognition.py` measures with the
dictionary of the training words only, so that a never-heard word has to be spelled by P2G. The voices are synthetic (flite and espeak-ng), so your own voice is far from what the models heard; expect
mistakes. *Learn more:* `notebooks/11_speech_recognition.ipynb`, and `benchmarks/speech_recognition.py` for the
measured comparison.
"""

_loading = threading.Lock()


def build(ctx: AppContext) -> BuiltTab:
    choices = av.clip_choices()
    clip_names = [value for _, value in choices]

    def models() -> av.AsrModels:
        with _loading:
            return ctx.shared("asr_models", lambda: av.load_models(ctx.device))

    def run(upload: str | None, clip: str | None):
        """X -> both pipelines, for the uploaded / recorded file if any, else the corpus clip."""
        try:
            audio = av.load_input(upload, clip)
        except av.AudioError as e:
            raise audio_error(e, upload, "a corpus clip") from e
        try:
            loaded = models()
        except av.CheckpointError as e:
            raise gr.Error(str(e), title="Recogniser weights missing", print_exception=False) from e
        say_adjusted(audio.notes)
        try:
            view = av.recognize_view(audio, loaded)
        except Exception as e:          # a failing model must not leave a bare "Error"
            raise gr.Error(f"Recognition failed on this audio: {type(e).__name__}: {e}") from e
        return view.audio, view.picture, view.table, view.nbest, view.notes

    def show_once(shown: bool, upload: str | None, clip: str | None):
        if shown:
            return (True,) + (gr.update(),) * len(outputs)
        return (True,) + run(upload, clip)

    gr.Markdown(EXPLANATION)
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            # allow_custom_value: the API may name any of the corpus's 10,500 clips; load_input checks it
            clip = gr.Dropdown(choices, value=clip_names[0], label="Corpus clip (word · voice · split)",
                               allow_custom_value=True, elem_id="asr_clip")
            upload = gr.Audio(sources=["upload", "microphone"], type="filepath",
                              label="… or upload / record one word (used instead of the clip)", elem_id="asr_upload")
            button = gr.Button("Recognise", variant="primary", elem_id="asr_run")
            notes = gr.Markdown("Pick a clip, upload a file or record a word.", elem_id="asr_notes")
        with gr.Column(scale=3):
            audio = gr.Audio(label="X (input)", interactive=False, elem_id="asr_audio")
            picture = gr.Image(label="CTC paths", show_label=False, format="png", interactive=False,
                               elem_id="asr_picture")
            table = gr.Dataframe(headers=av.TABLE_HEADERS, interactive=False, wrap=True, label="Both pipelines",
                                 elem_id="asr_table")
            nbest = gr.Dataframe(headers=["P2G's best spellings of the phonemes heard", "p"], interactive=False,
                                 label="P2G n-best", elem_id="asr_nbest")
    shown = gr.State(False)

    inputs, outputs = [upload, clip], [audio, picture, table, nbest, notes]
    button.click(run, inputs, outputs, api_name="asr_recognize")
    clip.input(lambda: None, None, upload, api_visibility="private").then(run, inputs, outputs,
                                                                          api_visibility="private")
    upload.upload(run, inputs, outputs, api_visibility="private")
    upload.stop_recording(run, inputs, outputs, api_visibility="private")

    def restore(shown: bool, upload: str | None, clip: str | None, request: gr.Request):
        query = dict(request.query_params) if request is not None else {}
        if query.get("tab") == "asr" or any(key.startswith("asr_") for key in query):
            return show_once(False, upload, clip)
        return (shown,) + (gr.update(),) * len(outputs)

    return BuiltTab(
        url_fields=[UrlField("asr_clip", clip, one_of(clip_names), "a corpus clip of the dropdown, e.g. "
                             + clip_names[0])],
        after_url_restore=(restore, [shown] + inputs, [shown] + outputs),
        on_open=(show_once, [shown] + inputs, [shown] + outputs))


TAB = AppTab("asr", "Speech → Text", "text", build)
