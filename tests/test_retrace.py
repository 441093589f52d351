"""A new parameter point must not recompile the solver (all physics numbers are traced arrays)."""

import importlib

import jaxcogen

from .conftest import make_model


def test_second_solve_with_new_values_does_not_retrace(monkeypatch):
    # the module, not the function
    solve_module = importlib.import_module("jaxcogen.production._solve")
    traces = []
    original = solve_module.solve_unjitted

    def counting(*args, **kwargs):
        traces.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(solve_module, "solve_unjitted", counting)
    # n_save=17 is used nowhere else, so the first call here is a fresh trace
    first = jaxcogen.solve(make_model(), n_save=17, late_universe=False)
    second = jaxcogen.solve(
        make_model(T_RH=3e10, y1=0.07, lambda2=0.2j, m_chi=5.0), n_save=17, late_universe=False
    )
    assert len(traces) == 1
    assert float(first.SigmaY_chi) != float(second.SigmaY_chi)
    # a different convention is a different program, and is traced once more
    other = jaxcogen.Conventions(spectators="sm_equilibrium")
    jaxcogen.solve(make_model(conventions=other), n_save=17, late_universe=False)
    assert len(traces) == 2
