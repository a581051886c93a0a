"""Suite-level fixtures only: the opsready plugin (options, markers, step library) arrives through its entry point."""
