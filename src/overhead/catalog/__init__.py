"""The persistent catalog: every element set ever ingested, the objects they describe, and what changed."""
