import Testing
@testable import Simile

@Suite struct IDXTests {
    static let values = pixelBytes(2 * 3 * 4, seed: 1)
    static let file = idxFile([2, 3, 4], values)

    @Test func plainAndGzipped() throws {
        let scratch = try Scratch()
        for (name, bytes) in [("x-idx3-ubyte", Self.file), ("x-idx3-ubyte.gz", try gzipped(Self.file))] {
            let decoded = try IDX.read(try scratch.put(bytes, name))
            #expect(decoded.dimensions == [2, 3, 4] && decoded.values == Self.values)
            let parsed = try IDX.parse(bytes, gzipped: name.hasSuffix(".gz"), name: name)
            #expect(parsed.dimensions == [2, 3, 4] && parsed.values == Self.values)
        }
        // A stream read through a pipe, whose length is not known in advance.
        let piped = try readThroughPipe(Self.file) { try IDX.read($0) }
        #expect(piped.values == Self.values)
    }

    /// Concatenated gzip members read as one stream, as gzip(1) reads them.
    @Test func concatenatedMembers() throws {
        let bytes = try gzipped(Array(Self.file[..<10])) + gzipped(Array(Self.file[10...]))
        #expect(try IDX.parse(bytes, gzipped: true, name: "two.gz").values == Self.values)
    }

    @Test func emptyDimensions() throws {
        #expect(try IDX.parse(idxFile([0, 28, 28], []), gzipped: false, name: "e").dimensions == [0, 28, 28])
        #expect(try IDX.parse(idxFile([], [7]), gzipped: false, name: "scalar").values == [7])
    }

    @Test func errors() throws {
        func expectParseError(_ bytes: [UInt8], gzipped: Bool = false, _ message: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
            expectError(.invalidArgument("f: " + message), sourceLocation: sourceLocation) {
                _ = try IDX.parse(bytes, gzipped: gzipped, name: "f")
            }
        }
        expectParseError([0, 0, 8], "the file ends after 3 bytes, inside the IDX header")
        expectParseError([0x1f, 0x8b, 8, 0], "not an IDX file: expected the magic bytes 00 00, found 1f 8b")
        expectParseError([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0],
                         "IDX type 0x0d is not supported; expected 0x08 (unsigned bytes)")
        expectParseError([0, 0, 8, 3, 0, 0, 0, 2, 0, 0],
                         "the file ends after 10 bytes, inside the IDX header of 3 dimensions")
        expectParseError(Array(Self.file.dropLast()),
                         "the data is truncated: dimensions [2, 3, 4] need 24 bytes, found 23")
        expectParseError(Self.file + [0],
                         "the data runs on past the 24 bytes that dimensions [2, 3, 4] need; trailing bytes are not allowed")
        let compressed = try gzipped(Self.file)
        expectParseError(Array(compressed.dropLast(9)), gzipped: true, "the gzip data is truncated")
        expectParseError(compressed + [0], gzipped: true, "the gzip data is truncated")
        expectParseError(compressed + [1, 2, 3], gzipped: true, "not valid gzip data: incorrect header check")
        expectParseError(Self.file, gzipped: true, "not valid gzip data: incorrect header check")
        var corrupt = compressed
        corrupt[corrupt.count - 5] ^= 0xff  // the stored CRC-32
        expectParseError(corrupt, gzipped: true, "not valid gzip data: incorrect data check")
        corrupt = compressed
        corrupt[corrupt.count - 1] ^= 0xff  // the stored length
        expectParseError(corrupt, gzipped: true, "not valid gzip data: incorrect length check")
        // Through gzip, the truncation is found as the data runs out.
        expectParseError(try gzipped(Array(Self.file.dropLast(4))), gzipped: true,
                         "the data is truncated: dimensions [2, 3, 4] need 24 bytes, found 20")
    }

    /// A size the machine cannot hold is refused before anything is read or allocated for it.
    @Test func impossibleSizes() throws {
        let huge = idxFile([0xffff_ffff, 0xffff_ffff, 0xffff_ffff], [])
        expectError(.invalidArgument("f: dimensions [4294967295, 4294967295, 4294967295] hold more bytes than "
                                     + "this machine can address")) {
            _ = try IDX.parse(huge, gzipped: false, name: "f")
        }
        do {
            _ = try IDX.parse(try gzipped(idxFile([0xffff_ffff, 0xffff], [])), gzipped: true, name: "f")
            Issue.record("no error")
        } catch let SimileError.outOfMemory(message) {
            #expect(message.hasPrefix("f: IDX data of dimensions [4294967295, 65535] needs 281470681677825 bytes; "))
        }
    }
}
