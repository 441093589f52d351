r"""One status enumeration for every stage and every model: :class:`RESULTS` and its integer codes.

:class:`RESULTS` extends diffrax's (and so optimistix's) enumeration with jaxcogen's own outcomes,
in the diffrax/optimistix way. Solutions, scans and stores carry a stable *integer* code
(:func:`status_code`), because an integer survives ``vmap``, Zarr and JSON; :func:`status_name` and
:func:`status_message` read it back. The codes of diffrax's outcomes are fixed here (not read off
diffrax's private attributes), so a store written today reads the same with tomorrow's diffrax.
"""

import diffrax
import jax.numpy as jnp
from jaxtyping import ArrayLike, Int


class RESULTS(diffrax.RESULTS):  # pyright: ignore[reportGeneralTypeIssues]
    """diffrax's outcomes plus jaxcogen's own (equinox enumeration; messages below)."""

    invalid_input = "a parameter is outside the model's validity range (see the model's is_valid)"
    late_universe_nonfinite = "the late-universe stage produced a non-finite number"
    not_computed = "not computed (yet): the point's results have not been written"


#: ``{name: (code, message)}``: the integer code of each outcome, stable across versions. 0 is
#: success; 1–13 are diffrax's outcomes (in its order); 100+ are jaxcogen's.
STATUS_CODES: dict[str, int] = {
    "successful": 0,
    "max_steps_reached": 1,
    "singular": 2,
    "breakdown": 3,
    "stagnation": 4,
    "conlim": 5,
    "nonfinite_input": 6,
    "nonlinear_max_steps_reached": 7,
    "nonlinear_divergence": 8,
    "nonfinite": 9,
    "dt_min_reached": 10,
    "event_occurred": 11,
    "max_steps_rejected": 12,
    "internal_error": 13,
    "invalid_input": 100,
    "late_universe_nonfinite": 101,
    "not_computed": -1,
}

#: a diffrax outcome this table does not know (a newer diffrax): reported as such, never as success
UNKNOWN_FAILURE = 99

STATUS_SUCCESS = STATUS_CODES["successful"]
STATUS_INVALID_INPUT = STATUS_CODES["invalid_input"]
STATUS_LATE_UNIVERSE_NONFINITE = STATUS_CODES["late_universe_nonfinite"]
STATUS_NOT_COMPUTED = STATUS_CODES["not_computed"]

_NAMES = {code: name for name, code in STATUS_CODES.items()}


def status_code(result) -> Int[ArrayLike, "..."]:
    """The integer code of a (possibly batched) :class:`RESULTS` or ``diffrax.RESULTS`` value."""
    result = RESULTS.promote(result) if not isinstance(result, RESULTS) else result
    code = jnp.asarray(UNKNOWN_FAILURE, dtype=jnp.int32)
    for name, value in STATUS_CODES.items():
        item = getattr(RESULTS, name, None)
        if item is not None:
            code = jnp.where(result == item, value, code)
    return code.astype(jnp.int32)


def status_name(code: int) -> str:
    """Name of an integer status code (``"success"`` for 0)."""
    code = int(code)
    if code == STATUS_SUCCESS:
        return "success"
    return _NAMES.get(code, "unknown_failure" if code == UNKNOWN_FAILURE else f"unknown_{code}")


def status_message(code: int) -> str:
    """One line saying what an integer status code means."""
    code = int(code)
    name = _NAMES.get(code)
    if name is None:
        return f"unknown status {code}"
    if code == STATUS_SUCCESS:
        return "success"
    return RESULTS[getattr(RESULTS, name)]


def status_table() -> dict[str, str]:
    """``{code: name}`` of every known code as strings (scan datasets store it as an attribute)."""
    return {str(code): status_name(code) for code in sorted(_NAMES)}
