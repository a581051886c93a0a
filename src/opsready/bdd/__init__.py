"""The reusable step library: platform-neutral Gherkin steps, loaded by the plugin when pytest-bdd is present."""
