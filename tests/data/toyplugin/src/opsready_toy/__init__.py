"""An example opsready plugin: platform ``toy`` (a directory), probe ``toy_flags`` and fault kind ``flag-file``."""
