"""Streaming statistics: intervals and percentiles against hand-computed values, memory bounds."""
import math

import numpy as np
import pytest

from sim.batch.stats import (
    MetricStats,
    PointStats,
    QuantileSketch,
    mean_interval,
    percentile,
    t_quantile,
    wilson_interval,
)


def test_wilson_interval_hand_computed():
    # k=5, n=10, z=1.96: centre = (0.5 + 1.9208/10)/(1 + 3.8416/10) = 0.5;
    # half = 1.96/1.38416 * sqrt(0.025 + 3.8416/400) = 1.41602 * 0.18608 = 0.263494
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.236590, abs=1e-6) and hi == pytest.approx(0.763410, abs=1e-6)
    # k=0: lower bound 0, upper z^2/(n+z^2) = 3.8416/23.8416
    lo, hi = wilson_interval(0, 20)
    assert lo == 0.0 and hi == pytest.approx(3.8416 / 23.8416, abs=1e-9)
    lo, hi = wilson_interval(20, 20)
    assert hi == 1.0 and lo == pytest.approx(20 / 23.8416, abs=1e-9)
    # k=81, n=263 (Wilson 1927 / Newcombe 1998 example 0.2553 .. 0.3662 at 95 %)
    lo, hi = wilson_interval(81, 263)
    assert lo == pytest.approx(0.2553, abs=1e-4) and hi == pytest.approx(0.3662, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


@pytest.mark.parametrize("df,table", [(1, 12.7062), (2, 4.3027), (3, 3.1824), (5, 2.5706), (10, 2.2281),
                                      (30, 2.0423), (120, 1.9799)])
def test_t_quantile_against_tables(df, table):
    assert t_quantile(0.975, df) == pytest.approx(table, rel=2e-3 if df == 3 else 3e-4)


def test_mean_interval_uses_t():
    lo, hi = mean_interval(10.0, 2.0, 5)
    half = 2.7764 * 2.0 / math.sqrt(5)  # t(0.975, 4 df)
    assert lo == pytest.approx(10 - half, abs=1e-3) and hi == pytest.approx(10 + half, abs=1e-3)
    assert mean_interval(1.0, 0.0, 1) == (None, None)


def test_percentiles_hand_computed():
    vals = [float(x) for x in range(1, 11)]  # 1..10; type 7: h = 9q
    assert percentile(vals, 5) == pytest.approx(1.45)
    assert percentile(vals, 50) == pytest.approx(5.5)
    assert percentile(vals, 95) == pytest.approx(9.55)
    s = QuantileSketch()
    s.extend(np.array([7, 3, 9, 1, 5, 10, 2, 8, 4, 6], dtype=float))
    assert s.exact and s.quantiles() == pytest.approx([1.45, 5.5, 9.55])


def test_sketch_exact_below_k_then_bounded_with_small_rank_error():
    rng = np.random.default_rng(0)
    x = rng.exponential(5.0, size=60_000)
    s = QuantileSketch(k=512)
    s.extend(x[:500])
    assert s.exact and s.quantiles([5, 50, 95]) == pytest.approx(np.percentile(x[:500], [5, 50, 95]))
    for i in range(500, len(x), 256):
        s.extend(x[i:i + 256])
    assert not s.exact and s.n == len(x)
    # memory: about k per level, levels ~ log2(n/k)
    assert s.nbytes() <= 8 * 512 * (math.ceil(math.log2(len(x) / 512)) + 2)
    # rank error bound: levels * n / k
    bound = len(s.levels) / 512
    xs = np.sort(x)
    for q, v in zip((5, 50, 95), s.quantiles((5, 50, 95)), strict=False):
        rank = np.searchsorted(xs, v) / len(xs)
        assert abs(rank - q / 100) <= bound, (q, rank)


def test_sketch_deterministic_for_the_same_feeding():
    x = np.random.default_rng(3).normal(size=9000)
    a, b = QuantileSketch(256), QuantileSketch(256)
    for i in range(0, len(x), 256):
        a.extend(x[i:i + 256])
        b.extend(x[i:i + 256])
    assert a.quantiles() == b.quantiles()


def test_metric_stats_match_numpy_and_count_none_as_never():
    rng = np.random.default_rng(7)
    x = rng.normal(50, 10, size=(1000, 3))
    x[rng.random(1000) < 0.3, 1] = np.nan       # metric 1 sometimes never happens
    x[:, 2] = np.nan                             # metric 2 never happens
    ms = MetricStats(["a", "b", "c"])
    for i in range(0, 1000, 256):
        ms.add_block(x[i:i + 256])
    out = ms.summary()
    for name, col in (("a", x[:, 0]), ("b", x[:, 1])):
        v = col[~np.isnan(col)]
        s = out[name]
        assert s["n"] == len(v) and s["never"] == 1000 - len(v)
        assert s["mean"] == pytest.approx(v.mean(), abs=1e-6)
        assert s["sd"] == pytest.approx(v.std(ddof=1), abs=1e-6)
        assert [s["p5"], s["p50"], s["p95"]] == pytest.approx(np.percentile(v, [5, 50, 95]), abs=1e-6)
        assert s["ci_low"] < s["mean"] < s["ci_high"]
    assert out["b"]["never"] > 200
    assert out["c"] == {"n": 0, "never": 1000, "mean": None, "sd": None, "p5": None, "p50": None, "p95": None,
                        "ci_low": None, "ci_high": None}


def test_point_stats_objectives_and_options():
    ps = PointStats({"o1": "first", "o2": "second"}, by_option=True, block=4)
    rows = [{"metrics": {"m": float(i), "n": None if i % 2 else 1.0}, "objectives": {"o1": i < 3, "o2": True},
             "decisions": {"d": "x" if i < 4 else "y"}} for i in range(10)]
    for r in rows:
        ps.add(r)
    s = ps.summary()
    assert s["reps"] == 10
    assert s["objectives"]["o1"]["successes"] == 3 and s["objectives"]["o1"]["p"] == 0.3
    assert s["objectives"]["o1"]["title"] == "first" and s["objectives"]["o1"]["n"] == 10
    lo, hi = wilson_interval(3, 10)
    assert s["objectives"]["o1"]["ci_low"] == round(lo, 6) and s["objectives"]["o1"]["ci_high"] == round(hi, 6)
    assert s["metrics"]["m"]["mean"] == 4.5 and s["metrics"]["n"]["never"] == 5
    assert s["by_option"]["d"]["x"]["n"] == 4 and s["by_option"]["d"]["y"]["n"] == 6
    assert s["by_option"]["d"]["x"]["objectives"]["o1"]["successes"] == 3
    assert s["by_option"]["d"]["y"]["objectives"]["o1"]["p"] == 0.0


def test_point_stats_fed_in_arrays_equal_row_by_row():
    """A chunk's replications added at once (cut across the summarised blocks, the sketch compacting
    beyond k, columns and objectives in another order) give the summary of the same rows one by one."""
    rng = np.random.default_rng(3)
    n, names, oids = 900, ["a", "b", "c"], ["o1", "o2"]
    x = rng.normal(size=(n, 3))
    x[rng.random(n) < 0.3, 1] = np.nan
    met = rng.random((n, 2)) < 0.4
    dec = [{"d": "x" if i % 3 else "y"} for i in range(n)]
    one = PointStats({"o1": "one", "o2": "two"}, by_option=True, block=64, sketch_k=128)
    for i in range(n):
        one.add_values(names, x[i].tolist(), met[i].tolist(), oids, dec[i])
    many = PointStats({"o1": "one", "o2": "two"}, by_option=True, block=64, sketch_k=128)
    cuts = [0, 1, 50, 64, 200, 333, 700, n]
    for lo, hi in zip(cuts, cuts[1:]):
        many.add_array(["c", "a", "b"], x[lo:hi][:, [2, 0, 1]], met[lo:hi][:, ::-1], ["o2", "o1"], dec[lo:hi])
    assert many.summary() == one.summary()
    assert one.summary()["metrics"]["b"]["never"] == int(np.isnan(x[:, 1]).sum()) > 0


@pytest.mark.parametrize("k,nan_share", [(16, 0.0), (64, 0.9), (2048, 0.2), (32, 0.999)])
def test_metric_stats_sketches_equal_block_by_block_feeding(k, nan_share):
    """MetricStats holds blocks and feeds each sketch many at once; its percentiles are exactly those of
    sketches fed block by block (a first level filled mid-block, metrics that rarely happen, held blocks)."""
    rng = np.random.default_rng(11)
    x = rng.exponential(3.0, size=(9000, 5))
    x[rng.random(x.shape) < nan_share] = np.nan
    x[rng.random(9000) < 0.5, 4] = np.nan
    ms = MetricStats([f"m{j}" for j in range(5)], sketch_k=k)
    ref = [QuantileSketch(k) for _ in range(5)]
    for i in range(0, len(x), 200):
        block = x[i:i + 200]
        ms.add_block(block)
        for j, sk in enumerate(ref):
            sk.extend(block[~np.isnan(block[:, j]), j])
    out = ms.summary()
    for j, sk in enumerate(ref):
        p5, p50, p95 = sk.quantiles()
        assert (out[f"m{j}"]["p5"], out[f"m{j}"]["p50"], out[f"m{j}"]["p95"]) == (
            None if p5 is None else round(p5, 6), None if p50 is None else round(p50, 6),
            None if p95 is None else round(p95, 6))
        assert out[f"m{j}"]["n"] == sk.n
    assert any(not sk.exact for sk in ref) or nan_share > 0.99   # the sketches do compact


def test_stable_sorted_is_numpys_stable_sort_bit_for_bit():
    from sim.batch.stats import stable_sorted
    rng = np.random.default_rng(5)
    for n in (1, 2, 7, 300, 2049):
        x = rng.choice([0.0, -0.0, 1.0, -1.0, 2.5], size=n) if n < 300 else rng.normal(size=n).round(1)
        x[rng.random(n) < 0.3] = -0.0
        x[rng.random(n) < 0.3] = 0.0
        got, want = stable_sorted(x), np.sort(x, kind="stable")
        assert got.tobytes() == want.tobytes()   # the signs of the zeros too
        assert np.signbit(want[want == 0]).any() == np.signbit(x[x == 0]).any()
