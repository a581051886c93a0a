"""Capacity planning: locust load runs split by phase, thresholds, the capacity finder, scaling triggers,
forecasting and the capacity plan."""
