r"""Plots of a solve: the evolution of :math:`\xi` and the yields against :math:`x=M_1/T`, production
and (when it was run) the late-universe stage.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot, no global state);
saving a PNG goes through matplotlib's Agg canvas, so no display is needed.
"""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import ticker

from jaxcogen import constants

#: :math:`|\Delta Y_L|` that gives the observed :math:`\Delta Y_B` (:math:`\Delta Y_B=-c_s\Delta Y_L`).
DeltaY_L_for_observed_baryons: float = constants.DeltaY_B_observed / constants.c_sphaleron


def _positive(values: np.ndarray) -> np.ndarray:
    """``values`` with non-finite and non-positive entries masked (NaN) for a log axis."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def _plot_signed(ax, x: np.ndarray, y: np.ndarray, label: str, color: str) -> None:
    """|y| on a log axis: solid where y > 0, dashed where y < 0."""
    ax.plot(x, _positive(y), "-", color=color, label=label)
    ax.plot(x, _positive(-np.asarray(y, dtype=float)), "--", color=color)


def _latex_number(x: float) -> str:
    r"""``5e10`` → ``$5\times10^{10}$`` (mathtext)."""
    if not (np.isfinite(x) and x != 0):
        return f"{x:g}"
    exponent = int(np.floor(np.log10(abs(x))))
    mantissa = float(f"{x / 10.0**exponent:.3g}")
    if abs(exponent) < 3:
        return f"{x:.3g}"
    if mantissa == 1.0:
        return rf"$10^{{{exponent}}}$"
    return rf"${mantissa:g}\times10^{{{exponent}}}$"


def _temperature_axis(ax, M1: float) -> None:
    """A secondary top axis with the SM temperature :math:`T=M_1/x` [GeV]."""

    def convert(v):
        with np.errstate(divide="ignore", invalid="ignore"):
            return M1 / np.asarray(v, dtype=float)

    top = ax.secondary_xaxis("top", functions=(convert, convert))
    top.set_xlabel(r"$T$ [GeV]")


def _readable_log_ticks(axis, values: np.ndarray) -> None:
    """Plain-number ticks (0.2, 0.3, ...) on a log axis that spans less than a decade."""
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size and finite.max() / finite.min() < 10:
        narrow = finite.max() / finite.min() < 3
        subs = (
            (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0) if narrow else (1.0, 2.0, 3.0, 5.0)
        )
        axis.set_major_locator(ticker.LogLocator(subs=subs))
        axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(ticker.NullFormatter())


def _resolve_axes(ax):
    """(ξ axes, yield axes, figure, created) from ``ax``: None, two Axes, or one Axes (ξ on a twin)."""
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if ax is None:
        figure = Figure(figsize=(11.0, 4.6), layout="constrained")
        ax_xi, ax_yield = figure.subplots(1, 2)
        return ax_xi, ax_yield, figure, True
    if isinstance(ax, Axes):
        return ax.twinx(), ax, ax.get_figure(), False
    if isinstance(ax, Sequence) and len(ax) == 2 and all(isinstance(a, Axes) for a in ax):
        return ax[0], ax[1], ax[0].get_figure(), False
    raise TypeError("ax: expected None, one matplotlib Axes, or a pair (xi axes, yield axes)")


#: Legend entry of the band between the end of production and the start of the late stage.
HANDOVER_LABEL = "hand-over: production ends, late stage starts (yields carried over)"


def _plot_late_stage(ax_xi, ax_yield, late, M1: float, x_production_end: float) -> float:
    r"""Continue both panels with the late-universe stage (:class:`~jaxcogen.late_universe._dark_freezeout.LateUniverse`).

    ξ continues as the same black line; the χ family (:math:`Y_\chi+Y_{\bar\chi}+Y_\phi+Y_{\phi^*}`,
    twice :math:`\Sigma Y_\chi` at the hand-over since φ carries as many as χ), its minority
    component and their equilibrium value are drawn against :math:`x=M_1/T`; a grey band, in the
    yield legend as :data:`HANDOVER_LABEL`, marks the hand-over from the end of production
    (``x_production_end``) to the start of the late stage (separate entropy conservation in
    between, nothing integrated). Returns the last :math:`x`.
    """
    evolution = late.evolution
    T_late = np.asarray(evolution.T, dtype=float)
    if T_late.ndim != 1:
        raise ValueError(f"plot_evolution needs a single solution, got T of shape {T_late.shape}")
    x_late = _positive(M1 / T_late)
    ax_xi.plot(x_late, _positive(evolution.xi), "-", color="k")
    majority = np.asarray(evolution.Y_majority, dtype=float)
    minority = np.asarray(evolution.Y_minority, dtype=float)
    ax_yield.plot(
        x_late, _positive(majority + minority), "-", color="C4",
        label=r"late: $\chi$ family $Y_\chi+Y_{\bar\chi}+Y_\phi+Y_{\phi^*}$",
    )  # fmt: skip
    ax_yield.plot(x_late, _positive(minority), "-.", color="C4", label="late: minority component")
    ax_yield.plot(
        x_late, _positive(majority - minority), "-", color="C2", alpha=0.6,
        label=r"late: asymmetry $|\Delta Y_\chi+\Delta Y_\phi|$",
    )  # fmt: skip
    ax_yield.plot(
        x_late, _positive(evolution.Y_eq), ":", color="C4", linewidth=1.0,
        label="late: equilibrium yield",
    )  # fmt: skip
    x_start = float(x_late[0])
    for axes in (ax_xi, ax_yield):
        axes.axvline(x_start, color="0.6", linewidth=0.8)
        if np.isfinite(x_production_end) and x_production_end < x_start:
            axes.axvspan(
                x_production_end, x_start, color="0.88", zorder=0,
                label=HANDOVER_LABEL if axes is ax_yield else None,
            )  # fmt: skip
    # the minority yield falls by hundreds of decades: keep the axis on the relic's scale
    relic = _positive(np.abs(majority - minority))
    if np.isfinite(relic).any():
        top = np.nanmax(_positive(majority + minority))
        ax_yield.set_ylim(bottom=1e-6 * np.nanmin(relic), top=10.0 * top)
    ax_yield.text(
        float(x_late[0]), 0.98, "  dark freeze-out", transform=ax_yield.get_xaxis_transform(),
        va="top", ha="left", fontsize="small", color="0.4",
    )  # fmt: skip
    return float(np.nanmax(x_late))


def plot_evolution(solution, path: str | Path | None = None, ax=None, *, title: str | None = None):
    r"""Plot :math:`\xi` and the yields :math:`\Sigma Y_\chi`, :math:`|\Delta Y_L|`, :math:`|\Delta Y_\chi|` against :math:`x=M_1/T`.

    Args:
        solution: a single (un-batched) :class:`~jaxcogen.Solution`.
        path: if given, the figure is saved there (format from the suffix, e.g. ``.png``).
        ax: ``None`` (a new two-panel figure), a pair of Axes (ξ panel, yield panel), or one
            Axes (yields on it, ξ on a twin right axis).
        title: figure title (default: :math:`M_1`, :math:`T_{\rm RH}` and the solve status).

    Returns:
        The :class:`matplotlib.figure.Figure`. Both panels are log–log; asymmetries are drawn
        as absolute values, dashed where negative; the grey dotted line is the
        :math:`|\Delta Y_L|` the observed :math:`\Delta Y_B` needs. If the solution carries the
        late-universe stage (``solve(..., late_universe=True)``, the CLI's default), both panels
        continue through the dark freeze-out to today (:func:`_plot_late_stage`).
    """
    evolution = solution.evolution
    x = np.asarray(evolution.x, dtype=float)
    T = np.asarray(evolution.T, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"plot_evolution needs a single solution, got x of shape {x.shape}")
    M1, T_RH = float(x[0] * T[0]), float(T[0])
    ax_xi, ax_yield, figure, created = _resolve_axes(ax)
    x_plot = _positive(x)

    ax_xi.plot(x_plot, _positive(evolution.xi), "-", color="k", label=r"$\xi=T_\chi/T$")
    ax_xi.set_xscale("log")
    ax_xi.set_yscale("log")
    ax_xi.set_ylabel(r"$\xi = T_\chi/T$ (dark-sector temperature ratio)")
    _readable_log_ticks(ax_xi.yaxis, np.asarray(evolution.xi, dtype=float))

    _plot_signed(
        ax_yield, x_plot, evolution.SigmaY_chi, r"$\Sigma Y_\chi=Y_\chi+Y_{\bar\chi}$", "C0"
    )
    _plot_signed(ax_yield, x_plot, evolution.DeltaY_L, r"$|\Delta Y_L|$", "C1")
    _plot_signed(ax_yield, x_plot, evolution.DeltaY_chi, r"$|\Delta Y_\chi|$", "C2")
    ax_yield.axhline(
        DeltaY_L_for_observed_baryons,
        color="0.5",
        linestyle=":",
        label=r"$|\Delta Y_L|$ for the observed $\Delta Y_B$",
    )
    late = getattr(solution, "late_universe", None)
    x_last = x[-1]
    if late is not None:
        x_last = _plot_late_stage(ax_xi, ax_yield, late, M1, float(x[-1]))
    ax_yield.plot([], [], "--", color="0.3", label="dashed: negative")
    ax_yield.set_xscale("log")
    ax_yield.set_yscale("log")
    ax_yield.set_ylabel(r"yield $Y=n/s$")

    single = ax is not None and not isinstance(ax, Sequence)
    panels = [(ax_yield, "yields")]
    if not single:  # otherwise xi sits on a twin axis of the yield panel
        panels.insert(0, (ax_xi, "dark-sector temperature"))
    for axes, panel_title in panels:
        axes.set_xlabel(r"$x = M_1/T$")
        if np.isfinite(x[[0, -1]]).all() and x[0] > 0:
            axes.set_xlim(x[0], x_last)  # the whole integration range, even after a failure
        axes.set_title(panel_title)
        _temperature_axis(axes, M1)
    if single:  # xi on a twin of the yield axes, whose legend is already below them
        ax_xi.legend(loc="best", fontsize="small")
    else:  # below the panel, as the yield legend: inside, it covered the falling xi curve
        ax_xi.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.15), fontsize="small", frameon=False
        )
    ax_yield.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=2, fontsize="small", frameon=False
    )
    if created:
        status = solution.status_name
        figure.suptitle(
            title
            or f"Freeze-in cogenesis: $M_1$ = {_latex_number(M1)} GeV, "
            rf"$T_{{\rm RH}}$ = {_latex_number(T_RH)} GeV"
            + ("" if status == "success" else f"  [solve status: {status}]")
        )
    elif title:
        ax_yield.set_title(title)
    if path is not None:
        figure.savefig(path, dpi=150)
    return figure
