"""Disclosure control for published counts (秘匿処理): small cells hidden, totals kept, nothing recoverable.

Counts 1..k-1 are primary suppressions ('x'); complementary cells are hidden until no row or column has a
single hidden cell; then an exact linear-algebra audit (the null space of the published equations) hides
more until no hidden cell is determined by what is published. Used by open_data.py for every count table.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

SUPPRESSED = "x"  # the mark official statistics use for a suppressed (秘匿) cell
TOTAL_LABEL = "計"  # dimension value of a total row

if TYPE_CHECKING:  # the dataset's declared dimensions and counts
    from warehouse.products.open_data import DatasetSpec

Cell = tuple[int, int]
# A hidden cell is determined when less than this (squared length) of its unit vector lies outside the row space;
# float error is ~1e-15 there, and a cell that is not determined keeps far more (its equations are 0/±1).
NULL_SPACE_TOLERANCE = 1e-10


def grid_lines(n_rows: int, n_cols: int) -> list[list[Cell]]:
    """Every row and column of a cross table whose last row and column hold the totals."""
    rows = [[(i, j) for j in range(n_cols + 1)] for i in range(n_rows + 1)]
    cols = [[(i, j) for i in range(n_rows + 1)] for j in range(n_cols + 1)]
    return rows + cols


def with_totals(grid: np.ndarray) -> np.ndarray:
    """The grid with a total column and a total row appended."""
    totals = np.zeros((grid.shape[0] + 1, grid.shape[1] + 1), dtype=np.int64)
    totals[:-1, :-1] = grid
    totals[:-1, -1] = grid.sum(axis=1)
    totals[-1, :-1] = grid.sum(axis=0)
    totals[-1, -1] = grid.sum()
    return totals


def recoverable_cells(full: np.ndarray, suppressed: set[Cell]) -> set[Cell]:
    """Suppressed cells whose value the published cells and totals determine exactly (by linear algebra)."""
    if not suppressed:
        return set()
    n_rows, n_cols = full.shape[0] - 1, full.shape[1] - 1
    unknowns = sorted(suppressed)
    index = {cell: k for k, cell in enumerate(unknowns)}
    equations = []
    for line in grid_lines(n_rows, n_cols):
        row = np.zeros(len(unknowns))
        total_cell = line[-1]
        for cell in line:
            if cell in index:
                row[index[cell]] += -1.0 if cell == total_cell else 1.0
        if row.any():
            equations.append(row)
    if not equations:
        return set()
    matrix = np.array(equations)
    # A cell is determined exactly when its unit vector lies in the row space of the equations, i.e. when the
    # row space's orthonormal basis has length 1 at its position (nothing of the null space is left there). One
    # thin SVD for the whole table: the full one also built the n × n null space, and at ten years a table has
    # ~150 equations over ~2,000 hidden cells.
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    tolerance = max(matrix.shape) * np.finfo(float).eps * (singular[0] if singular.size else 0.0)
    rank = int((singular > tolerance).sum())
    outside_row_space = 1.0 - np.square(vt[:rank]).sum(axis=0)
    determined = outside_row_space < NULL_SPACE_TOLERANCE
    return {cell for cell, k in index.items() if determined[k]}


def _complement(full: np.ndarray, present: np.ndarray, line: list[Cell], suppressed: set[Cell]) -> Cell | None:
    """The cell to suppress next in a line: the smallest published non-zero interior cell, else the total."""
    n_rows, n_cols = full.shape[0] - 1, full.shape[1] - 1
    candidates = [c for c in line if c not in suppressed and present[c]]
    if not candidates:
        return None

    def cost(cell: Cell) -> tuple[int, int, int]:
        is_total = cell[0] == n_rows or cell[1] == n_cols
        return (int(is_total), int(full[cell] == 0), int(full[cell]))

    return min(candidates, key=cost)


def suppress_grid(grid: np.ndarray, present: np.ndarray, k: int) -> tuple[np.ndarray, set[Cell], set[Cell]]:
    """Primary (0 < count < k) and complementary suppression of a cross table and its totals.

    Returns the grid with totals, the primary cells and the complementary cells (indices into that grid).
    Every row and column holding a suppressed cell ends with at least two, and no suppressed cell can be
    computed from the rest (checked by `recoverable_cells`).
    """
    full = with_totals(grid)
    present_full = np.ones(full.shape, dtype=bool)
    present_full[:-1, :-1] = present
    primary = {(int(i), int(j)) for i, j in zip(*np.nonzero((full > 0) & (full < k) & present_full))}
    suppressed = set(primary)
    lines = grid_lines(grid.shape[0], grid.shape[1])
    for _ in range(full.size + 1):
        changed = False
        for line in lines:
            if sum(cell in suppressed for cell in line) == 1:
                cell = _complement(full, present_full, line, suppressed)
                if cell is not None:
                    suppressed.add(cell)
                    changed = True
        if changed:
            continue
        leaks = recoverable_cells(full, suppressed)
        if not leaks:
            break
        leak = min(leaks)
        for line in lines:
            if leak in line:
                cell = _complement(full, present_full, line, suppressed)
                if cell is not None:
                    suppressed.add(cell)
                    break
        else:  # pragma: no cover - a line always has a total to suppress
            raise RuntimeError("disclosure control could not protect a cell; publish this table without counts")
    return full, primary, suppressed - primary


def protect_counts(frame: pl.DataFrame, spec: DatasetSpec, k: int) -> tuple[pl.DataFrame, dict[str, int]]:
    """Long table with totals: counts as text with 'x' for suppressed cells, dimensions as text, per stratum."""
    row_dim, col_dim = spec.row_dimension, spec.column_dimension
    assert row_dim and col_dim
    strata = [d for d in spec.dimensions if d not in (row_dim, col_dim)]
    frame = frame.with_columns(pl.col(d).cast(pl.String) for d in spec.dimensions)
    out_rows: list[dict[str, Any]] = []
    stats = {"primary": 0, "complementary": 0, "cells": 0}
    groups = frame.partition_by(strata, as_dict=True, maintain_order=True) if strata else {(): frame}
    for key, part in groups.items():
        stratum = dict(zip(strata, key if isinstance(key, tuple) else (key,)))
        row_values = sorted(part[row_dim].unique().to_list())
        col_values = sorted(part[col_dim].unique().to_list())
        cells: dict[str, dict[tuple[int, int], str]] = {}
        for count in spec.counts:
            grid = np.zeros((len(row_values), len(col_values)), dtype=np.int64)
            present = np.zeros(grid.shape, dtype=bool)
            r_index = {v: i for i, v in enumerate(row_values)}
            c_index = {v: j for j, v in enumerate(col_values)}
            for r, c, v in part.select(row_dim, col_dim, count).iter_rows():
                grid[r_index[r], c_index[c]] += int(v or 0)
                present[r_index[r], c_index[c]] = True
            full, primary, complementary = suppress_grid(grid, present, k)
            hidden = primary | complementary
            stats["primary"] += len(primary)
            stats["complementary"] += len(complementary)
            cells[count] = {cell: SUPPRESSED if cell in hidden else str(int(full[cell]))
                            for cell in np.ndindex(full.shape)}
            stats["cells"] += int(present.sum()) + len(row_values) + len(col_values) + 1
        rows_with_total = row_values + [TOTAL_LABEL]
        cols_with_total = col_values + [TOTAL_LABEL]
        for i, r in enumerate(rows_with_total):
            for j, c in enumerate(cols_with_total):
                if i < len(row_values) and j < len(col_values) and not present[i, j]:
                    continue
                record: dict[str, Any] = {**stratum, row_dim: r, col_dim: c}
                record.update({count: cells[count][(i, j)] for count in spec.counts})
                out_rows.append(record)
    columns = list(spec.dimensions) + list(spec.counts)
    schema = {name: pl.String for name in columns}
    return pl.DataFrame(out_rows, schema=schema).select(columns), stats
