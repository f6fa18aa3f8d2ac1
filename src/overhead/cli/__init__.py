"""Command-line interface: thin wrappers over the library, no computation of their own."""
