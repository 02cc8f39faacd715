"""Readers for official dataset formats; each registers in ``READERS`` and yields Samples."""
