// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Simile",
    products: [
        .library(name: "Simile", targets: ["Simile"]),
        .executable(name: "simile", targets: ["simile"]),
        .executable(name: "simile-bench", targets: ["SimileBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenCL", path: "Sources/COpenCL", pkgConfig: "OpenCL",
                       providers: [.apt(["ocl-icd-opencl-dev", "opencl-headers"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSPNG", path: "Sources/CSPNG", providers: [.apt(["libspng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"])]),
        // Open MPI for data-parallel training; shim.h returns the handles its macros stand for.
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .target(
            name: "Kernels",
            path: "Kernels",
            resources: [
                .embedInCode("elementwise.cl"),
                .embedInCode("reduce.cl"),
                .embedInCode("l2_normalize.cl"),
                .embedInCode("gemm_pack.cl"),
                .embedInCode("gemm_blocked_cpu.cl"),
                .embedInCode("gemm_tiled_gpu.cl"),
                .embedInCode("gemm_split_k.cl"),
                .embedInCode("gemm_mma_tf32.cl"),
                .embedInCode("pooling.cl"),
                .embedInCode("conv2d.cl"),
                .embedInCode("batch_norm.cl"),
                .embedInCode("memory_bank.cl"),
                .embedInCode("memory_bank_blocked_cpu.cl"),
                .embedInCode("memory_bank_tiled_gpu.cl"),
                .embedInCode("contrastive_loss_blocked_cpu.cl"),
                .embedInCode("contrastive_loss_tiled_gpu.cl"),
                .embedInCode("contrastive_loss_finish.cl"),
                .embedInCode("optimizer.cl"),
                .embedInCode("group_sum.cl"),
                .embedInCode("augment.cl"),
                .embedInCode("linear_probe.cl"),
                .embedInCode("positive_loss.cl"),
                .embedInCode("negative_cosine.cl"),
                .embedInCode("column_std.cl"),
                .embedInCode("bank_rows.cl"),
                .embedInCode("sinkhorn.cl"),
                .embedInCode("soft_cross_entropy.cl"),
                .embedInCode("layer_norm.cl"),
                .embedInCode("channels_last.cl"),
                .embedInCode("feature_map_loss.cl"),
                .embedInCode("pad.cl"),
                .embedInCode("patches.cl"),
                .embedInCode("triplet_loss.cl"),
                .embedInCode("nce_loss.cl"),
                .embedInCode("peak.cl"),
            ]
        ),
        // The CPU backend's hot loops, compiled once per instruction set and picked at run time (CPUInstructionSet).
        .target(name: "CPUKernels", exclude: ["kernels.h"]),
        .target(
            name: "EmbeddedData",
            exclude: ["uci-digits-LICENSE.md"],
            resources: [.embedInCode("uci-digits.bin")]
        ),
        .target(
            name: "Simile",
            dependencies: ["COpenCL", "CBLAS", "CMPI", "CPUKernels", "CZlib", "CSPNG", "CTurboJPEG", "Kernels",
                           "EmbeddedData"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .target(
            name: "SimileCommandLine",
            dependencies: ["Simile", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "simile",
            dependencies: ["Simile", "SimileCommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "SimileBench",
            dependencies: ["Simile", "SimileCommandLine", "CBLAS", "CTurboJPEG",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/SimileBench"
        ),
        // The PNG and JPEG encoders write the image-folder tests' files.
        .testTarget(name: "SimileTests", dependencies: ["Simile", "CSPNG", "CTurboJPEG"]),
        // Runs the built `simile` and `simile-bench` as a user would: exit codes, messages, device settings.
        .testTarget(name: "SimileCLITests", dependencies: ["Simile", "SimileCommandLine"]),
    ],
    swiftLanguageModes: [.v5]
)
