#!/usr/bin/python3
"""Poles and residues of the type (n, n) Caratheodory-Fejer approximation of exp on (-inf, 0]
(Trefethen, Weideman & Schmelzer, BIT 46 (2006) 653, their function cf), in 40-digit mpmath:
the coefficients of src/exact/rational_exponential.hpp. Prints r_inf, the maximum error on a
sample of (-inf, 0], then one line per pole: Re z, Im z, Re c, Im c (r(x) = r_inf + sum
c / (x - z)). Usage: scripts/rational_exponential_coefficients.py [n=14] (minutes: plain DFTs).
"""
import sys, mpmath as mp
mp.mp.dps = 40
n = int(sys.argv[1]) if len(sys.argv) > 1 else 14
K, nf, scl = 75, 1024, 9
w = [mp.expjpi(2 * mp.mpf(k) / nf) for k in range(nf)]
t = [mp.re(x) for x in w]
F = [mp.exp(scl * (tt - 1) / (tt + 1)) if tt + 1 != 0 else mp.mpf(0) for tt in t]
def fft(x):  # direct DFT, sign as numpy/Matlab: X_k = sum x_j exp(-2 pi i jk/nf)
    return [mp.fsum(x[j] * w[(-j * k) % nf] for j in range(nf)) for k in range(nf)]
c = [mp.re(v) / nf for v in fft(F)]
def polyval_desc(coeffs, z):  # coeffs highest first
    r = mp.mpf(0)
    for a in coeffs: r = r * z + a
    return r
f = [polyval_desc([c[k] for k in range(K, -1, -1)], z) for z in w]
H = mp.matrix(K, K)
for i in range(K):
    for j in range(K):
        H[i, j] = c[1 + i + j] if 1 + i + j <= K else 0
U, S, V = mp.svd_r(H)
s = S[n]
u = [U[K - 1 - i, n] for i in range(K)]
v = [V[n, i] for i in range(K)]
zz = [0] * (nf - K)
fu, fv = fft(u + zz), fft(v + zz)
b = [fu[k] / fv[k] for k in range(nf)]
rt = [f[k] - s * w[k] ** K * b[k] for k in range(nf)]
zr = mp.polyroots(v, maxsteps=400, extraprec=200)
qk = [z for z in zr if abs(z) > 1]
assert len(qk) == n, len(qk)
# qc = poly(qk): coefficients highest first
qc = [mp.mpc(1)]
for q in qk:
    qc = [a - q * bprev for a, bprev in zip(qc + [0], [0] + qc)]
pt = [rt[k] * polyval_desc(qc, w[k]) for k in range(nf)]
ptc = [mp.re(v) / nf for v in fft(pt)]
ptc = [ptc[i] for i in range(n, -1, -1)]
ck = []
for q in qk:
    q2 = [mp.mpc(1)]
    for p in qk:
        if p is q: continue
        q2 = [a - p * bprev for a, bprev in zip(q2 + [0], [0] + q2)]
    ck.append(polyval_desc(ptc, q) / polyval_desc(q2, q))
zk = [scl * (q - 1) ** 2 / (q + 1) ** 2 for q in qk]
ck = [4 * c_ * z / (q * q - 1) for c_, z, q in zip(ck, zk, qk)]
rinf = mp.re(mp.mpf(0.5) * (1 + mp.fsum(c_ / z for c_, z in zip(ck, zk))))
def r(x): return rinf + mp.fsum(c_ / (x - z) for c_, z in zip(ck, zk))
err = max(abs(r(-mp.mpf(x) / 10) - mp.exp(-mp.mpf(x) / 10)) for x in list(range(0, 2000)) )
err = max(err, max(abs(r(-mp.mpf(10) ** e) - mp.exp(-mp.mpf(10) ** e)) for e in range(-5, 12)))
print("n", n, "rinf", mp.nstr(rinf, 20), "max err", mp.nstr(err, 5))
for z, c_ in sorted(zip(zk, ck), key=lambda p: mp.im(p[0])):
    print(mp.nstr(mp.re(z), 20), mp.nstr(mp.im(z), 20), mp.nstr(mp.re(c_), 20), mp.nstr(mp.im(c_), 20))
