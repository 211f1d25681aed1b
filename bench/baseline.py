#!/usr/bin/python3
"""The numpy/scipy baseline a user has today, on the data kernels_bench
wrote.  Prints "name seconds detail" lines like kernels_bench.

  baseline.py binning N FILE      np.quantile + np.digitize, 4 features
  baseline.py groups N K C FILE   cKDTree kNN, then the groups of C
  baseline.py slices FILE LO HI BINS   the slice cache of FILE's volumes
  baseline.py gamma RAW NZ NY NX SZ SY SX PCT DTA   gamma of two float32 volumes
"""
import sys
import time
from itertools import combinations

import numpy as np


def best(f, runs=3):
    t = []
    for _ in range(runs):
        a = time.perf_counter()
        out = f()
        t.append(time.perf_counter() - a)
    return min(t), out


def binning(n, path):
    x = np.fromfile(path, dtype=np.float32).reshape(4, n)
    q = [0.2, 0.4, 0.6, 0.8]

    def quant():
        return [np.quantile(x[f], q) for f in range(4)]

    def dig(edges):
        return [np.digitize(x[f], edges[f]) for f in range(4)]

    tq, edges = best(quant)
    td, _ = best(lambda: dig(edges))
    print("binning %.4f quantiles %.4f digitize %.4f" % (tq + td, tq, td))
    for f in range(4):
        print("edges %d %s" % (f, " ".join("%.9g" % e for e in edges[f])))


def groups(n, k, c, path):
    from scipy.spatial import cKDTree
    xy = np.fromfile(path, dtype=np.float64).reshape(n, 2)

    def nn():
        _, idx = cKDTree(xy).query(xy, k=k + 1)
        return idx[:, 1:]          # drop the point itself

    def combine(idx):
        if c == 1:
            return np.arange(n)[:, None]
        combos = np.array(list(combinations(range(k), c - 1)))
        g = np.concatenate([np.repeat(np.arange(n)[:, None, None],
                                      len(combos), axis=1),
                            idx[:, combos]], axis=2).reshape(-1, c)
        g.sort(axis=1)
        return np.unique(g, axis=0)

    tk, idx = best(nn)
    tc, g = best(lambda: combine(idx))
    print("groups %.4f knn %.4f combine %.4f count %d" % (tk + tc, tk, tc,
                                                          len(g)))


def slices(path, lo, hi, nbins):
    """The loop users write: slice by slice from each volume, the local
    bin of each, stacked and written with h5py; and the same reading each
    volume whole first."""
    import h5py

    def cache(whole):
        out, zs, bins, cs = [], [], [], []
        with h5py.File(path, "r") as f:
            for c in range(int(f.attrs["cases"])):
                ct = f["case%d/ct" % c]
                if whole:
                    ct = ct[...]
                for z in range(lo, hi + 1):
                    out.append(np.array(ct[z]))
                    zs.append(z)
                    bins.append((z - lo) * nbins // (hi - lo + 1))
                    cs.append(c)
        s = np.stack(out)
        with h5py.File(path + ".np-cache.h5", "w") as f:
            f["slices"] = s
            f["z"] = np.array(zs, dtype=np.int32)
            f["bin"] = np.array(bins, dtype=np.int32)
            f["case"] = np.array(cs, dtype=np.int32)
        return len(out)

    t, m = best(lambda: cache(False))
    tw, _ = best(lambda: cache(True))
    print("slices %.4f slices %d whole-volume-reads %.4f" % (t, m, tw))


def gamma(path, nz, ny, nx, sz, sy, sx, pct, dta, step_frac=0.1, radius=2.0,
          cutoff=10.0):
    """A straightforward numpy gamma (global): the lattice of offsets
    nearest first, each evaluated for all voxels still searching by
    trilinear interpolation, a voxel leaving once the distance alone
    reaches its best; the same definition as cairn's (without its final
    refinement)."""
    raw = np.fromfile(path, dtype=np.float32)
    n = nz * ny * nx
    ref = raw[:n].reshape(nz, ny, nx).astype(np.float64)
    ev = raw[n:2 * n].reshape(nz, ny, nx).astype(np.float64)
    t0 = time.perf_counter()
    mx = ref.max()
    dd = pct / 100 * mx
    h = step_frac * dta
    k = int(np.floor(radius * dta / h + 1e-9))
    g = np.arange(-k, k + 1) * h
    oz, oy, ox = np.meshgrid(g, g, g, indexing="ij")
    d2 = (ox ** 2 + oy ** 2 + oz ** 2).ravel()
    keep = d2 <= (radius * dta) ** 2 * (1 + 1e-12)
    order = np.argsort(d2[keep], kind="stable")
    offs = np.stack([oz.ravel()[keep], oy.ravel()[keep], ox.ravel()[keep]], 1)[order]
    d2 = d2[keep][order] / dta ** 2
    zz, yy, xx = np.nonzero(ref >= cutoff / 100 * mx)
    dr = ref[zz, yy, xx]
    best = np.full(len(zz), np.inf)
    active = np.arange(len(zz))
    for (a, b, c), dist2 in zip(offs, d2):
        active = active[best[active] > dist2]
        if len(active) == 0:
            break
        pz = zz[active] + a / sz
        py = yy[active] + b / sy
        px = xx[active] + c / sx
        inside = (pz >= 0) & (py >= 0) & (px >= 0) & (pz <= nz - 1) & \
                 (py <= ny - 1) & (px <= nx - 1)
        idx = active[inside]
        pz, py, px = pz[inside], py[inside], px[inside]
        z0 = np.minimum(np.floor(pz).astype(int), nz - 2)
        y0 = np.minimum(np.floor(py).astype(int), ny - 2)
        x0 = np.minimum(np.floor(px).astype(int), nx - 2)
        fz, fy, fx = pz - z0, py - y0, px - x0
        e = (ev[z0, y0, x0] * (1 - fz) * (1 - fy) * (1 - fx) +
             ev[z0, y0, x0 + 1] * (1 - fz) * (1 - fy) * fx +
             ev[z0, y0 + 1, x0] * (1 - fz) * fy * (1 - fx) +
             ev[z0, y0 + 1, x0 + 1] * (1 - fz) * fy * fx +
             ev[z0 + 1, y0, x0] * fz * (1 - fy) * (1 - fx) +
             ev[z0 + 1, y0, x0 + 1] * fz * (1 - fy) * fx +
             ev[z0 + 1, y0 + 1, x0] * fz * fy * (1 - fx) +
             ev[z0 + 1, y0 + 1, x0 + 1] * fz * fy * fx)
        gm = dist2 + ((e - dr[idx]) / dd) ** 2
        best[idx] = np.minimum(best[idx], gm)
    t = time.perf_counter() - t0
    gam = np.sqrt(best)
    print("gamma %.4f pass %.4f evaluated %d" % (t, 100.0 * np.mean(gam <= 1),
                                                len(gam)))


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "binning":
        binning(int(a[2]), a[3])
    elif a[1] == "groups":
        groups(int(a[2]), int(a[3]), int(a[4]), a[5])
    elif a[1] == "gamma":
        gamma(a[2], *[int(v) for v in a[3:6]], *[float(v) for v in a[6:11]])
    elif a[1] == "slices":
        slices(a[2], int(a[3]), int(a[4]), int(a[5]))
