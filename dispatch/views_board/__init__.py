"""The dispatcher's board (/console/dispatch/): the routes of a day, optimising, publishing, moving
a job by hand, routine visits and urgent insertions.

Thin: check the permission, parse the input, call ``dispatch.selectors`` (reads) or
``dispatch.services`` (writes), render. Reading needs ``DISPATCH_VIEW``; every POST needs
``DISPATCH_PLAN`` (the services check it again). A refused action answers 422 (bad input, an
infeasible move) or 409 (the plan changed or was superseded) and changes nothing; the htmx forms
swap the answer in place (the page's htmx config swaps those two statuses). The charts read one
``json_script`` blob built here (static/js/board.js); times there are minutes from the day's
local midnight, so the browser's time zone does not matter.

    board.py    the board page, optimise, routine visits     plans.py   progress, publish, move
    urgent.py   the urgent visit page                        forms.py   the Django forms
    charts.py   routes, stops and the chart/timeline JSON    common.py  permissions, parsing, links
"""

from dispatch.views_board.board import board, optimise, routine_visits
from dispatch.views_board.common import board_url
from dispatch.views_board.plans import plan_move, plan_progress, plan_publish
from dispatch.views_board.urgent import urgent_visit

__all__ = [
    "board",
    "board_url",
    "optimise",
    "plan_move",
    "plan_progress",
    "plan_publish",
    "routine_visits",
    "urgent_visit",
]
