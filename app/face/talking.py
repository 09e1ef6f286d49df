"""The "Talking Head" tab: X = one spoken word (a corpus clip, an upload or the microphone) -> face parameters θ (Y')
-> video (Y), beside X -> video directly; and face analysis Y -> θ -> render(θ) on a still face. Logic in
app/face/talking_views.py; models in regen_lite/face/."""

from __future__ import annotations

import os
import tempfile
import threading

import gradio as gr

from app.base import AppContext, AppTab, BuiltTab
from app.face import talking_views as fv
from app.speech.tab import audio_error, say_adjusted
from app.url_state import UrlField, int_in, one_of

EXPLANATION = """
**What you are looking at.** A small, honest analogue of talking-head synthesis. The face is the kit's own
procedural drawing: 10 numbers θ (mouth opening, width and rounding; head yaw and roll; blink; 4 of identity)
drawn with soft shapes. Its split into mouth, pose and identity is **ours by construction**; a real face model
(FLAME, the Basel Face Model) has to learn it from scans. X is a spoken word. The **two-stage** pipeline reads
the mouth off the speech (a small convolutional net, trained on the θ that the analysis encoder reads off the
training videos) and draws the head pose and blinks from a prior that never hears the audio; the procedural face
renders θ. The **direct** model turns the same log-mel into frames, about the same size and training steps. In
training, voice A (kal16) always leaned left and voice B (awb) right: a spurious correlation. The clips here were
never heard, and their lean no longer follows the voice; watch which model still leans with the voice.
*Learn more:* `notebooks/14_talking_head.ipynb`, and `benchmarks/talking_head.py` for the measured table.
"""
ANALYSIS = """
**Face analysis, Y → Y′.** An encoder reads θ off a face image. It was trained by *analysis-by-synthesis*: render
its guess, compare with the image, never a θ label (the way Deep3DFaceRecon fits a real face model). Pick a
held-out face (the red ticks are its true θ) or upload a picture; render(θ) shows what the 10 numbers keep.
"""

_loading = threading.Lock()


def build(ctx: AppContext) -> BuiltTab:
    choices = fv.clip_choices()
    clip_names = [value for _, value in choices]
    folder = tempfile.mkdtemp(prefix="regen-lite-face-")
    theta_gallery, faces = fv.still_faces_gallery(8)

    def models() -> fv.FaceModels:
        with _loading:
            return ctx.shared("face_models", lambda: fv.load_models(ctx.device))

    def loaded() -> fv.FaceModels:
        try:
            return models()
        except fv.CheckpointError as e:
            raise gr.Error(str(e), title="Face weights missing", print_exception=False) from e

    def run(upload: str | None, clip: str | None, seed: float | None):
        """X -> both pipelines, for the uploaded / recorded file if any, else the corpus clip."""
        try:
            audio = fv.load_input(upload, clip)
        except fv.AudioError as e:
            raise audio_error(e, upload, "a corpus clip") from e
        m = loaded()
        say_adjusted(audio.notes)
        try:
            view = fv.talk_view(audio, m, int(seed or 0), folder)
        except Exception as e:          # a failing model must not leave a bare "Error"
            raise gr.Error(f"The talking head failed on this audio: {type(e).__name__}: {e}") from e
        return view.video, view.picture, view.table, view.notes

    def analyse(upload: str | None, index: float | None):
        """A still face -> θ -> the procedural face: an uploaded image if given, else held-out face `index`."""
        truth = None
        if upload:
            try:
                y, notices = fv.prepare_face(upload)
            except fv.UploadError as e:
                raise gr.Error(f"{e} Pick a held-out face or upload another file.", title="Cannot use this image",
                               print_exception=False) from e
            if notices:
                gr.Info(" ".join(n[0].upper() + n[1:] for n in notices), title="Input adjusted")
            source = f"uploaded file `{os.path.basename(upload)}`"
        else:
            i = int(index or 0)
            y, truth, source = faces[i:i + 1], theta_gallery[i], f"held-out face {i}"
        picture, bars, rendered, rows, mse = fv.analyse_face(y, loaded().analysis, truth)
        return picture, bars, rendered, rows, f"**Input:** {source}. Photometric error of render(θ): {mse:.5f}."

    def pick_face(evt: gr.SelectData):
        """A click in the gallery: remember the face and forget any uploaded file."""
        return evt.index, None

    gr.Markdown(EXPLANATION)
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            clip = gr.Dropdown(choices, value=clip_names[0], label="Unheard corpus clip (word · voice · its lean)",
                               allow_custom_value=True, elem_id="face_clip")
            upload = gr.Audio(sources=["upload", "microphone"], type="filepath",
                              label="… or upload / record one word (used instead of the clip)", elem_id="face_upload")
            seed = gr.Slider(0, 9, value=0, step=1, label="Seed (the two-stage pose prior's draw)", elem_id="face_seed")
            button = gr.Button("Make the videos", variant="primary", elem_id="face_run")
            notes = gr.Markdown("Pick a clip, upload a file or record a word.", elem_id="face_notes")
        with gr.Column(scale=2):
            video = gr.Video(label="Videos (with the sound)", autoplay=False, elem_id="face_video")
            tracks = gr.Image(label="θ over time", show_label=False, format="png", interactive=False,
                              elem_id="face_tracks")
            table = gr.Dataframe(headers=["pipeline", "mean head roll read off the video", "lip sync (r)"],
                                 interactive=False, label="Read back by the analysis encoder", elem_id="face_table")
    gr.Markdown(ANALYSIS)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            gallery = gr.Gallery([(fv.upscale(f), f"face {i}") for i, f in enumerate(faces)], label="Held-out faces",
                                 columns=4, height=220, allow_preview=False, format="png", elem_id="face_gallery")
            face_index = gr.Number(0, visible=False, precision=0)
            face_upload = gr.File(label="… or upload a face image (PNG, JPEG, …)", file_types=["image"],
                                  type="filepath", elem_id="face_image_upload")
            face_notes = gr.Markdown(elem_id="face_analysis_notes")
        y_pic = gr.Image(label="Y (48 × 48)", format="png", interactive=False, elem_id="face_y")
        bars = gr.Image(label="Y′ = θ (red: the truth)", format="png", interactive=False, elem_id="face_theta")
        y_hat = gr.Image(label="render(Y′)", format="png", interactive=False, elem_id="face_render")
    theta_table = gr.Dataframe(headers=["parameter", "θ read", "θ true"], interactive=False, visible=False)
    shown = gr.State(False)

    inputs, outputs = [upload, clip, seed], [video, tracks, table, notes]
    face_inputs, face_outputs = [face_upload, face_index], [y_pic, bars, y_hat, theta_table, face_notes]
    button.click(run, inputs, outputs, api_name="talking_head")
    clip.input(lambda: None, None, upload, api_visibility="private").then(run, inputs, outputs,
                                                                          api_visibility="private")
    upload.upload(run, inputs, outputs, api_visibility="private")
    upload.stop_recording(run, inputs, outputs, api_visibility="private")
    face_upload.upload(analyse, face_inputs, face_outputs, api_name="face_analysis")
    gallery.select(pick_face, None, [face_index, face_upload],
                   api_visibility="private").then(analyse, face_inputs, face_outputs, api_visibility="private")

    def show_once(shown: bool, upload: str | None, clip: str | None, seed: float | None, face_up, index):
        if shown:
            return (True,) + (gr.update(),) * (len(outputs) + len(face_outputs))
        return (True,) + run(upload, clip, seed) + analyse(face_up, index)

    def restore(shown, upload, clip, seed, face_up, index, request: gr.Request):
        query = dict(request.query_params) if request is not None else {}
        if query.get("tab") == "face" or any(key.startswith("face_") for key in query):
            return show_once(False, upload, clip, seed, face_up, index)
        return (shown,) + (gr.update(),) * (len(outputs) + len(face_outputs))

    every = [shown] + inputs + face_inputs
    return BuiltTab(
        url_fields=[UrlField("face_clip", clip, one_of(clip_names), "an unheard corpus clip, e.g. " + clip_names[0]),
                    UrlField("face_seed", seed, int_in(0, 9), "the pose prior's seed, 0 to 9")],
        after_url_restore=(restore, every, [shown] + outputs + face_outputs),
        on_open=(show_once, every, [shown] + outputs + face_outputs))


TAB = AppTab("face", "Talking Head", "face", build)
