"""Maintenance and update procedures as drills: routine upkeep, patching, scheduling, validation, communication."""
