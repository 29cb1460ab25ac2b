"""Primary and complementary suppression: no count below k, and no suppressed cell recoverable from totals."""
from __future__ import annotations

import numpy as np
import pytest

from warehouse.products.disclosure import grid_lines, recoverable_cells, suppress_grid, with_totals

K = 10


def subtraction_attack(full: np.ndarray, hidden: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """What an attacker recovers by repeatedly solving lines that have exactly one unknown."""
    known = {cell for cell in np.ndindex(full.shape) if cell not in hidden}
    recovered: set[tuple[int, int]] = set()
    progress = True
    while progress:
        progress = False
        for line in grid_lines(full.shape[0] - 1, full.shape[1] - 1):
            unknown = [c for c in line if c not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                recovered.add(unknown[0])
                progress = True
    return recovered


def check_protected(grid: np.ndarray, present: np.ndarray) -> None:
    full, primary, complementary = suppress_grid(grid, present, K)
    hidden = primary | complementary
    present_full = np.ones(full.shape, dtype=bool)
    present_full[:-1, :-1] = present
    for cell in np.ndindex(full.shape):
        if present_full[cell] and cell not in hidden:
            assert full[cell] == 0 or full[cell] >= K, f"published count {full[cell]} < k at {cell}"
    for line in grid_lines(grid.shape[0], grid.shape[1]):
        assert sum(c in hidden for c in line) != 1, f"line {line} has exactly one suppressed cell"
    assert subtraction_attack(full, hidden) == set()
    assert recoverable_cells(full, hidden) == set()


def test_month_by_department_logins_with_totals() -> None:
    logins = np.array([
        [120, 3, 45, 60],   # 3 logins: must be hidden, and so must a second cell in its row and column
        [110, 15, 40, 0],
        [130, 22, 2, 75],
        [125, 18, 50, 70],
    ])
    present = np.ones(logins.shape, dtype=bool)
    _, primary, complementary = suppress_grid(logins, present, K)
    assert primary == {(0, 1), (2, 2)}
    assert complementary  # without them, row 0 total minus the rest gives the 3 back
    check_protected(logins, present)


def test_a_lonely_small_cell_takes_its_total_with_it() -> None:
    grid = np.array([[4], [50]])  # one column: the row total equals the cell
    check_protected(grid, np.ones(grid.shape, dtype=bool))


def test_small_totals_are_suppressed_too() -> None:
    grid = np.array([[3, 2], [40, 50]])
    _, primary, _ = suppress_grid(grid, np.ones(grid.shape, dtype=bool), K)
    assert (0, 2) in primary  # the row total 5 is itself below k
    check_protected(grid, np.ones(grid.shape, dtype=bool))


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_cannot_be_recovered(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 9)), int(rng.integers(1, 7)))
    grid = np.where(rng.random(shape) < 0.35, rng.integers(0, K, shape), rng.integers(K, 300, shape))
    present = rng.random(shape) > 0.1
    grid = np.where(present, grid, 0)
    check_protected(grid, present)


def test_attack_helpers_do_find_leaks_when_unprotected() -> None:
    """The checks are not vacuous: a table with only its primary cell hidden leaks by subtraction."""
    full = with_totals(np.array([[120, 3], [110, 15]]))
    assert subtraction_attack(full, {(0, 1)}) == {(0, 1)}
    assert recoverable_cells(full, {(0, 1)}) == {(0, 1)}


def null_space_reference(full: np.ndarray, hidden: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The cells a full SVD's null space leaves at zero: what recoverable_cells computed before it used the thin
    SVD's row space (the reference for large tables, where the two could drift apart if the tolerance were off)."""
    unknowns = sorted(hidden)
    index = {cell: k for k, cell in enumerate(unknowns)}
    equations = []
    for line in grid_lines(full.shape[0] - 1, full.shape[1] - 1):
        row = np.zeros(len(unknowns))
        for cell in line:
            if cell in index:
                row[index[cell]] += -1.0 if cell == line[-1] else 1.0
        if row.any():
            equations.append(row)
    if not equations:
        return set()
    matrix = np.array(equations)
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > max(matrix.shape) * np.finfo(float).eps * singular[0]).sum())
    null_space = vt[rank:]
    determined = np.all(np.abs(null_space) < 1e-9, axis=0) if null_space.size else np.ones(len(unknowns), bool)
    return {cell for cell, k in index.items() if determined[k]}


@pytest.mark.parametrize("seed", range(12))
def test_the_row_space_audit_finds_what_the_null_space_audit_finds(seed: int) -> None:
    """Long tables (months × channels, as ten years of open data have) with many hidden cells, some of them
    recoverable: the same cells are found recoverable by both computations."""
    rng = np.random.default_rng(1000 + seed)
    shape = (int(rng.integers(20, 130)), int(rng.integers(2, 12)))
    full = with_totals(rng.integers(0, 300, shape))
    cells = list(np.ndindex(full.shape))
    hidden = {cells[i] for i in rng.choice(len(cells), size=int(len(cells) * rng.uniform(0.05, 0.6)), replace=False)}
    expected = null_space_reference(full, hidden)
    assert recoverable_cells(full, hidden) == expected
    assert expected, "every draw has recoverable cells (and all but one also cells that are not)"
