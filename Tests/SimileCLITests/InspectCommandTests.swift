import Foundation
import Testing

/// `simile inspect`: a safetensors file's tensors, metadata and totals, or its one error.
@Suite struct InspectCommandTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus/safetensors").path

    @Test("lists tensors in data order, the metadata and the totals")
    func listing() throws {
        let result = try run("simile", ["inspect", "\(Self.corpus)/metadata.safetensors"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == """
            b  I64  [3]  3 elements
            a  F32  [2, 2]  4 elements
            metadata:
              epoch: 3
              format: pt
            total: 2 tensors, 7 elements, 40 bytes of data

            """, "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
    }

    @Test("16-bit floats are listed with their stored dtype and size")
    func halfPrecision() throws {
        let result = try run("simile", ["inspect", "\(Self.corpus)/bf16.safetensors"])
        #expect(result.stdout == "b  BF16  [8]  8 elements\ntotal: 1 tensor, 8 elements, 16 bytes of data\n", "\(result)")
    }

    @Test("a bad or missing file is one error and exit 1")
    func badFile() throws {
        let path = "\(Self.corpus)/overlap.safetensors"
        expectFailure(try run("simile", ["inspect", path]), status: 1,
                      "\(path): tensor 'b' starts at byte 4, which overlaps the data before it (ending at byte 8); "
                      + "tensors must be contiguous from byte 0")
        expectFailure(try run("simile", ["inspect", "/nonexistent/m.safetensors"]), status: 1,
                      "/nonexistent/m.safetensors: cannot open the file: No such file or directory")
    }
}
