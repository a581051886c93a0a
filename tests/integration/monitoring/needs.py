"""What every monitoring integration test needs: a real sandbox with Prometheus and Alertmanager (Debian's packages,
which `make test` installs as root); without them the tests skip and say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.sandbox.monitoring import decide

ROOT = Path(__file__).resolve().parents[3]

NEEDS_MONITORING = [
    pytest.mark.sandbox,
    pytest.mark.monitoring,
    pytest.mark.skipif(
        not decide("auto", None)[0].on,
        reason="Prometheus and Alertmanager are not installed (Debian's prometheus, prometheus-alertmanager; "
        "make test installs them as root)",
    ),
]
