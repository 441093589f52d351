"""Built-in parameter points (``jaxcogen solve`` with no card runs ``DEFAULT``).

All masses in GeV. Each point satisfies the talk's hierarchy with a margin
(:math:`M_1/T_{\\rm RH}=20`, where the EFT is trustworthy, notes §3.6) and a light-neutrino
mass :math:`m_\\nu=|w|v^2` below 0.1 eV.
"""

import math

#: The default point: M_1 = 1e12 GeV, T_RH = 5e10 GeV, |lambda_2| tuned (bisection, default
#: solver settings) so that Delta Y_B = +8.7e-11, the observed baryon asymmetry. Its
#: m_chi is then set so that the relic today (late-universe stage: the dark sink removes the
#: symmetric part, phi -> chi eta-bar doubles the asymmetry) gives Omega_chi h^2 = 0.120; the
#: production stage does not depend on m_chi (massless rates), so both targets hold at once.
DEFAULT: dict[str, float | complex] = {
    "M1": 1.0e12,
    "M2": 3.0e12,
    "y1": 0.04,
    "y2": 0.05 * complex(math.cos(2.0), math.sin(2.0)),
    "lambda1": 0.3,
    "lambda2": 0.3992607209258579 * complex(math.cos(-2.0), math.sin(-2.0)),
    "m_chi": 0.08735371914279953,
    "m_phi": 2.0,
    "kappa": 1.0,
    "T_RH": 5.0e10,
}

POINTS: dict[str, dict[str, float | complex]] = {"default": DEFAULT}
