"""Benchmark runner: run specs -> results directory (see ``netad.bench.runner`` for the directory contract)."""

from netad.bench.runner import BenchResult, plan, run, run_jobs, summarise
from netad.bench.spec import Job

__all__ = ["BenchResult", "Job", "plan", "run", "run_jobs", "summarise"]
