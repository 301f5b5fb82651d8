/// Fixed-point and padded number formatting for tables (no Foundation).
enum Format {
    /// `value` with exactly `digits` decimals, rounded half away from zero.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.description }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return value.description }
        let units = UInt64(scaled)
        let whole = units / UInt64(scale)
        var text = String(whole)
        if digits > 0 {
            var fraction = String(units % UInt64(scale))
            fraction = String(repeating: "0", count: digits - fraction.count) + fraction
            text += "." + fraction
        }
        return value < 0 && units != 0 ? "-" + text : text
    }

    /// `value` in `digits` significant digits with an exponent, like C's `%.*e`.
    static func scientific(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite, value != 0 else { return value == 0 ? fixed(0, digits - 1) + "e+00" : value.description }
        var exponent = Int(log10(abs(value)).rounded(.down))
        var mantissa = value / pow(10, Double(exponent))
        if abs(Double(fixed(mantissa, digits - 1))!) >= 10 {
            exponent += 1
            mantissa = value / pow(10, Double(exponent))
        }
        let sign = exponent < 0 ? "-" : "+"
        let magnitude = abs(exponent)
        return fixed(mantissa, digits - 1) + "e" + sign + (magnitude < 10 ? "0" : "") + String(magnitude)
    }

    /// Right-aligns `text` in `width` columns.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// Left-aligns `text` in `width` columns.
    static func padRight(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
