"""``mmbench serve``: any mmbench model behind an OpenAI-compatible HTTP API.

:mod:`mmbench.serve.batcher` gathers concurrent requests into batches for the model;
:mod:`mmbench.serve.app` is the Starlette application (``/v1/chat/completions``,
``/v1/models``, ``/health``). Needs the ``serve`` extra (``pip install "mmbench[serve]"``).
"""
