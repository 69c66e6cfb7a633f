"""One router per capability; ``connector.api.app`` includes them."""
