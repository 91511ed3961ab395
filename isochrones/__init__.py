"""Walking networks, walking times, reachability and isochrone polygons.

This package knows streets, slopes, stairs and time; it knows nothing about elderly care.
"""

from isochrones.errors import IsochronesError, NetworkInputError, Problem
from isochrones.network import StreetNetwork

__all__ = ["IsochronesError", "NetworkInputError", "Problem", "StreetNetwork"]
