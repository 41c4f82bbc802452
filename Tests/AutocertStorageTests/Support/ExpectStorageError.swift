import AutocertStorage
import Testing

/// Records an issue unless `body` throws a ``StorageError`` with `code`; returns that error for
/// further checks.
@discardableResult
func expectStorageError(
    _ code: StorageError.Code, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> StorageError? {
    do {
        try await body()
        Issue.record("\(what) succeeded; expected StorageError \(code)", sourceLocation: sourceLocation)
    } catch let error as StorageError {
        #expect(error.code == code, "\(what): \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("\(what) threw \(error); expected StorageError \(code)", sourceLocation: sourceLocation)
    }
    return nil
}
