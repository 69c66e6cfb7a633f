"""Terminal face of the connector (typer + rich). Thin: parse arguments, call the core, print the outcome."""
