import AutocertGnuTLS
import AutocertOpenSSL
import AutocertTLS
import Logging
import NIOCore
import NIOSSL

/// What terminates TLS in front of the HTTP handlers, one per server process.
enum ServerTLS: String, CaseIterable {
    /// Autocert's TLS handler with the OpenSSL backend.
    case autocertOpenSSL = "autocert-openssl"
    /// Autocert's TLS handler with the GnuTLS backend.
    case autocertGnuTLS = "autocert-gnutls"
    /// swift-nio-ssl's NIOSSLServerHandler (BoringSSL).
    case niossl
    /// No TLS: plain HTTP/1.1, the floor the TLS servers are compared with.
    case plain

    /// Makes, once per process, what hands each new connection its TLS handler (nil: none).
    /// Every TLS server is TLS 1.3 only, with the same certificate and key.
    func handlerFactory(chainPEM: String, keyPEM: String) throws -> (@Sendable () throws -> any ChannelHandler)? {
        switch self {
        case .autocertOpenSSL, .autocertGnuTLS:
            var selector = StaticCertificateSelector()
            selector.add(try CertifiedKey(chainPEM: chainPEM, privateKeyPEM: keyPEM), for: ["bench.test"])
            let configuration = TLSServerConfiguration(applicationProtocols: ["http/1.1"], minimumVersion: .tls13)
            let backend: any TLSBackend = self == .autocertOpenSSL
                ? OpenSSLBackend(configuration: configuration) : try GnuTLSBackend(configuration: configuration)
            let logger = Logger(label: "keptalive-bench")
            return { [selector] in backend.makeServerHandler(selector: selector, logger: logger) }
        case .niossl:
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8)).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)))
            tls.minimumTLSVersion = .tlsv13
            tls.applicationProtocols = ["http/1.1"]
            let context = try NIOSSLContext(configuration: tls)
            return { NIOSSLServerHandler(context: context) }
        case .plain:
            return nil
        }
    }
}
