"""Metrics: per-sample sufficient statistics, then a corpus score (see ``metrics.base``)."""

from mmbench.metrics.base import Metric, MetricResult, get_metric

__all__ = ["Metric", "MetricResult", "get_metric"]
