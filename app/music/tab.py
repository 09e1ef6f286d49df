"""The "Music" tab: a melody Y (a shipped chorale or an uploaded MIDI / MusicXML file) -> its template
Y' (chords, rhythm, cadences) -> a new melody rendered from Y'; or X = (key, bars) -> Y' sampled from the
template prior -> melody. The direct model (no Y') is shown beside it. Logic in app/music/views.py."""

from __future__ import annotations

import tempfile

import gradio as gr

from app.base import AppContext, AppTab, BuiltTab
from app.classroom import CHEAP
from app.music import views as mv
from app.url_state import MAX_SEED, SEED_ALLOWED, UrlField, int_in, one_of
from regen_lite.music.pipelines import KEYS, MusicModels, load_music_models
from regen_lite.music.song import MAX_BARS, MusicInputError

DEFAULT_CHORALE = "bwv165.6"        # also shipped as the example uploads in data_samples/music/

EXPLANATION = """
**Melody → template → melody.** Y is the soprano line of a Bach chorale (or your MIDI / MusicXML file) on an
eighth-note grid. The extractor turns it into a *template* Y': one chord per beat (read from all four voices,
or guessed from the melody when a file has only one), the rhythm (which steps start a note) and the cadences
(phrase ends). A small transformer then *renders* a new melody from Y' alone, sampled with your seed and
temperature; the *direct* model writes a melody for the same key and length with no Y' at all. Or press
**Sample a new template** to draw Y' from the template prior for a key X: the full X → Y' → Y generation.
Shaded rows in the piano rolls are the chord tones of each beat; red lines mark cadences.
The table measures every melody against the same Y': **chord tones** = share of notes that belong to their
beat's chord (on beats 1 and 3: the strong beats), **rhythm F1** = how well the onsets match the template's
(1 = the same), **pc-histogram TV** = distance of the pitch-class histogram from Bach's (0 = the same),
**stepwise** = share of moves of at most a whole tone (Bach: about 0.8).
*Learn more* (`make lab`): `notebooks/10_music_templates.ipynb`.
"""


PROMPT = "Pick a chorale or upload a file, then press **Extract Y' and render**; or sample a new template."


def picture(label: str, elem_id: str) -> gr.Image:
    """A drawing shown whole (PNG keeps the thin lines sharp)."""
    return gr.Image(label=label, format="png", interactive=False, elem_id=elem_id)


def build(ctx: AppContext) -> BuiltTab:
    names = list(mv.test_chorales())
    out_dir = tempfile.mkdtemp(prefix="regen-lite-music-")

    def models() -> MusicModels:
        return ctx.shared("music_models", lambda: load_music_models(ctx.device))

    def show(result: mv.MusicResult, seed: int, temperature: float, with_chords: bool, source: str,
             notices: list[str]):
        """Every output of the tab for one result, in the order of `outputs` below."""
        tmpl = result.template if with_chords else None
        songs = [s for s in (result.y, result.rendered, result.direct) if s is not None]
        low, high = mv.pitch_range(songs)
        roll = lambda song: mv.draw_piano_roll(song, result.template, low, high)   # noqa: E731
        stem = f"{result.name}_seed{seed}_T{temperature:g}"
        lines = [f"**Input:** {source}"] + [f"- {n}" for n in notices + result.notes]
        lines += [f"- {label}: {mv.song_line(song)}" for label, song in
                  (("Y", result.y), ("render(Y')", result.rendered), ("direct", result.direct)) if song is not None]
        return (None if result.y is None else roll(result.y),
                None if result.y is None else mv.audio(result.y, tmpl),
                mv.draw_template(result.template), mv.template_markdown(result.template, models().describe),
                roll(result.rendered), mv.audio(result.rendered, tmpl),
                mv.midi_file(result.rendered, out_dir, stem + "_rendered"),
                roll(result.direct), mv.audio(result.direct, tmpl),
                mv.midi_file(result.direct, out_dir, stem + "_direct"),
                mv.metrics_table(result, seed, temperature), "\n".join(lines))

    def run_inspect(chorale, upload, seed, temperature, with_chords):
        """Y (an uploaded file if given, else the shipped test chorale) -> Y' -> render(Y'), and the direct model."""
        try:
            seed, temperature = mv.check_settings(seed, temperature)
            song, notices, source = mv.input_song(chorale, upload)
        except (mv.MusicError, MusicInputError) as e:
            raise gr.Error(f"{e}", title="Cannot use this input", print_exception=False) from e
        if notices:
            gr.Info(" ".join(notices), title="Input adjusted")
        try:
            result = mv.inspect_song(models(), song, seed, temperature)
        except Exception as e:   # a model failing must not leave a bare "Error"
            raise gr.Error(f"Rendering failed: {type(e).__name__}: {e}") from e
        return show(result, seed, temperature, with_chords, source, notices)

    def run_generate(key, bars, seed, temperature, with_chords):
        """X = (key, bars) -> Y' ~ the template prior -> render(Y'), and the direct model on X."""
        try:
            seed, temperature = mv.check_settings(seed, temperature)
            result = mv.generate_song(models(), key, bars, seed, temperature)
        except mv.MusicError as e:
            raise gr.Error(f"{e}", title="Cannot generate", print_exception=False) from e
        return show(result, seed, temperature, with_chords, f"template prior, X = {key}, {int(bars)} bars", [])

    gr.Markdown(EXPLANATION)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            chorale = gr.Dropdown(names, value=DEFAULT_CHORALE if DEFAULT_CHORALE in names else names[0],
                                  label="Shipped test chorale (Y)", allow_custom_value=True,
                                  elem_id="music_chorale")
            upload = gr.File(label="… or upload a melody (MIDI or MusicXML, 4/4)", type="filepath",
                             elem_id="music_upload")
            with gr.Group():
                seed = gr.Number(value=0, precision=0, label=f"Seed (0..{MAX_SEED})", elem_id="music_seed")
                temperature = gr.Slider(*mv.TEMPERATURE_RANGE, value=1.0, step=0.05,
                                        label="Temperature (lower plays safer)", elem_id="music_temperature")
                with_chords = gr.Checkbox(value=True, label="Play the template's chords under each melody",
                                          elem_id="music_with_chords")
            render = gr.Button("Extract Y' and render", variant="primary", elem_id="music_render")
            with gr.Accordion("… or sample a new template from the prior (X → Y' → Y)", open=True):
                key = gr.Dropdown(KEYS, value="G major", label="Key X", elem_id="music_key",
                                  allow_custom_value=True)     # an unknown key reaches parse_key, which says why
                bars = gr.Slider(1, MAX_BARS, value=8, step=1, label="Bars", elem_id="music_bars")
                sample = gr.Button("Sample a new template", elem_id="music_sample")
            notes = gr.Markdown(PROMPT, elem_id="music_notes")
        with gr.Column(scale=4):                  # one time axis: the pictures are stacked, full width
            y_roll = picture("Y: the melody (shaded rows: chord tones of Y' at each beat)", "music_y")
            with gr.Row():
                y_audio = gr.Audio(label="Y", interactive=False, elem_id="music_y_audio")
            y_prime = picture("Y' = template: chords per beat, rhythm, cadences", "music_y_prime")
            y_prime_text = gr.Markdown(elem_id="music_y_prime_text")
            rendered = picture("render(Y'): a new melody sampled from the template alone", "music_y_hat")
            with gr.Row(equal_height=True):
                rendered_audio = gr.Audio(label="render(Y')", interactive=False, elem_id="music_y_hat_audio")
                rendered_midi = gr.File(label="render(Y') as MIDI (melody)", interactive=False,
                                        elem_id="music_y_hat_midi")
            direct = picture("direct: a melody for the same key and length, without Y'", "music_direct")
            with gr.Row(equal_height=True):
                direct_audio = gr.Audio(label="direct", interactive=False, elem_id="music_direct_audio")
                direct_midi = gr.File(label="direct as MIDI (melody)", interactive=False,
                                      elem_id="music_direct_midi")
            table = gr.Dataframe(headers=mv.METRIC_HEADERS, interactive=False, elem_id="music_numbers")

    shown = gr.State(False)                 # has this page drawn the tab's view yet?
    settings = [seed, temperature, with_chords]
    inputs = [chorale, upload] + settings
    outputs = [y_roll, y_audio, y_prime, y_prime_text, rendered, rendered_audio, rendered_midi,
               direct, direct_audio, direct_midi, table, notes]
    render.click(run_inspect, inputs, outputs, api_name="music_inspect", **ctx.server.events(CHEAP))
    sample.click(run_generate, [key, bars] + settings, outputs, api_name="music_generate")
    chorale.input(lambda: None, None, upload, api_visibility="private").then(   # a chorale replaces the file
        run_inspect, inputs, outputs, api_visibility="private")
    upload.upload(run_inspect, inputs, outputs, api_visibility="private")
    upload.clear(run_inspect, inputs, outputs, api_visibility="private")

    def show_once(shown, chorale, upload, seed, temperature, with_chords):
        """The first time the tab opens (or a link opens it), show the selected chorale; later visits keep the view."""
        if shown:
            return (True,) + tuple(gr.update() for _ in outputs)
        return (True,) + run_inspect(chorale, upload, seed, temperature, with_chords)

    def restore(shown, chorale, upload, seed, temperature, with_chords, request: gr.Request):
        """After a page load: show the link's chorale when the link is about this tab, even if the tab was
        already drawn (the link opens the tab in the browser, which may draw it before the link's settings
        arrive); otherwise wait until the tab is opened (so that opening the app does not render melodies
        nobody looks at)."""
        query = dict(request.query_params) if request is not None else {}
        if query.get("tab") != TAB.id and not {"chorale", "music_seed"} & set(query):
            return (shown,) + tuple(gr.update() for _ in outputs)
        return show_once(False, chorale, upload, seed, temperature, with_chords)

    return BuiltTab(
        url_fields=[UrlField("chorale", chorale, one_of(names), "one of the shipped test chorales, e.g. bwv165.6"),
                    UrlField("music_seed", seed, int_in(0, MAX_SEED), SEED_ALLOWED)],
        after_url_restore=(restore, [shown] + inputs, [shown] + outputs),
        on_open=(show_once, [shown] + inputs, [shown] + outputs))


TAB = AppTab("music", "Music", "music", build)
