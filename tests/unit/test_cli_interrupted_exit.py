"""A stopped command exits 130 even when a second Ctrl-C lands while the exit unwinds (CI saw click's exit 1)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# The command stops by Ctrl-C; click's context then closes during the SystemExit, and a second SIGINT lands there,
# outside every handler of ours: the moment CI caught in the chaos interruption proofs.
SCRIPT = textwrap.dedent(
    """
    import os, signal, time
    import click
    from opsready.cli.common import handle_errors

    @click.command()
    @click.pass_context
    @handle_errors
    def stop(ctx):
        def second_ctrl_c():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here, between two bytecodes
        ctx.call_on_close(second_ctrl_c)
        raise KeyboardInterrupt

    stop()
    """
)


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_second_signal_while_exiting_keeps_the_interrupted_code(sig: str) -> None:
    script = SCRIPT.replace("signal.SIGINT)\n", f"signal.{sig})\n")
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert "interrupted" in done.stderr
    assert "Aborted!" not in done.stderr
