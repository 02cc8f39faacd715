"""Reference fusion models in plain torch: encoders, fusion modules, heads, assembly, weights.

Everything but the fusion module is shared, so a comparison between reference models isolates
the fusion method. Importing this package imports torch. Nothing here imports the runner, the
adapters, the results writer or the CLI: training and comparison live in
:mod:`mmbench.experiments`.
"""
