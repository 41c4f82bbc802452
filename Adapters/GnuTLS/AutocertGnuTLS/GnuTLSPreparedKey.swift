import AutocertTLS
internal import CAutocertGnuTLS
import Synchronization

/// A certificate imported into GnuTLS: the chain as pcerts and the private key, made once per
/// certificate and read-only after; sessions on any thread hand it to GnuTLS with flags 0 (we
/// keep ownership). The staple is not part of it: each handshake asks the certificate's
/// ``StapleSource`` (``staple(_:)`` keeps GnuTLS's form of the latest answer).
final class GnuTLSPreparedKey: @unchecked Sendable {
    let certificates: UnsafeMutablePointer<gnutls_pcert_st>
    let certificateCount: Int
    var privateKey: gnutls_privkey_t?
    private var imported = 0
    /// GnuTLS's form of the last staple the source gave, reused while the source gives the same.
    private let lastStaple = Mutex<GnuTLSStaple?>(nil)

    init(_ key: CertifiedKey) throws {
        certificateCount = key.certificateChain.count
        certificates = .allocate(capacity: certificateCount)
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
    }

    /// GnuTLS's form of `der`: the one made last time when the source still gives the same
    /// staple (the common case: a compare and a retain), else a new one (once per refresh).
    func staple(_ der: [UInt8]) -> GnuTLSStaple {
        lastStaple.withLock { last in
            if let last, last.der == der { return last }
            let made = GnuTLSStaple(der)
            last = made
            return made
        }
    }
}

/// One staple as GnuTLS takes it (a gnutls_ocsp_data_st over our copy of the bytes), kept
/// alive by each session that sends it until the session ends.
final class GnuTLSStaple: @unchecked Sendable {
    let der: [UInt8]
    let data: UnsafeMutablePointer<gnutls_ocsp_data_st>

    init(_ der: [UInt8]) {
        self.der = der
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: der.count)
        bytes.initialize(from: der, count: der.count)
        data = .allocate(capacity: 1)
        data.initialize(to: gnutls_ocsp_data_st())
        data.pointee.version = 0
        data.pointee.response = gnutls_datum_t(data: bytes, size: UInt32(der.count))
        data.pointee.exptime = 0 // freshness is the source's: it never gives a staple past its nextUpdate
    }

    deinit {
        data.pointee.response.data.deallocate()
        data.deallocate()
    }
}
