"""Model adapters: anything with ``predict(samples) -> list[str]`` is a model."""
