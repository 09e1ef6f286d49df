"""The "Lyrics → Melody" tab: X = lyrics (a held-out chorale's German text, or your own words) + a key -> a template Y'
(a rhythm and fermata per syllable, chords) -> a melody, beside the direct lyrics -> melody model. Logic in
app/music/lyrics_views.py; models in regen_lite/music/ (lyrics.py, lyric_template.py, lyric_direct.py)."""

from __future__ import annotations

import tempfile

import gradio as gr

from app.base import AppContext, AppTab, BuiltTab
from app.music import lyrics_views as lv
from app.music import views as mv
from app.url_state import MAX_SEED, SEED_ALLOWED, UrlField, int_in, one_of
from regen_lite.checkpoints import CheckpointError
from regen_lite.music.lyrics import LyricsError
from regen_lite.music.pipelines import KEYS, MusicModels, load_music_models

DEFAULT_CHORALE = "bwv10.7"

EXPLANATION = """
**Lyrics → template → melody** (TeleMelody's split). X is a text: syllables (split at hyphens, or by a vowel rule),
word ends and punctuation. The **two-stage** pipeline first writes a *template* Y′: a small per-syllable model
chooses each syllable's rhythm (a quarter note, two eighths, a half note…) and a fermata where it expects a phrase
end; the chord chain of the Music tab adds a chord per beat; then the same melody renderer as in the Music tab
(trained on all 277 chorale melodies, lyrics or not) writes the notes on that rhythm. Only the little per-syllable
model needed lyrics paired with melodies. The **direct** model is the renderer's network fed the syllables instead
of a template: it writes the notes and decides where each syllable starts, all from the 241 paired chorales.
The chorale texts are German; the models see only the text's shape (syllables, word ends, punctuation), never
the words' meaning. Syllables are written under each piano roll where they are sung (red ^ = fermata).
*Learn more:* `notebooks/13_lyrics_to_melody.ipynb` and `benchmarks/lyrics_to_melody.py`.
"""


def build(ctx: AppContext) -> BuiltTab:
    names = list(lv.lyric_chorales())
    default = DEFAULT_CHORALE if DEFAULT_CHORALE in names else names[0]
    first_text, first_key = lv.chorale_text(default)
    out_dir = tempfile.mkdtemp(prefix="regen-lite-lyrics-")

    def models() -> MusicModels:
        return ctx.shared("music_models", lambda: load_music_models(ctx.device))

    def pick(chorale):
        """A chorale fills in its text and key."""
        try:
            return lv.chorale_text(chorale)
        except mv.MusicError as e:
            raise gr.Error(str(e), title="Unknown chorale", print_exception=False) from e

    def restore(chorale, text, key):
        """After a page load: a shared link's chorale brings its text and key, unless the box already holds it
        (so that a page opened on the default chorale never overwrites what the user starts typing)."""
        try:
            wanted = lv.chorale_text(chorale)
        except mv.MusicError:
            return gr.update(), gr.update()
        return (gr.update(), gr.update()) if text == wanted[0] else wanted

    def run(text, key, seed, temperature, chorale):
        """X = (lyrics, key) -> both pipelines."""
        try:
            seed, temperature = mv.check_settings(seed, temperature)
            loaded = models()
            r = lv.set_lyrics(loaded, text, key, seed, temperature, chorale)
        except LyricsError as e:
            message = str(e)
            raise gr.Error(message[:1].upper() + message[1:] + ".", title="Cannot read these lyrics",
                           print_exception=False) from e
        except mv.MusicError as e:
            raise gr.Error(str(e), title="Cannot set these lyrics", print_exception=False) from e
        except CheckpointError as e:
            raise gr.Error(str(e), title="Lyrics model weights missing", print_exception=False) from e
        songs = [s for s in (r.two_stage, r.direct, r.bach) if s is not None]
        low, high = mv.pitch_range(songs)
        stem = f"lyrics_seed{seed}_T{temperature:g}"
        bach_roll = None if r.bach is None else lv.draw_lyrics_roll(r.bach, r.lyrics, None, low, high)
        return (mv.draw_template(r.template), lv.template_lines(r),
                lv.draw_lyrics_roll(r.two_stage, r.lyrics, r.template, low, high), mv.audio(r.two_stage, r.template),
                mv.midi_file(r.two_stage, out_dir, stem + "_two_stage"),
                lv.draw_lyrics_roll(r.direct, r.lyrics, None, low, high), mv.audio(r.direct, None),
                mv.midi_file(r.direct, out_dir, stem + "_direct"),
                bach_roll, lv.lyrics_table(r), "\n".join(f"- {n}" for n in r.notes))

    gr.Markdown(EXPLANATION)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            chorale = gr.Dropdown(names, value=default, label="A held-out chorale's text", elem_id="lyrics_chorale")
            text = gr.Textbox(value=first_text, label="Lyrics (X): words, hyphens between syllables", lines=5,
                              max_lines=10, elem_id="lyrics_text")
            key = gr.Dropdown(KEYS, value=first_key, label="Key", elem_id="lyrics_key", allow_custom_value=True)
            with gr.Group():
                seed = gr.Number(value=0, precision=0, label=f"Seed (0..{MAX_SEED})", elem_id="lyrics_seed")
                temperature = gr.Slider(*mv.TEMPERATURE_RANGE, value=1.0, step=0.05,
                                        label="Temperature of the note samplers", elem_id="lyrics_temperature")
            button = gr.Button("Set the lyrics to music", variant="primary", elem_id="lyrics_run")
            notes = gr.Markdown("Pick a chorale or type some words, then press the button.", elem_id="lyrics_notes")
        with gr.Column(scale=4):
            y_prime = gr.Image(label="Y′ = the template written for the lyrics", format="png", interactive=False,
                               elem_id="lyrics_y_prime")
            y_prime_text = gr.Markdown(elem_id="lyrics_y_prime_text")
            two_stage = gr.Image(label="two-stage: lyrics → Y′ → melody", format="png", interactive=False,
                                 elem_id="lyrics_two_stage")
            with gr.Row(equal_height=True):
                two_stage_audio = gr.Audio(label="two-stage (with the template's chords)", interactive=False,
                                           elem_id="lyrics_two_stage_audio")
                two_stage_midi = gr.File(label="two-stage as MIDI", interactive=False, elem_id="lyrics_two_stage_midi")
            direct = gr.Image(label="direct: lyrics → melody, no Y′", format="png", interactive=False,
                              elem_id="lyrics_direct")
            with gr.Row(equal_height=True):
                direct_audio = gr.Audio(label="direct (melody alone: it writes no chords)", interactive=False,
                                        elem_id="lyrics_direct_audio")
                direct_midi = gr.File(label="direct as MIDI", interactive=False, elem_id="lyrics_direct_midi")
            bach = gr.Image(label="Bach's own setting of this text (shown when the text is a chorale's, unchanged)",
                            format="png", interactive=False, elem_id="lyrics_bach")
            table = gr.Dataframe(headers=lv.TABLE_HEADERS, interactive=False, elem_id="lyrics_numbers")

    inputs = [text, key, seed, temperature, chorale]
    outputs = [y_prime, y_prime_text, two_stage, two_stage_audio, two_stage_midi, direct, direct_audio, direct_midi,
               bach, table, notes]
    button.click(run, inputs, outputs, api_name="lyrics_to_melody")
    chorale.input(pick, chorale, [text, key], api_visibility="private").then(run, inputs, outputs,
                                                                              api_visibility="private")
    return BuiltTab(url_fields=[UrlField("lyrics_chorale", chorale, one_of(names), "a held-out chorale, e.g. bwv10.7"),
                                UrlField("lyrics_seed", seed, int_in(0, MAX_SEED), SEED_ALLOWED)],
                    after_url_restore=(restore, [chorale, text, key], [text, key]))


TAB = AppTab("lyrics", "Lyrics → Melody", "music", build)
