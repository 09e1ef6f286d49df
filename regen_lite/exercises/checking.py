"""The machinery behind every `check_*` helper: run a student's function, test properties, report.

A check builds a `Check`, calls the student's function through `check.call(...)` (so an unwritten
or crashing function becomes a friendly failure instead of a traceback), records one line per
property with `check.expect(ok, what, hint)`, and returns `check.result()`. The result is returned,
not printed: a notebook shows it because it is the cell's last value, and tests read `.passed`.

    def check_double(fn) -> CheckResult:
        check = Check("double")
        with check:
            out = check.call(fn, torch.tensor([1.0, 2.0]))
            check.expect(torch.equal(out, torch.tensor([2.0, 4.0])), "doubles every entry",
                         hint="return 2 * x")
        return check.result()

Under nbgrader (`nbgrader autograde` or `validate` set NBGRADER_EXECUTION in the kernel) a failed check
raises `CheckFailed` instead of returning, so the check cell is an autograded test: it scores its points
when it runs without an error. Everywhere else (a student's own run, nbval, the tests) nothing raises.

`close(answer, reference)` is the shared numeric test: same shape and np.allclose, for a student's
torch tensor or NumPy array (anything else is simply not close).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass
class CheckResult:
    """The outcome of one exercise check: passed, and one (ok, what, hint) line per property tested."""

    name: str
    lines: list[tuple[bool, str, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.lines) and all(ok for ok, _, _ in self.lines)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        done = sum(ok for ok, _, _ in self.lines)
        verdict = "PASSED, well done" if self.passed else "not yet"
        out = [f"{self.name}: {verdict} ({done}/{len(self.lines)} checks)"]
        for ok, what, hint in self.lines:
            out.append(f"  {'✓' if ok else '✗'} {what}")
            if not ok and hint:
                out.append(f"      hint: {hint}")
        return "\n".join(out)


class CheckFailed(AssertionError):
    """A failed check under nbgrader: the message is the result's pass/fail lines and hints."""


def grading() -> bool:
    """Is this kernel run by nbgrader's autograder or validator?"""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


class _Stop(Exception):
    """Raised inside a check to skip the remaining properties (the function could not be run)."""


class Check:
    """Collects the properties of one exercise. Use as a context manager around the calls."""

    def __init__(self, name: str):
        self._result = CheckResult(name)

    def expect(self, ok, what: str, hint: str = "") -> bool:
        """Record one property: `what` describes it, `hint` helps when it fails."""
        ok = bool(ok)
        self._result.lines.append((ok, what, hint))
        return ok

    def call(self, fn, *args, **kwargs):
        """fn(*args, **kwargs), turning NotImplementedError or any crash into a failed line."""
        try:
            return fn(*args, **kwargs)
        except NotImplementedError:
            self.expect(False, "your function runs", "it still raises NotImplementedError: replace that line "
                        "with your code")
        except Exception as e:  # a student's bug: report it, never crash the notebook
            self.expect(False, "your function runs", f"it raised {type(e).__name__}: {e}")
        raise _Stop

    def __enter__(self) -> "Check":
        return self

    def __exit__(self, kind, value, tb) -> bool:
        return kind is _Stop   # swallow only our own stop signal

    def result(self) -> CheckResult:
        """The result; under nbgrader (see grading) a failed one raises CheckFailed instead."""
        if grading() and not self._result.passed:
            raise CheckFailed(repr(self._result))
        return self._result


def _numpy(x):
    """A tensor or array as a float64 (or complex128) NumPy array; anything else becomes None."""
    if torch.is_tensor(x):
        x = x.detach().cpu()
        x = x.to(torch.complex128 if x.is_complex() else torch.float64).numpy()
    if not isinstance(x, np.ndarray):
        return None
    try:
        return x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)
    except (TypeError, ValueError):   # e.g. an array of strings
        return None


def close(a, b, *, atol: float = 1e-5, rtol: float = 1e-5) -> bool:
    """Is the student's answer `a` the reference `b`? Same shape, and np.allclose(a, b, rtol, atol).

    a and b may each be a torch tensor or a NumPy array; an answer of any other type is never close."""
    a, b = _numpy(a), _numpy(b)
    if a is None or b is None or a.shape != b.shape:
        return False
    return bool(np.allclose(a, b, rtol=rtol, atol=atol))
