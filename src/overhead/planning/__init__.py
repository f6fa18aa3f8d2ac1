"""Observation planning: which requests to image on which pass; benchmark readers and solvers."""
