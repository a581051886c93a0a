"""Deployment and rollback procedures: checklists, rollback triggers, automatic and manual rollback, emergency path."""
