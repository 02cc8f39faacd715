"""``mmbench serve``: one mmbench model behind an OpenAI-compatible API (``serve`` extra)."""

from __future__ import annotations

from pathlib import Path

import typer

from mmbench.cli._model_args import MODEL_ARG, model_args

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def serve(
    model: str = typer.Option(
        ..., "--model", "-m", help="registered name, name:arg, or pkg.mod:factory"
    ),
    model_arg: list[str] = MODEL_ARG,
    task: str = typer.Option(
        None, "--task", "-t", help="the task the model is built for (picks shipped weights)"
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind (loopback default)"),
    port: int = typer.Option(8000, "--port", "-p", min=0, help="port; 0 picks a free one"),
    data_root: Path = typer.Option(None, "--data-root", help="datasets root (for factories)"),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:1, ..."),
    batch_size: int = typer.Option(
        None, "--batch-size", "-b", min=1, help="largest batch [default: the task's, else 16]"
    ),
    batch_wait_ms: float = typer.Option(
        5.0, "--batch-wait-ms", min=0, help="how long a batch waits for requests on their way"
    ),
    max_request_mb: float = typer.Option(
        32.0, "--max-request-mb", min=0.001, help="largest request body accepted (MiB)"
    ),
    served_name: str = typer.Option(
        None, "--served-name", help="model id in the API [default: the model's name]"
    ),
    api_key_env: str = typer.Option(
        None, "--api-key-env", help="require the API key held in this environment variable"
    ),
    idle_timeout: float = typer.Option(
        None, "--idle-timeout", min=0.1, help="stop after this many seconds without requests"
    ),
) -> None:
    """Serve MODEL at http://HOST:PORT/v1 (chat/completions, models) and /health.

    Concurrent requests are batched up to --batch-size. Without --api-key-env anyone who can
    reach the port can use the model: keep it on loopback then.
    """
    import os
    import sys

    from mmbench.cli._errors import CommandError

    try:
        import uvicorn  # noqa: F401

        from mmbench.serve.app import create_app
    except ImportError as exc:
        raise CommandError(
            f"mmbench serve needs the serve extra ({exc.name} is missing): "
            'pip install "mmbench[serve]"'
        ) from None
    from mmbench.adapters.base import ModelContext, build_model
    from mmbench.tasks import load_task

    api_key = os.environ.get(api_key_env) if api_key_env else None
    if api_key_env and not api_key:
        raise CommandError(f"--api-key-env {api_key_env}: that environment variable is not set")
    the_task = load_task(task) if task else None
    ctx = ModelContext(the_task, data_root, device, model_args=model_args(model_arg, [model]))
    built = build_model(model, ctx)
    if hasattr(built, "to") and device != "cpu":
        built.to(device)
    max_batch = batch_size or int((the_task.defaults if the_task else {}).get("batch_size", 16))

    from mmbench.serve.server import IdleClock, bind, run

    try:
        sock = bind(host, port)
    except OSError as exc:
        raise CommandError(
            f"mmbench serve cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "pick another --port (0: any free one)"
        ) from None

    idle = IdleClock(idle_timeout)
    app = create_app(
        built,
        task=the_task,
        max_batch=max_batch,
        wait_s=batch_wait_ms / 1000,
        max_request_bytes=int(max_request_mb * 1024 * 1024),
        served_name=served_name,
        on_request=idle.touch,
        api_key=api_key,
    )
    if host not in LOOPBACK and api_key is None:
        print(
            f"warning: serving on {host} without an API key (--api-key-env): anyone who can "
            "reach it can use the model",
            file=sys.stderr,
        )
    run(app, sock, idle, f"mmbench serve: {served_name or built.name} (batches <= {max_batch})")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
