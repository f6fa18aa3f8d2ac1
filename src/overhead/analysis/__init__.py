"""Access windows, passes and (later) coverage and design: when and how often."""
