"""Field-staff routing (issue 6): place shop jobs on staff-days; pure Python, no Django.

problem = Problem(locations, jobs, staff_days, travel=HaversineTravel())
solution = solve(problem, time_limit_s=5, seed=0, objective="duration")
assert check(problem, solution) == []          # every route re-verified against the matrices

Times are integers in the caller's unit (seconds from the day's origin for the city); distances
are integers (metres). See ``model`` for the schedule convention and ``solver`` for how skills,
days, breaks, several windows and stop limits are encoded for PyVRP.
"""

from engines.routing.checker import Violation, check
from engines.routing.model import (
    Break,
    BreakVisit,
    Job,
    Problem,
    Route,
    Solution,
    StaffDay,
    TimeWindow,
    Unassigned,
    Visit,
)
from engines.routing.solver import solve
from engines.routing.travel import HaversineTravel, MatrixTravel, TravelProvider

__all__ = [
    "Break",
    "BreakVisit",
    "HaversineTravel",
    "Job",
    "MatrixTravel",
    "Problem",
    "Route",
    "Solution",
    "StaffDay",
    "TimeWindow",
    "TravelProvider",
    "Unassigned",
    "Violation",
    "Visit",
    "check",
    "solve",
]
