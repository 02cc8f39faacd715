"""Experiments above the model zoo: train reference models and compare fusion methods.

They run tasks, write results and pick weights, so they live above :mod:`mmbench.models`
(plain torch) and below the CLI.
"""
