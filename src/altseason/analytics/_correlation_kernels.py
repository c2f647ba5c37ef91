"""Numba kernels behind :mod:`altseason.analytics._correlation`.

Pairwise-complete rolling sums (pandas semantics): ``sum(x_i x_j)`` over the
window by rank-one add/remove updates (rebuilt every few windows), per-asset
sums from block-restarted prefix sums, two-pass fallbacks where one-pass sums
would lose digits, and pandas' EWM covariance recursion.
"""

from __future__ import annotations

import mmap

import numba as nb
import numpy as np

from altseason._typing import FloatArray

_RESYNC = 256  # recompute running sums from scratch every this many rows (bounds drift)


# ---------------------------------------------------------------- numba kernels
@nb.njit(cache=True)
def _pair_direct(x: FloatArray, i: int, j: int, lo: int, hi: int, minp: int, kind: int) -> float:
    # two-pass over the rows where both are observed (robust for near-constant windows)
    n = 0.0
    mx = 0.0
    my = 0.0
    for r in range(lo, hi + 1):
        a = x[r, i]
        b = x[r, j]
        if np.isfinite(a) and np.isfinite(b):
            n += 1.0
            mx += a
            my += b
    if n < minp or n < 2.0:
        return np.nan
    mx /= n
    my /= n
    sxx = 0.0
    syy = 0.0
    sxy = 0.0
    for r in range(lo, hi + 1):
        a = x[r, i]
        b = x[r, j]
        if np.isfinite(a) and np.isfinite(b):
            da = a - mx
            db = b - my
            sxx += da * da
            syy += db * db
            sxy += da * db
    if kind == 1:
        return sxy / (n - 1.0)
    den = sxx * syy
    if den <= 0.0:
        return np.nan
    return sxy / np.sqrt(den)


_ILL = 1e-4  # a window whose sum of squared deviations is below this share of
# its raw sum of squares is recomputed two-pass (one-pass sums lose digits there)


@nb.njit(cache=True)
def _pair_value(
    n: float, sx: float, sy: float, sxx: float, syy: float, sxy: float, minp: int, kind: int
) -> float:
    if n < minp or n < 2.0:
        return np.nan
    num = sxy - sx * sy / n
    if kind == 1:
        return num / (n - 1.0)
    den = (sxx - sx * sx / n) * (syy - sy * sy / n)
    if den <= 0.0:
        return np.nan
    return num / np.sqrt(den)


@nb.njit(cache=True)
def _ill(n: float, s: float, q: float) -> bool:
    return n > 0.0 and (q - s * s / n) <= _ILL * q


@nb.njit(cache=True)
def _resync(
    x0: FloatArray,
    m: FloatArray,
    lo: int,
    hi: int,
    sxy: FloatArray,
    cnt: FloatArray,
    s: FloatArray,
    q: FloatArray,
    with_cross: bool,
) -> None:
    n_assets = x0.shape[1]
    cnt[:] = 0.0
    s[:] = 0.0
    q[:] = 0.0
    if with_cross:
        sxy[:, :] = 0.0
    for r in range(lo, hi + 1):
        row = x0[r]
        for i in range(n_assets):
            cnt[i] += m[r, i]
            s[i] += row[i]
            q[i] += row[i] * row[i]
            if with_cross and row[i] != 0.0:
                xi = row[i]
                for j in range(n_assets):
                    sxy[i, j] += xi * row[j]


@nb.njit(cache=True)
def _block_stats(
    cs: FloatArray, cq: FloatArray, ccount: FloatArray, j: int, a: int, b: int, block: int
) -> tuple[float, float, float]:
    # count, sum and sum of squares of column j over rows a..b
    return (
        _range_sum(ccount, j, a, b, block),
        _range_sum(cs, j, a, b, block),
        _range_sum(cq, j, a, b, block),
    )


@nb.njit(cache=True)
def _rolling_matrices_into(
    x: FloatArray,
    x0: FloatArray,
    m: FloatArray,
    window: int,
    minp: int,
    kind: int,
    out: FloatArray,
    t0: int,
    cs: FloatArray,
    cq: FloatArray,
    ccount: FloatArray,
    first: np.ndarray,
    last: np.ndarray,
    sxy: FloatArray,
    state: np.ndarray,
) -> None:
    """Fill ``out[k]`` with the matrix of row ``t0 + k``.

    ``sxy`` holds sum(x_i x_j) over the window ending at row ``state[0]``;
    it is carried over when ``state[0] == t0 - 1`` and rebuilt otherwise.
    """
    n_assets = x.shape[1]
    cnt = np.zeros(n_assets)
    s = np.zeros(n_assets)
    q = np.zeros(n_assets)
    mean = np.zeros(n_assets)
    inv = np.zeros(n_assets)
    complete = np.zeros(n_assets, dtype=np.bool_)
    incomplete = np.zeros(n_assets, dtype=np.int64)
    a_blk = np.zeros(n_assets, dtype=np.int64)
    b_blk = np.zeros(n_assets, dtype=np.int64)
    contiguous = np.zeros(n_assets, dtype=np.bool_)
    zero = np.zeros(n_assets)
    dummy = np.zeros(n_assets)
    # rebuilding sum(x_i x_j) every few windows bounds the add/remove drift
    # relative to the window's own magnitude (costs window * n^2 per rebuild)
    resync = min(_RESYNC, 4 * window)
    for k in range(out.shape[0]):
        t = t0 + k
        lo = max(0, t - window + 1)
        rebuild = state[0] != t - 1 or t % resync == 0
        if rebuild:
            _resync(x0, m, lo, t, sxy, dummy, dummy, dummy, True)
        add = x0[t]
        rem = x0[t - window] if t - window >= 0 else zero
        state[0] = t
        rows = float(t - lo + 1)
        full_ok = rows >= minp and rows >= 2.0
        _window_sums(ccount, lo, t, window, cnt)
        _window_sums(cs, lo, t, window, s)
        _window_sums(cq, lo, t, window, q)
        n_inc = 0
        for i in range(n_assets):
            complete[i] = cnt[i] == rows and full_ok and not _ill(cnt[i], s[i], q[i])
            if complete[i]:
                mean[i] = s[i] / rows
                ss = q[i] - s[i] * mean[i]
                if kind == 0:
                    inv[i] = 1.0 / np.sqrt(ss) if ss > 0.0 else np.nan
                else:
                    inv[i] = 1.0 / (rows - 1.0)
            else:
                incomplete[n_inc] = i
                n_inc += 1
                # the observed block of asset i inside the window
                if cnt[i] > 0:
                    a_blk[i] = first[lo, i]
                    b_blk[i] = last[t, i]
                    contiguous[i] = (b_blk[i] - a_blk[i] + 1) == cnt[i]
                else:
                    contiguous[i] = False
        o = out[k]
        # one pass per row: update sum(x_i x_j) with the entering and leaving
        # rows, then finish the row of fully observed assets
        for i in range(n_assets):
            row = sxy[i]
            if not rebuild:
                xa = add[i]
                xr = rem[i]
                if xa != 0.0 and xr != 0.0:
                    for j in range(n_assets):
                        row[j] += xa * add[j] - xr * rem[j]
                elif xa != 0.0:
                    for j in range(n_assets):
                        row[j] += xa * add[j]
                elif xr != 0.0:
                    for j in range(n_assets):
                        row[j] -= xr * rem[j]
            oi = o[i]
            if complete[i]:
                si = s[i]
                vi = inv[i]
                if kind == 0:
                    for j in range(n_assets):
                        oi[j] = (row[j] - si * mean[j]) * vi * inv[j]
                else:
                    for j in range(n_assets):
                        oi[j] = (row[j] - si * mean[j]) * vi
                for kk in range(n_inc):
                    oi[incomplete[kk]] = np.nan
            else:
                oi[:] = np.nan
        # pairs touching an asset that is not fully observed in the window
        for kk in range(n_inc):
            i = incomplete[kk]
            if cnt[i] < minp or cnt[i] < 2.0:
                continue
            for j in range(n_assets):
                if cnt[j] < minp or cnt[j] < 2.0:
                    continue
                if not complete[j] and j < i:
                    continue  # done when j came up
                val = np.nan
                direct = True
                if contiguous[i] and (complete[j] or contiguous[j]):
                    aa = a_blk[i]
                    bb = b_blk[i]
                    if not complete[j]:
                        aa = max(aa, a_blk[j])
                        bb = min(bb, b_blk[j])
                    if bb - aa + 1 < max(minp, 2):
                        direct = False
                    else:
                        n, sx, sxx = _block_stats(cs, cq, ccount, i, aa, bb, window)
                        n2, sy, syy = _block_stats(cs, cq, ccount, j, aa, bb, window)
                        if not (_ill(n, sx, sxx) or _ill(n2, sy, syy)):
                            val = _pair_value(n, sx, sy, sxx, syy, sxy[i, j], minp, kind)
                            direct = False
                if direct:
                    val = _pair_direct(x, i, j, lo, t, minp, kind)
                o[i, j] = val
                o[j, i] = val


@nb.njit(cache=True)
def _prefix_into(
    x: FloatArray,
    block: int,
    cs: FloatArray,
    cq: FloatArray,
    cc: FloatArray,
    first: np.ndarray,
    last: np.ndarray,
) -> None:
    # cumulative sums restarted every ``block`` rows: a range of at most ``block``
    # rows spans two blocks, so range sums never subtract long-history totals
    # first[t]: first observed row >= t; last[t]: last observed row <= t
    n_dates, n_assets = x.shape
    bounds = first.shape[0] > 0  # empty first/last: sums only
    for t in range(n_dates):
        fresh = t % block == 0
        for i in range(n_assets):
            v = x[t, i]
            ok = np.isfinite(v)
            ps = 0.0 if fresh else cs[t - 1, i]
            pq = 0.0 if fresh else cq[t - 1, i]
            pc = 0.0 if fresh else cc[t - 1, i]
            cs[t, i] = ps + (v if ok else 0.0)
            cq[t, i] = pq + (v * v if ok else 0.0)
            cc[t, i] = pc + (1.0 if ok else 0.0)
            if not bounds:
                continue
            if ok:
                last[t, i] = t
            else:
                last[t, i] = last[t - 1, i] if t > 0 else -1
    if not bounds:
        return
    for t in range(n_dates - 1, -1, -1):
        for i in range(n_assets):
            if np.isfinite(x[t, i]):
                first[t, i] = t
            else:
                first[t, i] = first[t + 1, i] if t < n_dates - 1 else n_dates


def _sums(x: FloatArray, block: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Block-restarted prefix sums of values, squares and counts (no first/last)."""
    shape = (x.shape[0], x.shape[1])
    cs, cq, cc = _empty(shape), _empty(shape), _empty(shape)
    dummy = np.empty((0, 0), dtype=np.int64)
    _prefix_into(x, block, cs, cq, cc, dummy, dummy)
    return cs, cq, cc


def _prefix(
    x: FloatArray, block: int
) -> tuple[FloatArray, FloatArray, FloatArray, np.ndarray, np.ndarray]:
    shape = (x.shape[0], x.shape[1])
    cs, cq, cc = _empty(shape), _empty(shape), _empty(shape)
    first, last = _empty(shape, np.int64), _empty(shape, np.int64)
    _prefix_into(x, block, cs, cq, cc, first, last)
    return cs, cq, cc, first, last


@nb.njit(cache=True)
def _range_sum(c: FloatArray, j: int, a: int, b: int, block: int) -> float:
    ba = a // block
    bb = b // block
    before = c[a - 1, j] if a % block != 0 else 0.0
    if ba == bb:
        return c[b, j] - before
    total = c[(ba + 1) * block - 1, j] - before
    for blk in range(ba + 1, bb):
        total += c[(blk + 1) * block - 1, j]
    return total + c[b, j]


@nb.njit(cache=True)
def _window_sums(c: FloatArray, a: int, b: int, block: int, out: FloatArray) -> None:
    # _range_sum for every column at once (rows a..b, at most ``block`` rows apart)
    ba = a // block
    bb = b // block
    n_cols = c.shape[1]
    rb = c[b]
    for j in range(n_cols):
        out[j] = rb[j]
    if a % block != 0:
        ra = c[a - 1]
        if ba == bb:
            for j in range(n_cols):
                out[j] -= ra[j]
        else:
            re = c[(ba + 1) * block - 1]
            for j in range(n_cols):
                out[j] += re[j] - ra[j]
    elif ba != bb:
        re = c[(ba + 1) * block - 1]
        for j in range(n_cols):
            out[j] += re[j]
    for blk in range(ba + 1, bb):
        rm = c[(blk + 1) * block - 1]
        for j in range(n_cols):
            out[j] += rm[j]


@nb.njit(cache=True)
def _col_stats(x0: FloatArray, j: int, a: int, b: int) -> tuple[float, float]:
    # two-pass mean and sum of squared deviations of a fully observed column block
    n = b - a + 1
    mu = 0.0
    for r in range(a, b + 1):
        mu += x0[r, j]
    mu /= n
    ss = 0.0
    for r in range(a, b + 1):
        d = x0[r, j] - mu
        ss += d * d
    return mu, ss


@nb.njit(cache=True)
def _standardise(
    cs: FloatArray,
    cq: FloatArray,
    x0: FloatArray,
    cols: np.ndarray,
    n_cols: int,
    a: int,
    b: int,
    block: int,
    w: FloatArray,
    mu: FloatArray,
    ws: FloatArray,
    wq: FloatArray,
) -> int:
    # weights 1/sqrt(ss) and means of ``cols`` over rows a..b (all fully observed);
    # constant columns get weight 0. Returns how many columns are usable.
    n = float(b - a + 1)
    _window_sums(cs, a, b, block, ws)
    _window_sums(cq, a, b, block, wq)
    used = 0
    for k in range(n_cols):
        j = cols[k]
        sj = ws[j]
        qj = wq[j]
        if _ill(n, sj, qj):
            m, ss = _col_stats(x0, j, a, b)
        else:
            m = sj / n
            ss = qj - sj * m
        if ss > 0.0:
            w[j] = 1.0 / np.sqrt(ss)
            mu[j] = m
            used += 1
        else:
            w[j] = 0.0
            mu[j] = 0.0
    return used


@nb.njit(cache=True, fastmath={"reassoc", "contract"})
def _zsum(x0: FloatArray, w: FloatArray, mu: FloatArray, a: int, b: int) -> FloatArray:
    # u(r) = sum_j w_j (x_j(r) - mu_j) for r in a..b. A plain loop that the
    # compiler may reassociate (vectorised dot products; rounding of order
    # 1e-16) rather than a BLAS gemv: calls this small are dominated by BLAS'
    # threading overhead, and its thread pool fights numba's for the cores.
    c = 0.0
    for j in range(w.shape[0]):
        c += w[j] * mu[j]
    m = w.shape[0]
    u = np.empty(b - a + 1)
    for r in range(u.shape[0]):
        row = x0[a + r]
        acc = 0.0
        for j in range(m):
            acc += row[j] * w[j]
        u[r] = acc - c
    return u


_BLOCK = 8  # windows per parallel task, whose dot products share row loads


@nb.njit(cache=True, fastmath={"reassoc", "contract"})
def _block_norms(
    x0: FloatArray, wmat: FloatArray, shift: FloatArray, live: np.ndarray, window: int, tb: int
) -> FloatArray:
    # for each live window b (ending at row tb + b): sum over its rows r of
    # (x0[r] . wmat[b] - shift[b])^2. Rows are visited once for all the windows
    # that contain them, so each row is read from memory once per block.
    n_win = wmat.shape[0]
    te = tb + n_win
    out = np.zeros(n_win)
    for r in range(max(0, tb - window + 1), te):
        row = x0[r]
        for b in range(max(r, tb) - tb, min(r + window, te) - tb):
            if not live[b]:
                continue
            wb = wmat[b]
            acc = 0.0
            for j in range(row.shape[0]):
                acc += row[j] * wb[j]
            d = acc - shift[b]
            out[b] += d * d
    return out


@nb.njit(cache=True, parallel=True)
def _avg_pairwise(
    x: FloatArray,
    x0: FloatArray,
    window: int,
    minp: int,
    cs: FloatArray,
    cq: FloatArray,
    cc: FloatArray,
) -> FloatArray:
    # windows are independent given the prefix sums: blocks of dates in parallel
    n_dates = x.shape[0]
    out = np.full(n_dates, np.nan)
    n_blocks = (n_dates + _BLOCK - 1) // _BLOCK
    for blk in nb.prange(n_blocks):
        tb = blk * _BLOCK
        _avg_pairwise_block(x, x0, window, minp, cs, cq, cc, tb, min(n_dates, tb + _BLOCK), out)
    return out


@nb.njit(cache=True)
def _avg_pairwise_block(
    x: FloatArray,
    x0: FloatArray,
    window: int,
    minp: int,
    cs: FloatArray,
    cq: FloatArray,
    cc: FloatArray,
    tb: int,
    te: int,
    out: FloatArray,
) -> None:
    # the average pairwise correlation of the windows ending at rows tb..te-1
    n_assets = x.shape[1]
    n_win = te - tb
    wmat = np.zeros((n_win, n_assets))  # standardising weights of each window
    shift = np.zeros(n_win)
    live = np.zeros(n_win, dtype=np.bool_)
    n_used = np.zeros(n_win)
    totals = np.zeros(n_win)
    pairs = np.zeros(n_win)
    cnt = np.zeros(n_assets)
    full = np.zeros(n_assets, dtype=np.int64)
    part = np.zeros(n_assets, dtype=np.int64)
    wp = np.zeros(n_assets)
    mup = np.zeros(n_assets)
    ws = np.zeros(n_assets)
    wq = np.zeros(n_assets)
    for t in range(tb, te):
        lo = max(0, t - window + 1)
        rows = float(t - lo + 1)
        if rows < minp or rows < 2.0:
            continue
        n_full = 0
        n_part = 0
        _window_sums(cc, lo, t, window, cnt)
        _window_sums(cs, lo, t, window, ws)
        _window_sums(cq, lo, t, window, wq)
        # one pass: classify the assets and standardise the fully observed ones
        # (weights 1/sqrt(ss) and means as _standardise; constant columns get 0)
        wrow = wmat[t - tb]
        used = 0
        c = 0.0
        for i in range(n_assets):
            ci = cnt[i]
            if ci == rows:
                full[n_full] = i
                n_full += 1
                si = ws[i]
                qi = wq[i]
                if _ill(rows, si, qi):
                    mi, ss = _col_stats(x0, i, lo, t)
                else:
                    mi = si / rows
                    ss = qi - si * mi
                if ss > 0.0:
                    wi = 1.0 / np.sqrt(ss)
                    wrow[i] = wi
                    c += wi * mi
                    used += 1
            elif ci >= minp and ci >= 2.0:
                part[n_part] = i
                n_part += 1
        total = 0.0
        npairs = 0.0
        if used >= 2:  # finished below, with the block's other windows
            shift[t - tb] = c
            live[t - tb] = True
            n_used[t - tb] = used
        for k in range(n_part):
            i = part[k]
            a_i = lo
            while not np.isfinite(x[a_i, i]):
                a_i += 1
            b_i = t
            while not np.isfinite(x[b_i, i]):
                b_i -= 1
            if b_i - a_i + 1 == cnt[i] and cnt[i] >= max(minp, 2):
                # contiguous block: the fully observed assets are observed on it too
                n_blk = float(b_i - a_i + 1)
                _, si, qi = _block_stats(cs, cq, cc, i, a_i, b_i, window)
                if _ill(n_blk, si, qi):
                    mi, ssi = _col_stats(x0, i, a_i, b_i)
                else:
                    mi = si / n_blk
                    ssi = qi - si * mi
                if ssi > 0.0:
                    wp[:] = 0.0
                    mup[:] = 0.0
                    used_p = _standardise(
                        cs, cq, x0, full, n_full, a_i, b_i, window, wp, mup, ws, wq
                    )
                    if used_p > 0:
                        u = _zsum(x0, wp, mup, a_i, b_i)
                        acc = 0.0
                        for r in range(u.shape[0]):
                            acc += (x0[a_i + r, i] - mi) * u[r]
                        total += 2.0 * acc / np.sqrt(ssi)
                        npairs += 2.0 * used_p
            else:
                for kk in range(n_full):
                    j = full[kk]
                    val = _pair_direct(x, i, j, lo, t, minp, 0)
                    if np.isfinite(val):
                        total += 2.0 * val
                        npairs += 2.0
            for kk in range(k + 1, n_part):
                j = part[kk]
                val = _pair_direct(x, i, j, lo, t, minp, 0)
                if np.isfinite(val):
                    total += 2.0 * val
                    npairs += 2.0
        totals[t - tb] = total
        pairs[t - tb] = npairs
    su2 = _block_norms(x0, wmat, shift, live, window, tb)
    for b in range(n_win):
        if live[b]:
            totals[b] += su2[b] - n_used[b]
            pairs[b] += n_used[b] * (n_used[b] - 1.0)
        if pairs[b] > 0:
            out[tb + b] = totals[b] / pairs[b]


@nb.njit(cache=True)
def _rolling_beta(x: FloatArray, b: FloatArray, window: int, minp: int) -> FloatArray:
    n_dates, n_assets = x.shape
    out = np.full((n_dates, n_assets), np.nan)
    for i in range(n_assets):
        n = 0.0
        sx = 0.0
        sy = 0.0
        syy = 0.0
        sxy = 0.0
        for t in range(n_dates):
            lo = max(0, t - window + 1)
            if t % _RESYNC == 0:
                n, sx, sy, _, syy, sxy = _pair_direct_xy(x, b, i, lo, t)
            else:
                xa = x[t, i]
                ya = b[t]
                if np.isfinite(xa) and np.isfinite(ya):
                    n += 1.0
                    sx += xa
                    sy += ya
                    syy += ya * ya
                    sxy += xa * ya
                if t - window >= 0:
                    xr = x[t - window, i]
                    yr = b[t - window]
                    if np.isfinite(xr) and np.isfinite(yr):
                        n -= 1.0
                        sx -= xr
                        sy -= yr
                        syy -= yr * yr
                        sxy -= xr * yr
            if n >= minp and n >= 2.0:
                var = syy - sy * sy / n
                if var > 0.0:
                    out[t, i] = (sxy - sx * sy / n) / var
    return out


@nb.njit(cache=True)
def _pair_direct_xy(
    x: FloatArray, b: FloatArray, i: int, lo: int, hi: int
) -> tuple[float, float, float, float, float, float]:
    n = 0.0
    sx = 0.0
    sy = 0.0
    sxx = 0.0
    syy = 0.0
    sxy = 0.0
    for r in range(lo, hi + 1):
        xa = x[r, i]
        ya = b[r]
        if np.isfinite(xa) and np.isfinite(ya):
            n += 1.0
            sx += xa
            sy += ya
            sxx += xa * xa
            syy += ya * ya
            sxy += xa * ya
    return n, sx, sy, sxx, syy, sxy


@nb.njit(cache=True)
def _ewmcov(x: FloatArray, y: FloatArray, com: float, minp: int) -> FloatArray:
    # pandas' ewmcov with adjust=True, ignore_na=False, bias=True on one pair
    n = x.shape[0]
    out = np.empty(n)
    alpha = 1.0 / (1.0 + com)
    fac = 1.0 - alpha
    mean_x = x[0]
    mean_y = y[0]
    obs = np.isfinite(mean_x) and np.isfinite(mean_y)
    nobs = 1 if obs else 0
    if not obs:
        mean_x = np.nan
        mean_y = np.nan
    out[0] = 0.0 if nobs >= minp else np.nan
    cov = 0.0
    old_wt = 1.0
    for t in range(1, n):
        cx = x[t]
        cy = y[t]
        obs = np.isfinite(cx) and np.isfinite(cy)
        if obs:
            nobs += 1
        if np.isfinite(mean_x):
            old_wt *= fac
            if obs:
                omx = mean_x
                omy = mean_y
                if mean_x != cx:
                    mean_x = (old_wt * omx + cx) / (old_wt + 1.0)
                if mean_y != cy:
                    mean_y = (old_wt * omy + cy) / (old_wt + 1.0)
                cov = (
                    old_wt * (cov + (omx - mean_x) * (omy - mean_y)) + (cx - mean_x) * (cy - mean_y)
                ) / (old_wt + 1.0)
                old_wt += 1.0
        elif obs:
            mean_x = cx
            mean_y = cy
        out[t] = cov if nobs >= minp else np.nan
    return out


@nb.njit(cache=True)
def _ewma_matrices(x: FloatArray, com: float, minp: int, kind: int) -> FloatArray:
    n_dates, n_assets = x.shape
    out = np.empty((n_dates, n_assets, n_assets))
    for i in range(n_assets):
        for j in range(i, n_assets):
            xi = x[:, i].copy()
            yj = x[:, j].copy()
            both = np.isfinite(xi) & np.isfinite(yj)
            xi = np.where(both, xi, np.nan)
            yj = np.where(both, yj, np.nan)
            cov = _ewmcov(xi, yj, com, minp)
            if kind == 0:
                vx = _ewmcov(xi, xi, com, minp)
                vy = _ewmcov(yj, yj, com, minp)
                for t in range(n_dates):
                    p = vx[t] * vy[t]
                    val = cov[t] / np.sqrt(p) if p > 0.0 else np.nan
                    out[t, i, j] = val
                    out[t, j, i] = val
            else:
                # bias-corrected like pandas ewm().cov(bias=False)
                for t in range(n_dates):
                    out[t, i, j] = cov[t]
                    out[t, j, i] = cov[t]
    return out


@nb.njit(cache=True)
def _ewm_debias(x: FloatArray, y: FloatArray, com: float) -> FloatArray:
    # the factor sum_wt^2 / (sum_wt^2 - sum_wt2) that pandas applies when bias=False
    n = x.shape[0]
    out = np.empty(n)
    alpha = 1.0 / (1.0 + com)
    fac = 1.0 - alpha
    started = np.isfinite(x[0]) and np.isfinite(y[0])
    sum_wt = 1.0
    sum_wt2 = 1.0
    out[0] = np.nan
    for t in range(1, n):
        obs = np.isfinite(x[t]) and np.isfinite(y[t])
        if started:
            sum_wt *= fac
            sum_wt2 *= fac * fac
            if obs:
                sum_wt += 1.0
                sum_wt2 += 1.0
        elif obs:
            started = True
        num = sum_wt * sum_wt
        den = num - sum_wt2
        out[t] = num / den if (started and den > 0.0) else np.nan
    return out


_HUGE_BYTES = 2 * 2**20


def _empty(shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """An uninitialised array; arrays of 2 MiB or more on transparent huge pages.

    Panels and matrix stacks run to megabytes or gigabytes; backing them with
    2 MiB pages (Linux ``MADV_HUGEPAGE``) cuts the page faults of their first
    write by ~500x, which on virtual machines is a large part of the cost.
    """
    itemsize = np.dtype(dtype).itemsize
    nbytes = int(np.prod(shape)) * itemsize
    if nbytes < _HUGE_BYTES or not hasattr(mmap, "MADV_HUGEPAGE"):
        return np.empty(shape, dtype=dtype)
    buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    buf.madvise(mmap.MADV_HUGEPAGE)
    return np.frombuffer(buf, dtype=dtype).reshape(shape)


def _alloc(shape: tuple[int, int, int]) -> FloatArray:
    return _empty(shape)


@nb.njit(cache=True)
def _center_into(x: FloatArray, out: FloatArray, out0: FloatArray) -> None:
    # out = x minus its column mean (NaN where not finite); out0 = out with 0 for NaN
    # (row by row: the panel is row-major; each column's sum still runs down the dates)
    n_dates, n_assets = x.shape
    total = np.zeros(n_assets)
    count = np.zeros(n_assets, dtype=np.int64)
    for t in range(n_dates):
        for j in range(n_assets):
            v = x[t, j]
            if np.isfinite(v):
                total[j] += v
                count[j] += 1
    mu = np.zeros(n_assets)
    for j in range(n_assets):
        if count[j] > 0:
            mu[j] = total[j] / count[j]
    for t in range(n_dates):
        for j in range(n_assets):
            v = x[t, j]
            if np.isfinite(v):
                out[t, j] = v - mu[j]
                out0[t, j] = v - mu[j]
            else:
                out[t, j] = np.nan
                out0[t, j] = 0.0


def center(values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Column-centred copy (NaN where not finite) and its zero-filled twin."""
    shape = (values.shape[0], values.shape[1])
    out = _empty(shape)
    out0 = _empty(shape)
    _center_into(values, out, out0)
    return out, out0


def _matrices(x: FloatArray, window: int, minp: int, kind: int) -> FloatArray:
    out = _alloc((x.shape[0], x.shape[1], x.shape[1]))
    if x.shape[0]:
        _Kernel(x, window, minp, kind).fill(out, 0)
    return out


class _Kernel:
    """Inputs and carried state of the rolling-matrix kernel for one panel."""

    def __init__(self, x: FloatArray, window: int, minp: int, kind: int) -> None:
        self.x = x
        self.window = window
        self.minp = minp
        self.kind = kind
        self.m = np.isfinite(x).astype(np.float64)
        self.x0 = np.ascontiguousarray(np.where(self.m > 0, x, 0.0))
        self.prefix = _prefix(x, window)
        self.sxy = np.zeros((x.shape[1], x.shape[1]))
        self.state = np.array([-10], dtype=np.int64)

    def fill(self, out: FloatArray, t0: int) -> None:
        cs, cq, cc, first, last = self.prefix
        _rolling_matrices_into(
            self.x,
            self.x0,
            self.m,
            self.window,
            self.minp,
            self.kind,
            out,
            t0,
            cs,
            cq,
            cc,
            first,
            last,
            self.sxy,
            self.state,
        )
