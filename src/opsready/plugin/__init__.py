"""The pytest plugin: options, markers, fixtures, the step library, and the readiness reports."""
