"""Auto-checks for the notebooks' exercises: `check_*(student_function) -> CheckResult`.

Each notebook's checks live in their own module here; this package gathers them, so a notebook
writes `from regen_lite.exercises import check_reparameterize`. Every check tests the student's
function against properties and reference values, and returns a result that shows a friendly
pass/fail with a hint (see checking.py).
"""

from regen_lite.exercises.checking import Check, CheckFailed, CheckResult  # noqa: F401

# one module per notebook, each with an __all__ of its check_* functions
from regen_lite.exercises.nb00_paradigm import *  # noqa: F401,F403
from regen_lite.exercises.nb01_explicit import *  # noqa: F401,F403
from regen_lite.exercises.nb02_autoencoders import *  # noqa: F401,F403
from regen_lite.exercises.nb03_quantization import *  # noqa: F401,F403
from regen_lite.exercises.nb04_diffusion import *  # noqa: F401,F403
from regen_lite.exercises.nb05_two_stage import *  # noqa: F401,F403
from regen_lite.exercises.nb06_comparison import *  # noqa: F401,F403
from regen_lite.exercises.nb07_tradeoffs import *  # noqa: F401,F403
from regen_lite.exercises.nb08_speech import *  # noqa: F401,F403
from regen_lite.exercises.nb09_text import *  # noqa: F401,F403
from regen_lite.exercises.nb10_music import *  # noqa: F401,F403
from regen_lite.exercises.nb11_recognition import *  # noqa: F401,F403
from regen_lite.exercises.nb12_synthesis import *  # noqa: F401,F403
from regen_lite.exercises.nb13_lyrics import *  # noqa: F401,F403
from regen_lite.exercises.nb14_face import *  # noqa: F401,F403
from regen_lite.exercises.nb15_unpaired import *  # noqa: F401,F403
