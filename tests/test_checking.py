"""regen_lite/exercises/checking: the one numeric test every exercise check uses, and how a check fails under
nbgrader."""

import numpy as np
import pytest
import torch

from regen_lite.exercises.checking import close


def test_tensor_and_array_answers_match_either_kind_of_reference():
    ref = torch.linspace(0, 1, 6).reshape(2, 3)
    assert close(ref.clone(), ref)
    assert close(ref.numpy(), ref)                           # a NumPy answer, a tensor reference
    assert close(ref, ref.numpy())                           # and the other way round
    assert close(ref.double().requires_grad_(), ref.float())  # dtypes and autograd do not matter
    assert close(ref.numpy() + 0j, ref.numpy() + 0j)         # complex spectrograms (nb08)
    assert not close(ref.numpy() + 1e-3j, ref.numpy() + 0j)


def test_shape_mismatch_is_not_close_even_when_it_would_broadcast():
    ref = torch.zeros(2, 3)
    assert not close(torch.zeros(3), ref)
    assert not close(torch.zeros(3, 2), ref)
    assert not close(torch.zeros(1, 3), ref)


def test_an_answer_that_is_not_an_array_is_never_close():
    ref = torch.zeros(2)
    for answer in (None, [0.0, 0.0], 0.0, "zeros", np.array(["a", "b"])):
        assert close(answer, ref) is False


def test_tolerances():
    ref = torch.ones(4)
    assert close(ref + 5e-6, ref)                            # defaults: atol 1e-5, rtol 1e-5
    assert not close(ref + 1e-4, ref)
    assert close(ref + 1e-4, ref, atol=2e-4)
    assert close(ref * 1.00005, ref, rtol=1e-4, atol=0.0)
    assert not close(ref * 1.001, ref, rtol=1e-4, atol=0.0)


def _check_double(fn):
    from regen_lite.exercises.checking import Check

    check = Check("double")
    with check:
        out = check.call(fn, torch.tensor([1.0, 2.0]))
        check.expect(close(out, torch.tensor([2.0, 4.0])), "doubles every entry", hint="return 2 * x")
    return check.result()


def test_a_failed_check_raises_only_under_nbgrader(monkeypatch):
    """nbgrader's autograder sets NBGRADER_EXECUTION in the kernel: a check cell then fails with an error
    (0 points) instead of showing "not yet", and a passed check still returns its result (full points)."""
    from regen_lite.exercises.checking import CheckFailed

    def stub(x):
        raise NotImplementedError

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not _check_double(stub).passed and not _check_double(lambda x: x).passed
    for mode in ("autograde", "validate"):
        monkeypatch.setenv("NBGRADER_EXECUTION", mode)
        assert _check_double(lambda x: 2 * x).passed
        for wrong in (stub, lambda x: x):
            with pytest.raises(CheckFailed) as err:
                _check_double(wrong)
            assert isinstance(err.value, AssertionError) and "double: not yet" in str(err.value)
    assert "not yet" in str(err.value) and "hint: return 2 * x" in str(err.value)
