"""The "Speech" tab: a wave Y (shipped clip, upload or microphone) -> spectrogram-like Y' -> render(Y'),
along the four paths of regen_lite.speech.pipelines, plus all paths at once.
Logic in app/speech/views.py."""

from __future__ import annotations

import gradio as gr

from app.base import AppContext, AppTab, BuiltTab
from app.speech import views as sv
from app.url_state import UrlField, one_of
from regen_lite.speech.pipelines import PATHS

EXPLANATION = """
**What you are looking at.** Y is a short recording of speech: a wave of 16,000 numbers per second.
The extractor turns it into Y', a time-frequency picture with one column every 8 ms:
the magnitude spectrogram |STFT| (phase dropped), a log-mel spectrogram (frequencies pooled into 80 bands)
or 20 MFCCs (only the smooth spectral envelope). render(Y') undoes what it can (a pseudo-inverse, or a small
network trained on the clips without labels) and guesses the missing phase with Griffin-Lim.
Listen to both players and compare the two spectrograms. The table says how big Y' is per second of audio
(compression: how many times smaller than 16-bit audio, counting Y' as 32-bit floats; below 1x Y' is bigger) and what survived:
**LSD** (log-spectral distance, every frequency bin) and **MCD** (mel-cepstral distortion, the envelope),
both in dB, lower is better; **voiced frames that keep their pitch** (pYIN on Y and on render(Y')).
Try MFCC: the words stay, the pitch goes. *Learn more:* `notebooks/08_speech.ipynb`.
"""

EMPTY_NOTES = "Pick a shipped clip, upload an audio file or record one to start."


def audio_error(e: Exception, upload: str | None, pick: str) -> gr.Error:
    """Bad audio -> the message a user sees (the Speech and Speech -> Text tabs say it the same way)."""
    message = str(e).rstrip(".") + "."
    if message.startswith(("the ", "there ")):       # a sentence, not a file name: capitalise it
        message = message[0].upper() + message[1:]
    if upload:
        message += f" Pick {pick} or upload another file."
    return gr.Error(message, title="Cannot use this audio", print_exception=False)


def say_adjusted(notes: list[str]) -> None:
    """What was changed on the way in (resampled, mixed to mono, trimmed), as one notice."""
    if notes:
        said = "; ".join(notes)
        gr.Info(said[0].upper() + said[1:] + ".", title="Input adjusted")


def picture(label: str, elem_id: str) -> gr.Image:
    """A map drawn by views.draw_map: it carries its own title and axes, so no label badge over it."""
    return gr.Image(label=label, show_label=False, format="png", interactive=False, elem_id=elem_id)


def build(ctx: AppContext) -> BuiltTab:
    choices = sv.clip_choices()
    clip_names = [value for _, value in choices]
    path_names = list(PATHS)
    # the learned renderer's weights and librosa load on the first request, not while the app starts
    paths = lambda: ctx.shared("speech_paths", sv.load_paths)   # noqa: E731

    def input_wave(upload: str | None, clip: str | None) -> sv.SpeechInput:
        try:
            audio = sv.load_input(upload, clip)
        except sv.AudioError as e:
            raise audio_error(e, upload, "a shipped clip") from e
        say_adjusted(audio.notes)
        return audio

    def chosen_path(path: str | None):
        available = paths().available
        if path not in available:
            reason = paths().unavailable.get(path, f"choose one of: {', '.join(path_names)}")
            raise gr.Error(f"Path {path!r} is not available: {reason}", title="Unknown path", print_exception=False)
        return available[path]

    def run_inspect(upload: str | None, clip: str | None, path: str | None):
        """Y -> Y' -> render(Y') for the uploaded / recorded file if any, else the shipped clip."""
        pipe = chosen_path(path)
        audio = input_wave(upload, clip)
        try:
            r = sv.inspect(path, pipe, audio.wave)
        except Exception as e:   # a failing model must not leave a bare "Error"
            raise gr.Error(f"{path} failed on this audio: {type(e).__name__}: {e}") from e
        notes = [f"**Input:** {audio.source}"] + [f"- {n}" for n in audio.notes]
        notes.append(f"\n**Path:** {PATHS[path].summary}")
        lost = sv.pitch_note(r.metrics, pipe.extractor.name)
        if lost:
            notes.append(f"\n**Pitch lost.** {lost}")
        return r.y_audio, r.y_spec, r.y_prime, r.y_hat_audio, r.y_hat_spec, r.table, "\n".join(notes)

    def run_compare_all(upload: str | None, clip: str | None):
        """Every path on the same input: one rendered wave per path and one table."""
        audio = input_wave(upload, clip)
        try:
            waves, rows = sv.compare_all(paths(), audio.wave)
        except Exception as e:
            raise gr.Error(f"Comparing speech paths failed: {type(e).__name__}: {e}") from e
        return *[waves.get(name) for name in path_names], rows

    def show_once(shown: bool, upload: str | None, clip: str | None, path: str | None):
        """The first time the tab opens (or a link opens it), show the selected clip; later visits keep the view."""
        if shown:
            return (True,) + (gr.update(),) * len(outputs)
        return (True,) + run_inspect(upload, clip, path)

    gr.Markdown(EXPLANATION)
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            clip = gr.Dropdown(choices, value=clip_names[0], label="Shipped clip (name · espeak-ng voice · transcript)",
                               elem_id="speech_clip")
            upload = gr.Audio(sources=["upload", "microphone"], type="filepath",
                              label="… or upload / record audio (used instead of the clip; up to 10 s)",
                              elem_id="speech_upload")
            # allow_custom_value: an unknown name reaches run_inspect, which says what is allowed
            path = gr.Dropdown(path_names, value=sv.DEFAULT_PATH, label="Path Y → Y' → Y", allow_custom_value=True,
                               elem_id="speech_path")
            table = gr.Dataframe(headers=["quantity", "value"], interactive=False, wrap=True,
                                 column_widths=["52%", "48%"], max_height=900, elem_id="speech_numbers")
            notes = gr.Markdown(EMPTY_NOTES, elem_id="speech_notes")
        with gr.Column(scale=3):
            # Y, Y' and render(Y') stacked at one width, so that their time axes line up
            with gr.Row(equal_height=True):
                y_audio = gr.Audio(label="Y (input)", interactive=False, elem_id="speech_y")
                y_hat_audio = gr.Audio(label="render(Y')", interactive=False, elem_id="speech_y_hat")
            y_spec = picture("Y: spectrogram", "speech_y_spec")
            y_prime = picture("Y' = extract(Y)", "speech_y_prime")
            y_hat_spec = picture("render(Y'): spectrogram", "speech_y_hat_spec")
    with gr.Accordion("Compare all paths on this input", open=False):
        compare_button = gr.Button("Compare all paths", elem_id="speech_compare_all")
        with gr.Row():
            compare_audio = [gr.Audio(label=f"render(Y'): {name}", interactive=False,
                                      elem_id=f"speech_compare_audio_{i}") for i, name in enumerate(path_names)]
        compare_table = gr.Dataframe(headers=sv.COMPARE_HEADERS, interactive=False, elem_id="speech_compare_table")
    shown = gr.State(False)

    inputs = [upload, clip, path]
    outputs = [y_audio, y_spec, y_prime, y_hat_audio, y_hat_spec, table, notes]
    path.change(run_inspect, inputs, outputs, api_name="speech_inspect")
    clip.input(lambda: None, None, upload, api_visibility="private").then(run_inspect, inputs, outputs,
                                                                          api_visibility="private")
    upload.upload(run_inspect, inputs, outputs, api_visibility="private")
    upload.stop_recording(run_inspect, inputs, outputs, api_visibility="private")
    upload.clear(run_inspect, inputs, outputs, api_visibility="private")
    compare_button.click(run_compare_all, [upload, clip], compare_audio + [compare_table], api_name="speech_compare_all")
    def restore(shown: bool, upload: str | None, clip: str | None, path: str | None, request: gr.Request):
        """After a link's settings were applied: show the view only if the link opens this tab or sets its
        settings (every page load runs this; pYIN and Griffin-Lim are not free), even if the tab was already
        drawn (the link opens the tab in the browser, which may draw it before the link's settings arrive)."""
        query = dict(request.query_params) if request is not None else {}
        if query.get("tab") == "speech" or any(key.startswith("speech_") for key in query):
            return show_once(False, upload, clip, path)
        return (shown,) + (gr.update(),) * len(outputs)

    return BuiltTab(
        url_fields=[UrlField("speech_path", path, one_of(path_names), "one of " + ", ".join(path_names)),
                    UrlField("speech_clip", clip, one_of(clip_names), "a shipped clip such as us_00, gb_07 or usf_19")],
        after_url_restore=(restore, [shown] + inputs, [shown] + outputs),
        on_open=(show_once, [shown] + inputs, [shown] + outputs))


TAB = AppTab("speech", "Speech", "speech", build)
