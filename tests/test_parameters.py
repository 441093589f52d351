"""Named parameter access used by scans and fits."""

import cmath

import jax
import numpy as np
import pytest

from jaxcogen.model._parameters import PARAMETER_NAMES, get_parameter, set_parameters

from .conftest import make_model


def test_round_trip_of_every_name(default_model):
    for name in PARAMETER_NAMES:
        value = get_parameter(default_model, name)
        same = set_parameters(default_model, {name: value})
        for other in PARAMETER_NAMES:
            np.testing.assert_allclose(
                complex(get_parameter(same, other)),
                complex(get_parameter(default_model, other)),
                rtol=1e-14,
                atol=1e-300,
            )


def test_parts_of_a_coupling(default_model):
    m = set_parameters(default_model, {"y2.abs": 0.2, "y2.arg": -1.0})
    assert complex(m.y2) == pytest.approx(cmath.rect(0.2, -1.0), rel=1e-14)
    m = set_parameters(default_model, {"lambda1.re": 0.1, "lambda1.im": 0.3})
    assert complex(m.lambda1) == pytest.approx(0.1 + 0.3j, rel=1e-14)
    m = set_parameters(default_model, {"T_RH": 2e10})
    assert float(m.T_RH) == 2e10


def test_unknown_name_suggests():
    with pytest.raises(ValueError, match="did you mean 'lambda2.arg'"):
        set_parameters(make_model(), {"lambda2.ar": 1.0})


def test_differentiable_under_jit(default_model):
    f = jax.jit(lambda r: get_parameter(set_parameters(default_model, {"y2.abs": r}), "y2.re"))
    g = jax.grad(f)(0.3)
    assert float(g) == pytest.approx(np.cos(float(get_parameter(default_model, "y2.arg"))))
