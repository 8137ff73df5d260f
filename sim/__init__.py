"""crisis-sim: a discrete-event simulator for tabletop crisis escalation exercises.

The public API is small::

    from sim import load_scenario, run
    scenario = load_scenario("scenarios/nato-response-2022.yaml", overrides=["forces.vjtf.notice_to_move_h=96"])
    result = run(scenario, seed=1)          # a Result: trace, metrics, objectives
"""
from .engine.decisions import Choice, DefaultPolicy, Scripted, WeightedRandom
from .engine.run import run
from .engine.trace import Outcome, Record, Result
from .scenario.errors import Problem, ScenarioError
from .scenario.load import load_scenario
from .scenario.model import Scenario

__version__ = "0.1.0"
__all__ = [
           "Choice",
           "DefaultPolicy",
           "Outcome",
           "Problem",
           "Record",
           "Result",
           "Scenario",
           "ScenarioError",
           "Scripted",
           "WeightedRandom",
           "__version__",
           "load_scenario",
           "run",
]
