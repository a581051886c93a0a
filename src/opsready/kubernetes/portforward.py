"""Reach a Service through ``kubectl port-forward`` on a free loopback port.

kubectl reads the same kubeconfig and context itself, so no credential appears on its command line. It runs in its
own process group and is stopped by :meth:`PortForward.stop`, by the target's ``close()``, and at interpreter exit.
"""

from __future__ import annotations

import atexit
import os
import re
import selectors
import shutil
import signal
import subprocess
import time

from opsready.errors import EnvironmentProblem

_FORWARDING = re.compile(rb"Forwarding from 127\.0\.0\.1:(\d+) ->")
START_TIMEOUT = 15.0


class PortForward:
    """One ``kubectl port-forward svc/NAME :PORT`` process."""

    def __init__(
        self, service: str, port: int, namespace: str, *, context: str | None, kubeconfig: str | None, kubectl: str = ""
    ) -> None:
        self.service, self.port, self.namespace = service, port, namespace
        self.context, self.kubeconfig = context, kubeconfig
        self.kubectl = kubectl or os.environ.get("OPSREADY_KUBECTL", "kubectl")
        self.process: subprocess.Popen[bytes] | None = None
        self.local_port: int | None = None

    def command(self) -> list[str]:
        """The kubectl command line (no credentials: kubectl reads the kubeconfig itself)."""
        cmd = [self.kubectl, "port-forward", "--address", "127.0.0.1", f"svc/{self.service}", f":{self.port}"]
        cmd += ["--namespace", self.namespace]
        if self.context:
            cmd += ["--context", self.context]
        if self.kubeconfig:
            cmd += ["--kubeconfig", self.kubeconfig]
        return cmd

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT of the running forward (started on first use)."""
        if self.local_port is None or self.process is None or self.process.poll() is not None:
            self.start()
        return f"http://127.0.0.1:{self.local_port}"

    def start(self) -> None:
        """Start kubectl and wait until it says which local port it forwards."""
        self.stop()
        if shutil.which(self.kubectl) is None:
            raise EnvironmentProblem(f"'{self.kubectl}' not found: port_forward needs kubectl on PATH")
        process = subprocess.Popen(
            self.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        self.process = process
        atexit.register(self.stop)
        assert process.stdout is not None
        output = b""
        deadline = time.monotonic() + START_TIMEOUT
        with selectors.DefaultSelector() as sel:
            sel.register(process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline and process.poll() is None:
                if not sel.select(timeout=0.2):
                    continue
                chunk = os.read(process.stdout.fileno(), 4096)
                output += chunk
                match = _FORWARDING.search(output)
                if match:
                    self.local_port = int(match.group(1))
                    return
                if not chunk:
                    break
        self.stop()
        said = output.decode("utf-8", "replace").strip().splitlines()
        raise EnvironmentProblem(
            f"kubectl port-forward to svc/{self.service}:{self.port} did not start"
            + (f": {said[-1][:200]}" if said else "")
        )

    def stop(self) -> None:
        """Stop kubectl (its whole process group) and wait for it."""
        process, self.process, self.local_port = self.process, None, None
        if process is None:
            return
        atexit.unregister(self.stop)
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=5)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
