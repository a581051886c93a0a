"""A stopped command exits 130 (143 for SIGTERM) even when another signal lands while the exit unwinds: CI saw click
turn a second Ctrl-C there into "Aborted!" and exit code 1."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# The command is stopped (a KeyboardInterrupt, or the shield's Terminated for SIGTERM); click's context then closes
# during the SystemExit and a second signal lands there, outside every handler of ours: the moment CI caught in the
# chaos interruption proofs.
SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, time
    import click
    from opsready.chaos.shield import Terminated
    from opsready.cli.common import handle_errors

    @click.command()
    @click.pass_context
    @handle_errors
    def stop(ctx):
        def second_signal():
            os.kill(os.getpid(), signal.{second})
            time.sleep(0.05)  # the handler runs here, between two bytecodes
            os.write(2, b"second signal sent\\n")
        ctx.call_on_close(second_signal)
        raise {first}

    stop()
    """
)


@pytest.mark.parametrize(
    ("first", "second", "code"),
    [
        ("KeyboardInterrupt", "SIGINT", 130),
        ("KeyboardInterrupt", "SIGTERM", 130),
        ("Terminated", "SIGTERM", 143),
        ("Terminated", "SIGINT", 143),
    ],
)
def test_a_second_signal_while_exiting_keeps_the_stopped_code(first: str, second: str, code: int) -> None:
    script = SCRIPT.format(first=first, second=second)
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "interrupted" in done.stderr and "second signal sent" in done.stderr, done.stderr
    assert "Aborted!" not in done.stderr


def test_a_program_started_while_exiting_gets_the_default_handlers_back() -> None:
    """Once the exit is decided our process shrugs off SIGINT and SIGTERM, but a child it starts then is not deaf."""
    script = textwrap.dedent(
        """
        import signal, subprocess, sys
        from opsready.cli.common import exit_stopped
        try:
            exit_stopped(signal.SIGINT, "interrupted")
        finally:
            child = subprocess.run(
                [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"], check=False
            )
            print("child", child.returncode, flush=True)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert "child -15" in done.stdout, done.stdout
