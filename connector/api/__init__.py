"""HTTP face of the connector (FastAPI). Thin: parse the request, call the core, render the answer."""
