"""Batch workers tune their garbage collector once; the main process keeps its own settings."""
import gc
import multiprocessing

from sim.batch import replicate


def _in_worker(_: int) -> tuple[tuple[int, int, int], int]:
    replicate.tune_worker_gc()
    replicate.tune_worker_gc()  # once is enough: a second call changes nothing
    return gc.get_threshold(), gc.get_freeze_count()


def test_workers_freeze_and_raise_the_threshold_main_process_untouched():
    before = gc.get_threshold(), gc.get_freeze_count()
    replicate.tune_worker_gc()
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
    with multiprocessing.get_context("fork").Pool(1) as pool:
        threshold, frozen = pool.map(_in_worker, [0])[0]
    assert threshold == replicate.WORKER_GC_THRESHOLD and frozen > 1000
