"""Ground sites, look angles and (later) sensors, footprints and grids: what a satellite can see."""
