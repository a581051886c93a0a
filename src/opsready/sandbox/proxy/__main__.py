"""Run one fault proxy: ``python -m opsready.sandbox.proxy --name edge --listen H:P --upstream H:P --state-file F``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from opsready.errors import EnvironmentProblem
from opsready.sandbox.proxy.server import Address, serve


def _address(text: str) -> Address:
    try:
        return Address.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _reconcile(name: str, state: Path | None) -> tuple[str, ...]:
    """The command that reconciles this proxy's toxics with the sandbox's fault journals (a process of its own: the
    fault code reverts through this very proxy, and lives above the sandbox). It opens the sandbox from the
    configuration the journals name, with this state directory whatever the environment of supervisord says."""
    if state is None:
        return ()
    journals = state / "faults"  # where SandboxTarget.fault_journal_dir() keeps them
    return (
        "env",
        f"OPSREADY_STATE_DIR={state}",
        sys.executable,
        "-m",
        "opsready.chaos.reconcile",
        "--journals",
        str(journals),
        "--where",
        f"proxy={name}",
        "--recheck-settled",
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line of the proxy process."""
    parser = argparse.ArgumentParser(prog="python -m opsready.sandbox.proxy", description=__doc__)
    parser.add_argument("--name", required=True, help="name used in logs and the status file (edge, db)")
    parser.add_argument("--listen", required=True, type=_address, help="host:port to accept clients on")
    parser.add_argument("--upstream", required=True, type=_address, help="host:port to forward to")
    parser.add_argument("--state-file", required=True, type=Path, help="JSON fault state, re-read on SIGHUP")
    parser.add_argument(
        "--sandbox-state", type=Path, default=None, help="the sandbox's state directory: reconcile with its journals"
    )
    parser.add_argument("--metrics-port", type=int, default=0, help="serve /metrics on this loopback port")
    parser.add_argument("--seed", type=int, default=None, help="seed for per-connection toxicity (tests)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the proxy until SIGTERM or SIGINT; exit code 2 when it cannot listen at start."""
    args = build_parser().parse_args(argv)
    try:
        serve(
            args.name,
            args.listen,
            args.upstream,
            args.state_file,
            seed=args.seed,
            reconcile=_reconcile(args.name, args.sandbox_state),
            metrics_port=args.metrics_port,
        )
    except EnvironmentProblem as exc:
        print(exc.render(), file=sys.stderr, flush=True)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
