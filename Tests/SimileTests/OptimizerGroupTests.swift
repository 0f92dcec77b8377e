import Testing
@testable import Simile

/// Where every parameter of the trainer's ResNet-18 + projection head lands, for each optimiser the trainer makes.
/// The expectation comes from the layers (their kind and the tensor's rank), not from the parameters' roles or
/// names, so that a head whose batch norm is named "head.1" cannot slip into the adapted group again.
@Suite struct OptimizerGroupTests {
    @Test("every parameter of ResNet-18 + head lands in its group, for SGD, LARS and AdamW")
    func everyParameterLandsInItsGroup() throws {
        var config = try TrainingConfiguration.defaults(for: "cifar10:/nonexistent")
        #expect(config.model == .resnet18 && config.head == [512, 128] && config.weightDecay > 0)
        let encoder = try Trainer.encoder(config.model, channels: 3, on: .cpu, seed: 0)
        let head = try projectionHead(inputs: encoder.outputFeatures, widths: config.head, on: .cpu, seed: 1)
        let parameters = Trainer.parameters(encoder, try SimCLR(head: head))
        let excluded = larsExclusion([("encoder", encoder), ("head", head)])
        #expect(parameters.map(\.name).sorted() == excluded.keys.sorted())
        // 20 convolution and 20 batch-norm layers in the encoder; Linear (no bias), BatchNorm1d, Linear in the head.
        #expect(excluded.values.filter { $0 }.count == 43 && excluded.values.filter { !$0 }.count == 22)
        #expect(["head.0.weight", "head.1.weight", "head.1.bias", "head.2.weight", "head.2.bias"].map { excluded[$0] }
                == [false, true, true, false, true])

        for rule in TrainingConfiguration.OptimizerName.allCases {
            config.optimizer = rule
            let optimizer = try Trainer.optimizer(config, parameters: parameters, learningRate: 0.3, fixed: [])
            #expect(optimizer.groups.count == (rule == .lars ? 2 : 1), "\(rule)")
            for (name, _) in parameters {
                let group = try #require(optimizer.group(of: name).map { optimizer.groups[$0] })
                // LARS leaves biases and batch norm undecayed and unadapted; SGD and AdamW decay every parameter.
                let plain = rule == .lars && excluded[name] == true
                #expect(group.learningRate == 0.3, "\(rule) \(name)")
                #expect(group.weightDecay == (plain ? 0 : config.weightDecay), "\(rule) \(name)")
                #expect(group.excludedFromAdaptation == plain, "\(rule) \(name)")
            }
        }
    }

    /// Whether LARS should leave each parameter out, by its full name: all of a batch norm (γ and β), and a
    /// convolution's or linear layer's rank-1 bias, but not their weights (rank 4 and 2).
    private func larsExclusion(_ models: [(prefix: String, layer: any Layer)]) -> [String: Bool] {
        var excluded: [String: Bool] = [:]
        for (prefix, model) in models {
            for (path, layer) in model.namedLayers() {
                for (name, parameter) in layer.parameters {
                    let fullName = [prefix, path, name].filter { !$0.isEmpty }.joined(separator: ".")
                    switch layer {
                    case is BatchNorm: excluded[fullName] = true
                    case is Conv2d, is Linear: excluded[fullName] = parameter.value.shape.count == 1
                    default: Issue.record("\(fullName) is a \(type(of: layer))'s: say here what LARS does with it")
                    }
                }
            }
        }
        return excluded
    }
}
