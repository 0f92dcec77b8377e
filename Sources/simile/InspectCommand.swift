import ArgumentParser
import Simile

/// `simile inspect`: what a safetensors file holds, checked as the library reads it, so a file from PyTorch
/// can be looked at (and its problems named) before a model loads it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List the tensors (name, dtype, shape, elements) and metadata of a .safetensors file.")

    @Argument(help: "The .safetensors file.")
    var file: String

    func run() throws {
        let (tensors, metadata) = try Safetensors.read(file)
        var elements = 0, bytes = 0
        for tensor in tensors {
            print("\(tensor.name)  \(tensor.dtype.rawValue)  \(tensor.shape)  \(tensor.data.count) elements")
            elements += tensor.data.count
            bytes += tensor.data.count * tensor.dtype.itemSize
        }
        if !metadata.isEmpty {
            print("metadata:")
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { print("  \(key): \(value)") }
        }
        print("total: \(tensors.count) \(tensors.count == 1 ? "tensor" : "tensors"), \(elements) elements, "
              + "\(bytes) bytes of data")
    }
}
