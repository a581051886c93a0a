"""The ``opsready`` command line."""
