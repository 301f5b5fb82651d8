// Loads, stores and row reductions over SIMD8 lanes shared by the sampling and gradient kernels.
// Partial vectors are padded so that every element goes through the same lane arithmetic
// wherever it sits, which keeps results identical however rows are grouped or split.

@inline(__always)
func load8(_ pointer: UnsafePointer<Float>) -> FloatLanes {
    FloatLanes(UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self))
}

@inline(__always)
func load8(_ pointer: UnsafePointer<UInt32>) -> WordLanes {
    UnsafeRawPointer(pointer).loadUnaligned(as: WordLanes.self)
}

@inline(__always)
func store8(_ value: FloatLanes, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value.simd, as: SIMD8<Float>.self)
}

@inline(__always)
func loadPartial(_ pointer: UnsafePointer<Float>, count: Int, padding: Float) -> FloatLanes {
    var value = FloatLanes(repeating: padding)
    for lane in 0..<count { value[lane] = pointer[lane] }
    return value
}

@inline(__always)
func loadPartial(_ pointer: UnsafePointer<UInt32>, count: Int) -> WordLanes {
    var value = WordLanes(repeating: 0)
    for lane in 0..<count { value[lane] = pointer[lane] }
    return value
}

@inline(__always)
func storePartial(_ value: FloatLanes, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
    for lane in 0..<count { pointer[lane] = value[lane] }
}

/// The blocks of an element-wise pass over `count` elements, the one loop shape of the noise,
/// the exponentials and their sums: whole blocks of `WideFloatLanes.count` from 0 (`wide`), then
/// the rest eight at a time, the last block shorter (`narrow`). Lane arithmetic is lane-wise, so
/// an element gets the same bits in either. Sequences rather than a function taking two closures:
/// the loop bodies stay in their function with their accumulators (measured with callgrind, the
/// closure form ran 0.3 to 0.5% more instructions per sample on grouped rows).
struct Blocks {
    /// The end of the wide blocks.
    let wideEnd: Int
    let count: Int

    @inline(__always)
    init(count: Int) {
        self.count = count
        wideEnd = count - count % WideFloatLanes.count
    }

    /// The start of each wide block.
    @inline(__always)
    var wide: StrideTo<Int> { stride(from: 0, to: wideEnd, by: WideFloatLanes.count) }

    /// The start and length (8, or fewer for the last one) of each narrow block.
    @inline(__always)
    var narrow: some Sequence<(start: Int, count: Int)> {
        let count = self.count
        return stride(from: wideEnd, to: count, by: 8).lazy.map { (start: $0, count: Swift.min(8, count - $0)) }
    }
}

/// Eight floats from `pointer`, or its first `count < 8` padded with `padding`.
@inline(__always)
func loadLanes(_ pointer: UnsafePointer<Float>, count: Int, padding: Float) -> FloatLanes {
    count == 8 ? load8(pointer) : loadPartial(pointer, count: count, padding: padding)
}

/// Stores eight lanes to `pointer`, or the first `count < 8`.
@inline(__always)
func storeLanes(_ value: FloatLanes, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
    if count == 8 { store8(value, pointer) } else { storePartial(value, pointer, count: count) }
}

/// `loadLanes` as one 8-lane load, the lanes from `count` on replaced by `padding`: all eight
/// floats at `pointer` must be readable. The same lanes as `loadLanes`, without a load per lane.
@inline(__always)
func loadOver(_ pointer: UnsafePointer<Float>, count: Int, padding: Float) -> FloatLanes {
    load8(pointer).replacing(with: FloatLanes(repeating: padding), where: lanes(from: count))
}

/// The mask of lanes `count ..< 8`.
@_transparent
func lanes(from count: Int) -> SIMDMask<IntLanes> {
    IntLanes(0, 1, 2, 3, 4, 5, 6, 7) .>= IntLanes(repeating: Int32(truncatingIfNeeded: count))
}

/// Applies `transform` to `count` floats at `source`, eight at a time, writing to `target`
/// (which may equal `source`).
@inline(__always)
func mapLanes(
    _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int, padding: Float = 0,
    _ transform: (FloatLanes) -> FloatLanes
) {
    var i = 0
    while i + 8 <= count {
        store8(transform(load8(source + i)), target + i)
        i += 8
    }
    if i < count {
        storePartial(
            transform(loadPartial(source + i, count: count - i, padding: padding)), target + i, count: count - i)
    }
}

enum RowReduce {
    /// The largest of `count` floats, and whether any is NaN or `+inf`.
    @_transparent
    static func max(_ x: UnsafePointer<Float>, count: Int) -> (max: Float, invalid: Bool) {
        let (lanes, invalid) = maxLanes(x, count: count)
        return (lanes[0], invalid)
    }

    /// The largest of `count` floats in every lane, and whether any is NaN or `+inf`. With
    /// `overRead`, the last partial vector is read whole (`loadOver`).
    @_transparent
    static func maxLanes(
        _ x: UnsafePointer<Float>, count: Int, overRead: Bool = false
    ) -> (max: FloatLanes, invalid: Bool) {
        let negInf = FloatLanes(repeating: -.infinity)
        let inf = FloatLanes(repeating: .infinity)
        var m0 = negInf
        var m1 = negInf
        var valid0 = SIMDMask<SIMD8<Int32>>(repeating: true)
        var valid1 = valid0
        var i = 0
        while i + 16 <= count {
            let a = load8(x + i)
            let b = load8(x + i + 8)
            valid0 .&= a .< inf
            valid1 .&= b .< inf
            m0 = FloatLanes.maximum(m0, a)
            m1 = FloatLanes.maximum(m1, b)
            i += 16
        }
        while i < count {
            let n = Swift.min(8, count - i)
            let a =
                overRead
                ? loadOver(x + i, count: n, padding: -.infinity) : loadLanes(x + i, count: n, padding: -.infinity)
            valid0 .&= a .< inf
            m0 = FloatLanes.maximum(m0, a)
            i += n
        }
        let valid = valid0 .& valid1
        return (FloatLanes.maximum(m0, m1).maxLanes(), !all(valid))
    }

    /// The first index of the largest of `count` floats (ties to the lowest index).
    @inline(__always)
    static func argmax(_ x: UnsafePointer<Float>, count: Int, max: Float) -> Int {
        var i = 0
        while i < count {
            if x[i] == max { return i }
            i += 1
        }
        return 0
    }

    /// The sum of `count` floats in Double: two eight-lane accumulators, then a fixed tree. With
    /// `overRead`, the last partial vector is read whole (`loadOver`).
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count: Int, overRead: Bool = false) -> Double {
        var sum0 = FloatLanes()
        var sum1 = FloatLanes()
        var i = 0
        while i + 16 <= count {
            sum0 += load8(x + i)
            sum1 += load8(x + i + 8)
            i += 16
        }
        if i + 8 <= count {
            sum0 += load8(x + i)
            i += 8
        }
        if i < count && overRead {
            sum1 += loadOver(x + i, count: count - i, padding: 0)
        } else if i < count {
            sum1 += loadPartial(x + i, count: count - i, padding: 0)
        }
        return (sum0 + sum1).sumInDouble()
    }

    /// `sum(exp((x - reference) * scale))` over `count` floats, storing each term to `output` when
    /// it is not nil. Accumulates in the bulk width (32 or 64 lanes), folded to 8 with the tail,
    /// then summed in Double.
    @inline(__always)
    static func expSum(
        _ x: UnsafePointer<Float>, count: Int, reference: Float, scale: Float,
        storingTo output: UnsafeMutablePointer<Float>?
    ) -> Double {
        let blocks = Blocks(count: count)
        var wide = WideFloatLanes(repeating: 0)
        do {
            let ref = WideFloatLanes(repeating: reference)
            let s = WideFloatLanes(repeating: scale)
            for i in blocks.wide {
                let e = FastMath.expNonPositive((WideFloatLanes.load(x + i) - ref) * s)
                if let output { e.store(to: output + i) }
                wide = wide + e
            }
        }
        let ref = FloatLanes(repeating: reference)
        let s = FloatLanes(repeating: scale)
        var sum0 = FloatLanes()
        for (i, n) in blocks.narrow {
            let e = FastMath.expNonPositive((loadLanes(x + i, count: n, padding: -.infinity) - ref) * s)
            if let output { storeLanes(e, output + i, count: n) }
            sum0 += e
        }
        return (wide.folded + sum0).sumInDouble()
    }
}
