"""Travel providers: turn the problem's locations into (distance, duration) int64 matrices.

The provider is pluggable (``TravelProvider`` protocol): a road-network service can replace the
haversine estimate without touching the solver.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

EARTH_RADIUS_KM = 6371.0088


class TravelProvider(Protocol):
    def matrices(self, locations: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        """(distance, duration) matrices, int64, n×n, zero diagonal."""
        ...


class MatrixTravel:
    """Explicit matrices (Solomon: floor(10 × euclid) for both)."""

    def __init__(self, distance: np.ndarray | Sequence, duration: np.ndarray | Sequence):
        self.distance = np.asarray(distance, dtype=np.int64)
        self.duration = np.asarray(duration, dtype=np.int64)
        for name, matrix in (("distance", self.distance), ("duration", self.duration)):
            if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
                raise ValueError(f"{name} matrix must be square")
            if (matrix < 0).any():
                raise ValueError(f"{name} matrix has negative entries")
        if self.distance.shape != self.duration.shape:
            raise ValueError("distance and duration matrices differ in shape")

    def matrices(self, locations: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        """The given matrices; their size must match the number of locations."""
        if self.distance.shape[0] != len(locations):
            raise ValueError(
                f"matrix has {self.distance.shape[0]} rows for {len(locations)} locations"
            )
        return self.distance, self.duration


class HaversineTravel:
    """Great-circle km × ``detour``; metres and seconds. Locations are (lat, lon) degrees.

    A leg runs at ``rural_kmh`` only when both ends are rural (``rural(index)``), otherwise at
    ``urban_kmh``: a leg that touches the city is slowed by it.
    """

    def __init__(
        self,
        detour: float = 1.3,
        urban_kmh: float = 25.0,
        rural_kmh: float = 40.0,
        rural: Callable[[int], bool] = lambda _index: False,
    ):
        if detour < 1 or urban_kmh <= 0 or rural_kmh <= 0:
            raise ValueError("detour must be >= 1 and speeds > 0")
        self.detour = detour
        self.urban_kmh = urban_kmh
        self.rural_kmh = rural_kmh
        self.rural = rural

    def matrices(self, locations: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        """(distance m, duration s) int64 matrices."""
        coords = np.radians(np.asarray(locations, dtype=float).reshape(-1, 2))
        lat, lon = coords[:, 0:1], coords[:, 1:2]
        a = (
            np.sin((lat.T - lat) / 2) ** 2
            + np.cos(lat) * np.cos(lat.T) * np.sin((lon.T - lon) / 2) ** 2
        )
        road_km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1))) * self.detour
        rural = np.array([bool(self.rural(i)) for i in range(len(coords))])
        kmh = np.where(rural[:, None] & rural[None, :], self.rural_kmh, self.urban_kmh)
        distance = np.rint(road_km * 1000).astype(np.int64)
        duration = np.rint(road_km / kmh * 3600).astype(np.int64)
        np.fill_diagonal(distance, 0)
        np.fill_diagonal(duration, 0)
        return distance, duration
