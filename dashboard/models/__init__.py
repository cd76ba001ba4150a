"""Models computed from published figures: ``planner`` (the team-size planner, Erlang B: the
estimate), built from ``erlang`` (the formulas), ``plans`` (a team's plans and hours on
duty), ``demand`` (eligible calls by weekday-hour), ``weeks`` (calendar counts) and
``checks`` (argument checks).
"""
