"""``warehouse bench``: time every stage of the warehouse and compare the linkage with a pandas baseline."""

from warehouse.bench.compare import Comparison, compare_frames
from warehouse.bench.measure import StageMeasure, run_stage
from warehouse.bench.runner import BenchConfig, run_bench

__all__ = ["BenchConfig", "Comparison", "StageMeasure", "compare_frames", "run_bench", "run_stage"]
