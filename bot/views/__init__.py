"""Texts and keyboards of features, apart from the handlers that show them (one module per feature)."""
