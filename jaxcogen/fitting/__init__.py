r"""Fits of couplings to target observables by gradient descent through the whole solve
(optax L-BFGS or Adam, vmapped multi-start)."""

from jaxcogen.fitting._fit import DEFAULT_FREE, DEFAULT_TARGETS, FitResult, fit

__all__ = ["DEFAULT_FREE", "DEFAULT_TARGETS", "FitResult", "fit"]
