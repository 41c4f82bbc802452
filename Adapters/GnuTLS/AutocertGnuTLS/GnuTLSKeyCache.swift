import AutocertTLS
internal import CAutocertGnuTLS
import Synchronization

/// A ``CertifiedKey`` imported into GnuTLS: the chain as pcerts, the private key, the staple.
/// Read-only once made; sessions on any thread hand it to GnuTLS with flags 0 (we keep ownership).
final class GnuTLSPreparedKey: @unchecked Sendable {
    let certificates: UnsafeMutablePointer<gnutls_pcert_st>
    let certificateCount: Int
    var privateKey: gnutls_privkey_t?
    let ocsp: UnsafeMutablePointer<gnutls_ocsp_data_st>?
    private var imported = 0

    init(_ key: CertifiedKey) throws {
        certificateCount = key.certificateChain.count
        certificates = .allocate(capacity: certificateCount)
        if let staple = key.ocspStaple {
            let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: staple.count)
            bytes.initialize(from: staple, count: staple.count)
            let data = UnsafeMutablePointer<gnutls_ocsp_data_st>.allocate(capacity: 1)
            data.initialize(to: gnutls_ocsp_data_st())
            data.pointee.version = 0
            data.pointee.response = gnutls_datum_t(data: bytes, size: UInt32(staple.count))
            data.pointee.exptime = 0 // freshness is the caller's: only current staples reach here
            ocsp = data
        } else {
            ocsp = nil
        }
        for (index, der) in key.certificateChain.enumerated() {
            let result = der.withUnsafeBufferPointer { buffer in
                var datum = gnutls_datum_t(data: UnsafeMutablePointer(mutating: buffer.baseAddress), size: UInt32(buffer.count))
                return gnutls_pcert_import_x509_raw(certificates + index, &datum, GNUTLS_X509_FMT_DER, 0)
            }
            try GnuTLSError.check(result, .invalidCertifiedKey, "to read certificate \(index) of the chain as DER X.509")
            imported += 1
        }
        try GnuTLSError.check(gnutls_privkey_init(&privateKey), .libraryFailure, "to allocate a private key")
        let result = key.privateKey.withUnsafeBufferPointer { buffer in
            var datum = gnutls_datum_t(data: UnsafeMutablePointer(mutating: buffer.baseAddress), size: UInt32(buffer.count))
            return gnutls_privkey_import_x509_raw(privateKey, &datum, GNUTLS_X509_FMT_DER, nil, 0)
        }
        try GnuTLSError.check(result, .invalidCertifiedKey, "to read the private key as DER PKCS#8, SEC 1 or PKCS#1")
    }

    deinit {
        for index in 0..<imported { gnutls_pcert_deinit(certificates + index) }
        certificates.deallocate()
        if let privateKey { gnutls_privkey_deinit(privateKey) }
        if let ocsp {
            ocsp.pointee.response.data.deallocate()
            ocsp.deallocate()
        }
    }
}

/// The prepared form of each ``CertifiedKey`` in use, found by its identity under a lock.
final class GnuTLSKeyCache: Sendable {
    private let keys = Mutex<[UInt64: GnuTLSPreparedKey]>([:])
    private let limit = 1024

    func prepared(for key: CertifiedKey) throws -> GnuTLSPreparedKey {
        if let prepared = keys.withLock({ $0[key.identity] }) { return prepared }
        let prepared = try GnuTLSPreparedKey(key)
        return keys.withLock { keys in
            if keys.count >= limit { keys.removeAll(keepingCapacity: true) }
            if let existing = keys[key.identity] { return existing }
            keys[key.identity] = prepared
            return prepared
        }
    }
}
