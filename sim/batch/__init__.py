"""Monte Carlo batches: seeds, sweeps, streaming statistics, parallel backends, the results store.

    from sim.batch import BatchRequest, execute_batch
    summary = execute_batch(BatchRequest("scenarios/nato-response-2022.yaml", reps=500, seed=1, workers=2,
                                         vary=["forces.vjtf.notice_to_move_h=48,72,96"], db="reports/results.db"))
    summary.to_dict()["points"][0]["objectives"]["vjtf_in_place"]["p"]
"""
from .request import BatchObserver, BatchRequest, Callbacks, Quiet, ResumeInfo
from .runner import BatchError, BatchSummary, Interrupted, execute_batch, plan_batch, run_batch
from .seeds import replication_seed, replication_seeds
from .stats import PointStats, QuantileSketch, wilson_interval
from .store import Store, StoreError
from .sweep import expand_grid, parse_vary

__all__ = [
           "BatchError",
           "BatchObserver",
           "BatchRequest",
           "BatchSummary",
           "Callbacks",
           "Interrupted",
           "PointStats",
           "QuantileSketch",
           "Quiet",
           "ResumeInfo",
           "Store",
           "StoreError",
           "execute_batch",
           "expand_grid",
           "parse_vary",
           "plan_batch",
           "replication_seed",
           "replication_seeds",
           "run_batch",
           "wilson_interval",
]
