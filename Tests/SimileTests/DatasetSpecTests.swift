import Testing
@testable import Simile

@Suite struct DatasetSpecTests {
    @Test func parsesEveryForm() throws {
        #expect(try DatasetSpec(parsing: "digits") == .digits)
        #expect(try DatasetSpec(parsing: "fashion-mnist") == .fashionMNIST(directory: "/usr/share/datasets/fashion-mnist"))
        #expect(try DatasetSpec(parsing: "fashion-mnist:/d") == .fashionMNIST(directory: "/d"))
        #expect(try DatasetSpec(parsing: "mnist:data/mnist") == .mnist(directory: "data/mnist"))
        #expect(try DatasetSpec(parsing: "cifar10:/a:b") == .cifar10(directory: "/a:b"))
        #expect(try DatasetSpec(parsing: "cifar100:c100") == .cifar100(directory: "c100"))
        #expect(try DatasetSpec(parsing: "stl10:/s") == .stl10(directory: "/s"))
        #expect(try DatasetSpec(parsing: "folder:images") == .folder(directory: "images"))
        #expect(DatasetSpec.stl10(directory: "/s").description == "stl10:/s")
    }

    @Test(arguments: ["", "mnist", "mnist:", "digits:/d", "cifar10", "cifar-10:/d", "stl10:", "folder:", "DIGITS"])
    func refusesOtherForms(_ text: String) {
        expectError(.invalidArgument("invalid dataset '\(text)': expected digits, fashion-mnist, fashion-mnist:DIR, "
                                     + "mnist:DIR, cifar10:DIR, cifar100:DIR, stl10:DIR, folder:DIR or folder:DIR@SIZE")) {
            _ = try DatasetSpec(parsing: text)
        }
    }

    @Test func splits() throws {
        #expect(try DatasetSplit(parsing: "train") == .train)
        #expect(try DatasetSplit(parsing: "test") == .test)
        #expect(try DatasetSplit(parsing: "unlabeled") == .unlabeled)
        expectError(.invalidArgument("invalid split 'unlabelled': expected train, test or unlabeled")) {
            _ = try DatasetSplit(parsing: "unlabelled")
        }
        #expect(DatasetSpec.stl10(directory: "/s").splits == [.train, .test, .unlabeled])
        #expect(DatasetSpec.digits.splits == [.train, .test])
        #expect(DatasetSpec.folder(directory: "/f").splits == [.train])
    }

    /// Only STL-10 has an unlabeled split; the error comes before any file is looked for.
    @Test func refusesAMissingSplit() {
        expectError(.invalidArgument("dataset digits has no unlabeled split; its splits are train and test")) {
            _ = try DatasetSpec.digits.open(split: .unlabeled)
        }
        expectError(.invalidArgument("dataset cifar100:/nowhere has no unlabeled split; its splits are train and test")) {
            _ = try DatasetSpec.cifar100(directory: "/nowhere").open(split: .unlabeled)
        }
    }
}
