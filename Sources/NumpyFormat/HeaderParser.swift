// A parser for the one Python literal a .npy header holds:
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// Strings in single or double quotes (no escapes), True/False, tuples of integers (an optional
// trailing `L` as Python 2 wrote), whitespace anywhere between tokens, trailing commas.

struct HeaderFields {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
}

struct HeaderParser {
    let text: UnsafeRawBufferPointer
    /// The file offset of `text[0]`, for error messages.
    let baseOffset: Int
    var index = 0

    init(text: UnsafeRawBufferPointer, baseOffset: Int) {
        self.text = text
        self.baseOffset = baseOffset
    }

    private var atEnd: Bool { index >= text.count }
    private var current: UInt8? { atEnd ? nil : text[index] }

    private func fail(_ reason: String) -> NpyError {
        .malformedHeader(reason: reason, offset: baseOffset + index)
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(NpyError) {
        skipWhitespace()
        guard current == byte else { throw fail("expected \(what)") }
        index += 1
    }

    /// Consumes `byte` after optional whitespace if it is next.
    private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if current == byte {
            index += 1
            return true
        }
        return false
    }

    mutating func parseDictionary() throws(NpyError) -> HeaderFields {
        try expect(UInt8(ascii: "{"), "'{' to open the header dictionary")
        var descr: String?
        var fortranOrder: Bool?
        var shape: [Int]?
        while !consume(UInt8(ascii: "}")) {
            let key = try parseString()
            try expect(UInt8(ascii: ":"), "':' after the key '\(key)'")
            skipWhitespace()
            switch key {
            case "descr" where descr == nil:
                guard let byte = current else { throw fail("expected a value for 'descr'") }
                if byte == UInt8(ascii: "[") { throw NpyError.unsupportedDType("structured (a list of fields)") }
                descr = try parseString()
            case "fortran_order" where fortranOrder == nil:
                fortranOrder = try parseBool()
            case "shape" where shape == nil:
                shape = try parseTuple()
            default:
                throw NpyError.unexpectedKey(key)
            }
            if !consume(UInt8(ascii: ",")) {
                try expect(UInt8(ascii: "}"), "',' or '}' after a value")
                break
            }
        }
        skipWhitespace()
        guard atEnd else { throw fail("unexpected text after the dictionary") }
        guard let descr else { throw NpyError.missingKey("descr") }
        guard let fortranOrder else { throw NpyError.missingKey("fortran_order") }
        guard let shape else { throw NpyError.missingKey("shape") }
        return HeaderFields(descr: descr, fortranOrder: fortranOrder, shape: shape)
    }

    private mutating func parseString() throws(NpyError) -> String {
        skipWhitespace()
        guard let quote = current, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
            throw fail("expected a quoted string")
        }
        index += 1
        let start = index
        while let byte = current, byte != quote {
            if byte == UInt8(ascii: "\\") { throw fail("escape sequences in strings are not supported") }
            if byte == 0x0A { throw fail("unterminated string") }
            index += 1
        }
        guard !atEnd else { throw fail("unterminated string") }
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: text[start..<index]), as: UTF8.self)
        index += 1
        return value
    }

    private mutating func parseWord() -> Substring {
        let start = index
        while let byte = current,
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || byte == UInt8(ascii: "_")
        {
            index += 1
        }
        return Substring(String(decoding: UnsafeRawBufferPointer(rebasing: text[start..<index]), as: UTF8.self))
    }

    private mutating func parseBool() throws(NpyError) -> Bool {
        let start = index
        switch parseWord() {
        case "True": return true
        case "False": return false
        default:
            index = start
            throw fail("expected True or False for 'fortran_order'")
        }
    }

    private mutating func parseTuple() throws(NpyError) -> [Int] {
        guard consume(UInt8(ascii: "(")) else { throw fail("expected a tuple such as (2, 3) for 'shape'") }
        var dimensions: [Int] = []
        var trailingComma = false
        while !consume(UInt8(ascii: ")")) {
            dimensions.append(try parseInteger())
            trailingComma = consume(UInt8(ascii: ","))
            if !trailingComma {
                try expect(UInt8(ascii: ")"), "',' or ')' in the shape tuple")
                break
            }
        }
        // `(3)` is the integer 3 in Python, not a tuple.
        if dimensions.count == 1 && !trailingComma { throw fail("a one-element shape needs a comma: (n,)") }
        return dimensions
    }

    private mutating func parseInteger() throws(NpyError) -> Int {
        skipWhitespace()
        let negative = consume(UInt8(ascii: "-"))
        var value = 0
        var digits = 0
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw fail("shape dimension is too large") }
            value = sum
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw fail("expected an integer in the shape tuple") }
        if current == UInt8(ascii: "L") { index += 1 }
        return negative ? -value : value
    }
}
