r"""Numerical settings of a solve (:class:`SolveSettings`) and the diffrax integrators and adjoints
they select (:func:`implicit_solver`)."""

import difflib
import inspect
from typing import Literal, no_type_check

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import optimistix as optx
from jaxtyping import ArrayLike, Float

from jaxcogen.production._validity import (
    EFT_ERROR_OBSERVABLES,
    EFT_TOLERANCE,
)

SolverName = Literal["auto", "Kvaerno5", "Kvaerno3", "Tsit5"]
AdjointName = Literal["recursive", "forward", "direct"]
RegimeName = Literal["eft", "dynamical", "auto"]
#: The values of ``regime`` (:func:`solve`).
REGIMES: tuple[str, ...] = ("eft", "dynamical", "auto")
#: ``Solution.regime_used``: which production system was integrated.
REGIME_EFT, REGIME_DYNAMICAL = 0, 1


#: ``solver="auto"`` integrates with the explicit Tsit5 when :func:`stiffness_ratio` is below this
#: value and with the implicit Kvaerno5 otherwise (and falls back to Kvaerno5 whenever Tsit5
#: fails). Read off ``benchmarks/solver_choice.py``; see ``benchmarks/RESULTS.md``.
AUTO_STIFFNESS_THRESHOLD = 1000.0


#: The implicit solvers' stage equations are solved by a simplified-Newton (chord) iteration to
#: this multiple of the step-size controller's ``rtol`` and ``atol``. diffrax's default is the
#: controller's own tolerances; on stiff steps the chord iteration then cannot meet its
#: convergence test (increments below 1e-2 of that scale) within its iteration budget, declares
#: divergence and the step is rejected — Kvaerno5 needed 196 steps (46 rejected) at the built-in
#: point, 955 and 3080 at two stiff points of ``tests/test_solver_choice.py``, and never finished a
#: T_RH = 10 TeV point. With 1e3 x (1e-5, 1e-9 at the defaults): 67, 212, 538 and 1695 steps, and
#: xi_final, DeltaY_B agree with a Tsit5 rtol-1e-12 solve to 3e-9 (as before). The trivially
#: stiff y' = z(1 - z y) on [45, 100] shows the same: 7830 steps with the default, 77 with this.
ROOT_TOLERANCE_FACTOR = 1.0e3


def implicit_solver(
    name: str,
    rtol,
    atol,
    root_tolerance_factor: float = ROOT_TOLERANCE_FACTOR,
    newton: bool = False,
):
    r"""Kvaerno5 or Kvaerno3 whose stage iteration stops at ``root_tolerance_factor`` x (rtol, atol).

    ``newton=False``: diffrax's chord iteration (``VeryChord``: one Jacobian per step, reused by
    every stage and iteration). ``newton=True``: full Newton (``optimistix.Newton``: a fresh
    Jacobian each iteration), for systems whose Jacobian changes across one step — the
    dynamical-N mode (:mod:`jaxcogen.production.dynamical._solve`), where inverse decays from a dark bath at
    :math:`T_\chi=\xi T` enter as :math:`e^{-M/\xi T}` and the chord iteration is rejected on
    half the steps.
    """
    tolerances = dict(rtol=root_tolerance_factor * rtol, atol=root_tolerance_factor * atol)
    root_finder = optx.Newton(**tolerances) if newton else diffrax.VeryChord(**tolerances)
    if name == "Kvaerno5":
        return diffrax.Kvaerno5(root_finder=root_finder)
    if name == "Kvaerno3":
        return diffrax.Kvaerno3(root_finder=root_finder)
    raise ValueError(f"implicit solver {name!r}: allowed values are 'Kvaerno5', 'Kvaerno3'")


def _make_solver(name: str, rtol=1e-8, atol=1e-12):
    if name == "auto":
        return None
    if name in ("Kvaerno5", "Kvaerno3"):
        return implicit_solver(name, rtol, atol)
    if name == "Tsit5":
        return diffrax.Tsit5()
    raise ValueError(f"solver={name!r}: allowed values are 'auto', 'Kvaerno5', 'Kvaerno3', 'Tsit5'")


def _make_adjoint(name: str, max_steps: int = 4096):
    """The diffrax adjoint. ``"recursive"`` keeps one checkpoint per allowed step: nothing is
    recomputed on the backward pass (diffrax's default, ~log2(max_steps) checkpoints, recomputes
    O(n log n) steps); measured 25 % faster reverse gradients at the built-in point
    (``benchmarks/gradients.py``), for memory ~ max_steps x the solver carry (~30 MB per point at
    the defaults, n_save = 200; ~1 MB with n_save = 2, as fits use)."""
    if name == "recursive":
        return diffrax.RecursiveCheckpointAdjoint(checkpoints=max_steps)
    if name == "forward":
        return diffrax.ForwardMode()
    if name == "direct":
        return diffrax.DirectAdjoint()
    raise ValueError(f"adjoint={name!r}: allowed values are 'recursive', 'forward', 'direct'")


def check_settings_names(options) -> None:
    """``ValueError`` naming an unknown keyword setting and listing the allowed ones (a typo such
    as ``rtoll`` would otherwise be a bare ``TypeError``)."""
    allowed = [p for p in inspect.signature(SolveSettings.create).parameters if p != "cls"]
    for key in options:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown setting {key!r}{hint}; allowed: {', '.join(allowed)}")


class SolveSettings(eqx.Module):
    """Numerical settings of a solve (see :func:`solve` for their meaning).

    Tolerances and controller coefficients are traced arrays (changing them does not recompile);
    the solver, adjoint, step budget and grid size are static. Build it with
    :meth:`SolveSettings.create`, which validates every value; pass it to :func:`solve_unjitted`
    inside your own ``jit``/``vmap`` (scans, fits). ``late_universe`` is True by default
    everywhere (solve, scans, fits: today's observables); ``late_universe=False`` is the
    production-only opt-out.
    """

    rtol: Float[ArrayLike, ""]
    atol: Float[ArrayLike, ""]
    T_end_ratio: Float[ArrayLike, ""]
    pcoeff: Float[ArrayLike, ""]
    icoeff: Float[ArrayLike, ""]
    fixed_xi: Float[ArrayLike, ""] | None
    solver: str = eqx.field(static=True)
    adjoint: str = eqx.field(static=True)
    max_steps: int = eqx.field(static=True)
    n_save: int = eqx.field(static=True)
    late_universe: bool = eqx.field(static=True, default=True)
    eft_tolerance: Float[ArrayLike, ""] = eqx.field(
        default_factory=lambda: jnp.asarray(EFT_TOLERANCE)
    )
    regime: str = eqx.field(static=True, default="auto")
    eft_observables: str = eqx.field(static=True, default=",".join(EFT_ERROR_OBSERVABLES))

    @classmethod
    @no_type_check  # validates every setting itself (ValueError naming it and the allowed values)
    def create(
        cls,
        *,
        rtol: float = 1e-8,
        atol: float = 1e-12,
        T_end_ratio: float = 1e-8,
        solver: SolverName = "auto",
        adjoint: AdjointName = "recursive",
        max_steps: int = 4096,
        n_save: int = 200,
        fixed_xi: float | None = None,
        pcoeff: float = 0.3,
        icoeff: float = 0.4,
        late_universe: bool = True,
        regime: str = "auto",  # RegimeName; a bad value is a ValueError below
        eft_tolerance: float = EFT_TOLERANCE,
        eft_observables: str | tuple[str, ...] = EFT_ERROR_OBSERVABLES,
    ) -> "SolveSettings":
        """Validated settings; ``ValueError`` naming the setting and its allowed range."""
        for name, value, lo, hi in (
            ("rtol", rtol, 1e-14, 1e-2),
            ("atol", atol, 1e-30, 1e-2),
            ("T_end_ratio", T_end_ratio, 1e-14, 0.5),
            ("pcoeff", pcoeff, 0.0, 1.0),
            ("icoeff", icoeff, 0.0, 2.0),
            ("eft_tolerance", eft_tolerance, 1e-12, 10.0),
        ):
            if isinstance(value, jax.Array):
                continue
            if not (lo <= value <= hi):
                raise ValueError(f"{name}={value!r}: allowed range is [{lo:g}, {hi:g}]")
        if not (isinstance(max_steps, int) and max_steps > 0):
            raise ValueError(f"max_steps={max_steps!r}: must be a positive integer")
        if not isinstance(late_universe, bool):
            raise ValueError(f"late_universe={late_universe!r}: must be True or False")
        if not (isinstance(n_save, int) and n_save >= 2):
            raise ValueError(f"n_save={n_save!r}: must be an integer >= 2")
        if fixed_xi is not None and not (isinstance(fixed_xi, jax.Array) or 0.0 <= fixed_xi <= 1.0):
            raise ValueError(f"fixed_xi={fixed_xi!r}: allowed range is [0, 1]")
        _make_solver(solver), _make_adjoint(adjoint)
        if regime not in REGIMES:
            raise ValueError(
                f"regime={regime!r}: allowed values are {', '.join(map(repr, REGIMES))}"
            )
        eft_observables = _observable_list(eft_observables)

        def f64(x):
            return jnp.asarray(x, dtype=jnp.float64)

        return cls(
            rtol=f64(rtol),
            atol=f64(atol),
            T_end_ratio=f64(T_end_ratio),
            pcoeff=f64(pcoeff),
            icoeff=f64(icoeff),
            fixed_xi=None if fixed_xi is None else f64(fixed_xi),
            solver=solver,
            adjoint=adjoint,
            max_steps=max_steps,
            n_save=n_save,
            late_universe=late_universe,
            eft_tolerance=f64(eft_tolerance),
            regime=regime,
            eft_observables=",".join(eft_observables),
        )


def _observable_list(value) -> tuple[str, ...]:
    """``eft_observables`` as a tuple of names: a sequence, or one string with comma-separated names."""
    names = tuple(n.strip() for n in value.split(",")) if isinstance(value, str) else tuple(value)
    allowed = ", ".join(EFT_ERROR_OBSERVABLES)
    if not names or any(n not in EFT_ERROR_OBSERVABLES for n in names):
        raise ValueError(f"eft_observables={value!r}: a non-empty selection of {allowed}")
    return names
