import Foundation

/// Executables this package builds, found beside the test bundle in the build folder.
public enum BuiltProduct {
    /// The path of the built executable `name` (for example `autocert-server`).
    ///
    /// - Throws: ``TestSupportError`` when it was not built (run `swift build` first).
    public static func path(_ name: String) throws -> String {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent(name).path }
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestSupportError("\(name) is not built next to the tests (\(candidates)); run swift build first")
        }
        return path
    }
}
