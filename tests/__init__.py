"""The library's tests, a package: shared helpers are imported by name (``tests.integration.chaos.chaos_harness``)."""
