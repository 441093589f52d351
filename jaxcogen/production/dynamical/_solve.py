r"""Solve one parameter point with dynamical heavy neutrinos (valid for any :math:`M_i/T_{\rm RH}`).

:func:`solve_dynamical` integrates :class:`~jaxcogen.production.dynamical._system.DynamicalSystem` from
:math:`T_{\rm RH}` to :math:`T_{\rm end}=\max(T_{\rm RH}\times` ``T_end_ratio``:math:`,T_*)` exactly like
:func:`jaxcogen.solve` (same settings, same :class:`~jaxcogen.Solution`, baryons read off
at sphaleron freeze-out) and :func:`solve_dynamical_detailed` also returns the heavy-neutrino
evolution. ``late_universe=True`` (the default, as for :func:`jaxcogen.solve`) then runs the same
late-universe stage (:mod:`jaxcogen.late_universe._dark_freezeout`) from the production yields.

**Stiffness.** ``solver="auto"`` means the L-stable Kvaerno5 here: inverse decays relax
:math:`Y_N` at :math:`\Gamma/H\sim10^{2\ldots5}` per e-fold for Yukawas of order 0.01–1. Its
stage equations are solved by full Newton iterations (:func:`jaxcogen.production.implicit_solver` with
``newton=True``, tolerance :data:`ROOT_TOLERANCE_FACTOR` x the controller's), not by the chord
iteration of the EFT mode: the dark-bath inverse decays enter as :math:`e^{-M/\xi T}` with
:math:`\xi=u^{1/4}`, so the Jacobian changes within one step and a frozen-Jacobian iteration
fails to converge on half the steps. Measured at the built-in couplings (``docs/dynamical.md``
§5): at :math:`M_1/T_{\rm RH}=5` chord 21 868 steps (6 029 rejected), Newton 1 282 (23), 20x
faster; at :math:`M_1/T_{\rm RH}=1\ldots3` 31 664–37 355 against ~1 450; at 20, 695 against 262.

**Validity rule.** The EFT hierarchy :math:`M_i>hT_{\rm RH}` of :class:`~jaxcogen.CogenesisModel` is not
needed here; the point is valid when its inputs are finite and positive, :math:`T_{\rm RH}\ge`
:data:`~jaxcogen.model.T_RH_MIN` and the dark states are light at reheating
(:math:`m_\chi,m_\phi<T_{\rm RH}`). A model built with :math:`M_i<5T_{\rm RH}` must bypass the
constructor's EFT check (e.g. ``eqx.tree_at`` on ``T_RH``) until ``CogenesisModel`` grows a
dynamical mode (``docs/dynamical.md`` §7).

**Where the heavy neutrinos end up.** If :math:`N_i` has not decayed by :math:`T_{\rm end}` (tiny
couplings), its remaining yield is reported in :class:`NeutrinoEvolution` and its late decays are
*not* added to the observables.
"""

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxcogen import constants
from jaxcogen._status import STATUS_INVALID_INPUT
from jaxcogen.model._cogenesis import T_RH_MIN, CogenesisModel
from jaxcogen.production._settings import REGIME_DYNAMICAL, SolveSettings, implicit_solver
from jaxcogen.production._solution import Solution, production_solution
from jaxcogen.production._solve import (
    _runtime_errors_as_nan,
    evolution_saveat,
    with_late_universe,
)
from jaxcogen.production.dynamical._system import DynamicalSystem

#: Newton tolerance of the implicit stages, in units of the controller's (module docstring).
ROOT_TOLERANCE_FACTOR = 1.0e3


class NeutrinoEvolution(eqx.Module):
    r"""Heavy-neutrino yields on the solution grid.

    Attributes:
        T: SM temperature [GeV]; Y_N1, Y_N2: :math:`Y_{N_i}`; Y_N1_eq, Y_N2_eq: :math:`Y^{\rm eq}_{N_i}(T)`.
        epsilon_1_L, epsilon_1_chi, epsilon_2_L, epsilon_2_chi: the decay CP asymmetries used.
    """

    T: Float[Array, " n"]
    Y_N1: Float[Array, " n"]
    Y_N2: Float[Array, " n"]
    Y_N1_eq: Float[Array, " n"]
    Y_N2_eq: Float[Array, " n"]
    epsilon_1_L: Float[ArrayLike, ""]
    epsilon_1_chi: Float[ArrayLike, ""]
    epsilon_2_L: Float[ArrayLike, ""]
    epsilon_2_chi: Float[ArrayLike, ""]


class DynamicalSolution(eqx.Module):
    """:class:`~jaxcogen.Solution` (same observables) plus the :class:`NeutrinoEvolution`."""

    solution: Solution
    neutrinos: NeutrinoEvolution


def is_valid_dynamical(model: CogenesisModel) -> Bool[ArrayLike, ""]:
    """Validity rule of the dynamical mode (module docstring); jittable."""
    reals = jnp.stack([model.M1, model.M2, model.m_chi, model.m_phi, model.kappa, model.T_RH])
    cplx = jnp.stack([model.y1, model.y2, model.lambda1, model.lambda2])
    ok = jnp.all(jnp.isfinite(reals)) & jnp.all(jnp.isfinite(cplx))
    ok &= (model.M1 > 0) & (model.M2 > 0) & (model.m_chi > 0) & (model.m_phi > 0)
    ok &= (model.kappa >= 0) & (model.T_RH >= T_RH_MIN)
    ok &= (model.m_chi < model.T_RH) & (model.m_phi < model.T_RH)
    return ok


def _solver(name: str, rtol, atol):
    """Kvaerno5/3 with full-Newton stages (module docstring, "Stiffness"), or Tsit5."""
    if name in ("auto", "Kvaerno5"):
        return implicit_solver("Kvaerno5", rtol, atol, ROOT_TOLERANCE_FACTOR, newton=True)
    if name == "Kvaerno3":
        return implicit_solver("Kvaerno3", rtol, atol, ROOT_TOLERANCE_FACTOR, newton=True)
    if name == "Tsit5":
        return diffrax.Tsit5()
    raise ValueError(f"solver={name!r}")


def _adjoint(name: str):
    return {
        "recursive": diffrax.RecursiveCheckpointAdjoint,
        "forward": diffrax.ForwardMode,
        "direct": diffrax.DirectAdjoint,
    }[name]()


def solve_dynamical_unjitted(
    model: CogenesisModel,
    settings: SolveSettings,
    regulate: bool = True,
    dark_occupancy: bool = True,
) -> DynamicalSolution:
    """Traceable body of :func:`solve_dynamical_detailed` (for an outer ``jit``/``vmap``/``grad``).

    Traced with equinox's runtime errors as NaN (as the EFT solve): diffrax's checks of the save
    times would otherwise be host callbacks, which keep the compiled solve out of JAX's cache;
    failures are reported by ``status``."""
    with _runtime_errors_as_nan():
        return _solve_dynamical_body(model, settings, regulate, dark_occupancy)


def _solve_dynamical_body(
    model: CogenesisModel, settings: SolveSettings, regulate: bool, dark_occupancy: bool
) -> DynamicalSolution:
    rtol, atol = settings.rtol, settings.atol
    system = DynamicalSystem(
        model, settings.fixed_xi, regulate=regulate, dark_occupancy=dark_occupancy
    )
    tau_sph = jnp.log(model.T_RH / constants.T_sph)
    tau_end = jnp.minimum(-jnp.log(settings.T_end_ratio), tau_sph)
    grid, saveat = evolution_saveat(tau_end, settings.n_save)
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(system.vector_field),
        _solver(settings.solver, rtol, atol),
        t0=0.0,
        t1=tau_end,
        dt0=None,
        y0=system.initial_state(),
        saveat=saveat,
        stepsize_controller=diffrax.PIDController(
            rtol=rtol, atol=atol, pcoeff=settings.pcoeff, icoeff=settings.icoeff
        ),
        adjoint=_adjoint(settings.adjoint),
        max_steps=settings.max_steps,
        throw=False,
    )
    path = system.physical(sol.ys, grid)
    at_sph = system.physical(sol.ys[-1], tau_end)  # the baryon asymmetry: evolution_saveat
    status = jnp.where(is_valid_dynamical(model), sol.result._value, STATUS_INVALID_INPUT)
    T = system.temperature(grid)
    solution = production_solution(
        model,
        path,
        at_sph,
        T,
        tau_end,
        status.astype(jnp.int32),
        sol.stats["num_steps"],
        sol.stats["num_rejected_steps"],
        regime_used=REGIME_DYNAMICAL,
    )
    if settings.late_universe:
        solution = with_late_universe(solution, model, adjoint=settings.adjoint)
    Y_eq = jax.vmap(system.equilibrium_yield)(T)
    neutrinos = NeutrinoEvolution(
        T=T,
        Y_N1=path["Y_N1"],
        Y_N2=path["Y_N2"],
        Y_N1_eq=Y_eq[:, 0],
        Y_N2_eq=Y_eq[:, 1],
        epsilon_1_L=system.epsilon_L[0],
        epsilon_1_chi=system.epsilon_chi[0],
        epsilon_2_L=system.epsilon_L[1],
        epsilon_2_chi=system.epsilon_chi[1],
    )
    return DynamicalSolution(solution=solution, neutrinos=neutrinos)


@eqx.filter_jit
def _solve_jit(model, settings, regulate, dark_occupancy):
    return solve_dynamical_unjitted(model, settings, regulate, dark_occupancy)


def solve_dynamical_detailed(
    model: CogenesisModel,
    regulate: bool = True,
    *,
    late_universe: bool = True,
    dark_occupancy: bool = True,
    **settings,
):
    r""":class:`DynamicalSolution` of ``model``; keyword settings as :func:`jaxcogen.solve`.

    ``regulate`` (static) switches the degeneracy regulator of the CP asymmetries
    (:mod:`jaxcogen.production.dynamical._asymmetries`); ``dark_occupancy`` (static) the actual
    :math:`\chi\phi` occupancy in the dark inverse decays (:mod:`jaxcogen.production.dynamical._system`).
    """
    return _solve_jit(
        model,
        SolveSettings.create(late_universe=late_universe, **settings),
        regulate,
        dark_occupancy,
    )


def solve_dynamical(
    model: CogenesisModel,
    *,
    late_universe: bool = True,
    dark_occupancy: bool = True,
    **settings,
) -> Solution:
    r"""The :class:`~jaxcogen.Solution` of ``model`` with dynamical heavy neutrinos.

    Same observables and settings as :func:`jaxcogen.solve`, including the late-universe
    stage (default on, as there; ``late_universe=False`` stops after production). Heavy
    neutrinos that have not decayed by the end of production (tiny couplings) are reported by
    :func:`solve_dynamical_detailed` and not carried into the late stage. ``dark_occupancy``
    (static, default on): dark inverse decays with the actual :math:`\chi\phi` occupancy rather than
    a dark bath in chemical equilibrium at :math:`\xi T` (:mod:`jaxcogen.production.dynamical._system`). Jittable through
    :func:`solve_dynamical_unjitted`, differentiable in every model field.
    """
    return solve_dynamical_detailed(
        model, late_universe=late_universe, dark_occupancy=dark_occupancy, **settings
    ).solution
