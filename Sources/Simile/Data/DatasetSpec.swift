/// Which dataset a user asked for, in the syntax every command's `--data` takes:
///
///     digits               the UCI optical digits, embedded in the binary (8×8 gray, 1500 train, 297 test)
///     fashion-mnist        Fashion-MNIST where Debian's dataset-fashion-mnist installs it
///     fashion-mnist:DIR    Fashion-MNIST's IDX files in DIR (28×28 gray, 60,000 train, 10,000 test)
///     mnist:DIR            MNIST's IDX files in DIR
///     cifar10:DIR          CIFAR-10, binary version (32×32 RGB, 50,000 train, 10,000 test)
///     cifar100:DIR         CIFAR-100, binary version, fine labels (100 classes)
///     stl10:DIR            STL-10, binary version (96×96 RGB, 5,000 train, 8,000 test, 100,000 unlabeled)
///     folder:DIR           PNG and JPEG files in one sub-folder per class, all of one size, as RGB: the train split
///     folder:DIR@SIZE      the same, of any and mixed sizes, streamed: each decoded when the loader needs it, its
///                          centre square resampled to SIZE × SIZE (8 to 4096)
public enum DatasetSpec: Equatable, Sendable, CustomStringConvertible {
    case digits
    case mnist(directory: String)
    case fashionMNIST(directory: String)
    case cifar10(directory: String)
    case cifar100(directory: String)
    case stl10(directory: String)
    /// `side`: streamed at side × side (`folder:DIR@SIZE`); nil: decoded into memory when opened.
    case folder(directory: String, side: Int? = nil)

    /// Where Debian's dataset-fashion-mnist package installs the files: the directory of `fashion-mnist`.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    /// Parses the `--data` syntax; an error lists the accepted forms.
    public init(parsing text: String) throws {
        let (kind, directory) = text.firstIndex(of: ":").map {
            (String(text[..<$0]), String(text[text.index(after: $0)...]))
        } ?? (text, nil)
        switch (kind, directory) {
        case ("digits", nil): self = .digits
        case ("fashion-mnist", nil): self = .fashionMNIST(directory: Self.fashionMNISTDirectory)
        case let ("fashion-mnist", directory?) where !directory.isEmpty: self = .fashionMNIST(directory: directory)
        case let ("mnist", directory?) where !directory.isEmpty: self = .mnist(directory: directory)
        case let ("cifar10", directory?) where !directory.isEmpty: self = .cifar10(directory: directory)
        case let ("cifar100", directory?) where !directory.isEmpty: self = .cifar100(directory: directory)
        case let ("stl10", directory?) where !directory.isEmpty: self = .stl10(directory: directory)
        case let ("folder", directory?) where !directory.isEmpty: self = try Self.folder(directory)
        default:
            throw SimileError.invalidArgument("invalid dataset '\(text)': expected digits, fashion-mnist, "
                                              + "fashion-mnist:DIR, mnist:DIR, cifar10:DIR, cifar100:DIR, stl10:DIR"
                                              + ", folder:DIR or folder:DIR@SIZE")
        }
    }

    /// The splits the dataset has: train and test, for STL-10 unlabeled too, and for an image folder train only
    /// (a test set is another folder).
    public var splits: [DatasetSplit] {
        switch self {
        case .stl10: return [.train, .test, .unlabeled]
        case .folder: return [.train]
        default: return [.train, .test]
        }
    }

    /// Reads `split`, checking every size, count and label first; the files stay memory-mapped where they are
    /// not compressed. Errors name the file and, for a bad label, the record.
    public func open(split: DatasetSplit) throws -> Dataset {
        guard splits.contains(split) else {
            throw SimileError.invalidArgument("dataset \(self) has no \(split) split; its splits are "
                                              + splits.map(\.rawValue).joined(separator: " and "))
        }
        let name = "\(self) (\(split))"
        switch self {
        case .digits: return Digits.open(split: split, name: name)
        case let .mnist(directory): return try MNIST.open(directory, split: split, dataset: "MNIST", name: name)
        case let .fashionMNIST(directory):
            return try MNIST.open(directory, split: split, dataset: "Fashion-MNIST", name: name)
        case let .cifar10(directory): return try CIFAR.open(directory, .cifar10, split: split, name: name)
        case let .cifar100(directory): return try CIFAR.open(directory, .cifar100, split: split, name: name)
        case let .stl10(directory): return try STL10.open(directory, split: split, name: name)
        case let .folder(directory, side?): return try ImageFolder.stream(directory, side: side, name: name)
        case let .folder(directory, nil): return try ImageFolder.open(directory, name: name)
        }
    }

    /// Whether its images are ImageNet-size (STL-10's 96×96, or a folder's photos) rather than CIFAR-size or
    /// smaller: the defaults choose the ImageNet stem, and MoCo its larger queue and τ, for these.
    public var imageNetSize: Bool {
        switch self {
        case .stl10, .folder: return true
        case .digits, .mnist, .fashionMNIST, .cifar10, .cifar100: return false
        }
    }

    public var description: String {
        switch self {
        case .digits: return "digits"
        case let .mnist(directory): return "mnist:\(directory)"
        case let .fashionMNIST(directory): return "fashion-mnist:\(directory)"
        case let .cifar10(directory): return "cifar10:\(directory)"
        case let .cifar100(directory): return "cifar100:\(directory)"
        case let .stl10(directory): return "stl10:\(directory)"
        case let .folder(directory, side): return "folder:\(directory)" + (side.map { "@\($0)" } ?? "")
        }
    }

    /// `folder:DIR` or `folder:DIR@SIZE`: an `@` followed by digits only, at the end, is the size.
    private static func folder(_ text: String) throws -> DatasetSpec {
        guard let at = text.lastIndex(of: "@") else { return .folder(directory: text) }
        let digits = text[text.index(after: at)...]
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .folder(directory: text) }
        guard at > text.startIndex, let side = Int(digits), (8...4096).contains(side) else {
            throw SimileError.invalidArgument("folder:\(text): the size after @ must be 8 to 4096 with a folder "
                                              + "before it, got '\(digits)'")
        }
        return .folder(directory: String(text[..<at]), side: side)
    }
}
