import NumpyFormat
import Testing

@Suite struct NpyFormatTests {
    @Test(arguments: NpyVersion.allCases)
    func float32RoundTrip(version: NpyVersion) throws {
        let values: [Float] = [1, -2.5, .infinity, -.infinity, 0, 3e-40]
        let bytes = NpyWriter.encode(values, shape: [2, 3], version: version)
        let array = try bytes.withUnsafeBytes { try NpyReader.read(Float.self, from: $0) }
        #expect(array.shape == [2, 3])
        #expect(array.values == values)
    }
}
