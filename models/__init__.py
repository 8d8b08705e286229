"""Bundled models: installed as the package data of ``emotion_monitor.models`` (see pyproject.toml)."""
