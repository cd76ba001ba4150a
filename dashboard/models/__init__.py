"""Models computed from published figures: ``planner`` (the team-size planner, Erlang B).
"""
