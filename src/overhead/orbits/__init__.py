"""Element sets, time scales, SGP4 and J2 propagation, frames, the Sun: where satellites are."""
