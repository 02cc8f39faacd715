"""Reference fusion models: encoders, fusion modules, heads, assembly, training.

Everything but the fusion module is shared, so a comparison between reference models isolates
the fusion method. Importing this package imports torch.
"""
