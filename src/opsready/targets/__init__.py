"""The system under test: one protocol, and adapters chosen by platform name."""
