"""Bundled demo clip: installed as the package data of ``emotion_monitor.assets`` (see pyproject.toml)."""
