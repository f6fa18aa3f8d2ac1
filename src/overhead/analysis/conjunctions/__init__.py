"""Conjunction assessment: CCSDS CDMs, collision probabilities (2D, Hall's 3D, Monte Carlo, maximum Pc) and
screening of a catalogue for close approaches."""

from overhead.analysis.conjunctions.assessment import ConjunctionAssessment, assess, max_pc_no_covariance, max_pc_scaled
from overhead.analysis.conjunctions.cdm import ConjunctionMessage, read_cdm, read_cdm_text, write_cdm_kvn, write_cdm_xml
from overhead.analysis.conjunctions.montecarlo import pc_monte_carlo
from overhead.analysis.conjunctions.nc3d import nc3d
from overhead.analysis.conjunctions.pc2d import pc2d

__all__ = [
    "ConjunctionAssessment",
    "ConjunctionMessage",
    "assess",
    "max_pc_no_covariance",
    "max_pc_scaled",
    "nc3d",
    "pc2d",
    "pc_monte_carlo",
    "read_cdm",
    "read_cdm_text",
    "write_cdm_kvn",
    "write_cdm_xml",
]
