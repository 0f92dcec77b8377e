import Simile

extension BenchKernel {
    /// The kNN monitor (`knnClassify`, k = 200, T = 0.1) of n test rows against 50000 train rows of d = 512 features
    /// in 100 classes: the size of a CIFAR-style evaluation of a ResNet's features. Flops count the similarity GEMM
    /// (2·Ntest·Ntrain·d), so "% peak" says how close the whole classifier, host top-k included, comes to the GEMM it
    /// is built on; items/s is test rows per second. Bytes count the features read and each similarity tile written
    /// and read back once.
    func knnCases(testRows n: Int, on device: Device) throws -> [BenchCase] {
        let (trainRows, d, classes) = (50000, 512, 100), word = 4.0
        let train = try Tensor.normal([trainRows, d], seed: 7, on: device)
        let test = try Tensor.normal([n, d], seed: 8, on: device)
        let trainLabels = (0..<trainRows).map { $0 % classes }, testLabels = (0..<n).map { $0 % classes }
        return [BenchCase(kernel: rawValue, size: "Ntest=\(n),Ntrain=\(trainRows),d=\(d),C=\(classes)",
                          flops: 2 * Double(n) * Double(trainRows) * Double(d),
                          bytes: word * (Double(trainRows + n) * Double(d) + 2 * Double(n) * Double(trainRows)),
                          extraBytes: knnExtraBytes(trainRows: trainRows, testRows: n, features: d), items: n) {
            _ = try knnClassify(train: train, trainLabels: trainLabels, test: test, testLabels: testLabels, classes: classes)
        }]
    }
}
