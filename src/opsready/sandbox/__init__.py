"""The sandbox: a small production-like reference system on loopback, run under supervisord."""
