"""``python -m connector`` is the same as the ``skills-connector`` command."""

from connector.cli.main import run

run()
