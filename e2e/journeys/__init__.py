"""The three journeys of issue 7, driven through the running stack over HTTP with real
Keycloak tokens, each recording a readable timeline and returning the facts its test asserts:

1. `land_return` — a manifest of 30 people from Mexico to Guatemala, end to end;
2. `child_case` — a Honduran child in Mexico, from identification to follow-up at home, and a
   second child with a protection need that Honduras never sees;
3. `reserve_fund_return` — a Reserve Fund application from filing to a completed return.

`python -m e2e.journeys` (`make demo`) runs all three against a running stack (`make up`) and
prints the timelines.
"""

from e2e.journeys.child_case import ChildCase, child_case
from e2e.journeys.land_return import LandReturn, land_return
from e2e.journeys.reserve_fund import ReserveFundReturn, reserve_fund_return
from e2e.journeys.timeline import Actor, Timeline

__all__ = [
    "Actor",
    "ChildCase",
    "LandReturn",
    "ReserveFundReturn",
    "Timeline",
    "child_case",
    "land_return",
    "reserve_fund_return",
]
