//go:build amd64 && !purego

package ed25519

// A point of edwards25519 in extended coordinates (Hisil, Wong, Carter
// and Dawson, 2008): x = X/Z, y = Y/Z, xy = T/Z. Its coordinates are
// always bounded (fe), as point_amd64.s needs.
type point struct{ X, Y, Z, T fe }

// A cached point is (Y+X, Y-X, 2Z, 2dT), what an addition needs of its
// second operand.
type cached struct{ YplusX, YminusX, Z2, T2d fe }

// An affine point is (y+x, y-x, 2dxy) for Z = 1, which saves the
// addition one multiplication; the tables of multiples of B hold them.
type affine struct{ YplusX, YminusX, XY2d fe }

// The point formulas of point_amd64.s (gen_point.go). out may be p.
//
//go:noescape
func pointDouble(out, p *point)

// pointDoubleXYZ is pointDouble without T, for a result that is only
// doubled again.
//
//go:noescape
func pointDoubleXYZ(out, p *point)

//go:noescape
func pointAddCached(out, p *point, q *cached)

//go:noescape
func pointSubCached(out, p *point, q *cached)

//go:noescape
func pointAddAffine(out, p *point, q *affine)

//go:noescape
func pointSubAffine(out, p *point, q *affine)

// lookupAffine sets out = abs*row[0] for abs in [0, 8], negated when neg
// is 1, reading every entry (row[j] is (j+1)*row[0]).
//
//go:noescape
func lookupAffine(out *affine, row *[8]affine, abs, neg uint64)

func (v *point) setIdentity() { *v = point{Y: feOne, Z: feOne} }

// basePoint is B of RFC 8032, Section 5.1: y = 4/5, x positive.
var basePoint = point{
	X: fe{0xc9562d608f25d51a, 0x692cc7609525a7b2, 0xc0a4e231fdd6dc5c, 0x216936d3cd6e53fe},
	Y: fe{0x6666666666666658, 0x6666666666666666, 0x6666666666666666, 0x6666666666666666},
	Z: feOne,
	T: fe{0x6dde8ab3a5b7dda3, 0x20f09f80775152f5, 0x66ea4e8e64abe37d, 0x67875f0fd78b7665},
}

// decodePair decodes a and r, 32 bytes each, with crypto/ed25519's rules
// (RFC 8032, Section 5.1.3, except that a y of p or more stands for its
// residue and that x = 0 with the sign bit set is taken as x = 0), the
// two square roots side by side, and reports whether each is a point at
// all. The coordinates it sets are canonical.
func decodePair(pa, pr *point, a, r []byte) (okA, okR bool) {
	enc := [2][]byte{a, r}
	var y, u, w pair
	for i, b := range enc {
		var y2 fe
		y[i].setBytes(b)
		feSquare(&y2, &y[i], 1)
		feSub(&u[i], &y2, &feOne)
		feMul(&w[i], &y2, &feD)
		feAdd(&w[i], &w[i], &feOne)
	}
	var x pair
	ok := x.sqrtRatio(&u, &w)
	for i, p := range [2]*point{pa, pr} {
		if enc[i][31]>>7 == 1 {
			x[i].neg(&x[i])
		}
		p.X, p.Y, p.Z = x[i], y[i].canonical(), feOne
		feMul(&p.T, &p.X, &p.Y)
	}
	return ok[0], ok[1]
}

// putBytes writes the encoding of RFC 8032, Section 5.1.2: y, with the
// sign of x in the top bit. It has no branch on v.
func (v *point) putBytes(b *[32]byte) {
	var zInv, x, y fe
	zInv.invert(&v.Z)
	feMul(&x, &v.X, &zInv)
	feMul(&y, &v.Y, &zInv)
	y.putBytes(b)
	b[31] |= byte(x.canonical()[0]&1) << 7
}

func (v *cached) fromPoint(p *point) {
	feAdd(&v.YplusX, &p.Y, &p.X)
	feSub(&v.YminusX, &p.Y, &p.X)
	feAdd(&v.Z2, &p.Z, &p.Z)
	feMul(&v.T2d, &p.T, &feD2)
}

// fromPoint sets v to p in affine form, canonical, with an inversion.
func (v *affine) fromPoint(p *point) {
	var zInv, x, y, xy fe
	zInv.invert(&p.Z)
	feMul(&x, &p.X, &zInv)
	feMul(&y, &p.Y, &zInv)
	feAdd(&v.YplusX, &y, &x)
	feSub(&v.YminusX, &y, &x)
	feMul(&xy, &x, &y)
	feMul(&v.XY2d, &xy, &feD2)
	v.YplusX = v.YplusX.canonical()
	v.YminusX = v.YminusX.canonical()
	v.XY2d = v.XY2d.canonical()
}
